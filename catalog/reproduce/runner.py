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

from ..notebook import read_notebook
from .envs import missing_module_hint
from .failures import cell_failure, locate, metric_failure, report_text
from .hardware import describe_hardware
from .isolation import Isolation
from .metrics import compare, declared_metrics
from .order import name_earlier_failure, name_later_writer, order_fields
from .placement import describe_placement
from .plan import Task
from .store import ResultsStore, proven, write_store
from .workdir import WorkingFolder, written

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


def judge(task: Task, report: dict[str, Any]) -> dict[str, Any]:
    """The verdict fields of a run: cells first, then the declared metrics, then the proof."""
    verdict, failure = cell_failure(report)
    results = compare(declared_metrics(task.usecase.data, task.notebook), report.get("metrics", []))
    if verdict == "passed":
        failure = metric_failure(results)
        verdict = "failed" if failure else verdict
    fields: dict[str, Any] = {"verdict": verdict}
    if results:
        fields["metrics"] = results
    fields["checked"] = {
        "outputs": int(report.get("checked_outputs", 0)),
        "metrics": sum(1 for r in results if r.get("declared", True)),
    }
    if failure:
        fields["reason"] = failure["summary"]
        fields["failure"] = {k: v for k, v in failure.items() if k != "excerpt"} | {"report": report_text(failure)}
        if (failure.get("cell") or {}).get("cell") is not None:
            fields["failing_cell"] = failure["cell"]["cell"]
        if failure.get("excerpt"):
            fields["error_excerpt"] = failure["excerpt"][:4000]
    return fields


@dataclass
class RunContext:
    root: Path
    gpus: list[dict[str, Any]]
    kernel: str = ""
    commit: str = ""
    environment: dict[str, Any] = field(default_factory=dict)
    isolation: Isolation | None = None  # None: every notebook in the active environment (--env active)

    @classmethod
    def create(cls, root: Path, gpus: list[dict[str, Any]], kernel: str = "") -> RunContext:
        return cls(
            root,
            gpus,
            kernel,
            git_commit(root),
            {
                "python": platform.python_version(),
                "packages": package_versions(),
                "hardware": describe_hardware(gpus),
                "placement": describe_placement(gpus),
            },
        )


def base_run(task: Task, context: RunContext, started: str) -> dict[str, Any]:
    run = {
        "started": started,
        "content_hash": task.fingerprint,
        "nbval": task.notebook.get("nbval", "lax"),
        "kernel": context.kernel or "current-env",
        "commit": context.commit,
        **context.environment,
    }
    isolated = context.isolation.environments.get(task.usecase.id) if context.isolation else None
    if isolated is not None:  # what actually ran: the environment's interpreter and resolved packages
        run.update(kernel=isolated.kernel_name, python=isolated.python_version, packages=isolated.packages)
        run["environment"] = isolated.record()
    return run


def skipped_run(task: Task, context: RunContext, reason: str) -> dict[str, Any]:
    run = base_run(task, context, utc_now())
    run.update(verdict="skipped", reason=reason, duration_s=0.0)
    return run


def utc_now() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def execute(task: Task, context: RunContext, folder: WorkingFolder) -> dict[str, Any]:
    """Run one notebook with nbval in a worker process, in the use case's working folder (a copy,
    see workdir.py); always returns a run record."""
    read = read_notebook(task.usecase.folder / task.notebook["path"])  # the one notebook value
    timeout = int(task.notebook.get("cell_timeout", 300))
    started, clock = utc_now(), time.perf_counter()
    run = base_run(task, context, started)
    if not read.usable:  # validation stops such a catalog first; a file changed since is caught here
        said = "; ".join(d.message for d in read.defects) or "it cannot be parsed"
        run.update(_without_report("error", f"the notebook cannot be run: {said}"[:1000], ""), duration_s=0.0)
        return run
    notebook = folder.place(task.notebook["path"], read.raw)
    isolated = context.isolation.environments.get(task.usecase.id) if context.isolation else None
    unbuilt = context.isolation.errors.get(task.usecase.id) if context.isolation else None
    if unbuilt and isolated is None:
        run.update(verdict="error", reason="its environment could not be built", duration_s=0.0)
        run["error_excerpt"] = unbuilt[:4000]
        return run
    kernel = isolated.kernel_name if isolated else context.kernel
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
        ] + (["--kernel", kernel] if kernel else [])
        env = {
            **os.environ,
            "PYTHONHASHSEED": "0",
            "MLINFN_CATALOG_ROOT": str(context.root),
            "PYDEVD_DISABLE_FILE_VALIDATION": "1",
        }
        if isolated is not None:  # its kernel spec is found first; the setup cell installs nothing
            env["JUPYTER_PATH"] = os.pathsep.join(filter(None, [str(isolated.jupyter_path), env.get("JUPYTER_PATH")]))
            env["MLINFN_SETUP_INSTALL"] = "0"
        # a notebook may run each cell up to its limit; the whole run gets that plus kernel start-up
        limit = timeout * max(1, len(read.code_cells())) + 120
        try:
            done = subprocess.run(command, cwd=notebook.parent, env=env, capture_output=True, text=True, timeout=limit)
            report = json.loads(out.read_text()) if out.is_file() else None
        except subprocess.TimeoutExpired:
            done, report = None, None
            run.update(_without_report("timeout", f"the whole run exceeded {limit} s", ""))
        if report is not None:
            run.update(judge(task, report))
            _name_missing_requirement(run, task, context.root)
            run["peak_memory_mb"] = report.get("peak_memory_mb")
            run["cells"] = _cell_counts(report)
        elif done is not None:
            tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-12:])
            run.update(_without_report("error", "the nbval worker stopped without a report", tail))
    run["duration_s"] = round(time.perf_counter() - clock, 3)
    return run


