"""Generated pages as HTML documents: headings, table of contents, file source, search entries."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from material.plugins.search.plugin import SearchIndex
from mkdocs.structure.toc import get_toc
from mkdocs.utils.meta import get_data

from catalog import load_catalog
from catalog.render.document import Document
from catalog.render.launch import SiteSettings
from catalog.render.notebooks import notebook_site
from catalog.render.search import index_text, search_entries
from catalog.render.site import render_site
from catalog.results import NotebookStatus

from .conftest import FIXTURES

REPO = Path(__file__).resolve().parents[1]
SETTINGS = SiteSettings.from_mapping({"repository": "https://github.com/example-org/kb-demo"})


def site_documents(root: Path) -> dict[str, Document]:
    statuses = {("jet-gnn", "notebooks/train.ipynb"): NotebookStatus("passed", started="2026-11-20T10:00:00Z")}
    return render_site(load_catalog(root), SETTINGS, statuses, dt.date(2026, 11, 1)).documents


class MaterialPage:
    """What Material's search index reads from a page."""

    def __init__(self, doc: Document, url: str) -> None:
        self.meta, self.content, self.url, self.title = doc.page_meta, doc.body, url, doc.title
        self.toc = get_toc(doc.toc_tokens())


@pytest.mark.parametrize("root", [FIXTURES / "site", REPO], ids=["fixture-site", "shipped-catalog"])
def test_search_entries_equal_what_materials_parser_makes(root: Path) -> None:
    """Every generated page, hostile fixture records included: our entries are Material's entries."""
    documents = site_documents(root)
    assert len(documents) > 15
    for uri, doc in documents.items():
        index = SearchIndex()
        index.add_entry_from_context(MaterialPage(doc, "page/"))
        ours = search_entries(doc, "page/")
        if doc.meta.get("kb_search_terms"):  # ours add a record's people and ids as its tags
            assert ours[0].pop("tags") == doc.meta["kb_search_terms"]
        assert ours == index.entries, uri


def test_headings_get_unique_ids_permalinks_and_a_nested_toc() -> None:
    doc = Document("T")
    doc.heading(1, "Title")
    doc.heading(2, "Files")
    doc.heading(3, "Part &#95;one")
    doc.heading(2, "Files")
    doc.heading(2, "Year", anchor="year-2024")
    assert [h.id for h in doc.headings[0].children] == ["files", "files_1", "year-2024"]
    assert doc.headings[0].children[0].children[0].id == "part-one"
    assert (
        '<h2 id="files_1">Files<a class="headerlink" href="#files_1" title="Permanent link">&para;</a></h2>' in doc.body
    )
    toc = get_toc(doc.toc_tokens())
    assert [item.url for item in next(iter(toc)).children] == ["#files", "#files_1", "#year-2024"]
    assert doc.anchor_ids == {"title", "files", "part-one", "files_1", "year-2024"}


def test_source_is_a_page_mkdocs_reads_with_its_title() -> None:
    doc = Document('A <script>alert(1)</script> "title"', {"kb_kind": "usecase"})
    doc.heading(1, "x")
    body, meta = get_data(doc.source())
    assert body == doc.body
    assert meta == {"title": "A ‹script›alert(1)‹/script› &quot;title&quot;", "kb_kind": "usecase"}


def test_index_text_keeps_materials_tags_and_drops_the_rest() -> None:
    assert (
        index_text('<p>a <a href="x">link</a> &amp; <code class="c">x&lt;y</code></p>\n<dl><dt>k</dt></dl>')
        == "<p>a link &amp; <code>x&lt;y</code></p> k"
    )
    assert index_text("<p> </p><script>secret()</script><ul>\n<li>one</li>\n</ul>") == "<ul> <li>one</li> </ul>"
    assert index_text("<pre><code>a\n  b</code></pre>") == "<pre><code>a\n  b</code></pre>"
    assert index_text('<p>a</p><ul class="kb-items" data-search-exclude><li>x</li></ul><p>b</p>') == "<p>a</p><p>b</p>"


def test_notebook_pages_are_converted_once_and_cached_as_served(tmp_path: Path) -> None:
    root = tmp_path / "kb"
    shutil.copytree(FIXTURES / "site", root, ignore=shutil.ignore_patterns(".cache"))
    cache = tmp_path / "cache"
    docs, downloads, styles = notebook_site(load_catalog(root), cache)
    uri = "usecases/jet-gnn/notebooks/train.ipynb"
    page = docs[uri]
    assert "<style" not in page.body  # the 600 kB of JupyterLab CSS is one shared file
    [(css_uri, css)] = styles.items()
    assert len(css) > 100_000 and f'<link rel="stylesheet" href="../../../../{css_uri}">' in page.body
    assert 'data-search-exclude class="jp-OutputArea' in page.body
    entries = search_entries(page, "usecases/jet-gnn/notebooks/train/")
    text = " ".join(e["text"] for e in entries)
    assert "A GNN." in text  # Markdown cells are indexed
    assert text.count("graph network output 12345") == 1  # the code once, its output not at all
    assert "In\xa0[" not in text and "Copied!" not in text
    assert [e["title"] for e in entries][-1] == "Training" and entries[-1]["location"].endswith("#Training")
    assert [(h.level, h.id, h.text) for h in page.headings] == [(1, "Training", "Training")]
    committed = (root / "usecases/jet-gnn/notebooks/train.ipynb").read_bytes()
    assert downloads["usecases/jet-gnn/notebooks/train/train.ipynb"] == committed  # served as committed
    assert page.title == "Training the GNN · Jet tagging with graph networks"

    cached = {p: p.stat().st_mtime_ns for p in (cache / "pages").iterdir()}
    again, _, _ = notebook_site(load_catalog(root), cache)
    assert again[uri].body == page.body
    assert {p: p.stat().st_mtime_ns for p in (cache / "pages").iterdir()} == cached  # nothing converted

    notebook = root / "usecases/jet-gnn/notebooks/train.ipynb"
    notebook.write_text(notebook.read_text().replace("A GNN.", "A graph network."))
    changed, _, _ = notebook_site(load_catalog(root), cache)
    assert "A graph network." in changed[uri].body and "A GNN." not in changed[uri].body
    assert len(list((cache / "pages").glob("*.json"))) == len(cached)  # one more page, same stylesheet
