"""Runs one notebook under nbval in its own process and writes what happened as JSON.

Invoked by the runner as `python -m catalog.reproduce.nbval_worker ...` with the notebook's
folder as working directory, so a crash, a leak or a hung kernel stays in this process.
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import hashlib
import json
import re
import resource
import sys
from typing import Any

import pytest

from ..data import METRIC_MIME

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
KERNEL_CELL = re.compile(r"Cell In\[\d+\], line")
DIFF_LINES = 40
TRACEBACK_LINES = 16


class Collector:
    """pytest plugin: per cell, where it is (as Jupyter numbers it), its outcome, duration, error
    text, the exception it raised or the diff of its outputs; and every metric a cell reported."""

    def __init__(self) -> None:
        self.cells: list[dict[str, Any]] = []
        self.where: dict[str, dict[str, Any]] = {}
        self.details: dict[str, dict[str, Any]] = {}
        self.metrics: list[dict[str, Any]] = []
        self.checked_outputs = 0
        self.collected = 0

    def pytest_collection_modifyitems(self, items: list[Any]) -> None:
        self.collected = len(items)
        for item in items:
            parent = item.parent
            if hasattr(parent, "skip_compare") and "stderr" not in parent.skip_compare:
                parent.skip_compare = (*parent.skip_compare, "stderr")  # stderr is never compared
            with contextlib.suppress(AttributeError, ValueError):
                self.where[item.nodeid] = cell_position(parent.nb.cells, parent.nb.cells.index(item.cell))
            if hasattr(item, "compare_outputs"):
                item.compare_outputs = self._comparing(item, item.compare_outputs)

    def _comparing(self, item: Any, compare: Any) -> Any:
        """nbval's comparison without metric outputs (their values may jitter within tolerance);
        on a mismatch, a unified diff of what was stored and what came out."""

        def wrapped(test: list[Any], ref: list[Any], skip_compare: Any = None) -> bool:
            test, ref = without_metrics(test), without_metrics(ref)
            skip = tuple(skip_compare or item.parent.skip_compare)
            expected = output_lines(ref, skip, item.sanitize)
            if expected:
                self.checked_outputs += 1
            same = bool(compare(test, ref, skip_compare))
            if not same:
                actual = output_lines(test, skip, item.sanitize)
                self.details.setdefault(item.nodeid, {})["diff"] = unified_diff(expected, actual)
            return same

        return wrapped

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: Any, call: Any) -> Any:
        yield
        if call.when != "call":
            return
        outputs = getattr(item, "test_outputs", None) or []
        where = self.where.get(item.nodeid, {})
        for out in outputs:
            payload = (out.get("data") or {}).get(METRIC_MIME) if out.get("output_type") == "display_data" else None
            if isinstance(payload, dict) and isinstance(payload.get("name"), str):
                self.metrics.append({"name": payload["name"], "value": payload.get("value"), "cell": where.get("cell")})
        error = next((o for o in outputs if o.get("output_type") == "error"), None)
        if call.excinfo is not None and error is not None:
            self.details.setdefault(item.nodeid, {})["exception"] = {
                "type": str(error.get("ename", "")),
                "message": ANSI.sub("", str(error.get("evalue", ""))),
                "traceback": trim_traceback(error.get("traceback") or []),
            }

    def pytest_runtest_logreport(self, report: Any) -> None:
        if report.when == "call" or report.outcome != "passed":
            text = ANSI.sub("", str(report.longrepr)) if report.longrepr else ""
            self.cells.append(
                {
                    **self.where.get(report.nodeid, {"cell": None}),
                    "when": report.when,
                    "outcome": report.outcome,
                    "xfail": bool(getattr(report, "wasxfail", "")),
                    "duration": report.duration,
                    "text": "\n".join(text.splitlines()[:40]),
                    **(self.details.get(report.nodeid, {}) if report.when == "call" else {}),
                }
            )


def cell_position(cells: list[Any], index: int) -> dict[str, Any]:
    """Where a cell is, as a reader finds it in Jupyter: its stored execution count (`In [n]`),
    its rank among the code cells, and its first line of code."""
    code = [i for i, c in enumerate(cells) if c.get("cell_type") == "code"]
    cell = cells[index]
    source = cell.get("source", "")
    lines = ("".join(source) if isinstance(source, list) else str(source)).splitlines()
    first = next((ln.strip() for ln in lines if ln.strip() and not ln.strip().startswith("# NBVAL_")), "")
    return {
        "cell": index,
        "code_cell": code.index(index) + 1 if index in code else None,
        "code_cells": len(code),
        "execution_count": cell.get("execution_count"),
        "first_line": first[:160],
    }


def without_metrics(outputs: list[Any]) -> list[Any]:
    return [o for o in outputs if METRIC_MIME not in (o.get("data") or {})]


def output_lines(outputs: list[Any], skip: tuple[str, ...], sanitize: Any) -> list[str]:
    """Outputs as the text lines a diff shows (non-text data as a short digest line)."""
    lines: list[str] = []
    for out in outputs:
        kind = out.get("output_type")
        if kind == "stream":
            if out.get("name") not in skip:
                lines += sanitize(str(out.get("text", ""))).splitlines()
        elif kind in ("display_data", "execute_result"):
            for mime, value in sorted((out.get("data") or {}).items()):
                if mime in skip:
                    continue
                text = "".join(value) if isinstance(value, list) else value
                if isinstance(text, str) and (mime.startswith("text/") or mime.endswith("json")):
                    lines += sanitize(text).splitlines()
                else:
                    blob = json.dumps(text, sort_keys=True).encode()
                    lines.append(f"<{mime}: {len(blob)} bytes, sha256 {hashlib.sha256(blob).hexdigest()[:12]}>")
        elif kind == "error":
            lines.append(f"{out.get('ename', '')}: {ANSI.sub('', str(out.get('evalue', '')))}")
    return lines


def unified_diff(expected: list[str], actual: list[str], limit: int = DIFF_LINES) -> str:
    diff = list(
        difflib.unified_diff(
            expected, actual, "expected (stored in the notebook)", "actual (this run)", lineterm="", n=2
        )
    )
    if len(diff) > limit:
        diff = [*diff[:limit], f"... {len(diff) - limit} more diff line(s)"]
    return "\n".join(diff)


def trim_traceback(frames: list[str], limit: int = TRACEBACK_LINES) -> str:
    """The kernel's traceback without ANSI codes: its head and its last lines (where it raised)."""
    # nbval runs cells outside the kernel's history: every "Cell In[n]" would read In[1]
    lines = [KERNEL_CELL.sub("cell, line", ln.rstrip()) for f in frames for ln in ANSI.sub("", f).splitlines()]
    lines = [ln for ln in lines if ln.strip() and set(ln.strip()) != {"-"}]
    if len(lines) > limit:
        lines = [*lines[:2], f"... {len(lines) - limit + 2} line(s) left out", *lines[-(limit - 2) :]]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("notebook")
    parser.add_argument("--mode", choices=["lax", "strict"], default="lax")
    parser.add_argument("--cell-timeout", type=int, default=300)
    parser.add_argument("--kernel", default="")
    parser.add_argument("--sanitize", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    collector = Collector()
    options = [
        args.notebook,
        "--nbval" if args.mode == "strict" else "--nbval-lax",
        "--nbval-sanitize-with",
        args.sanitize,
        "--nbval-cell-timeout",
        str(args.cell_timeout),
        "-p",
        "no:cacheprovider",
        "-o",
        "addopts=",
        "-q",
        "--rootdir",
        ".",
        "-W",
        "ignore::DeprecationWarning",
    ]
    options += ["--nbval-kernel-name", args.kernel] if args.kernel else ["--nbval-current-env"]
    code = pytest.main(options, plugins=[collector])
    peak_kb = max(
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    )
    with open(args.out, "w", encoding="utf-8") as out:
        json.dump(
            {
                "exit_code": int(code),
                "collected": collector.collected,
                "cells": collector.cells,
                "metrics": collector.metrics,
                "checked_outputs": collector.checked_outputs,
                "peak_memory_mb": round(peak_kb / 1024, 1),
            },
            out,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
