"""The content hash a verdict is valid for: code cells (and the outputs nbval checks), the use
case's environment files, the record's execution settings and the shared sanitize rules.

A use case's notebooks run in their declared order in one working folder, so a notebook's result
also depends on the notebooks before it: its hash covers their code and settings too (in order).
A notebook without predecessors (every single-notebook use case) hashes as it always did."""

from __future__ import annotations

import hashlib
import json
from importlib import resources
from pathlib import Path
from typing import Any

from mlinfn_data.metric import METRIC_MIME  # not catalog.data: no HTTP stack in a site build

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


def predecessors(usecase: Record, entry: dict[str, Any]) -> list[dict[str, Any]]:
    """The notebooks declared before `entry` in the record's `notebooks` list (they run first,
    in the same working folder)."""
    entries = list(usecase.data.get("notebooks") or [])
    paths = [e.get("path") for e in entries]
    return entries[: paths.index(entry["path"])] if entry.get("path") in paths else []


def _code_digest(usecase: Record, entry: dict[str, Any], digest: Any) -> None:
    mode = entry.get("nbval", "lax")
    notebook = read_notebook(usecase.folder / entry["path"])  # read once per build, shared with the rules
    for cell in notebook.code_cells():
        digest.update(json.dumps([_cell_text(cell), checked_outputs(cell, mode)], sort_keys=True).encode())


def notebook_fingerprint(usecase: Record, entry: dict[str, Any], environment_fingerprint: str = "") -> str:
    """`environment_fingerprint`: that of the isolated environment the notebook runs in (declared
    files, Python version, resolved versions; see envs.py); "" for the active environment."""
    digest = hashlib.sha256()
    _code_digest(usecase, entry, digest)
    for earlier in predecessors(usecase, entry):  # what ran before it in its working folder
        digest.update(json.dumps({"runs after": earlier}, sort_keys=True).encode())
        _code_digest(usecase, earlier, digest)
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
