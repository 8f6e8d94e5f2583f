"""Field reference pages generated from the schemas' descriptions and examples (never drift)."""

from __future__ import annotations

import json
from typing import Any

from ..schema_check import load_schema, resolve_ref
from .document import Document
from .markup import file_href, plain, table

TITLES = {
    "usecase": "Use case fields",
    "dataset": "Dataset fields",
    "seminar": "Seminar fields",
    "event": "Event fields",
}


def _type_of(sub: dict[str, Any]) -> str:
    if "enum" in sub:
        return "one of: " + ", ".join(_code(v) for v in sub["enum"])
    if "anyOf" in sub:
        return " or ".join(_type_of(resolve_ref(s)) for s in sub["anyOf"])
    if "const" in sub:
        return _code(sub["const"])
    kind = sub.get("type", "")
    if kind == "array" and isinstance(sub.get("items"), dict):
        return f"list of {_type_of(resolve_ref(sub['items']))}"
    return plain(kind) + (f" matching {_code(sub['pattern'])}" if "pattern" in sub and kind == "string" else "")


def _code(value: object) -> str:
    return f"<code>{plain(value)}</code>"


def field_rows(schema: dict[str, Any], prefix: str = "") -> list[list[str]]:
    rows = []
    required = set(schema.get("required", []))
    for name, raw in schema.get("properties", {}).items():
        if name == "$schema":
            continue
        sub = resolve_ref(raw)
        example = json.dumps(sub["examples"][0], ensure_ascii=False) if sub.get("examples") else ""
        rows.append(
            [
                _code(f"{prefix}{name}"),
                "yes" if name in required else "",
                _type_of(sub),
                plain(sub.get("description", "")),
                _code(example) if example else "",
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
    doc = Document(TITLES[kind], {"kb_kind": "reference"})
    doc.heading(1, TITLES[kind])
    target = file_href(f"reference/{kind}.md", f"schemas/{kind}.schema.json")
    link = f'<a href="{target}">{_code(f"{kind}.schema.json")}</a>'
    doc.add(
        f"<p>{plain(schema['description'])} Generated from {link}, which editors use for completion.</p>\n",
        table(["Field", "Required", "Type", "Description", "Example"], field_rows(schema)),
    )
    return doc
