"""`catalog dispatch --engine slurm`: submit the job arrays, wait for them within a bound,
collect every task's shard and merge them into the results store.

A task that fails, runs out of time or is cancelled leaves an `error` verdict, with the state
and reason Slurm gives, for each of its notebooks that has no verdict of its own; every verdict
a task did record is kept."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .engines import EngineSettings, units
from .plan import Task
from .runner import git_commit, utc_now
from .slurm import ArrayJob, Layout, array_jobs, array_script, shard_path
from .store import ResultsStore, StoreError, read_store, screen_shard, write_store

TERMINAL = {
    "COMPLETED",
    "FAILED",
    "CANCELLED",
    "TIMEOUT",
    "NODE_FAIL",
    "PREEMPTED",
    "OUT_OF_MEMORY",
    "BOOT_FAIL",
    "DEADLINE",
    "REVOKED",
    "SPECIAL_EXIT",
    "GONE",  # purged from the controller, no accounting to ask
}
FIELD = re.compile(r"(\w+)=(\S*)")


class DispatchError(Exception):
    """Slurm cannot be used here (no sbatch, no controller)."""


@dataclass
class TaskState:
    state: str = "UNKNOWN"
    reason: str = ""
    exit_code: str = ""
    node: str = ""
    job: str = ""

    @property
    def finished(self) -> bool:
        return self.state in TERMINAL


@dataclass
class Submitted:
    job: ArrayJob
    job_id: str = ""
    refused: str = ""  # sbatch's message when it refused the array
    states: dict[int, TaskState] = field(default_factory=dict)

    def done(self) -> bool:
        return bool(self.refused) or (
            len(self.states) == len(self.job.units) and all(s.finished for s in self.states.values())
        )


def _slurm(command: list[str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)


def _expand(ids: str) -> list[int]:
    """'0-3,5%2' -> [0, 1, 2, 3, 5]."""
    out: list[int] = []
    for part in ids.split("%")[0].strip("[]").split(","):
        if "-" in part:
            low, high = part.split("-", 1)
            out += range(int(low), int(high) + 1)
        elif part.isdigit():
            out.append(int(part))
    return out


def parse_scontrol(text: str) -> dict[int, TaskState]:
    """Array task states from `scontrol show job -o <array job id>` (one line per task or range)."""
    states: dict[int, TaskState] = {}
    for line in text.splitlines():
        fields = dict(FIELD.findall(line))
        if "ArrayTaskId" not in fields:
            continue
        for index in _expand(fields["ArrayTaskId"]):
            states[index] = TaskState(
                state=fields.get("JobState", "UNKNOWN"),
                reason="" if fields.get("Reason") in (None, "None") else fields["Reason"],
                exit_code=fields.get("ExitCode", ""),
                node="" if fields.get("NodeList") in (None, "(null)") else fields["NodeList"],
                job=f"{fields.get('ArrayJobId', '')}_{index}",
            )
    return states


def poll(sub: Submitted) -> None:
    done = _slurm(["scontrol", "show", "job", "-o", sub.job_id])
    if done.returncode == 0:
        sub.states.update(parse_scontrol(done.stdout))
        return
    if "Invalid job id" in done.stderr:  # purged from the controller: ask the accounting, if any
        acct = _slurm(["sacct", "-n", "-P", "-X", "-j", sub.job_id, "-o", "JobID,State,ExitCode,NodeList"])
        for line in acct.stdout.splitlines():
            parts = line.split("|")
            if len(parts) == 4 and "_" in parts[0]:
                task_id = parts[0].split("_", 1)[1]
                if task_id.isdigit():
                    sub.states[int(task_id)] = TaskState(parts[1].split()[0], "", parts[2], parts[3], parts[0])
        for index in range(len(sub.job.units)):  # nothing more to learn: stop waiting, the shards tell
            state = sub.states.setdefault(index, TaskState(job=f"{sub.job_id}_{index}"))
            if not state.finished:
                state.state, state.reason = "GONE", "the controller no longer knows the job"


@dataclass
class DispatchResult:
    runs: list[tuple[Task, dict[str, Any]]]
    shards: list[Path]
    work: Path
    jobs: list[Submitted]


def dispatch_slurm(
    tasks: list[Task],
    root: Path,
    results: Path,
    settings: EngineSettings,
    *,
    work: Path,
    batch: int = 1,
    gpus: bool = True,
    wait_s: float = 3600.0,
    poll_s: float = 2.0,
    say: Callable[[str], None] = print,
) -> DispatchResult:
    if shutil.which("sbatch") is None:
        raise DispatchError("sbatch not found: run on a Slurm login node (or install slurm-client)")
    started = utc_now()
    layout = Layout(
        root=root,
        shards=work / "shards",
        logs=work / "logs",
        python=settings.slurm.python or sys.executable,
        commit=git_commit(root),
        gpu_mode="auto" if gpus else "no",
    )
    layout.shards.mkdir(parents=True, exist_ok=True)
    layout.logs.mkdir(parents=True, exist_ok=True)
    submitted = []
    for job in array_jobs(units(tasks, batch, gpus), settings):
        script = work / f"{job.name}.sbatch"
        script.write_text(array_script(job, layout, settings), encoding="utf-8")
        done = _slurm(["sbatch", "--parsable", str(script)])
        sub = Submitted(job)
        if done.returncode == 0 and done.stdout.strip():
            sub.job_id = done.stdout.strip().split(";")[0]
            say(f"catalog: submitted {job.name} array {sub.job_id} ({len(job.units)} task(s))")
        else:
            sub.refused = (done.stderr or done.stdout).strip() or f"sbatch exited with {done.returncode}"
            say(f"catalog: sbatch refused the {job.name} array: {sub.refused}")
        submitted.append(sub)
    _write_jobs(work, submitted)

    deadline = time.monotonic() + wait_s
    pending = [s for s in submitted if not s.refused]
    while pending:
        for sub in pending:
            poll(sub)
        pending = [s for s in pending if not s.done()]
        if not pending:
            break
        if time.monotonic() > deadline:
            for sub in pending:
                _slurm(["scancel", sub.job_id])
                for index in range(len(sub.job.units)):
                    state = sub.states.setdefault(index, TaskState(job=f"{sub.job_id}_{index}"))
                    if not state.finished:
                        state.state = "CANCELLED"
                        state.reason = f"not finished within the dispatch bound of {wait_s:g} s"
            say(f"catalog: waited {wait_s:g} s; cancelled what was still queued or running")
            break
        time.sleep(poll_s)

    runs, kept = collect(submitted, layout, started)
    merged = ResultsStore()
    for store in kept.values():
        merged.merge(store)
    for task, run in runs:
        merged.add(task.usecase.id, task.notebook["path"], run)
    write_store(results, merged)
    _write_jobs(work, submitted)
    return DispatchResult(runs, list(kept), work, submitted)


Runs = list[tuple[Task, dict[str, Any]]]


def collect(submitted: list[Submitted], layout: Layout, started: str) -> tuple[Runs, dict[Path, ResultsStore]]:
    """Every dispatched notebook's verdict: from its task's shard, else an `error` carrying why.

    A shard is screened as `catalog results merge` screens one: runs dated in the future are
    dropped, and a shard holding use cases outside its task's assignment is refused whole."""
    runs: Runs = []
    shards: dict[Path, ResultsStore] = {}
    now = dt.datetime.now(dt.timezone.utc)
    for sub in submitted:
        for index, unit in enumerate(sub.job.units):
            path = shard_path(layout, sub.job, index)
            store, unreadable = ResultsStore(), ""
            if path.is_file():
                try:
                    store, problems = screen_shard(read_store(path), str(path), now, set(unit.usecases))
                    shards[path] = store
                    unreadable = "; ".join(problems)
                except StoreError as exc:
                    unreadable = str(exc)
            state = sub.states.get(index, TaskState())
            for task in unit.tasks:
                if task.action == "unchanged":
                    continue
                run = store.latest(task.usecase.id, task.notebook["path"])
                if run is None or run["started"] < started:
                    run = error_run(task, sub, index, state, layout, unreadable)
                runs.append((task, run))
    return runs, shards


