"""Executing due notebooks and turning what nbval saw into verdict records."""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from .hardware import describe_hardware
from .plan import Task
from .store import ResultsStore, write_store

KEY_PACKAGES = ("nbval", "jupyter_client", "ipykernel", "numpy", "scikit-learn", "torch", "tensorflow", "pandas")


def package_versions() -> dict[str, str]:
    versions = {}
    for name in KEY_PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return versions


def git_commit(root: Path) -> str:
    try:
        done = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


def verdict_from_cells(report: dict[str, Any]) -> tuple[str, str, int | None, str]:
    """(verdict, reason, failing cell index, error excerpt) from the worker's cell reports."""
    if report.get("collected", 0) == 0:
        return "error", "nbval collected no cells (is the notebook empty or unreadable?)", None, ""
    for cell in report["cells"]:
        if cell["outcome"] != "failed" or cell["xfail"]:
            continue
        text = cell["text"]
        excerpt = "\n".join(text.strip().splitlines()[:12])
        where = cell["cell"]
        if "Timeout of" in text:
            return "timeout", f"cell {where} exceeded its time limit", where, excerpt
        if "Cell execution caused an exception" in text:
            return "error", f"cell {where} raised an exception", where, excerpt
        if cell["when"] != "call":
            return "error", f"nbval could not run cell {where} ({cell['when']})", where, excerpt
        return "failed", f"cell {where} output differs from the stored output", where, excerpt
    if report.get("exit_code") not in (0, 5):
        return "error", f"nbval exited with code {report.get('exit_code')}", None, ""
    return "passed", "", None, ""


@dataclass
class RunContext:
    root: Path
    gpus: list[dict[str, Any]]
    kernel: str = ""
    commit: str = ""
    environment: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def create(cls, root: Path, gpus: list[dict[str, Any]], kernel: str = "") -> RunContext:
        return cls(
            root,
            gpus,
            kernel,
            git_commit(root),
            {"python": platform.python_version(), "packages": package_versions(), "hardware": describe_hardware(gpus)},
        )


def base_run(task: Task, context: RunContext, started: str) -> dict[str, Any]:
    return {
        "started": started,
        "content_hash": task.fingerprint,
        "nbval": task.notebook.get("nbval", "lax"),
        "kernel": context.kernel or "current-env",
        "commit": context.commit,
        **context.environment,
    }


def skipped_run(task: Task, context: RunContext, reason: str) -> dict[str, Any]:
    run = base_run(task, context, utc_now())
    run.update(verdict="skipped", reason=reason, duration_s=0.0)
    return run


def utc_now() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def execute(task: Task, context: RunContext) -> dict[str, Any]:
    """Run one notebook with nbval in a worker process; always returns a run record."""
    notebook = task.usecase.folder / task.notebook["path"]
    timeout = int(task.notebook.get("cell_timeout", 300))
    started, clock = utc_now(), time.perf_counter()
    run = base_run(task, context, started)
    sanitize = resources.files("catalog").joinpath("nbval_sanitize.cfg")
    with tempfile.TemporaryDirectory(prefix="kb-nbval-") as scratch, resources.as_file(sanitize) as sanitize_path:
        out = Path(scratch) / "report.json"
        command = [
            sys.executable,
            "-m",
            "catalog.reproduce.nbval_worker",
            notebook.name,
            "--mode",
            task.notebook.get("nbval", "lax"),
            "--cell-timeout",
            str(timeout),
            "--sanitize",
            str(sanitize_path),
            "--out",
            str(out),
        ] + (["--kernel", context.kernel] if context.kernel else [])
        env = {
            **os.environ,
            "PYTHONHASHSEED": "0",
            "MLINFN_CATALOG_ROOT": str(context.root),
            "PYDEVD_DISABLE_FILE_VALIDATION": "1",
        }
        # a notebook may run each cell up to its limit; the whole run gets that plus kernel start-up
        limit = timeout * max(1, _code_cells(notebook)) + 120
        try:
            done = subprocess.run(command, cwd=notebook.parent, env=env, capture_output=True, text=True, timeout=limit)
            report = json.loads(out.read_text()) if out.is_file() else None
        except subprocess.TimeoutExpired:
            done, report = None, None
            verdict, reason, cell, excerpt = "timeout", f"the whole run exceeded {limit} s", None, ""
        if report is not None:
            verdict, reason, cell, excerpt = verdict_from_cells(report)
            run["peak_memory_mb"] = report.get("peak_memory_mb")
            run["cells"] = _cell_counts(report)
        elif done is not None:
            tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-12:])
            verdict, reason, cell, excerpt = "error", "the nbval worker stopped without a report", None, tail
    run.update(verdict=verdict, duration_s=round(time.perf_counter() - clock, 3))
    if reason:
        run["reason"] = reason
    if cell is not None:
        run["failing_cell"] = cell
    if excerpt:
        run["error_excerpt"] = excerpt[:4000]
    return run


