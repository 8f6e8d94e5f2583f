"""MkDocs hooks: adapt MkDocs events to `catalog`. All content comes from catalog.render."""

from __future__ import annotations

import datetime as dt
import gc
import json
import logging
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File, Files, InclusionLevel
from mkdocs.structure.toc import get_toc

from catalog.links import read_history
from catalog.problems import format_text
from catalog.render.document import Document
from catalog.render.launch import SiteSettings
from catalog.render.notebook_header import add_notebook_headers
from catalog.render.notebooks import notebook_site
from catalog.render.search import search_entries
from catalog.render.site import render_site
from catalog.reproduce.store import StoreError, load_statuses
from catalog.tree import symlink_problems
from catalog.validate import load_catalog

log = logging.getLogger("mkdocs.plugins.kb_site")
_state: dict[str, object] = {}

# Index pages stay in the navigation; record, tag and notebook pages are reached through them
# (a global nav of thousands of records would be copied into every page).
IN_NAV = {
    "index.md",
    "usecases/index.md",
    "datasets/index.md",
    "seminars/index.md",
    "events/index.md",
    "reproducibility.md",
}


class NotebookPage(File):
    """A notebook's page: its source URI is the .ipynb path, it is served as a page."""

    def is_documentation_page(self) -> bool:
        return True


def on_config(config):
    root = Path(config.config_file_path).parent
    settings = config.extra.get("catalog") or {}
    catalog = load_catalog(root)
    docs = Path(config.docs_dir).resolve()
    # the catalog's own folders are checked by load_catalog; a docs_dir elsewhere is checked here
    links = [] if docs.is_relative_to(root.resolve()) else symlink_problems(root, (Path(config.docs_dir),))
    errors = [p for p in catalog.problems + links if p.is_error or settings.get("strict_warnings")]
    if errors:
        raise PluginError("the catalog has problems:\n" + format_text(errors))
    results_path = root / settings.get("results", "results/results.json")
    try:
        statuses, history = load_statuses(catalog, results_path)
        links = read_history(root / settings.get("links", "results/links.json"))
    except (StoreError, ValueError) as exc:
        raise PluginError(str(exc)) from exc
    _state.update(
        root=root,
        catalog=catalog,
        statuses=statuses,
        history=history,
        links=links,
        settings=SiteSettings.from_mapping(settings, config.site_url or ""),
    )
    gc.freeze()  # see on_files
    for folder in ("usecases", "datasets", "seminars", "events"):
        if (root / folder).is_dir() and str(root / folder) not in config.watch:
            config.watch.append(str(root / folder))
    return config


def on_files(files: Files, config) -> Files:
    catalog, settings = _state["catalog"], _state["settings"]
    site = render_site(catalog, settings, _state["statuses"], dt.date.today(), _state["history"], _state["links"])
    notebooks, downloads, stylesheets = notebook_site(catalog, Path(_state["root"]) / ".cache" / "kb-notebooks")
    add_notebook_headers(notebooks, catalog, settings, _state["statuses"])  # breadcrumb, verdict, launch
    _state.update(documents={**site.documents, **notebooks}, search_entries=[])
    for uri, content in site.sources().items():
        if files.get_file_from_path(uri) is None:
            inclusion = InclusionLevel.INCLUDED if uri in IN_NAV else InclusionLevel.NOT_IN_NAV
            files.append(File.generated(config, uri, content=content, inclusion=inclusion))
    for uri, doc in notebooks.items():
        files.append(NotebookPage.generated(config, uri, content=doc.source(), inclusion=InclusionLevel.NOT_IN_NAV))
    for uri, raw in downloads.items():
        files.append(File.generated(config, uri, content=raw))
    for uri, data in {**site.files, **stylesheets}.items():
        files.append(File.generated(config, uri, content=data))
    # The catalog and its pages live until the build ends: keep the collector from scanning them
    # over and over (thousands of pages → seconds per build). Undone in on_post_build/on_build_error.
    gc.freeze()
    return files


def on_pre_page(page, config, files):
    """Generated pages are HTML already: give MkDocs their body, meta and table of contents
    instead of letting Python-Markdown parse thousands of pages that hold no Markdown."""
    doc = _state.get("documents", {}).get(page.file.src_uri)
    if isinstance(doc, Document) and page.file.generated_by:
        page.read_source = lambda config: _read_document(page, doc)
        page.render = lambda config, files: _render_document(page, doc)
    return page


def _read_document(page, doc: Document) -> None:
    page.markdown, page.meta = doc.body, doc.page_meta
    # the search plugin skips the page; its entries come from the document (see on_post_build)
    page.meta["search"] = {"exclude": True}


def _render_document(page, doc: Document) -> None:
    page.content = doc.body
    page.toc = get_toc(doc.toc_tokens())
    page.present_anchor_ids = set(doc.anchor_ids)
    _state["search_entries"].extend(search_entries(doc, page.url))


def on_build_error(error) -> None:
    gc.unfreeze()


@event_priority(-100)  # after the search plugin has written its index
def on_post_build(config) -> None:
    """Add the generated pages' entries to the search index the search plugin wrote."""
    gc.unfreeze()
    index = Path(config.site_dir) / "search" / "search_index.json"
    entries = _state.get("search_entries")
    if not entries or not index.exists():
        return
    data = json.loads(index.read_text(encoding="utf-8"))
    data["docs"].extend(entries)
    index.write_text(json.dumps(data, separators=(",", ":")), encoding="utf-8")
