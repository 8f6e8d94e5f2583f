"""Field reference pages generated from the schemas' descriptions and examples (never drift)."""

from __future__ import annotations

import json
from typing import Any

from ..schema_check import load_schema, resolve_ref
from .markup import front_matter, plain, table

TITLES = {"usecase": "Use case fields", "dataset": "Dataset fields", "seminar": "Seminar fields"}


def _type_of(sub: dict[str, Any]) -> str:
    if "enum" in sub:
        return "one of: " + ", ".join(f"`{v}`" for v in sub["enum"])
    if "anyOf" in sub:
        return " or ".join(_type_of(resolve_ref(s)) for s in sub["anyOf"])
    if "const" in sub:
        return f"`{sub['const']}`"
    kind = sub.get("type", "")
    if kind == "array" and isinstance(sub.get("items"), dict):
        return f"list of {_type_of(resolve_ref(sub['items']))}"
    return str(kind) + (f" matching `{sub['pattern']}`" if "pattern" in sub and kind == "string" else "")


def field_rows(schema: dict[str, Any], prefix: str = "") -> list[list[str]]:
    rows = []
    required = set(schema.get("required", []))
    for name, raw in schema.get("properties", {}).items():
        if name == "$schema":
            continue
        sub = resolve_ref(raw)
        example = json.dumps(sub["examples"][0], ensure_ascii=False) if sub.get("examples") else ""
        rows.append([f"`{prefix}{name}`", "yes" if name in required else "",
                     plain(_type_of(sub)).replace("&#96;", "`"),
                     plain(sub.get("description", "")), f"`{plain(example)}`" if example else ""])
        nested = sub.get("items") if sub.get("type") == "array" else sub
        if isinstance(nested, dict):
            nested = resolve_ref(nested)
            if nested.get("properties"):
                rows += field_rows(nested, f"{prefix}{name}{'[]' if sub.get('type') == 'array' else ''}.")
    return rows


def field_reference_page(kind: str) -> str:
    schema = load_schema(kind)
    rows = field_rows(schema)
    return (front_matter(TITLES[kind], kb_kind="reference") + f"# {TITLES[kind]}\n\n"
            f"{plain(schema['description'])} Generated from "
            f"[`{kind}.schema.json`](../schemas/{kind}.schema.json), which editors use for completion.\n\n"
            + table(["Field", "Required", "Type", "Description", "Example"], rows))
