"""Proof required: a notebook's verdict must rest on something compared — a stored output that
nbval checks, or a declared metric — not merely on its cells running without an error."""

from __future__ import annotations

import re
from typing import Any

from .loader import json_path
from .model import Record
from .notebook import read_notebook
from .problems import Problem, Severity

CHECK_MARKER = "NBVAL_CHECK_OUTPUT"
UNCHECKED_MARKERS = ("NBVAL_IGNORE_OUTPUT", "NBVAL_SKIP", "NBVAL_RAISES_EXCEPTION")


def _source(cell: dict[str, Any]) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def is_checked(cell: dict[str, Any], mode: str) -> bool:
    """Whether nbval compares this cell's outputs (`# NBVAL_CHECK_OUTPUT`, or any cell under strict)."""
    text = _source(cell)
    if cell.get("cell_type") != "code" or any(marker in text for marker in UNCHECKED_MARKERS):
        return False
    return CHECK_MARKER in text or mode == "strict"


def reports_metric(source: str, name: str) -> bool:
    return re.search(r"report_metric\(\s*[\"']" + re.escape(name) + r"[\"']", source) is not None


def proof_problems(record: Record, index: int, entry: dict[str, Any], declared: list[dict[str, Any]]) -> list[Problem]:
    """KB220 a checked cell without stored outputs; KB221 nothing checked at all; KB222 a declared
    metric the notebook never reports."""
    notebook = read_notebook(record.folder / entry["path"])
    if not notebook.usable:
        return []  # its defects are already reported
    cells = notebook.cells
    mode = entry.get("nbval", "lax")
    parts = ("notebooks", index, "path")
    problems = []

    def problem(code: str, message: str, hint: str, severity: Severity = Severity.ERROR) -> None:
        # located only when there is a problem: a position composes the record's YAML again
        line, col = record.lines.locate(parts)
        problems.append(Problem(code, message, record.file, line, col, json_path(parts), severity, hint))

    code_cells = [c for c in cells if c.get("cell_type") == "code"]
    checked = [(rank, c) for rank, c in enumerate(code_cells, start=1) if is_checked(c, mode)]
    for rank, cell in checked:
        # under strict, a cell that ran and printed nothing is a real check; a cleared one is not
        empty = not cell.get("outputs") and (CHECK_MARKER in _source(cell) or cell.get("execution_count") is None)
        if empty:
            first = next((ln.strip() for ln in _source(cell).splitlines() if ln.strip()), "")
            problem(
                "KB220",
                f"notebook {entry['path']!r}: code cell {rank} of {len(code_cells)} is checked but has no stored "
                f"output ({first[:60]!r}), so nbval would compare nothing",
                "run the notebook and save it with its outputs (catalog reproduce compares them)",
            )
            break
    source = "\n".join(_source(c) for c in code_cells)
    for spec in declared:
        if not reports_metric(source, spec["name"]):
            problem(
                "KB222",
                f"notebook {entry['path']!r} never reports the declared metric {spec['name']!r}",
                f'add mlinfn_data.report_metric("{spec["name"]}", value) to the notebook',
            )
    has_output = any(c.get("outputs") for _, c in checked)
    if not has_output and not declared and not problems:
        problem(
            "KB221",
            f"notebook {entry['path']!r} checks nothing (no checked output, no declared metric): "
            "a run only shows that it runs",
            "mark a cell '# NBVAL_CHECK_OUTPUT' and save its output, or declare metrics and report them "
            "with mlinfn_data.report_metric",
            Severity.WARNING,
        )
    return problems
