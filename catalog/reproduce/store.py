"""The results store: plain JSON, per notebook a bounded history of runs (newest last).

Written atomically (temporary file + rename); every write takes an exclusive lock on a file
beside the store, then re-reads, merges and replaces it, so a concurrent or earlier writer's
entries are never lost.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema_rs

from ..atomic_write import write_text
from ..model import Catalog
from ..results import NotebookStatus, StatusMap
from ..schema_check import load_schema
from .fingerprint import notebook_fingerprint

HISTORY_LIMIT = 20
FORMAT_VERSION = 1
MAX_CLOCK_SKEW = dt.timedelta(minutes=10)
"""How far in the future (by the merging machine's clock) a run's start may lie."""


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

    def latest_for(self, usecase: str, notebook: str, content_hash: str) -> dict[str, Any] | None:
        """The newest run of this exact content (what the notebook's verdict is today)."""
        runs = self.history(usecase, notebook)
        return next((r for r in reversed(runs) if r["content_hash"] == content_hash), None)

    def usecases(self) -> set[str]:
        return {entry["usecase"] for entry in self.notebooks.values()}

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


def parse_time(text: str) -> dt.datetime:
    """A run's start as an aware UTC datetime (the schema admits only `YYYY-MM-DDTHH:MM:SS[.f]Z`)."""
    return dt.datetime.fromisoformat(text.removesuffix("Z")).replace(tzinfo=dt.timezone.utc)


def merge_histories(a: list[dict[str, Any]], b: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Newest last, duplicates (same start and hash) once, at most HISTORY_LIMIT runs."""
    seen: dict[tuple[str, str], dict[str, Any]] = {}
    for run in [*a, *b]:
        seen[(run["started"], run["content_hash"])] = run
    ordered = sorted(seen.values(), key=lambda r: parse_time(r["started"]))
    return ordered[-HISTORY_LIMIT:]


@cache
def _results_validator() -> Any:
    """The compiled check every build runs (formats are annotations here, as in `jsonschema`)."""
    return jsonschema_rs.validator_for(load_schema("results"), validate_formats=False)


def _schema_errors(doc: Any) -> list[Any]:
    """`jsonschema`'s errors, sorted, for the message of a store the compiled check rejects."""
    import jsonschema

    return sorted(jsonschema.Draft202012Validator(load_schema("results")).iter_errors(doc), key=str)


def read_store(path: Path) -> ResultsStore:
    if not path.exists():
        return ResultsStore()
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise StoreError(f"{path}: cannot read results store: {exc}") from exc
    errors = [] if _results_validator().is_valid(doc) else _schema_errors(doc)
    if errors:
        where = "/".join(map(str, errors[0].absolute_path)) or "$"
        raise StoreError(f"{path}: results store does not match its schema at {where}: {errors[0].message}")
    return ResultsStore(doc["notebooks"])


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """An exclusive lock for read-merge-replace of `path` (a lock file beside it: the store
    itself is replaced by rename, so it cannot carry the lock)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = os.open(path.with_name(f".{path.name}.lock"), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        os.close(handle)  # closing releases the lock


def write_store(path: Path, store: ResultsStore) -> None:
    """Merge `store` into what is on disk now, then replace the file atomically, under the lock."""
    with locked(path):
        current = read_store(path)
        current.merge(store)
        write_text(path, current.to_json(), durable=True)


def screen_shard(
    shard: ResultsStore, name: str, now: dt.datetime, assigned: set[str] | None = None
) -> tuple[ResultsStore, list[str]]:
    """What of a shard may be merged, and why the rest may not.

    A shard that holds a use case outside `assigned` (its job's use cases) is refused whole: its
    job ran code that wrote where it should not. A run that starts more than MAX_CLOCK_SKEW after
    `now` is refused alone: a future date would stay "newest" for good and hide later runs.
    """
    if assigned is not None:
        foreign = sorted(shard.usecases() - assigned)
        if foreign:
            return ResultsStore(), [
                f"{name}: refused: it carries use case(s) outside its job's assignment: {', '.join(foreign)} "
                f"(assigned: {', '.join(sorted(assigned)) or 'none'})"
            ]
    kept, problems = ResultsStore(), []
    limit = now + MAX_CLOCK_SKEW
    skew = f"{int(MAX_CLOCK_SKEW.total_seconds() // 60)} min"
    for key, entry in sorted(shard.notebooks.items()):
        for run in entry["history"]:
            if parse_time(run["started"]) > limit:
                problems.append(
                    f"{name}: {key}: run refused: it starts {run['started']}, in the future "
                    f"(now {now:%Y-%m-%dT%H:%M:%SZ}, allowed clock skew {skew})"
                )
            else:
                kept.add(entry["usecase"], entry["notebook"], run)
    return kept, problems


def hardware_label(run: dict[str, Any]) -> str:
    """'slurm on node01 (job 12_3) · MIG 1g.5gb · <CPU> + <GPU>': where it ran, then on what."""
    from .placement import placement_label

    hw = run.get("hardware") or {}
    gpus = ", ".join(g.get("name", "GPU") for g in hw.get("gpus", []))
    machine = " + ".join(part for part in (hw.get("cpu", ""), gpus) if part)
    return " · ".join(part for part in (placement_label(run.get("placement") or {}), machine) if part)


def current_run(history: list[dict[str, Any]], current_hash: str) -> dict[str, Any] | None:
    """The run a notebook's verdict comes from: the newest one of its current content, else the
    newest one at all (then shown stale)."""
    return next((r for r in reversed(history) if r["content_hash"] == current_hash), None) or (
        history[-1] if history else None
    )


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
        report=(run.get("failure") or {}).get("report") or run.get("error_excerpt", ""),
        metrics=tuple(run.get("metrics", [])),
        unproven=run["verdict"] == "passed" and not proven(run),
        order=run.get("order"),
    )


def proven(run: dict[str, Any]) -> bool:
    """Whether a passing run compared anything (runs recorded before this was counted: assumed so)."""
    checked = run.get("checked")
    return checked is None or bool(checked.get("outputs") or checked.get("metrics"))


def load_statuses(catalog: Catalog, path: Path) -> tuple[StatusMap, dict[tuple[str, str], list[dict[str, Any]]]]:
    """Latest status and history of every notebook in the catalog (unknown store → never run)."""
    store = read_store(path)
    statuses: StatusMap = {}
    history = {}
    for usecase in catalog.usecases.values():
        for entry in usecase.data.get("notebooks", []):
            key = (usecase.id, entry["path"])
            runs = store.history(*key)
            if not runs:  # never run: no verdict to compare with the notebook's current content
                statuses[key], history[key] = status_from_run(None, ""), runs
                continue
            environment = runs[-1].get("environment") or {}  # its isolated environment, if it had one
            digest = notebook_fingerprint(usecase, entry, environment.get("fingerprint", ""))
            statuses[key] = status_from_run(current_run(runs, digest), digest)
            history[key] = runs
    return statuses, history
