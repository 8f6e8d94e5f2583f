"""Which notebooks are due: a pure function of the catalog, the store and the options."""

from __future__ import annotations

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

    @property
    def key(self) -> str:
        return f"{self.usecase.id}/{self.notebook['path']}"

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
    """Every selected notebook with what to do about it, in a stable order.

    A notebook is due unless the newest run of its current fingerprint passed. A due
    notebook that needs a GPU on a machine without one is skipped, never passed.
    `environments`: use case id → fingerprint of the isolated environment it runs in.
    """
    tasks = []
    for usecase in sorted(catalog.usecases.values(), key=lambda r: r.id):
        if usecases and usecase.id not in usecases:
            continue
        for entry in usecase.data.get("notebooks", []):
            fingerprint = notebook_fingerprint(usecase, entry, (environments or {}).get(usecase.id, ""))
            current = store.latest_for(usecase.id, entry["path"], fingerprint)
            if current and current["verdict"] == "passed" and not force:
                action = "unchanged"
            elif entry.get("gpu", "none") == "required" and not gpu_available:
                action = "skip-gpu"
            else:
                action = "run"
            tasks.append(Task(usecase, entry, fingerprint, action))
    index, count = shard
    return [t for i, t in enumerate(tasks) if i % count == index - 1]


def parse_shard(text: str) -> tuple[int, int]:
    index, _, count = text.partition("/")
    if not (index.isdigit() and count.isdigit()) or not 1 <= int(index) <= int(count):
        raise ValueError(f"--shard wants I/N with 1 <= I <= N, got {text!r}")
    return int(index), int(count)
