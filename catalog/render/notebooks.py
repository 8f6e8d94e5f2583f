"""Notebook pages: converted by mkdocs-jupyter's converter, cleaned at the one boundary, cached.

Every notebook is contributed, so every part of it is treated as hostile:

1. `display_notebook` makes the copy that is converted: raw cells and all cell metadata (tags
   included) dropped, notebook metadata reduced to the kernel's language, outputs reduced to
   what can be shown safely (text, PNG/JPEG/GIF images, SVG as an image, HTML — cleaned later),
   script-bearing outputs (Plotly, Bokeh, widgets, anything with `<script>`) replaced by a
   visible note, `# NBVAL_*` markers hidden, TeX in Markdown cells turned into MathML.
2. mkdocs-jupyter's converter turns it into HTML; the converter's own stylesheet is split off
   (served once as a file) and the rest — the page content — goes through
   `sanitise.clean_notebook`, the final-HTML boundary. Nothing parses it as Markdown again.
3. Search entries are computed here from the cleaned HTML: Markdown cells and headings with their
   own titles and anchors, code once, no outputs.
4. The result is cached per content and converter version. A cache entry is authenticated with a
   secret key kept outside the repository (`cache_key`), so a forged or restored entry is not
   used: it is rebuilt from the notebook.

"Download" serves the notebook exactly as committed (it is not rendered, so it needs no cleaning).
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from ..atomic_write import write_bytes, write_text
from ..cache import cache_key, read_entry, read_regular_file, write_entry
from ..model import Catalog
from ..notebook import Notebook, read_notebook
from ..urls import download_uri, notebook_uri
from .document import Document
from .markup import file_href
from .math import markdown_with_mathml
from .sanitise import clean_notebook

CACHE_FORMAT = 3  # bump when what is cached (or how it is post-processed) changes
# searchable HTML a notebook page contributes at most (the index is downloaded by every reader)
MAX_SEARCH_CHARS = 30_000

IMAGE_MIME = ("image/png", "image/jpeg", "image/gif")
# outputs that only work by running script in the reader's browser
SCRIPTED_MIME = (
    "application/javascript",
    "application/vnd.plotly.v1+json",
    "application/vnd.bokehjs_exec.v0+json",
    "application/vnd.bokehjs_load.v0+json",
    "application/vnd.jupyter.widget-view+json",
    "application/vnd.vegalite.v4+json",
    "application/vnd.vegalite.v5+json",
    "application/vnd.vega.v5+json",
)
INTERACTIVE_NOTE = (
    '<p class="kb-note kb-interactive-note">Interactive output not shown: it runs JavaScript, which this site '
    "does not run from notebooks. Launch or download the notebook to see it.</p>"
)
_SCRIPT = re.compile(r"<\s*script|\bon[a-z]+\s*=|javascript:", re.IGNORECASE)
_NBVAL_MARKER = re.compile(r"^[ \t]*#[ \t]*NBVAL_[A-Z_]+[ \t]*\n?", re.MULTILINE)


def _text(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def display_output(output: dict[str, Any]) -> dict[str, Any] | None:
    """What of one output is shown (None: nothing). Not a security guard: the page is cleaned later."""
    kind = output.get("output_type")
    if kind in ("stream", "error"):
        return output
    if kind not in ("display_data", "execute_result"):
        return None
    data = output.get("data") or {}
    kept: dict[str, Any] = {}
    html = _text(data["text/html"]) if "text/html" in data else ""
    if any(mime in data for mime in SCRIPTED_MIME) or _SCRIPT.search(html):
        kept["text/html"] = INTERACTIVE_NOTE
    elif html:
        kept["text/html"] = html
    elif "image/svg+xml" in data and not any(mime in data for mime in IMAGE_MIME):
        svg = base64.b64encode(_text(data["image/svg+xml"]).encode()).decode()
        kept["text/html"] = f'<img src="data:image/svg+xml;base64,{svg}" alt="figure">'
    for mime in (*IMAGE_MIME, "text/plain", "text/markdown"):
        if mime in data and "text/html" not in kept:
            kept[mime] = data[mime]
    if "text/plain" in data:
        kept.setdefault("text/plain", data["text/plain"])
    if not kept:
        return None
    return {**output, "data": kept, "metadata": {}}


def display_notebook(notebook: Notebook) -> dict[str, Any]:
    """The copy of a usable notebook that is converted for its page (see the module docstring)."""
    content = notebook.content or {}
    cells = []
    for cell in content.get("cells", []):
        kind = cell.get("cell_type")
        if kind == "raw":
            continue  # raw cells are emitted verbatim by nbconvert
        shown: dict[str, Any] = {"cell_type": kind, "metadata": {}, "source": _text(cell.get("source", ""))}
        if "id" in cell:
            shown["id"] = cell["id"]
        if kind == "markdown":
            shown["source"] = markdown_with_mathml(shown["source"])
            if isinstance(cell.get("attachments"), dict):
                shown["attachments"] = copy.deepcopy(cell["attachments"])
        else:
            shown["source"] = _NBVAL_MARKER.sub("", shown["source"])
            shown["execution_count"] = cell.get("execution_count")
            shown["outputs"] = [o for o in map(display_output, cell.get("outputs", [])) if o is not None]
        cells.append(shown)
    metadata = content.get("metadata") or {}
    language = ((metadata.get("language_info") or {}).get("name")) or "python"
    return {
        "nbformat": 4,
        "nbformat_minor": content.get("nbformat_minor", 5),
        "metadata": {"language_info": {"name": language}},
        "cells": cells,
    }


@dataclass(frozen=True)
class NotebookSource:
    uri: str  # the page's source URI: the notebook's path in the repository
    title: str
    notebook: Notebook
    display_path: Path  # the copy that is converted
    digest: str  # sha256 of that copy


def prepare_notebooks(catalog: Catalog, cache_dir: Path) -> list[NotebookSource]:
    """Write the display copy of every usable notebook under `cache_dir` (only when its bytes
    change, so `mkdocs serve` stays quiet) and return them."""
    out = []
    for usecase in catalog.usecases.values():
        for entry in usecase.value.notebooks:
            notebook = read_notebook(usecase.folder / entry.path)
            if not notebook.usable:
                continue  # the validate stage has reported it
            uri = notebook_uri(usecase.id, entry.path)
            target = cache_dir / "display" / uri
            text = json.dumps(display_notebook(notebook), ensure_ascii=False, indent=1) + "\n"
            data = text.encode()
            if read_regular_file(target, len(data)) != data:  # bounded: a planted huge file is not read
                write_bytes(target, data)
            digest = hashlib.sha256(data).hexdigest()
            title = entry.title if entry.title == usecase.title else f"{entry.title} · {usecase.title}"
            out.append(NotebookSource(uri, title, notebook, target, digest))
    return out


@cache  # reading package metadata parses files: once per process, not once per notebook
def _converter_version() -> str:
    from importlib.metadata import version

    return f"{CACHE_FORMAT}-{version('mkdocs-jupyter')}-{version('nbconvert')}-{version('nh3')}"


_WRAPPER_START = '<div class="jupyter-wrapper">'
_WRAPPER_END = "<!-- jupyter-wrapper -->"


def convert_notebook(path: Path) -> tuple[str, str]:
    """(cleaned page HTML, the converter's stylesheet) of a display copy."""
    from mkdocs_jupyter.nbconvert2 import nb2html  # imports nbconvert: only on a cache miss

    converted = nb2html(str(path), execute=False, theme="light", custom_mathjax_url="", include_requirejs=False)
    # The converter writes its styles and scripts before the notebook's wrapper and a stylesheet after
    # it; everything in between comes from the notebook. Only the converter's own <style> blocks
    # become the stylesheet (a <style> inside an output is dropped by the cleaner).
    start = converted.find(_WRAPPER_START)
    end = converted.rfind(_WRAPPER_END)
    if start < 0 or end < start:
        raise ValueError("unexpected converter output: no notebook wrapper")
    css = styles_of(converted[:start]) + "\n" + styles_of(converted[end:])
    body = clean_notebook(converted[start:end])
    return mark_outputs_unsearchable(_drop_copy_text(body)), css


def styles_of(html: str) -> str:
    """The CSS of the <style> blocks in trusted converter HTML (plain `str.find`: a lazy dot-all
    pattern over 600 kB cost ~11 ms a page)."""
    css, position = [], 0
    while (start := html.find("<style", position)) >= 0:
        body = html.find(">", start) + 1
        end = html.find("</style>", body)
        if body == 0 or end < 0:
            break
        css.append(html[body:end])
        position = end + len("</style>")
    return "\n".join(css)


# mkdocs-jupyter's copy button keeps a hidden second copy of each cell's code (indexed twice, read
# twice by screen readers); cleaned HTML holds it as plain text, so a pattern finds it exactly
_COPY_TEXT = re.compile(r'<div class="clipboard-copy-txt"[^>]*>[^<]*</div>')
_OUTPUT_CLASS = re.compile(r'<div class="([^"]*\b(?:jp-Cell-outputWrapper|jp-OutputArea)[^"]*)"')


def _drop_copy_text(html: str) -> str:
    return _COPY_TEXT.sub("", html)


def mark_outputs_unsearchable(html: str) -> str:
    """Tag output areas (not Markdown cells) so any search indexer leaves them out."""
    return _OUTPUT_CLASS.sub(lambda m: f'<div data-search-exclude class="{m.group(1)}"', html)


_HEADING = re.compile(r'<h([1-6]) id="([^"]+)"[^>]*>(.*?)</h\1>', re.DOTALL)
_ANCHOR_LINK = re.compile(r'<a class="anchor-link"[^>]*>.*?</a>', re.DOTALL)
_TAG = re.compile(r"<[^>]+>")
_CELL = re.compile(r'(?=<div class="jp-Cell )')
_INPUT = re.compile(r'<div class="jp-InputArea jp-Cell-inputArea">(.*?)(?=<div data-search-exclude|\Z)', re.DOTALL)
_PROMPT = re.compile(r'<div class="jp-InputPrompt[^"]*">[^<]*</div>')


def notebook_headings(html: str) -> list[tuple[int, str, str]]:
    """(level, id, text) of the headings nbconvert made from Markdown cells."""
    return [
        (int(level), ident, _TAG.sub("", _ANCHOR_LINK.sub("", inner)).strip())
        for level, ident, inner in _HEADING.findall(html)
    ]


def search_chunks(html: str) -> list[tuple[str, tuple[int, str, str] | None]]:
    """The page's searchable HTML in order, each chunk followed by the heading (if any) that ends it:
    Markdown cells whole, code cells' input only (without the prompt), no outputs."""
    chunks: list[tuple[str, tuple[int, str, str] | None]] = []
    for cell in _CELL.split(html):
        if "jp-MarkdownCell" in cell[:200]:
            position = 0
            for match in _HEADING.finditer(cell):
                chunks.append((cell[position : match.start()], notebook_headings(match.group())[0]))
                position = match.end()
            chunks.append((cell[position:], None))
        elif "jp-CodeCell" in cell[:200]:
            code = _INPUT.search(cell)
            if code:
                chunks.append((_PROMPT.sub("", code.group(1)), None))
    return chunks


# --- the cache: authenticated entries, content-addressed stylesheets ---------------------------


def _read_stylesheet(cache_dir: Path, css_key: str) -> str | None:
    """A cached stylesheet, only if its content still has the hash it is named by."""
    data = read_regular_file(cache_dir / "pages" / f"{css_key}.css")
    if data is None or hashlib.sha256(data).hexdigest()[:16] != css_key:
        return None
    return data.decode("utf-8")


def notebook_document(
    source: NotebookSource, cache_dir: Path, key: bytes, verified: dict[str, str] | None = None
) -> tuple[Document, str, str]:
    """The notebook's page, its stylesheet's key and CSS: converted once per content and converter.

    `verified` holds the stylesheets already read and checked in this build (by key): every
    notebook page links the same ~600 kB stylesheet, which is read and hashed once, not per page.
    """
    verified = {} if verified is None else verified
    name = hashlib.sha256(f"{source.digest}-{_converter_version()}".encode()).hexdigest()
    cached = cache_dir / "pages" / f"{name}.json"
    entry = read_entry(cached, key)
    css: str | None = None
    if entry:
        css_key = str(entry.get("css", ""))
        css = verified.get(css_key)
        if css is None:
            css = _read_stylesheet(cache_dir, css_key)
            if css is not None:
                verified[css_key] = css
    if entry is None or css is None or not isinstance(entry.get("html"), str):
        html, css = convert_notebook(source.display_path)
        entry = {"html": html, "css": hashlib.sha256(css.encode()).hexdigest()[:16]}
        write_text(cache_dir / "pages" / f"{entry['css']}.css", css)
        write_entry(cached, key, entry)
        verified[entry["css"]] = css
    return _document(source, entry["html"], entry["css"]), entry["css"], css


def _document(source: NotebookSource, html: str, css_key: str) -> Document:
    doc = Document(source.title, {"kb_kind": "notebook"})
    doc.add(f'<link rel="stylesheet" href="{file_href(source.uri, stylesheet_uri(css_key))}">\n', searchable=False)
    doc.add(html, searchable=False)
    budget = MAX_SEARCH_CHARS
    for chunk, heading in search_chunks(html):
        if len(chunk) <= budget:  # whole chunks only: a cut could split a tag
            doc.add_search_text(chunk)
            budget -= len(chunk)
        if heading:
            doc.add_heading(*heading)
    return doc


def stylesheet_uri(css_key: str) -> str:
    return f"assets/kb-notebook-{css_key}.css"


def notebook_site(catalog: Catalog, cache_dir: Path) -> tuple[dict[str, Document], dict[str, bytes], dict[str, str]]:
    """Every notebook's page (by source URI), the committed .ipynb to serve (by served path) and
    the stylesheets they link (by served path; one, unless converter versions were mixed)."""
    documents: dict[str, Document] = {}
    downloads: dict[str, bytes] = {}
    stylesheets: dict[str, str] = {}
    key = cache_key()
    verified: dict[str, str] = {}
    for source in prepare_notebooks(catalog, cache_dir):
        documents[source.uri], css_key, css = notebook_document(source, cache_dir, key, verified)
        downloads[download_uri(source.uri)] = source.notebook.raw
        stylesheets.setdefault(stylesheet_uri(css_key), css)
    return documents, downloads, stylesheets
