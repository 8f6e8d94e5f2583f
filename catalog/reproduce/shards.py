"""`catalog results merge`: shard files from CI jobs into one store, refusing what a job could
not honestly have produced (runs dated in the future, use cases outside its assignment)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from .store import ResultsStore, StoreError, read_store, screen_shard, write_store


class MergeError(Exception):
    """A shard, the matrix or the target cannot be read; nothing was written."""


def assignments(matrix: Path) -> dict[str, set[str]]:
    """Results file name → the use cases its job was given, from a GitHub matrix JSON."""
    try:
        doc = json.loads(matrix.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise MergeError(f"{matrix}: cannot read the matrix: {exc}") from exc
    jobs = doc.get("include", []) if isinstance(doc, dict) else doc
    if not isinstance(jobs, list) or not all(isinstance(j, dict) and "results" in j for j in jobs):
        raise MergeError(f"{matrix}: not a `catalog matrix --format github` document (jobs with 'results')")
    return {Path(str(j["results"])).name: set(str(j.get("usecases", "")).split()) for j in jobs}


def merge_shards(
    output: Path, inputs: list[Path], matrix: str | None = None, now: dt.datetime | None = None
) -> tuple[int, list[str]]:
    """Merge what each shard may contribute into `output` under the store's lock.

    Returns the number of runs in the result and one message per refusal.
    """
    now = now or dt.datetime.now(dt.timezone.utc)
    assigned = assignments(Path(matrix)) if matrix else None
    accepted, refused = ResultsStore(), []
    for path in inputs:
        try:
            shard = read_store(path)
        except StoreError as exc:
            raise MergeError(str(exc)) from exc
        job = None
        if assigned is not None:
            job = assigned.get(path.name)
            if job is None:
                refused.append(f"{path}: refused: no job of the matrix writes a file named {path.name}")
                continue
        kept, problems = screen_shard(shard, str(path), now, job)
        accepted.merge(kept)
        refused += problems
    try:
        write_store(output, accepted)
        merged = read_store(output)
    except StoreError as exc:
        raise MergeError(str(exc)) from exc
    return sum(len(e["history"]) for e in merged.notebooks.values()), refused
