"""Notebooks made safe for the site before mkdocs-jupyter renders them.

Contributed notebooks can carry scripts in outputs (text/html, application/javascript, SVG), in
raw cells and in Markdown cells. Only text, PNG/JPEG images, errors and sanitised HTML survive.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

from ..model import Catalog
from .markup import markdown_block, sanitise_html

KEPT_MIME = ("text/plain", "image/png", "image/jpeg")
_RISKY_MARKDOWN = re.compile(r"<|javascript:|data:|vbscript:|\{:", re.IGNORECASE)


def _source(cell: dict[str, Any]) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def safe_output(output: dict[str, Any]) -> dict[str, Any] | None:
    kind = output.get("output_type")
    if kind in ("stream", "error"):
        return output
    if kind not in ("display_data", "execute_result"):
        return None
    data = output.get("data") or {}
    kept = {mime: data[mime] for mime in KEPT_MIME if mime in data}
    if "text/html" in data:
        html = data["text/html"]
        kept["text/html"] = sanitise_html("".join(html) if isinstance(html, list) else str(html))
    if not kept:
        return None
    cleaned = dict(output, data=kept)
    cleaned["metadata"] = {}
    return cleaned


def safe_notebook(notebook: dict[str, Any]) -> dict[str, Any]:
    """A copy of the notebook with every unsafe part removed or sanitised."""
    nb = copy.deepcopy(notebook)
    cells = []
    for cell in nb.get("cells", []):
        kind = cell.get("cell_type")
        if kind == "raw":
            continue  # raw cells are emitted verbatim by nbconvert
        cell.pop("attachments", None)
        if kind == "markdown":
            text = _source(cell)
            if _RISKY_MARKDOWN.search(text):
                cell["source"] = markdown_block(text)
        elif kind == "code":
            cell["outputs"] = [o for o in map(safe_output, cell.get("outputs", [])) if o is not None]
        cells.append(cell)
    nb["cells"] = cells
    nb.get("metadata", {}).pop("widgets", None)
    return nb


# Every output-related div is marked, not only the outer one: Material's search parser compares
# elements by tag name, so an exclusion on an outer <div> ends at the first nested </div>.
_OUTPUT_DIV = re.compile(r'<div class="(jp-Cell-outputWrapper|jp-OutputArea|jp-Rendered)')


def mark_outputs_unsearchable(html: str) -> str:
    """Tag rendered output areas so Material's search leaves them out of the index."""
    return _OUTPUT_DIV.sub(lambda m: f'<div data-search-exclude class="{m.group(1)}', html)


def prepare_notebooks(catalog: Catalog, cache_dir: Path) -> list[tuple[str, Path]]:
    """Write a sanitised copy of every notebook under `cache_dir` (only when its bytes change, so
    mkdocs-jupyter's conversion cache and `mkdocs serve` stay quiet) and return (page uri, copy)."""
    out = []
    for usecase in catalog.usecases.values():
        for entry in usecase.data.get("notebooks", []):
            source = usecase.folder / entry["path"]
            uri = f"usecases/{usecase.id}/{entry['path']}"
            target = cache_dir / uri
            try:
                notebook = json.loads(source.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue  # the validate stage has reported it
            text = json.dumps(safe_notebook(notebook), ensure_ascii=False, indent=1) + "\n"
            if not target.is_file() or target.read_text(encoding="utf-8") != text:
                target.parent.mkdir(parents=True, exist_ok=True)
                tmp = target.with_suffix(".tmp")
                tmp.write_text(text, encoding="utf-8")
                tmp.replace(target)
            out.append((uri, target))
    return out


def externalise_styles(html: str) -> tuple[str, str]:
    """(html without its <style> blocks, their CSS). mkdocs-jupyter inlines ~600 kB of identical
    JupyterLab CSS into every notebook page; served once as a file, the site shrinks ~4x.

    Plain `str.find` rather than a regular expression: a lazy dot-all pattern over 600 kB cost
    ~11 ms a page, 25 s of a 5,000-record build.
    """
    kept, css, position = [], [], 0
    while (start := html.find("<style", position)) >= 0:
        body = html.find(">", start) + 1
        end = html.find("</style>", body)
        if body == 0 or end < 0:
            break
        kept.append(html[position:start])
        css.append(html[body:end])
        position = end + len("</style>")
    kept.append(html[position:])
    return "".join(kept), "\n".join(css)