def _code_cells(path: Path) -> int:
    try:
        return sum(c.get("cell_type") == "code" for c in json.loads(path.read_text()).get("cells", []))
    except (OSError, ValueError):
        return 1


def _cell_counts(report: dict[str, Any]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for cell in report["cells"]:
        outcome = "xfailed" if cell["xfail"] else cell["outcome"]
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts


@dataclass
class Outcome:
    task: Task
    run: dict[str, Any] | None  # None: unchanged, not run
    executed: bool = False  # a kernel was started for it in this run

    @property
    def verdict(self) -> str:
        return self.run["verdict"] if self.run else "unchanged"


def run_plan(
    tasks: list[Task], context: RunContext, store: ResultsStore, results_path: Path, say: Callable[[str], None] = print
) -> list[Outcome]:
    """Execute the plan, saving each verdict as soon as it is known (an interrupted run keeps
    what it finished, and never loses what the store held)."""
    outcomes = []
    due = [t for t in tasks if t.action != "unchanged"]
    for number, task in enumerate(due, start=1):
        if task.action == "skip-gpu":
            latest = store.latest(task.usecase.id, task.notebook["path"])
            if latest and latest["verdict"] == "skipped" and latest["content_hash"] == task.fingerprint:
                outcomes.append(Outcome(task, latest))
                say(f"[{number}/{len(due)}] {task.key}: skipped (needs GPU; already recorded)")
                continue
            run = skipped_run(task, context, "needs GPU")
        else:
            say(
                f"[{number}/{len(due)}] {task.key}: running (nbval {task.notebook.get('nbval', 'lax')}, "
                f"cell timeout {task.notebook.get('cell_timeout', 300)} s) ..."
            )
            run = execute(task, context)
        store.add(task.usecase.id, task.notebook["path"], run)
        write_store(results_path, _single(task, run))
        extra = f" — {run['reason']}" if run.get("reason") else ""
        say(f"[{number}/{len(due)}] {task.key}: {run['verdict']} in {run['duration_s']:.1f} s{extra}")
        outcomes.append(Outcome(task, run, executed=task.action == "run"))
    outcomes += [Outcome(t, None) for t in tasks if t.action == "unchanged"]
    return outcomes


def _single(task: Task, run: dict[str, Any]) -> ResultsStore:
    one = ResultsStore()
    one.add(task.usecase.id, task.notebook["path"], run)
    return one


def summary_table(outcomes: list[Outcome]) -> str:
    rows = [("notebook", "verdict", "time", "cell", "reason")]
    for o in sorted(outcomes, key=lambda o: o.task.key):
        run = o.run or {}
        rows.append(
            (
                o.task.key,
                o.verdict,
                f"{run['duration_s']:.1f} s" if "duration_s" in run else "-",
                str(run.get("failing_cell", "-")) if run else "-",
                run.get("reason", "unchanged since its last passing run" if not o.run else ""),
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = ["  ".join(cell.ljust(widths[i]) if i < 4 else cell for i, cell in enumerate(row)) for row in rows]
    counts: dict[str, int] = {}
    for o in outcomes:
        counts[o.verdict] = counts.get(o.verdict, 0) + 1
    executed = sum(o.executed for o in outcomes)
    lines.append(f"{executed} notebook(s) executed; " + ", ".join(f"{n} {v}" for v, n in sorted(counts.items())))
    return "\n".join(lines) + "\n"


FAILING = ("failed", "error", "timeout")
