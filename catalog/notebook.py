"""One notebook model: a notebook file read once, checked as nbformat checks it, within limits.

Rules, the site and the runner all take a `Notebook` from `read_notebook`. A notebook whose
`defects` is empty is one every later stage can handle without an exception: it is valid against
nbformat's own JSON Schema for its minor version (the schema `nbformat.validate` uses), its cell
ids are unique, its kernel metadata has the right types, and it is within `catalog.limits`.
"""

from __future__ import annotations

import json
import os
import stat
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from . import limits


@dataclass(frozen=True)
class NotebookDefect:
    code: str  # KB207 not a notebook, KB208 not Python, KB240 over a limit, KB241 schema, KB242 metadata
    message: str
    hint: str


@dataclass(frozen=True)
class Notebook:
    """A notebook as committed (`raw`) and as parsed (`content`: None when it could not be)."""

    path: Path
    raw: bytes
    content: dict[str, Any] | None
    defects: tuple[NotebookDefect, ...]

    @property
    def usable(self) -> bool:
        return self.content is not None and not self.defects

    @property
    def cells(self) -> list[dict[str, Any]]:
        """The cells that are mappings (all of them in a notebook without defects)."""
        cells = (self.content or {}).get("cells")
        return [cell for cell in cells if isinstance(cell, dict)] if isinstance(cells, list) else []

    def code_cells(self) -> list[dict[str, Any]]:
        return [cell for cell in self.cells if cell.get("cell_type") == "code"]


_SAVE_AGAIN = "open it in Jupyter and save it again (nbformat 4), or fix the cell by hand"


def _defect(code: str, message: str, hint: str = _SAVE_AGAIN) -> NotebookDefect:
    return NotebookDefect(code, message, hint)


def read_notebook(path: Path) -> Notebook:
    """Read and check a notebook; never raises for bad input (memoised per file state)."""
    try:
        info = os.lstat(path)
    except OSError as exc:
        return Notebook(path, b"", None, (_defect("KB206", f"cannot read the notebook: {exc.strerror}"),))
    return _read(path, info.st_mtime_ns, info.st_size, info.st_ino, info.st_mode)


@lru_cache(maxsize=4096)
def _read(path: Path, _mtime: int, size: int, _inode: int, mode: int) -> Notebook:
    if stat.S_ISLNK(mode):
        return Notebook(
            path,
            b"",
            None,
            (_defect("KB010", "the notebook is a symbolic link", "commit the notebook file itself, not a link"),),
        )
    if size > limits.MAX_NOTEBOOK_BYTES:
        return Notebook(
            path,
            b"",
            None,
            (
                _defect(
                    "KB240",
                    f"the notebook is {size:,} bytes; the limit is {limits.MAX_NOTEBOOK_BYTES:,}",
                    "clear large outputs (images, tables) or move data to a dataset file",
                ),
            ),
        )
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return Notebook(path, b"", None, (_defect("KB206", f"cannot read the notebook: {exc.strerror}"),))
    content, defects = check_notebook_bytes(raw)
    return Notebook(path, raw, content, tuple(defects))


def check_notebook_bytes(raw: bytes) -> tuple[dict[str, Any] | None, list[NotebookDefect]]:
    """(parsed notebook or None, its defects): the whole check, in order of cost."""
    try:
        content = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        return None, [_defect("KB207", "the notebook is not UTF-8 text")]
    except RecursionError:
        return None, [_too_deep()]
    except ValueError as exc:
        return None, [_defect("KB207", f"the notebook is not valid JSON: {exc}")]
    if not isinstance(content, dict) or content.get("nbformat") != 4:
        return None, [_defect("KB207", 'not an nbformat-4 notebook (needs "nbformat": 4)')]
    cells = content.get("cells")
    if isinstance(cells, list) and len(cells) > limits.MAX_NOTEBOOK_CELLS:
        return None, [
            _defect(
                "KB240",
                f"the notebook has {len(cells):,} cells; the limit is {limits.MAX_NOTEBOOK_CELLS:,}",
                "split it into several notebooks",
            )
        ]
    if nesting_depth(content) > limits.MAX_NESTING_DEPTH:
        return None, [_too_deep()]
    schema = _schema_defects(content)
    said = " ".join(defect.message for defect in schema)
    metadata = [d for d in _metadata_defects(content) if d.message.split(" ", 1)[0].rsplit(".", 1)[0] not in said]
    defects = _output_sizes(cells) + schema + _id_defects(cells) + metadata
    if not defects:
        defects += _language_defects(content)
    return content, defects


