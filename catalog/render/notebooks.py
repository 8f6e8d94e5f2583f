"""Notebook pages: made safe, rendered by mkdocs-jupyter's converter, cached as served.

Contributed notebooks can carry scripts in outputs (text/html, application/javascript, SVG), in
raw cells and in Markdown cells. Only text, PNG/JPEG images, errors and sanitised HTML survive.

The sanitised copy is converted with `mkdocs_jupyter.nbconvert2.nb2html` (the converter and
template of the mkdocs-jupyter plugin) and kept in a cache *as the page serves it*: without the
~600 kB of JupyterLab CSS the converter inlines into every notebook (served once, as a file),
with outputs marked for the search index to skip, and with its headings for the table of
contents, and with its search entries (Material's own parser, run once). A cached notebook costs
one small JSON read per build.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from ..atomic_write import write_text
from ..model import Catalog
from .document import Document
from .markup import file_href, markdown_block, sanitise_html, url_of
from .search import material_entries

CACHE_FORMAT = 2  # bump when what is cached (or how it is post-processed) changes

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


@dataclass(frozen=True)
class SafeNotebook:
    uri: str  # the page's source URI: the notebook's path in the repository
    title: str
    path: Path  # the sanitised copy (what is rendered and what "Download" serves)
    digest: str  # sha256 of the sanitised copy


def prepare_notebooks(catalog: Catalog, cache_dir: Path) -> list[SafeNotebook]:
    """Write a sanitised copy of every notebook under `cache_dir` (only when its bytes change, so
    `mkdocs serve` stays quiet) and return them."""
    out = []
    for usecase in catalog.usecases.values():
        for entry in usecase.data.get("notebooks", []):
            source = usecase.folder / entry["path"]
            uri = f"usecases/{usecase.id}/{entry['path']}"
            target = cache_dir / "safe" / uri
            try:
                notebook = json.loads(source.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue  # the validate stage has reported it
            text = json.dumps(safe_notebook(notebook), ensure_ascii=False, indent=1) + "\n"
            if not target.is_file() or target.read_text(encoding="utf-8") != text:
                write_text(target, text)
            digest = hashlib.sha256(text.encode()).hexdigest()
            out.append(SafeNotebook(uri, f"{entry['title']} · {usecase.title}", target, digest))
    return out


@cache  # reading package metadata parses files: once per process, not once per notebook
def _converter_version() -> str:
    from importlib.metadata import version

    return f"{CACHE_FORMAT}-{version('mkdocs-jupyter')}-{version('nbconvert')}"


def convert_notebook(path: Path) -> tuple[str, str]:
    """(page HTML, stylesheet) of a sanitised notebook, by mkdocs-jupyter's converter."""
    from mkdocs_jupyter.nbconvert2 import nb2html  # imports nbconvert: only on a cache miss

    html = nb2html(str(path), execute=False, theme="light", custom_mathjax_url="", include_requirejs=False)
    html, css = externalise_styles(html)
    return mark_outputs_unsearchable(html), css


_HEADING = re.compile(r'<h([1-6]) id="([^"]+)"[^>]*>(.*?)</h\1>', re.DOTALL)
_ANCHOR_LINK = re.compile(r'<a class="anchor-link"[^>]*>.*?</a>', re.DOTALL)
_TAG = re.compile(r"<[^>]+>")


def notebook_headings(html: str) -> list[tuple[int, str, str]]:
    """(level, id, text) of the headings nbconvert made from Markdown cells."""
    return [
        (int(level), ident, _TAG.sub("", _ANCHOR_LINK.sub("", inner)).strip())
        for level, ident, inner in _HEADING.findall(html)
    ]


def notebook_document(notebook: SafeNotebook, cache_dir: Path) -> tuple[Document, str]:
    """The notebook's page and the key of its stylesheet, converted once per content and
    converter version."""
    key = hashlib.sha256(f"{notebook.digest}-{_converter_version()}".encode()).hexdigest()
    cached = cache_dir / "pages" / f"{key}.json"
    try:
        entry = json.loads(cached.read_text(encoding="utf-8"))
        css_key = entry["css"]
    except (OSError, ValueError, KeyError):
        html, css = convert_notebook(notebook.path)
        css_key = hashlib.sha256(css.encode()).hexdigest()[:16]
        entry = {"html": html, "css": css_key, "headings": notebook_headings(html)}
        entry["search"] = material_entries(html, _document(notebook, entry, css_key).toc_tokens())
        write_text(cache_dir / "pages" / f"{css_key}.css", css)
        write_text(cached, json.dumps(entry, ensure_ascii=False))
    return _document(notebook, entry, css_key), css_key


def _document(notebook: SafeNotebook, entry: dict[str, Any], css_key: str) -> Document:
    doc = Document(
        notebook.title,
        {"kb_kind": "notebook"},
        index=entry.get("search"),
        indexed_by_material=entry.get("search") is None,
    )
    doc.add(f'<link rel="stylesheet" href="{file_href(notebook.uri, stylesheet_uri(css_key))}">\n', entry["html"])
    for level, ident, text in entry["headings"]:
        doc.add_heading(level, ident, text)
    return doc


def stylesheet_uri(css_key: str) -> str:
    return f"assets/kb-notebook-{css_key}.css"


def notebook_site(catalog: Catalog, cache_dir: Path) -> tuple[dict[str, Document], dict[str, Path], dict[str, str]]:
    """Every notebook's page (by source URI), its sanitised .ipynb to copy (by served path) and
    the stylesheets they link (by served path; one, unless converter versions were mixed)."""
    documents, downloads, stylesheets = {}, {}, {}
    for notebook in prepare_notebooks(catalog, cache_dir):
        documents[notebook.uri], css_key = notebook_document(notebook, cache_dir)
        downloads[download_uri(notebook.uri)] = notebook.path
        if stylesheet_uri(css_key) not in stylesheets:
            css = (cache_dir / "pages" / f"{css_key}.css").read_text(encoding="utf-8")
            stylesheets[stylesheet_uri(css_key)] = css
    return documents, downloads, stylesheets


def download_uri(notebook_uri: str) -> str:
    """Where the sanitised .ipynb is served: beside the notebook's page, under its own name."""
    return url_of(notebook_uri) + notebook_uri.rsplit("/", 1)[-1]


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
