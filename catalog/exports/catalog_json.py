"""`catalog.json`: every record as loaded, with derived links and reproducibility status.

Described by `catalog/schemas/catalog.schema.json`; each `record` is exactly the YAML record's
data, so the file round-trips every field.
"""

from __future__ import annotations

import json
from typing import Any

from ..model import KIND_FOLDERS, Catalog
from ..records import UseCase
from ..results import NEVER_RUN, StatusMap

FORMAT_VERSION = 1


def catalog_document(catalog: Catalog, statuses: StatusMap) -> dict[str, Any]:
    entries = []
    for record in catalog.all_records():
        entry: dict[str, Any] = {
            "kind": record.kind,
            "id": record.id,
            "file": record.file,
            "record": record.data,  # as written: the file round-trips every field
            "links": {
                kind: [r.id for r in catalog.related(record, kind)] for kind in KIND_FOLDERS if kind != record.kind
            },
        }
        value = record.value
        if isinstance(value, UseCase):
            entry["reproducibility"] = {
                nb.path: _status(statuses.get((record.id, nb.path), NEVER_RUN)) for nb in value.notebooks
            }
        entries.append(entry)
    counts = {kind: len(catalog.records[kind]) for kind in KIND_FOLDERS}
    return {"format_version": FORMAT_VERSION, "counts": counts, "records": entries}


def _status(status: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"verdict": status.verdict, "stale": status.stale}
    for key in ("started", "hardware", "reason"):
        if getattr(status, key):
            out[key] = getattr(status, key)
    if status.duration_s is not None:
        out["duration_s"] = status.duration_s
    return out


def catalog_json(catalog: Catalog, statuses: StatusMap) -> str:
    return json.dumps(catalog_document(catalog, statuses), ensure_ascii=False) + "\n"
