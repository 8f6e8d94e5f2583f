"""The MkDocs plugin (`plugins: [search, kb]`): MkDocs events in, `catalog` stages out.

Nothing here decides what a page says; it only moves values between MkDocs and `catalog`:

- `on_config`: load and check the catalog (any error stops the build, as one `PluginError` that
  lists every problem), read the results store and link history, into a fresh `BuildState`.
- `on_files`: render every generated page (`catalog.render.site`) and every notebook page
  (`catalog.render.notebooks`) and add them as files; each page object is a `DocumentPage`.
- `DocumentPage`: a `Page` whose source is a `Document` (HTML with its headings), so MkDocs has no
  Markdown to convert; it still runs every other plugin's page events, and MkDocs validates the
  anchors of the links it reports. Links to missing pages are warnings (`--strict` fails).
- `on_post_build`: add the generated pages' search entries (`catalog.render.search`, our own
  documented computation) to the index Material's search plugin wrote.

Settings are read from `extra.catalog` by `CatalogSettings` (typed, validated): commands that do
not run MkDocs (`catalog matrix`, the CI audit) read the same section.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import json
import logging
import mimetypes
import posixpath
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
from mkdocs.config import base
from mkdocs.config import config_options as c
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, event_priority
from mkdocs.structure.files import File, Files, InclusionLevel
from mkdocs.structure.pages import Page
from mkdocs.structure.toc import get_toc

from .cache import cache_key, read_blob, write_blob
from .links import read_history
from .model import KIND_FOLDERS, Catalog
from .problems import Problem, format_text
from .render.document import Document
from .render.launch import SiteSettings
from .render.search import search_entries
from .render.site import GeneratedSite
from .render.site import generated_site as render_generated
from .reproduce.store import StoreError, load_statuses
from .tree import CACHE_FOLDER, symlink_problems
from .urls import IN_NAV
from .validate import load_catalog

log = logging.getLogger("mkdocs.plugins.kb")


class CatalogSettings(base.Config):
    """`extra.catalog` in mkdocs.yml."""

    repository = c.Type(str, default="")  # launch buttons point into it
    branch = c.Type(str, default="main")
    hub = c.Type(str, default="")  # a JupyterHub with nbgitpuller; empty: no JupyterHub button
    launch = c.Type(dict, default={})  # {jupyterhub|binder|colab: false} turns a service off
    results = c.Type(str, default="results/results.json")
    links = c.Type(str, default="results/links.json")
    strict_warnings = c.Type(bool, default=False)


def read_settings(config: MkDocsConfig) -> CatalogSettings:
    """The typed settings; keys owned by other commands (engines, runners) are left to them."""
    raw = dict(config.extra.get("catalog") or {})
    settings = CatalogSettings()
    settings.load_dict({key: value for key, value in raw.items() if key in settings})
    failed, _ = settings.validate()
    if failed:
        raise PluginError("extra.catalog in mkdocs.yml: " + "; ".join(f"{key}: {error}" for key, error in failed))
    return settings


@dataclass
class BuildState:
    """Everything one build knows, made anew in `on_config` (hooks and plugins survive `serve` reloads)."""

    root: Path
    catalog: Catalog
    settings: SiteSettings
    statuses: dict[Any, Any]
    history: dict[Any, Any]
    links: dict[str, Any]
    documents: dict[str, Document] = field(default_factory=dict)
    search_entries: list[dict[str, str]] = field(default_factory=list)
    urls: dict[str, File] = field(default_factory=dict)  # served URL → file, for link checks


def load_state(config: MkDocsConfig) -> BuildState:
    """The catalog, settings, verdicts and link history a build of `config` renders from; any
    problem (or a setting the URL code cannot handle) is one `PluginError` that lists them all."""
    if not config.use_directory_urls:
        raise PluginError("the kb plugin builds directory URLs only: set use_directory_urls: true")
    root = Path(config.config_file_path).parent
    settings = read_settings(config)
    catalog = load_catalog(root, cache=root / CACHE_FOLDER / "kb-records")
    docs = Path(config.docs_dir).resolve()
    # the catalog's own folders are checked by load_catalog; a docs_dir elsewhere is checked here
    links: list[Problem] = [] if docs.is_relative_to(root.resolve()) else symlink_problems(root, (docs,))
    errors = [p for p in catalog.problems + links if p.is_error or settings.strict_warnings]
    if errors:
        raise PluginError("the catalog has problems:\n" + format_text(errors))
    try:
        statuses, history = load_statuses(catalog, root / settings.results)
        link_history = read_history(root / settings.links)
    except (StoreError, ValueError) as exc:
        raise PluginError(str(exc)) from exc
    site_settings = SiteSettings.from_mapping(dict(config.extra.get("catalog") or {}), config.site_url or "")
    return BuildState(root, catalog, site_settings, statuses, history, link_history)


def generated_site(state: BuildState) -> GeneratedSite:
    """Every page and file the build adds, rendered from the state (notebooks cached in `.cache/`)."""
    args = (state.catalog, state.settings, state.statuses, dt.date.today(), state.history, state.links)
    try:
        return render_generated(*args, state.root / CACHE_FOLDER / "kb-notebooks")
    except OSError:
        # a cache that cannot be written (read-only checkout, a file in its place): this build
        # converts its notebooks in a scratch folder instead
        with tempfile.TemporaryDirectory(prefix="kb-notebooks-") as scratch:
            return render_generated(*args, Path(scratch))


class NotebookFile(File):
    """A notebook's page: its source URI is the .ipynb path, it is served as a page."""

    def is_documentation_page(self) -> bool:
        return True


