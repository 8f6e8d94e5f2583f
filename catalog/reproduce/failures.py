"""Failure reports that name the cause: the cell as Jupyter shows it, the exception or the diff
of the outputs, or the metric outside its tolerance."""

from __future__ import annotations

from typing import Any

from .metrics import metric_problem

REPORT_CHARS = 6000


def locate(cell: dict[str, Any]) -> str:
    """`In [3] (code cell 3 of 4)` when the notebook stores an execution count, else `code cell 3 of 4`."""
    if cell.get("code_cell") is None:
        return f"cell {cell['cell']}" if cell.get("cell") is not None else "a cell"
    rank = f"code cell {cell['code_cell']} of {cell['code_cells']}"
    count = cell.get("execution_count")
    return f"In [{count}] ({rank})" if isinstance(count, int) else rank


def cell_failure(report: dict[str, Any]) -> tuple[str, dict[str, Any] | None]:
    """(verdict, failure) from the worker's cell reports; failure is None when every cell passed."""
    if report.get("collected", 0) == 0:
        summary = "nbval collected no cells (is the notebook empty or unreadable?)"
        return "error", {"kind": "no-cells", "summary": summary}
    for cell in report["cells"]:
        if cell["outcome"] != "failed" or cell["xfail"]:
            continue
        position = {k: cell.get(k) for k in ("cell", "code_cell", "code_cells", "execution_count", "first_line")}
        failure: dict[str, Any] = {"cell": position, "excerpt": "\n".join(cell["text"].strip().splitlines()[:12])}
        where = locate(position)
        if "Timeout of" in cell["text"]:
            said = next(line for line in cell["text"].splitlines() if "Timeout of" in line).strip()
            said = said.split(": ", 1)[1] if said.startswith("Cell ") and ": " in said else said
            return "timeout", {**failure, "kind": "timeout", "message": said, "summary": f"{where}: {said}"}
        if cell.get("exception"):
            exc = cell["exception"]
            failure.update(kind="exception", exception={"type": exc["type"], "message": exc["message"]})
            failure["traceback"] = exc.get("traceback", "")
            return "error", {**failure, "summary": f"{where} raised {exc['type']}: {exc['message']}"}
        if cell["when"] != "call":
            return "error", {**failure, "kind": "setup", "summary": f"nbval could not run {where} ({cell['when']})"}
        if cell.get("diff"):
            failure["diff"] = cell["diff"]
        return "failed", {**failure, "kind": "mismatch", "summary": f"{where}: output differs from the stored output"}
    if report.get("exit_code") not in (0, 5):
        return "error", {"kind": "worker", "summary": f"nbval exited with code {report.get('exit_code')}"}
    return "passed", None


def metric_failure(results: list[dict[str, Any]]) -> dict[str, Any] | None:
    bad = [r for r in results if not r["passed"]]
    if not bad:
        return None
    return {
        "kind": "metric",
        "metrics": [r["name"] for r in bad],
        "summary": "; ".join(metric_problem(r) for r in bad),
    }


def report_text(failure: dict[str, Any]) -> str:
    """The whole report as the run summary prints it and the site shows it (golden-tested)."""
    lines = []
    cell = failure.get("cell")
    if cell:
        lines.append(f"{locate(cell)}, first line: {cell.get('first_line') or '(empty)'}")
    kind = failure["kind"]
    if kind == "exception":
        exc = failure["exception"]
        lines.append(f"{exc['type']}: {exc['message']}")
        if failure.get("traceback"):
            lines += ["Traceback (trimmed):", failure["traceback"]]
    elif kind == "mismatch":
        lines.append("output differs from the stored output:")
        lines.append(failure.get("diff") or failure.get("excerpt", ""))
    elif kind == "timeout":
        lines.append(failure.get("message") or failure["summary"])
    elif kind == "metric":
        lines += failure["summary"].split("; ")
    else:
        lines.append(failure["summary"])
        if failure.get("excerpt"):
            lines.append(failure["excerpt"])
    text = "\n".join(line for line in lines if line)
    return text if len(text) <= REPORT_CHARS else text[: REPORT_CHARS - 20] + "\n... (trimmed)"
