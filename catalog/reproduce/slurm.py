"""Slurm job arrays: one array per kind of resource request, one array task per unit of use
cases; each task runs `catalog reproduce` for its use cases and writes its own results shard."""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path

from .engines import EngineSettings, Unit, duration, smallest_gpu_kind

HEREDOC = "KB_SLURM_ARRAY"


@dataclass(frozen=True)
class ArrayJob:
    name: str  # cpu | gpu | gpu-<n>gb ...: also the shard prefix
    units: tuple[Unit, ...]
    gpu: bool
    directives: tuple[str, ...]  # resource lines (gres, constraint, partition)

    def seconds(self, setup_minutes: int) -> int:
        return max(u.seconds(setup_minutes) for u in self.units)

    def memory_mb(self, default_gb: float) -> int:
        return max(round(u.memory_gb(default_gb) * 1024) for u in self.units)


def gpu_directives(unit: Unit, settings: EngineSettings) -> tuple[str, tuple[str, ...]]:
    """(name, directives) of a unit's GPU request: the smallest configured GPU kind with enough
    memory (by gres type or by constraint), else one generic GPU."""
    cfg = settings.slurm
    partition = cfg.gpu_partition or cfg.partition
    lines = [f"--partition={partition}"] if partition else []
    memory = unit.gpu_memory_gb
    kind = smallest_gpu_kind(cfg.gpus, memory) if memory else None
    if kind and kind.get("gres"):
        lines.append(f"--gres={kind['gres']}")
    else:
        lines.append("--gres=gpu:1")
        if kind and kind.get("constraint"):
            lines.append(f"--constraint={kind['constraint']}")
    name = f"gpu-{kind['memory_gb']:g}gb" if kind else "gpu"
    return name, tuple(lines)


def array_jobs(units: list[Unit], settings: EngineSettings) -> list[ArrayJob]:
    """Units grouped by identical resource requests (a Slurm array shares one request)."""
    groups: dict[tuple[str, tuple[str, ...]], list[Unit]] = {}
    for unit in units:
        if unit.gpu:
            name, directives = gpu_directives(unit, settings)
        else:
            name, directives = "cpu", (f"--partition={settings.slurm.partition}",) if settings.slurm.partition else ()
        memory = unit.memory_gb(settings.default_memory_gb)
        if memory != settings.default_memory_gb:  # one array, one memory request: big ones apart
            name += f"-mem{memory:g}gb"
        groups.setdefault((name, directives), []).append(unit)
    return [
        ArrayJob(name, tuple(members), name.startswith("gpu"), directives)
        for (name, directives), members in sorted(groups.items())
    ]


@dataclass(frozen=True)
class Layout:
    """Where a dispatch puts things; all paths as the compute nodes see them (shared file system)."""

    root: Path  # the catalog repository
    shards: Path
    logs: Path
    python: str
    commit: str = ""
    gpu_mode: str = "auto"  # `catalog reproduce --gpu` in each task


def shard_path(layout: Layout, job: ArrayJob, index: int) -> Path:
    return layout.shards / f"{job.name}-{index}.json"


def array_script(job: ArrayJob, layout: Layout, settings: EngineSettings) -> str:
    cfg = settings.slurm
    q = shlex.quote
    count = len(job.units)
    throttle = f"%{cfg.max_parallel}" if cfg.max_parallel else ""
    lines = [
        "#!/bin/bash",
        f"# catalog: {count} array task(s) on {'GPU' if job.gpu else 'CPU'} nodes; each runs `catalog reproduce`",
        "# for its use cases and writes its own results shard.",
        f"#SBATCH --job-name=kb-reproduce-{job.name}",
        f"#SBATCH --array=0-{count - 1}{throttle}",
        "#SBATCH --ntasks=1",
        "#SBATCH --cpus-per-task=1",
        f"#SBATCH --time={duration(job.seconds(cfg.setup_minutes))}",
        f"#SBATCH --mem={job.memory_mb(settings.default_memory_gb)}M",
        *(f"#SBATCH {line}" for line in job.directives),
        *([f"#SBATCH --account={cfg.account}"] if cfg.account else []),
        f"#SBATCH --output={layout.logs}/{job.name}-%a.log",
        "set -uo pipefail",
        f"cd {q(str(layout.root))} || exit 3",
    ]
    if layout.commit:
        lines += [
            "if git rev-parse --git-dir >/dev/null 2>&1; then",
            f'  head="$(git rev-parse HEAD)"; [ "$head" = {q(layout.commit)} ] || '
            f'{{ echo "catalog: repository at $head, not {layout.commit}" >&2; exit 3; }}',
            "fi",
        ]
    lines += list(cfg.setup)
    lines.append("units=(")
    lines += [f"  {q(' '.join(u.usecases))}" for u in job.units]
    lines.append(")")
    extra = " ".join(q(a) for a in settings.reproduce_args)
    lines += [
        "export KB_ENGINE=slurm",
        f"shard={q(str(layout.shards))}/{job.name}-${{SLURM_ARRAY_TASK_ID}}.json",
        f"{q(layout.python)} -m catalog reproduce ${{units[$SLURM_ARRAY_TASK_ID]}} --root {q(str(layout.root))} "
        f'--gpu {layout.gpu_mode} --results "$shard"' + (f" {extra}" if extra else ""),
        "status=$?",
        "# 1: notebooks failed, and their verdicts are in the shard; anything else: the task failed",
        'if [ "$status" -eq 1 ]; then exit 0; fi',
        'exit "$status"',
        "",
    ]
    return "\n".join(lines)


def submit_script(jobs: list[ArrayJob], layout: Layout, settings: EngineSettings) -> str:
    """One shell script that submits every array (`bash FILE`); each array is a complete sbatch
    script, passed on standard input."""
    q = shlex.quote
    lines = [
        "#!/bin/bash",
        f"# Generated by `catalog matrix --format slurm`: {len(jobs)} job array(s), "
        f"{sum(len(j.units) for j in jobs)} task(s). Run it on a login node with `bash`; merge the",
        f"# shards afterwards: catalog results merge results/results.json {layout.shards}/*.json",
        "set -euo pipefail",
        f"mkdir -p {q(str(layout.shards))} {q(str(layout.logs))}",
    ]
    if not jobs:
        lines.append("echo 'catalog: every notebook is up to date; nothing submitted'")
    for job in jobs:
        lines += [f"sbatch --parsable <<'{HEREDOC}'", array_script(job, layout, settings).rstrip("\n"), HEREDOC]
    return "\n".join(lines) + "\n"
