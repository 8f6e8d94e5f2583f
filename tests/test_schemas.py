"""The schemas document themselves: every field has a description and an example."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest

from catalog.schema_check import KINDS, load_schema, orcid_checksum_ok, precise_validator


def fields(schema: dict[str, Any], prefix: str = "") -> list[tuple[str, dict[str, Any]]]:
    out = []
    for name, sub in schema.get("properties", {}).items():
        out.append((prefix + name, sub))
        out += fields(sub, prefix + name + ".")
        if isinstance(sub.get("items"), dict):
            out += fields(sub["items"], prefix + name + "[].")
    return out


@pytest.mark.parametrize("kind", KINDS)
def test_schema_is_valid_2020_12_and_closed(kind: str) -> None:
    schema = load_schema(kind)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"].endswith("2020-12/schema")
    assert schema["additionalProperties"] is False


@pytest.mark.parametrize("kind", KINDS)
def test_every_field_has_description_and_example(kind: str) -> None:
    schema = load_schema(kind)
    defs = schema["$defs"]
    for name, sub in fields(schema):
        target = defs[sub["$ref"].rsplit("/", 1)[1]] if "$ref" in sub else sub
        assert sub.get("description") or target.get("description"), f"{kind}.{name} has no description"
        assert sub.get("examples") or target.get("examples") or "enum" in target or "const" in target, (
            f"{kind}.{name} has no example"
        )


def test_shared_definitions_are_identical() -> None:
    first = load_schema("usecase")["$defs"]
    for kind in KINDS:
        assert load_schema(kind)["$defs"] == first


@pytest.mark.parametrize("kind", KINDS)
def test_schema_examples_validate(kind: str) -> None:
    for example in load_schema(kind)["examples"]:
        assert list(precise_validator(kind).iter_errors(example)) == []


@pytest.mark.parametrize("kind", KINDS)
def test_url_fields_refuse_unsafe_schemes(kind: str) -> None:
    url = load_schema(kind)["$defs"]["https_url"]
    check = jsonschema.Draft202012Validator(url)
    for bad in (
        "http://example.org",
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "data:text/html,x",
        "not a uri",
        "https://",
        "https:// spaced",
    ):
        assert not check.is_valid(bad), bad
    assert check.is_valid("https://zenodo.org/record/2603256")


def test_orcid_check_digit() -> None:
    assert orcid_checksum_ok("0000-0002-1825-0097")
    assert orcid_checksum_ok("0000-0001-5109-3700")
    assert orcid_checksum_ok("0000-0002-1694-233X")
    assert not orcid_checksum_ok("0000-0002-1825-0098")