def error_run(
    task: Task, sub: Submitted, index: int, state: TaskState, layout: Layout, unreadable: str
) -> dict[str, Any]:
    job = state.job or (f"{sub.job_id}_{index}" if sub.job_id else "")
    if sub.refused:
        reason = f"Slurm refused the {sub.job.name} array: {sub.refused}"
    else:
        reason = f"Slurm task {job} ended {state.state}"
        details = [f"reason {state.reason}"] if state.reason else []
        if state.exit_code and state.exit_code != "0:0":
            details.append(f"exit code {state.exit_code}")
        if details:
            reason += f" ({', '.join(details)})"
        if state.state == "COMPLETED":
            reason += " without recording a verdict for this notebook"
        if unreadable:
            reason += f"; its shard: {unreadable}"
    log = layout.logs / f"{sub.job.name}-{index}.log"
    excerpt = ""
    if log.is_file():
        excerpt = "\n".join(log.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-12:])
    run: dict[str, Any] = {
        "verdict": "error",
        "reason": reason[:1000],
        "started": utc_now(),
        "duration_s": 0.0,
        "content_hash": task.fingerprint,
        "nbval": task.notebook.get("nbval", "lax"),
        "commit": layout.commit,
        "placement": {k: v for k, v in {"engine": "slurm", "node": state.node, "job": job}.items() if v},
    }
    if excerpt:
        run["error_excerpt"] = excerpt[:4000]
    return run


def _write_jobs(work: Path, submitted: list[Submitted]) -> None:
    """work/jobs.json: which array holds which use cases, and how each task ended (for people and tests)."""
    doc = [
        {
            "name": s.job.name,
            "job_id": s.job_id,
            "refused": s.refused,
            "tasks": [
                {
                    "index": i,
                    "usecases": list(u.usecases),
                    "state": s.states.get(i, TaskState()).state,
                    "reason": s.states.get(i, TaskState()).reason,
                }
                for i, u in enumerate(s.job.units)
            ],
        }
        for s in submitted
    ]
    (work / "jobs.json").write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
