"""What a verdict says about its use case's order: the working-folder policy, its position, what
ran before it in the same folder (and how that went), the files it wrote; and, when it failed,
the earlier notebook that failed or did not run before it, or the later notebook that writes the
file it missed (the order is wrong)."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from .plan import Task
from .workdir import POLICY

MAX_WRITTEN = 20  # file names a verdict keeps
MISSING_FILE = re.compile(r"No such file or directory: '([^']+)'")


def order_fields(task: Task, here: dict[str, dict[str, Any]], wrote: list[str]) -> dict[str, Any]:
    """Where a run stands in its use case's order, and what ran before it in the same folder."""
    earlier = task.usecase.data.get("notebooks", [])[: task.position - 1]
    before = []
    for entry in earlier:
        ran = here.get(entry["path"])
        verdict = "not run" if ran is None or ran["verdict"] == "skipped" else ran["verdict"]
        before.append({"notebook": entry["path"], "verdict": verdict})
    order: dict[str, Any] = {
        "folder": POLICY,
        "position": task.position,
        "of": task.count,
        "prerequisite": task.prerequisite,
        "before": before,
    }
    if wrote:
        order["wrote"] = wrote[:MAX_WRITTEN]
    return order


def name_earlier_failure(run: dict[str, Any]) -> None:
    """A notebook that did not pass after an earlier one failed (or did not run) says so: what
    it missed may be what the earlier notebook should have written."""
    if run["verdict"] in ("passed", "skipped") or not run.get("reason"):
        return
    earlier = [b for b in run["order"]["before"] if b["verdict"] != "passed"]
    if earlier:
        said = ", ".join(
            f"{b['notebook']} {'did not run' if b['verdict'] == 'not run' else b['verdict']}" for b in earlier
        )
        _append(run, f" (earlier in the same working folder: {said})")


def name_later_writer(run: dict[str, Any], task: Task, here: dict[str, dict[str, Any]], folder: Path) -> bool:
    """A notebook that missed a file which a notebook declared after it wrote: the order is wrong."""
    exception = (run.get("failure") or {}).get("exception") or {}
    missing = missing_file(str(exception.get("message", "")), task.notebook["path"], folder)
    if missing is None:
        return False
    later = task.usecase.data.get("notebooks", [])[task.position :]
    writer = next(
        (e["path"] for e in later if missing in ((here.get(e["path"]) or {}).get("order") or {}).get("wrote", [])), None
    )
    if writer is None:
        return False
    _append(
        run,
        f"; {missing} is written by {writer}, which is declared after this notebook: "
        f"list {writer} before {task.notebook['path']} in the record's notebooks",
    )
    return True


def _append(run: dict[str, Any], text: str) -> None:
    run["reason"] = (run["reason"] + text)[:2000]
    failure = run.get("failure")
    if failure:
        failure["summary"] = (failure["summary"] + text)[:2000]
        failure["report"] = (failure["report"] + "\n" + text.lstrip(" ;(").rstrip(")"))[:6000]


def missing_file(message: str, notebook: str, folder: Path) -> str | None:
    """The file a 'No such file or directory' error names, relative to the use case folder (as
    `written` names files), when the message names one inside the working folder."""
    match = MISSING_FILE.search(message)
    if not match:
        return None
    name = Path(match.group(1))
    where = name if name.is_absolute() else folder / Path(notebook).parent / name
    try:
        return Path(os.path.normpath(where)).relative_to(folder).as_posix()
    except ValueError:
        return None
