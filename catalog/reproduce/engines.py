"""What the batch engines (Slurm, Kubernetes + Kueue) need to know, from one place: the
`extra.catalog.engines` section of mkdocs.yml, and the due notebooks grouped into units of work
with the resources their records declare."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..notebook import read_notebook
from .plan import Task

# Seconds added per notebook to its cell budget: kernel start-up and nbval (as runner.execute does).
NOTEBOOK_OVERHEAD_S = 120
DEFAULT_MEMORY_GB = 4.0
# NVIDIA A100 MIG profiles (40 GB and 80 GB cards): name -> GPU memory in GB.
DEFAULT_MIG_PROFILES = {
    "1g.5gb": 5,
    "1g.10gb": 10,
    "2g.10gb": 10,
    "3g.20gb": 20,
    "2g.20gb": 20,
    "4g.20gb": 20,
    "3g.40gb": 40,
    "4g.40gb": 40,
    "7g.40gb": 40,
    "7g.80gb": 80,
}


class EngineConfigError(ValueError):
    """The engines section of the site config cannot be used as written."""


@dataclass(frozen=True)
class SlurmSettings:
    partition: str = ""
    gpu_partition: str = ""
    account: str = ""
    python: str = ""  # empty: python3 in emitted scripts, this interpreter for `catalog dispatch`
    setup: tuple[str, ...] = ()  # shell lines run before `catalog reproduce` in each task
    setup_minutes: int = 10  # per task, for building the use case's environment
    max_parallel: int = 0  # array throttle (%N); 0: none
    # GPU kinds by memory: {"memory_gb": 16, "gres": "gpu:t4:1"} or {"memory_gb": 80, "constraint": "a100_80"}
    gpus: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True)
class KubernetesSettings:
    namespace: str = "ml-infn"
    image: str = "python:3.11"
    gpu_image: str = ""  # empty: image
    queue: str = "ml-infn-cpu"  # Kueue LocalQueue names
    gpu_queue: str = "ml-infn-gpu"
    mig_queue: str = ""  # empty: gpu_queue
    mig_profiles: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_MIG_PROFILES))
    use_mig: bool = True
    results_claim: str = "kb-results"  # PersistentVolumeClaim the shards are written to
    results_path: str = "/results"
    backoff_limit: int = 1
    run_as_user: int = 1000
    setup_minutes: int = 10
    reproduce_args: tuple[str, ...] = ()


@dataclass(frozen=True)
class EngineSettings:
    repository: str = ""
    branch: str = "main"
    reproduce_args: tuple[str, ...] = ()  # extra `catalog reproduce` options in every task
    default_memory_gb: float = DEFAULT_MEMORY_GB
    slurm: SlurmSettings = field(default_factory=SlurmSettings)
    kubernetes: KubernetesSettings = field(default_factory=KubernetesSettings)

    @classmethod
    def from_mapping(cls, catalog: dict[str, Any] | None) -> EngineSettings:
        catalog = catalog or {}
        engines = catalog.get("engines") or {}
        if not isinstance(engines, dict):
            raise EngineConfigError("extra.catalog.engines must be a mapping")
        slurm = dict(engines.get("slurm") or {})
        kube = dict(engines.get("kubernetes") or {})
        try:
            for key in ("setup", "gpus"):
                if key in slurm:
                    slurm[key] = tuple(slurm[key])
            if "reproduce_args" in kube:
                kube["reproduce_args"] = tuple(kube["reproduce_args"])
            if "mig_profiles" in kube:
                kube["mig_profiles"] = {str(k): float(v) for k, v in dict(kube["mig_profiles"]).items()}
            return cls(
                repository=str(catalog.get("repository") or ""),
                branch=str(catalog.get("branch") or "main"),
                reproduce_args=tuple(engines.get("reproduce_args") or ()),
                default_memory_gb=float(engines.get("default_memory_gb", DEFAULT_MEMORY_GB)),
                slurm=SlurmSettings(**slurm),
                kubernetes=KubernetesSettings(**kube),
            )
        except TypeError as exc:  # an unknown key
            raise EngineConfigError(f"extra.catalog.engines: {exc}") from exc


def load_settings(config: Path) -> EngineSettings:
    """`extra.catalog` of an mkdocs.yml (`!ENV` tags resolved as MkDocs does); defaults if absent."""
    if not config.is_file():
        return EngineSettings()
    from mkdocs.utils.yaml import yaml_load

    with config.open(encoding="utf-8") as handle:
        doc = yaml_load(handle) or {}
    return EngineSettings.from_mapping(((doc.get("extra") or {}).get("catalog")) or {})


def notebook_seconds(task: Task) -> int:
    """The longest a notebook may take: every code cell to its limit, plus start-up."""
    timeout = int(task.notebook.get("cell_timeout", 300))
    cells = len(read_notebook(task.usecase.folder / task.notebook["path"]).code_cells())
    return timeout * max(1, cells) + NOTEBOOK_OVERHEAD_S


@dataclass(frozen=True)
class Unit:
    """Use cases run together by one array task or one Job index, writing one shard."""

    usecases: tuple[str, ...]
    tasks: tuple[Task, ...]
    gpu: bool  # asks the engine for a GPU
    image: str = ""  # the record's environment.image, if it names one

    @property
    def gpu_memory_gb(self) -> float:
        return max((float(t.notebook.get("gpu_memory_gb", 0)) for t in self.tasks), default=0.0)

    def memory_gb(self, default: float) -> float:
        return max((float(t.notebook.get("memory_gb", default)) for t in self.tasks), default=default)

    def seconds(self, setup_minutes: int) -> int:
        """Upper bound of the unit's wall time: its notebooks' budgets plus environment set-up."""
        return sum(notebook_seconds(t) for t in self.tasks if t.action == "run") + 60 * setup_minutes + 60


def needs_gpu(task: Task, gpus: bool) -> bool:
    return gpus and task.action == "run" and task.gpu in ("required", "optional")


def units(tasks: list[Task], batch: int = 1, gpus: bool = True) -> list[Unit]:
    """Due use cases in a stable order, `batch` per unit, GPU and CPU use cases never mixed,
    nor use cases that name different images."""
    by_usecase: dict[str, list[Task]] = {}
    for task in tasks:
        if task.action != "unchanged":
            by_usecase.setdefault(task.usecase.id, []).append(task)
    groups: dict[tuple[bool, str], list[tuple[str, list[Task]]]] = {}
    for usecase, owned in sorted(by_usecase.items()):
        gpu = any(needs_gpu(t, gpus) for t in owned)
        image = str((owned[0].usecase.data.get("environment") or {}).get("image", ""))
        groups.setdefault((gpu, image), []).append((usecase, owned))
    out = []
    for (gpu, image), members in sorted(groups.items()):
        for start in range(0, len(members), max(1, batch)):
            chunk = members[start : start + max(1, batch)]
            out.append(Unit(tuple(u for u, _ in chunk), tuple(t for _, ts in chunk for t in ts), gpu, image))
    return out


MIG_NAME = re.compile(r"^(\d+)g\.(\d+)gb$")


def smallest_mig(profiles: dict[str, float], memory_gb: float) -> str | None:
    """The MIG profile with the least memory (then the fewest compute slices) that fits."""
    fitting = [(mem, _slices(name), name) for name, mem in profiles.items() if mem >= memory_gb]
    return min(fitting)[2] if fitting else None


def _slices(name: str) -> int:
    match = MIG_NAME.match(name)
    return int(match.group(1)) if match else 99


def smallest_gpu_kind(kinds: tuple[dict[str, Any], ...], memory_gb: float) -> dict[str, Any] | None:
    fitting = [k for k in kinds if float(k.get("memory_gb", 0)) >= memory_gb]
    return min(fitting, key=lambda k: float(k.get("memory_gb", 0))) if fitting else None


def duration(seconds: int) -> str:
    """Slurm's D-HH:MM:SS."""
    minutes = math.ceil(seconds / 60)
    days, rest = divmod(minutes, 24 * 60)
    return f"{days}-{rest // 60:02d}:{rest % 60:02d}:00"
