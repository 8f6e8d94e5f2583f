"""Runs one notebook under nbval in its own process and writes what happened as JSON.

Invoked by the runner as `python -m catalog.reproduce.nbval_worker ...` with the notebook's
folder as working directory, so a crash, a leak or a hung kernel stays in this process.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import resource
import sys
from typing import Any

import pytest

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


class Collector:
    """pytest plugin: per cell, its notebook index, outcome, duration and error text."""

    def __init__(self) -> None:
        self.cells: list[dict[str, Any]] = []
        self.index: dict[str, int] = {}
        self.collected = 0

    def pytest_collection_modifyitems(self, items: list[Any]) -> None:
        self.collected = len(items)
        for item in items:
            parent = item.parent
            if hasattr(parent, "skip_compare") and "stderr" not in parent.skip_compare:
                parent.skip_compare = (*parent.skip_compare, "stderr")  # stderr is never compared
            with contextlib.suppress(AttributeError, ValueError):
                self.index[item.nodeid] = parent.nb.cells.index(item.cell)

    def pytest_runtest_logreport(self, report: Any) -> None:
        if report.when == "call" or report.outcome != "passed":
            text = ANSI.sub("", str(report.longrepr)) if report.longrepr else ""
            self.cells.append(
                {
                    "cell": self.index.get(report.nodeid),
                    "when": report.when,
                    "outcome": report.outcome,
                    "xfail": bool(getattr(report, "wasxfail", "")),
                    "duration": report.duration,
                    "text": "\n".join(text.splitlines()[:40]),
                }
            )


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
                "peak_memory_mb": round(peak_kb / 1024, 1),
            },
            out,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
