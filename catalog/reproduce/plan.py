"""Which notebooks are due: a pure function of the catalog, the store and the options.

A use case's notebooks run in the order its record's `notebooks` list declares, one after the
other in one working folder (see runner.py), so a later notebook may read what an earlier one
wrote. Hence:

- a notebook's hash covers the notebooks before it (fingerprint.py): changing an earlier
  notebook makes the later ones due too;
- when a later notebook is due, every earlier one runs first as its *prerequisite*, even if it is
  unchanged since its last pass, and its verdict is recorded like any other (an earlier notebook
  that needs a GPU this machine lacks is not run, and the later one's verdict says so);
- the notebooks of one use case are never split: shards, CI jobs, Slurm array tasks and Kueue
  Job indexes all take whole use cases.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from ..model import Catalog, Record
from .fingerprint import notebook_fingerprint
from .store import ResultsStore


@dataclass(frozen=True)
class Task:
    usecase: Record
    notebook: dict[str, Any]
    fingerprint: str
    action: str  # "run" | "skip-gpu" | "unchanged"
    position: int = 1  # 1-based, in the record's `notebooks` list
    count: int = 1  # notebooks the use case declares
    prerequisite: bool = False  # unchanged, but runs because a later notebook of its use case is due

    @property
    def key(self) -> str:
        return f"{self.usecase.id}/{self.notebook['path']}"

    @property
    def order(self) -> str:
        """'2 of 3' (its place in the use case's declared order)."""
        return f"{self.position} of {self.count}"

    @property
    def gpu(self) -> str:
        return self.notebook.get("gpu", "none")


def plan_runs(
    catalog: Catalog,
    store: ResultsStore,
    *,
    usecases: list[str] | None = None,
    force: bool = False,
    gpu_available: bool = False,
    shard: tuple[int, int] = (1, 1),
    environments: dict[str, str] | None = None,
) -> list[Task]:
    """Every selected notebook with what to do about it: use cases by id, each one's notebooks
    in their declared order.

    A notebook is due unless the newest run of its current fingerprint passed. A due
    notebook that needs a GPU on a machine without one is skipped, never passed. The notebooks
    before a due one run too, as its prerequisites (module docstring).
    `environments`: use case id → fingerprint of the isolated environment it runs in.
    `shard` (I, N): the I-th of N shares of the use cases (a use case is never split).
    """
    index, count = shard
    tasks = []
    selected = [u for u in sorted(catalog.usecases.values(), key=lambda r: r.id) if not usecases or u.id in usecases]
    for number, usecase in enumerate(selected):
        if number % count == index - 1:
            tasks += _usecase_tasks(usecase, store, force, gpu_available, (environments or {}).get(usecase.id, ""))
    return tasks


def _usecase_tasks(
    usecase: Record, store: ResultsStore, force: bool, gpu_available: bool, environment: str
) -> list[Task]:
    entries = list(usecase.data.get("notebooks", []))
    tasks = []
    for position, entry in enumerate(entries, start=1):
        fingerprint = notebook_fingerprint(usecase, entry, environment)
        current = store.latest_for(usecase.id, entry["path"], fingerprint)
        needs_missing_gpu = entry.get("gpu", "none") == "required" and not gpu_available
        if current and current["verdict"] == "passed" and not force:
            action = "unchanged"
        elif needs_missing_gpu:
            action = "skip-gpu"
        else:
            action = "run"
        tasks.append(Task(usecase, entry, fingerprint, action, position, len(entries)))
    last_run = max((t.position for t in tasks if t.action == "run"), default=0)
    return [
        dataclasses.replace(t, action="run", prerequisite=True)
        if t.action == "unchanged" and t.position < last_run and not (t.gpu == "required" and not gpu_available)
        else t
        for t in tasks
    ]


def parse_shard(text: str) -> tuple[int, int]:
    index, _, count = text.partition("/")
    if not (index.isdigit() and count.isdigit()) or not 1 <= int(index) <= int(count):
        raise ValueError(f"--shard wants I/N with 1 <= I <= N, got {text!r}")
    return int(index), int(count)