_HREF = re.compile(r'<a [^>]*?href="([^"#:?]*)(?:#([^"]*))?"')


class DocumentPage(Page):
    """A generated page: its body, meta and table of contents come from a `Document`."""

    def __init__(self, file: File, config: MkDocsConfig, document: Document, state: BuildState) -> None:
        super().__init__(None, file, config)
        self.document = document
        self.state = state

    def read_source(self, config: MkDocsConfig) -> None:
        self.markdown = self.document.body
        # the search plugin skips the page; its entries come from the document (see on_post_build)
        self.meta = {**self.document.page_meta, "search": {"exclude": True}}

    def render(self, config: MkDocsConfig, files: Files) -> None:
        self.content = self.markdown  # other plugins may have changed it in on_page_markdown
        self.toc = get_toc(self.document.toc_tokens())  # type: ignore[arg-type]
        self.present_anchor_ids = set(self.document.anchor_ids)
        if self.file.src_uri.endswith(".md"):  # our own pages; links inside notebooks are the author's
            self.links_to_anchors = self._check_links()
        self.state.search_entries.extend(search_entries(self.document, self.url))

    def _check_links(self) -> dict[File, dict[str, str]]:
        """Internal links resolved against the site's files: a missing page is a warning, anchors
        go to MkDocs, which checks them against the target's headings after all pages render."""
        anchors: dict[File, dict[str, str]] = {}
        folder = self.url.rstrip("/")  # directory URLs: a page's links are relative to its own URL
        for target, anchor in set(_HREF.findall(self.content or "")):
            if not target:
                continue  # an anchor on this page: checked with the others below
            url = posixpath.normpath(posixpath.join(folder, target))
            url = "" if url == "." else url
            found = self.state.urls.get(url) or self.state.urls.get(url.rstrip("/") + "/")
            if found is None:
                log.warning(f"{self.file.src_uri} links to {target!r}, which is not a page or file of the site")
            elif anchor and found.page is not None:
                anchors.setdefault(found, {})[anchor] = f"{target}#{anchor}"
        return anchors