def _too_deep() -> NotebookDefect:
    return _defect(
        "KB240",
        f"the notebook's JSON nests deeper than {limits.MAX_NESTING_DEPTH} levels",
        "remove the deeply nested metadata or output",
    )


def nesting_depth(value: Any, stop: int = limits.MAX_NESTING_DEPTH) -> int:
    """How deep lists and mappings nest (iteratively; stops counting past `stop`)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > deepest:
            deepest = depth
            if deepest > stop:
                return deepest
        if isinstance(node, dict):
            stack.extend((child, depth + 1) for child in node.values() if isinstance(child, (dict, list)))
        elif isinstance(node, list):
            stack.extend((child, depth + 1) for child in node if isinstance(child, (dict, list)))
    return deepest


def cell_label(cells: list[Any], index: int) -> str:
    """A cell as a reader finds it in Jupyter: its position, and its execution count if it has one."""
    cell = cells[index] if 0 <= index < len(cells) else None
    label = f"cell {index + 1} of {len(cells)}"
    if isinstance(cell, dict) and cell.get("cell_type") == "code":
        count = cell.get("execution_count")
        code_index = sum(1 for c in cells[: index + 1] if isinstance(c, dict) and c.get("cell_type") == "code")
        label += f" (code cell {code_index}" + (f", In [{count}]" if isinstance(count, int) else "") + ")"
    return label


def _output_sizes(cells: Any) -> list[NotebookDefect]:
    if not isinstance(cells, list):
        return []
    defects = []
    for index, cell in enumerate(cells):
        outputs = cell.get("outputs") if isinstance(cell, dict) else None
        if not outputs:
            continue
        size = len(json.dumps(outputs, ensure_ascii=False))
        if size > limits.MAX_CELL_OUTPUT_BYTES:
            defects.append(
                _defect(
                    "KB240",
                    f"{cell_label(cells, index)}: outputs of {size:,} bytes; the limit is "
                    f"{limits.MAX_CELL_OUTPUT_BYTES:,} per cell",
                    "clear the output or make it smaller (fewer rows, a smaller figure)",
                )
            )
    return defects


@cache
def _schema_validator(minor: int, definition: str = "") -> Any:
    """nbformat's schema for a minor version, or one of its definitions (a cell or output kind)."""
    import importlib.util

    import jsonschema_rs

    # the schema files nbformat ships, found without importing nbformat (and jsonschema with it)
    spec = importlib.util.find_spec("nbformat")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("nbformat is not installed")
    schema_file = Path(spec.submodule_search_locations[0]) / "v4" / f"nbformat.v4.{minor}.schema.json"
    schema = json.loads(schema_file.read_text(encoding="utf-8"))
    if definition:
        schema = {"definitions": schema["definitions"], "$ref": f"#/definitions/{definition}"}
    return jsonschema_rs.validator_for(schema)


CELL_KINDS = ("code", "markdown", "raw")
OUTPUT_KINDS = ("execute_result", "display_data", "stream", "error")