def _without_report(verdict: str, summary: str, tail: str) -> dict[str, Any]:
    failure = {"kind": "worker", "summary": summary} | ({"excerpt": tail} if tail else {})
    recorded = {"kind": "worker", "summary": summary, "report": report_text(failure)}
    fields: dict[str, Any] = {"verdict": verdict, "reason": summary, "failure": recorded}
    return fields | ({"error_excerpt": tail[:4000]} if tail else {})


def _name_missing_requirement(run: dict[str, Any], task: Task, root: Path) -> None:
    """A cell that raised ModuleNotFoundError: the reason names the requirements file to fix."""
    exception = (run.get("failure") or {}).get("exception") or {}
    hint = missing_module_hint(f"{exception.get('type')}: {exception.get('message')}", task.usecase, root)
    if hint and run.get("reason"):
        suffix = hint[hint.rindex(" (add it to ") :]
        run["reason"] += suffix
        run["failure"]["summary"] += suffix


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
    what it finished, and never loses what the store held). Each use case's notebooks run in
    their declared order in one working folder (workdir.py)."""
    outcomes: list[Outcome] = []
    due = [t for t in tasks if t.action != "unchanged"]
    by_usecase: dict[str, list[Task]] = {}
    for task in due:
        by_usecase.setdefault(task.usecase.id, []).append(task)
    counter = _Counter(len(due), say)
    for group in by_usecase.values():
        outcomes += _run_usecase(sorted(group, key=lambda t: t.position), context, store, results_path, counter)
    outcomes += [Outcome(t, None) for t in tasks if t.action == "unchanged"]
    return outcomes


@dataclass
class _Counter:
    total: int
    say: Callable[[str], None]
    number: int = 0

    def next(self) -> str:
        self.number += 1
        return f"[{self.number}/{self.total}]"


def _run_usecase(
    group: list[Task], context: RunContext, store: ResultsStore, results_path: Path, counter: _Counter
) -> list[Outcome]:
    """One use case's due notebooks, in order, in one working folder removed afterwards."""
    say = counter.say
    outcomes: list[Outcome] = []
    here: dict[str, dict[str, Any]] = {}  # notebook path → its run in this folder (or its skip)
    folder: WorkingFolder | None = None
    try:
        for task in group:
            step = counter.next()
            if task.action == "skip-gpu":
                latest = store.latest(task.usecase.id, task.notebook["path"])
                if latest and latest["verdict"] == "skipped" and latest["content_hash"] == task.fingerprint:
                    outcomes.append(Outcome(task, latest))
                    here[task.notebook["path"]] = latest
                    say(f"{step} {task.key}: skipped (needs GPU; already recorded)")
                    continue
                run = skipped_run(task, context, "needs GPU")
            else:
                why = f"prerequisite of a later notebook, {task.order}" if task.prerequisite else task.order
                say(
                    f"{step} {task.key}: running ({why}; nbval {task.notebook.get('nbval', 'lax')}, "
                    f"cell timeout {task.notebook.get('cell_timeout', 300)} s) ..."
                )
                try:
                    folder = folder or WorkingFolder.create(task.usecase.id, task.usecase.folder)
                except OSError as exc:  # no space, no temporary folder: an error verdict, not a traceback
                    run = base_run(task, context, utc_now())
                    summary = f"its working folder could not be made: {exc}"[:1000]
                    run.update(_without_report("error", summary, ""), duration_s=0.0)
                else:
                    state = folder.listing()
                    run = execute(task, context, folder)
                    run["order"] = order_fields(task, here, written(state, folder.listing()))
                    name_earlier_failure(run)
            here[task.notebook["path"]] = run
            _save(task, run, store, results_path)
            extra = f" — {run['reason']}" if run.get("reason") else ""
            say(f"{step} {task.key}: {run['verdict']} in {run['duration_s']:.1f} s{extra}")
            outcomes.append(Outcome(task, run, executed=task.action == "run"))
        if folder is not None:
            for outcome in outcomes:
                if outcome.executed and outcome.run and name_later_writer(outcome.run, outcome.task, here, folder.path):
                    _save(outcome.task, outcome.run, store, results_path)
    finally:
        if folder is not None:
            folder.remove()
    return outcomes


def _save(task: Task, run: dict[str, Any], store: ResultsStore, results_path: Path) -> None:
    store.add(task.usecase.id, task.notebook["path"], run)
    write_store(results_path, _single(task, run))  # same start and hash: replaces an earlier save


def _single(task: Task, run: dict[str, Any]) -> ResultsStore:
    one = ResultsStore()
    one.add(task.usecase.id, task.notebook["path"], run)
    return one


def _declared(outcome: Outcome) -> tuple[str, int]:
    return outcome.task.usecase.id, outcome.task.position


def summary_table(outcomes: list[Outcome]) -> str:
    rows = [("notebook", "verdict", "time", "cell", "reason")]
    for o in sorted(outcomes, key=_declared):
        run = o.run or {}
        rows.append(
            (
                o.task.key,
                o.verdict,
                f"{run['duration_s']:.1f} s" if "duration_s" in run else "-",
                locate(run["failure"]["cell"]) if (run.get("failure") or {}).get("cell") else "-",
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
    for o in sorted(outcomes, key=_declared):
        if o.run and o.executed and o.run.get("failure"):
            report = o.run["failure"]["report"]
            lines += ["", f"{o.task.key}: {o.verdict}", *("  " + line for line in report.splitlines())]
        elif o.run and o.executed and o.run["verdict"] == "passed" and not proven(o.run):
            lines += ["", f"{o.task.key}: passed, but nothing was checked (no checked output, no metric)"]
    return "\n".join(lines) + "\n"


FAILING = ("failed", "error", "timeout")
