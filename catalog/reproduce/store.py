"""The results store: plain JSON, per notebook a bounded history of runs (newest last).

Written atomically (temporary file + rename); every write re-reads the file and merges, so a
concurrent or earlier writer's entries are never lost.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema

from ..atomic_write import write_text
from ..model import Catalog
from ..results import NotebookStatus, StatusMap
from ..schema_check import load_schema
from .fingerprint import notebook_fingerprint

HISTORY_LIMIT = 20
FORMAT_VERSION = 1


class StoreError(Exception):
    """The results file exists but cannot be used; it is left untouched."""


def key_of(usecase: str, notebook: str) -> str:
    return f"{usecase}/{notebook}"


@dataclass
class ResultsStore:
    notebooks: dict[str, dict[str, Any]] = field(default_factory=dict)

    def history(self, usecase: str, notebook: str) -> list[dict[str, Any]]:
        return self.notebooks.get(key_of(usecase, notebook), {}).get("history", [])

    def latest(self, usecase: str, notebook: str) -> dict[str, Any] | None:
        runs = self.history(usecase, notebook)
        return runs[-1] if runs else None

    def last_passing(self, usecase: str, notebook: str) -> dict[str, Any] | None:
        return next((r for r in reversed(self.history(usecase, notebook)) if r["verdict"] == "passed"), None)

    def add(self, usecase: str, notebook: str, run: dict[str, Any]) -> None:
        entry = self.notebooks.setdefault(
            key_of(usecase, notebook), {"usecase": usecase, "notebook": notebook, "history": []}
        )
        entry["history"] = merge_histories(entry["history"], [run])

    def merge(self, other: ResultsStore) -> None:
        """Union of both stores; per notebook the histories are combined by start time."""
        for key, entry in other.notebooks.items():
            mine = self.notebooks.setdefault(
                key, {"usecase": entry["usecase"], "notebook": entry["notebook"], "history": []}
            )
            mine["history"] = merge_histories(mine["history"], entry["history"])

    def to_json(self) -> str:
        doc = {"format_version": FORMAT_VERSION, "notebooks": dict(sorted(self.notebooks.items()))}
        return json.dumps(doc, indent=1, ensure_ascii=False) + "\n"


def merge_histories(a: list[dict[str, Any]], b: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Newest last, duplicates (same start and hash) once, at most HISTORY_LIMIT runs."""
    seen: dict[tuple[str, str], dict[str, Any]] = {}
    for run in [*a, *b]:
        seen[(run["started"], run["content_hash"])] = run
    ordered = sorted(seen.values(), key=lambda r: r["started"])
    return ordered[-HISTORY_LIMIT:]


def read_store(path: Path) -> ResultsStore:
    if not path.exists():
        return ResultsStore()
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise StoreError(f"{path}: cannot read results store: {exc}") from exc
    errors = sorted(jsonschema.Draft202012Validator(load_schema("results")).iter_errors(doc), key=str)
    if errors:
        where = "/".join(map(str, errors[0].absolute_path)) or "$"
        raise StoreError(f"{path}: results store does not match its schema at {where}: {errors[0].message}")
    return ResultsStore(doc["notebooks"])


def write_store(path: Path, store: ResultsStore) -> None:
    """Merge `store` into what is on disk now, then replace the file atomically."""
    current = read_store(path)
    current.merge(store)
    write_text(path, current.to_json(), durable=True)


def hardware_label(run: dict[str, Any]) -> str:
    hw = run.get("hardware") or {}
    gpus = ", ".join(g.get("name", "GPU") for g in hw.get("gpus", []))
    return " + ".join(part for part in (hw.get("cpu", ""), gpus) if part)


def status_from_run(run: dict[str, Any] | None, current_hash: str) -> NotebookStatus:
    if run is None:
        return NotebookStatus("never-run")
    return NotebookStatus(
        run["verdict"],
        stale=run["content_hash"] != current_hash,
        started=run["started"],
        duration_s=run.get("duration_s"),
        hardware=hardware_label(run),
        reason=run.get("reason", ""),
        failing_cell=run.get("failing_cell"),
    )


def load_statuses(catalog: Catalog, path: Path) -> tuple[StatusMap, dict[tuple[str, str], list[dict[str, Any]]]]:
    """Latest status and history of every notebook in the catalog (unknown store → never run)."""
    store = read_store(path)
    statuses: StatusMap = {}
    history = {}
    for usecase in catalog.usecases.values():
        for entry in usecase.data.get("notebooks", []):
            key = (usecase.id, entry["path"])
            statuses[key] = status_from_run(store.latest(*key), notebook_fingerprint(usecase, entry))
            history[key] = store.history(*key)
    return statuses, history
