"""The content hash a verdict is valid for: code cells (and the outputs nbval checks), the use
case's environment files, the record's execution settings and the shared sanitize rules."""

from __future__ import annotations

import hashlib
import json
from importlib import resources
from pathlib import Path
from typing import Any

from ..data import METRIC_MIME
from ..model import Record
from ..notebook import read_notebook

CHECK_MARKERS = ("NBVAL_CHECK_OUTPUT",)


def sanitize_rules() -> bytes:
    return resources.files("catalog").joinpath("nbval_sanitize.cfg").read_bytes()


def _cell_text(cell: dict[str, Any]) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def checked_outputs(cell: dict[str, Any], mode: str) -> list[Any]:
    text = _cell_text(cell)
    if "NBVAL_IGNORE_OUTPUT" in text or "NBVAL_SKIP" in text:
        return []
    if mode == "strict" or any(marker in text for marker in CHECK_MARKERS):
        return [
            {k: v for k, v in o.items() if k not in ("execution_count", "metadata")}
            for o in cell.get("outputs", [])
            if METRIC_MIME not in (o.get("data") or {})  # compared by tolerance, not by bytes
        ]
    return []


def notebook_fingerprint(usecase: Record, entry: dict[str, Any], environment_fingerprint: str = "") -> str:
    """`environment_fingerprint`: that of the isolated environment the notebook runs in (declared
    files, Python version, resolved versions; see envs.py); "" for the active environment."""
    digest = hashlib.sha256()
    mode = entry.get("nbval", "lax")
    notebook = read_notebook(usecase.folder / entry["path"])  # read once per build, shared with the rules
    for cell in notebook.code_cells():
        digest.update(json.dumps([_cell_text(cell), checked_outputs(cell, mode)], sort_keys=True).encode())
    environment = usecase.data.get("environment") or {}
    settings = {"notebook": entry, "environment": environment}
    if usecase.data.get("metrics"):
        settings["metrics"] = usecase.data["metrics"]
    digest.update(json.dumps(settings, sort_keys=True).encode())
    for name in (environment.get("requirements"), environment.get("conda")):
        if name and (usecase.folder / name).is_file():
            digest.update(Path(usecase.folder / name).read_bytes())
    digest.update(sanitize_rules())
    if environment_fingerprint:
        digest.update(environment_fingerprint.encode())
    return "sha256:" + digest.hexdigest()