def _schema_defects(content: dict[str, Any]) -> list[NotebookDefect]:
    """nbformat's schema, applied cell by cell and output by output so that each message names
    the field at fault (the whole-notebook schema only says "not valid under any of oneOf")."""
    minor = content.get("nbformat_minor")
    if not isinstance(minor, int) or isinstance(minor, bool) or not 0 <= minor <= 5:
        return [_defect("KB241", f"nbformat_minor is {minor!r}; this site reads 4.0 to 4.5")]
    raw_cells = content.get("cells")
    cells: list[Any] = raw_cells if isinstance(raw_cells, list) else []
    found: list[NotebookDefect] = []

    def check(value: Any, definition: str, place: str) -> None:
        for error in _schema_validator(minor, definition).iter_errors(value):
            field = ".".join(str(part) for part in error.instance_path) or "(whole)"
            detail = error.message if len(error.message) <= 160 else error.message[:160] + " …"
            found.append(_defect("KB241", f"{place}, field {field}: {detail}"))

    check({**content, "cells": []} if cells else content, "", "the notebook")
    for index, cell in enumerate(cells):
        place = cell_label(cells, index)
        kind = cell.get("cell_type") if isinstance(cell, dict) else None
        if kind not in CELL_KINDS:
            found.append(_defect("KB241", f"{place}: cell_type is {kind!r}, not one of code, markdown, raw"))
            continue
        outputs = cell.get("outputs")
        check({**cell, "outputs": []} if kind == "code" and isinstance(outputs, list) else cell, f"{kind}_cell", place)
        for number, output in enumerate(outputs if kind == "code" and isinstance(outputs, list) else []):
            output_kind = output.get("output_type") if isinstance(output, dict) else None
            where = f"{place}, output {number + 1}"
            if output_kind not in OUTPUT_KINDS:
                found.append(_defect("KB241", f"{where}: output_type is {output_kind!r}"))
            else:
                check(output, output_kind, where)
        if len(found) >= limits.MAX_PROBLEMS_PER_NOTEBOOK:
            break
    return found[: limits.MAX_PROBLEMS_PER_NOTEBOOK]


def _id_defects(cells: Any) -> list[NotebookDefect]:
    if not isinstance(cells, list):
        return []
    seen: dict[str, int] = {}
    defects = []
    for index, cell in enumerate(cells):
        ident = cell.get("id") if isinstance(cell, dict) else None
        if isinstance(ident, str):
            if ident in seen:
                defects.append(
                    _defect(
                        "KB241",
                        f"{cell_label(cells, index)}: cell id {ident!r} is also the id of "
                        f"{cell_label(cells, seen[ident])}",
                        "give each cell its own id (Jupyter does this when the notebook is saved again)",
                    )
                )
            seen.setdefault(ident, index)
    return defects


def _metadata_defects(content: dict[str, Any]) -> list[NotebookDefect]:
    """Types nbformat's schema leaves open but every consumer relies on."""
    metadata = content.get("metadata")
    if not isinstance(metadata, dict):
        return [_defect("KB242", "the notebook's metadata is not a mapping")]
    defects = []
    for key, fields in (("kernelspec", ("name", "display_name", "language")), ("language_info", ("name",))):
        value = metadata.get(key)
        if value is None:
            continue
        if not isinstance(value, dict):
            defects.append(_defect("KB242", f"metadata.{key} is a {type(value).__name__}, not a mapping"))
            continue
        for name in fields:
            if name in value and not isinstance(value[name], str):
                defects.append(_defect("KB242", f"metadata.{key}.{name} is not a string"))
    return defects


def notebook_language(content: dict[str, Any]) -> str | None:
    metadata = content.get("metadata") or {}
    kernelspec = metadata.get("kernelspec") or {}
    language_info = metadata.get("language_info") or {}
    language = kernelspec.get("language") or language_info.get("name")
    return language if isinstance(language, str) else None


def _language_defects(content: dict[str, Any]) -> list[NotebookDefect]:
    language = notebook_language(content)
    if language != "python":
        return [
            _defect(
                "KB208",
                f"kernel language is {language!r}, not python (kernelspec.language)",
                "open it in JupyterLab, choose a Python 3 kernel and save",
            )
        ]
    return []
