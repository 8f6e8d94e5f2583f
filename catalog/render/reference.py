"""Field reference pages generated from the schemas' descriptions and examples (never drift).

Types are written for people ("text (one line)", "list of dataset ids", "one of: ..."), never as
JSON Schema keywords or regular expressions. Each field shows one example: the field's own
`examples` entry, else its definition's, except that the generic text definitions' sample
sentence is not repeated under every text field (a field without its own example shows none).
"""

from __future__ import annotations

import json
from typing import Any

from ..schema_check import load_schema, resolve_ref
from ..urls import field_reference_uri, schema_file
from .document import Document
from .markup import file_href, plain, table

TITLES = {
    "usecase": "Use case fields",
    "dataset": "Dataset fields",
    "seminar": "Seminar fields",
    "event": "Event fields",
}

# shared definitions ($defs) in words
DEF_WORDS = {
    "slug": "id: lower-case letters, digits and single hyphens",
    "https_url": "https:// address",
    "doi": "DOI, without https://doi.org/",
    "arxiv": "arXiv id",
    "orcid": "ORCID iD",
    "spdx": "SPDX license id, a LicenseRef-… id, or unknown",
    "date": "date (YYYY-MM-DD)",
    "plain": "text (one line)",
    "markdown": "Markdown text",
    "person": "person (fields below)",
    "creator": "person or organisation (fields below)",
    "reference": "publication or web page (fields below)",
    "provenance": "where the facts come from (fields below)",
    "keywords": "list of keywords (lower case)",
}
GENERIC_TEXT = frozenset({"plain", "markdown"})  # their sample sentence fits no field in particular

# kinds whose ids a list field holds, by the field's name
ID_LISTS = {"datasets": "dataset", "seminars": "seminar", "usecases": "use case", "events": "event"}


def _def_name(raw: dict[str, Any]) -> str:
    ref = raw.get("$ref", "")
    return ref.rsplit("/", 1)[1] if isinstance(ref, str) and ref.startswith("#/$defs/") else ""


def type_words(raw: dict[str, Any], name: str = "") -> str:
    """A field's type in words (plain text; the page escapes it)."""
    ref = _def_name(raw)
    if ref in ("slug_list", "slug") and name in ID_LISTS:
        return f"list of {ID_LISTS[name]} ids" if ref == "slug_list" else f"{ID_LISTS[name]} id"
    if ref == "slug_list":
        return "list of ids"
    if ref in DEF_WORDS:
        return DEF_WORDS[ref]
    sub = resolve_ref(raw)
    if "enum" in sub:
        return "one of: " + ", ".join(str(v) for v in sub["enum"])
    if "const" in sub:
        return f"exactly {sub['const']}"
    if "anyOf" in sub or "oneOf" in sub:
        parts = [type_words(s, name) for s in sub.get("anyOf") or sub["oneOf"]]
        return " or ".join(dict.fromkeys(p for p in parts if p))
    kind = sub.get("type", "")
    if kind == "array":
        items: dict[str, Any] = sub["items"] if isinstance(sub.get("items"), dict) else {}
        if _def_name(items) == "slug" and name in ID_LISTS:
            return f"list of {ID_LISTS[name]} ids"
        return f"list of: {type_words(items)}" if items else "list"
    if kind == "object":
        return "group of fields (below)" if sub.get("properties") else "group of fields"
    if kind == "integer":
        low, high = sub.get("minimum"), sub.get("maximum")
        return f"whole number from {low} to {high}" if low is not None and high is not None else "whole number"
    if kind == "number":
        return "number"
    if kind == "boolean":
        return "true or false"
    if kind == "string":
        return {"date": "date (YYYY-MM-DD)", "orcid": "ORCID iD"}.get(sub.get("format", ""), "text")
    return "any value"


def example_of(raw: dict[str, Any]) -> tuple[bool, Any]:
    """(found, value): the field's own example, else its definition's unless that is generic text."""
    if raw.get("examples"):
        return True, raw["examples"][0]
    if _def_name(raw) in GENERIC_TEXT:
        return False, None
    sub = resolve_ref(raw)
    return (True, sub["examples"][0]) if sub.get("examples") else (False, None)


def field_schema(raw: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    """A field's schema on its own (with the shared definitions its `$ref`s point at)."""
    return {**raw, "$defs": defs}


def _code(value: object) -> str:
    return f"<code>{plain(value)}</code>"


def field_rows(schema: dict[str, Any], prefix: str = "") -> list[list[str]]:
    rows = []
    required = set(schema.get("required", []))
    for name, raw in schema.get("properties", {}).items():
        if name == "$schema":
            continue
        sub = resolve_ref(raw)
        found, value = example_of(raw)
        example = json.dumps(value, ensure_ascii=False) if found else ""
        rows.append(
            [
                _code(f"{prefix}{name}"),
                "yes" if name in required else "",
                plain(type_words(raw, name)),
                plain(sub.get("description", "")),
                # examples name real people and records: kept out of the search index, so that a
                # person's name finds their records, not this page
                f"<span data-search-exclude>{_code(example)}</span>" if example else "",
            ]
        )
        nested = sub.get("items") if sub.get("type") == "array" else sub
        if isinstance(nested, dict):
            nested = resolve_ref(nested)
            if nested.get("properties"):
                rows += field_rows(nested, f"{prefix}{name}{'[]' if sub.get('type') == 'array' else ''}.")
    return rows


def field_reference_page(kind: str) -> Document:
    schema = load_schema(kind)
    doc = Document(TITLES[kind], {"kb_kind": "reference", "search": {"boost": 0.1}})
    doc.heading(1, TITLES[kind])
    target = file_href(field_reference_uri(kind), schema_file(kind))
    link = f'<a href="{target}">{_code(f"{kind}.schema.json")}</a>'
    doc.add(
        f"<p>{plain(schema['description'])} Generated from {link}, which editors use for completion.</p>\n",
        table(["Field", "Required", "Type", "Description", "Example"], field_rows(schema)),
    )
    return doc
