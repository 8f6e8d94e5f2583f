"""The field reference is written for people: types in words, one example per field that is valid
for that very field, no sample sentence repeated across fields, and examples kept out of search."""

from __future__ import annotations

import html
import json
import re

import jsonschema
import pytest

from catalog.render.reference import TITLES, example_of, field_reference_page, field_schema, type_words
from catalog.schema_check import load_schema, resolve_ref


def fields(schema: dict, prefix: str = ""):
    for name, raw in schema.get("properties", {}).items():
        if name == "$schema":
            continue
        yield prefix + name, name, raw
        sub = resolve_ref(raw)
        nested = sub.get("items") if sub.get("type") == "array" else sub
        if isinstance(nested, dict):
            nested = resolve_ref(nested)
            if nested.get("properties"):
                yield from fields(nested, f"{prefix}{name}{'[]' if sub.get('type') == 'array' else ''}.")


@pytest.mark.parametrize("kind", list(TITLES))
def test_every_shown_example_validates_against_its_own_field(kind: str) -> None:
    schema = load_schema(kind)
    shown = 0
    for path, _, raw in fields(schema):
        found, value = example_of(raw)
        if found:
            shown += 1
            errors = list(jsonschema.Draft202012Validator(field_schema(raw, schema["$defs"])).iter_errors(value))
            assert not errors, f"{kind}.{path}: example {value!r}: {errors[0].message}"
    assert shown > 10


@pytest.mark.parametrize("kind", list(TITLES))
def test_types_are_words_and_text_examples_are_not_repeated(kind: str) -> None:
    schema = load_schema(kind)
    texts: dict[str, str] = {}
    for path, name, raw in fields(schema):
        words = type_words(raw, name)
        assert words and "^" not in words and "$" not in words and " or  or " not in words, (path, words)
        assert not re.search(r"\bor\s*$|^\s*or\b", words), (path, words)
        found, value = example_of(raw)
        if found and isinstance(value, str) and " " in value:  # a sentence or a title
            # the same field of a shared definition (authors[].name, contacts[].name) may repeat
            assert texts.setdefault(value, name) == name, f"{kind}.{path} repeats the example of {texts[value]}"
    assert type_words({"$ref": "#/$defs/slug_list"}, "datasets") == "list of dataset ids"
    if "domain" in schema["properties"]:
        assert type_words(schema["properties"]["domain"], "domain").startswith("one of: hep, ")


def test_reference_page_keeps_examples_out_of_search_and_ranks_low() -> None:
    from catalog.render.search import search_entries

    doc = field_reference_page("usecase")
    assert "Luca Anzalone" in html.unescape(doc.body)
    entries = search_entries(doc, "reference/usecase/")
    assert all("Anzalone" not in entry["text"] for entry in entries)
    assert all(entry["boost"] < 1 for entry in entries)
    assert "or  or" not in doc.body and "matching" not in doc.body
    json.dumps(entries)