class TemplateBytecode(jinja2.BytecodeCache):
    """The theme's templates compiled once, not on every build (~0.15 s of a build at any size),
    kept as authenticated entries (`cache.py`): marshalled code is loaded only if this machine's
    key signed it. Jinja checks each entry against its template's source and Python version."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.key = cache_key()

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        data = read_blob(self.folder / f"{bucket.key}.bin", self.key)
        if data is not None:
            bucket.bytecode_from_string(data)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        write_blob(self.folder / f"{bucket.key}.bin", self.key, bucket.bytecode_to_string())


class PluginOptions(base.Config):
    """Options under `plugins: - kb:` (none yet: the catalog's settings are in `extra.catalog`)."""


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """No garbage collection while the catalog is loaded or the pages are rendered: both make tens
    of thousands of objects that live until the build ends (and no cycles to collect), and each
    collection would scan them again (~0.1 s of a 5,000-record build's load alone)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class KnowledgeBasePlugin(BasePlugin[PluginOptions]):
    """Generated record, listing, tag and notebook pages for an ML_INFN catalog."""

    def __init__(self) -> None:
        self.state: BuildState | None = None

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        mimetypes.add_type("application/x-ipynb+json", ".ipynb")  # `catalog serve` serves downloads as such
        with _collector_paused():
            self.state = load_state(config)
        gc.freeze()  # see on_files
        root = self.state.root
        for folder in KIND_FOLDERS.values():
            if (root / folder).is_dir() and str(root / folder) not in config.watch:
                config.watch.append(str(root / folder))
        return config

    def on_files(self, files: Files, config: MkDocsConfig) -> Files:
        state = self._state()
        with _collector_paused():
            site = generated_site(state)
        state.documents = {**site.pages, **site.notebooks}
        for uri, doc in site.pages.items():
            if files.get_file_from_path(uri) is None:
                inclusion = InclusionLevel.INCLUDED if uri in IN_NAV else InclusionLevel.NOT_IN_NAV
                generated = File.generated(config, uri, content=doc.source(), inclusion=inclusion)
                files.append(generated)
                DocumentPage(generated, config, doc, state)
        for uri, doc in site.notebooks.items():
            page_file = NotebookFile.generated(config, uri, content=doc.source(), inclusion=InclusionLevel.NOT_IN_NAV)
            files.append(page_file)
            DocumentPage(page_file, config, doc, state)
        for uri, data in site.files.items():
            files.append(File.generated(config, uri, content=data))
        state.urls = {file.url: file for file in files}
        # The catalog and its pages live until the build ends: keep the collector from scanning them
        # over and over (thousands of pages → seconds per build). Undone in on_post_build/on_build_error.
        gc.freeze()
        return files

    def on_env(self, env: jinja2.Environment, config: MkDocsConfig, files: Files) -> jinja2.Environment:
        """Templates do not change during a build (MkDocs makes a new environment for each one, `serve`
        included): without this, Jinja stats every included template file again for each of the
        thousands of pages (about 50 lookups a page)."""
        env.auto_reload = False
        env.bytecode_cache = TemplateBytecode(self._state().root / CACHE_FOLDER / "kb-templates")
        return env

    def on_build_error(self, error: Exception) -> None:
        gc.unfreeze()

    @event_priority(-100)  # after the search plugin has written its index
    def on_post_build(self, config: MkDocsConfig) -> None:
        """Add the generated pages' entries to the search index the search plugin wrote."""
        gc.unfreeze()
        index = Path(config.site_dir) / "search" / "search_index.json"
        state = self._state()
        if not state.search_entries or not index.exists():
            return
        data = json.loads(index.read_text(encoding="utf-8"))
        data["docs"].extend(state.search_entries)
        index.write_text(json.dumps(data, separators=(",", ":")), encoding="utf-8")

    def _state(self) -> BuildState:
        if self.state is None:
            raise PluginError("the kb plugin's on_config did not run")
        return self.state
