"""`catalog export pages DIR`: the site as plain files, built by other engines for real.

The shipped catalog is exported with the real command and built twice from the export: with
Zensical (pinned in the test extra) and with plain MkDocs (`--strict`, no `kb` plugin). Every record
and notebook has a page, downloads are the committed notebooks byte for byte, and each generated
page's HTML reaches the built page unchanged. The hostile fixture catalog is exported and built
with Zensical too: the cleaning must survive the other engine.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from catalog.exports.pages import WRAPPER_OPEN, page_text, passthrough, point_links
from catalog.render.document import Document
from catalog.urls import index_page
from catalog.validate import load_catalog

from .conftest import FIXTURES, REPO, copy_site_fixture
from .test_notebook_safety import EXECUTABLE_URL, FORBIDDEN_TAGS, content_of
from .test_site_build import html_pages, scan

EXPORT_FIXTURES = FIXTURES / "export"

try:
    import zensical  # noqa: F401

    ZENSICAL = ""
except ImportError as exc:  # the test extra pins it for Python >= 3.11 (its wheels need 3.11)
    ZENSICAL = f"zensical is not installed ({exc}); pip install -e '.[test]' on Python >= 3.11"
if ZENSICAL and os.environ.get("KB_REQUIRE_ZENSICAL"):  # CI (.ci/run): the engine test must run
    raise RuntimeError(f"KB_REQUIRE_ZENSICAL is set but {ZENSICAL}")
needs_zensical = pytest.mark.skipif(bool(ZENSICAL), reason=ZENSICAL)


def export(config: Path, dest: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["catalog", "export", "pages", str(dest), "-f", str(config)],
        cwd=config.parent,
        capture_output=True,
        text=True,
    )


def zensical_build(project: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "zensical", "build", "--strict", "-f", str(project / "mkdocs.yml")],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=300,
    )


def mkdocs_build(project: Path, site: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(project / "mkdocs.yml"), "-d", str(site)],
        cwd=project,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )


@pytest.fixture(scope="session")
def shipped_export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("export-pages") / "out"
    done = export(REPO / "mkdocs.yml", out)
    assert done.returncode == 0, done.stdout + done.stderr
    return out


@pytest.fixture(scope="session")
def zensical_site(shipped_export: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    if ZENSICAL:
        pytest.skip(ZENSICAL)
    project = tmp_path_factory.mktemp("zensical") / "project"
    shutil.copytree(shipped_export, project)  # Zensical writes site/ and .cache/ into the project
    done = zensical_build(project)
    assert done.returncode == 0, done.stdout + done.stderr
    return project / "site"


@pytest.fixture(scope="session")
def mkdocs_site(shipped_export: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    site = tmp_path_factory.mktemp("mkdocs-export") / "site"
    done = mkdocs_build(shipped_export, site)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "WARNING" not in done.stderr, done.stderr
    return site


def expected_pages() -> list[str]:
    """The folder of every record's and notebook's page (seminars under their year folder)."""
    catalog = load_catalog(REPO)
    folders = []
    for record in catalog.all_records():
        folder = {"usecase": "usecases", "dataset": "datasets", "event": "events"}.get(record.kind)
        folders.append(f"{folder}/{record.id}" if folder else f"seminars/{record.path.parent.name}/{record.id}")
    for usecase in catalog.usecases.values():
        folders += [f"usecases/{usecase.id}/{nb['path'].removesuffix('.ipynb')}" for nb in usecase.data["notebooks"]]
    assert len(folders) > 20
    return folders


def generated_blocks(export_dir: Path) -> dict[str, str]:
    """Served folder → the raw HTML block of every generated page in an export."""
    blocks = {}
    for md in sorted((export_dir / "docs").rglob("index.md")):
        text = md.read_text(encoding="utf-8")
        if WRAPPER_OPEN in text:
            blocks[md.parent.relative_to(export_dir / "docs").as_posix()] = text[text.index(WRAPPER_OPEN) :]
    return blocks


@needs_zensical
def test_zensical_builds_a_page_for_every_record_and_notebook(zensical_site: Path) -> None:
    for folder in expected_pages():
        assert (zensical_site / folder / "index.html").is_file(), folder
    for page in ("usecases", "datasets", "seminars", "events", "reproducibility", "reference/usecase", "tags"):
        assert (zensical_site / page / "index.html").is_file(), page
    for name in ("catalog.json", "feed.xml", "seminars.ics", "schemas/usecase.schema.json"):
        assert (zensical_site / name).is_file(), name
    catalog = load_catalog(REPO)
    for usecase in catalog.usecases.values():
        for nb in usecase.data["notebooks"]:
            served = zensical_site / "usecases" / usecase.id / nb["path"].removesuffix(".ipynb") / Path(nb["path"]).name
            assert served.read_bytes() == (usecase.folder / nb["path"]).read_bytes(), served


def test_plain_mkdocs_builds_the_export_strictly(mkdocs_site: Path) -> None:
    """The export needs no plugin: MkDocs without `kb` builds it with --strict, every page there."""
    for folder in expected_pages():
        assert (mkdocs_site / folder / "index.html").is_file(), folder


@needs_zensical
def test_zensical_passes_generated_html_through(shipped_export: Path, zensical_site: Path) -> None:
    """Byte for byte, `*`, `_`, `&` and `<` in code included. Zensical drops Material's
    `data-search-exclude` hint (its own search reads the page differently); nothing else changes."""
    blocks = generated_blocks(shipped_export)
    assert len(blocks) >= len(expected_pages())
    for folder, block in blocks.items():
        built = (zensical_site / folder / "index.html").read_text(encoding="utf-8")
        assert block.replace(" data-search-exclude", "").rstrip("\n") in built, folder
        source = (shipped_export / "docs" / folder / "index.md").read_text(encoding="utf-8")
        title = json.loads(re.search(r"^title: (.*)$", source, re.M).group(1))  # type: ignore[union-attr]
        assert f"<title>{title} - " in built, folder  # front matter read (the title is already HTML)


@needs_zensical
def test_zensical_on_the_repository_itself_builds_no_records(tmp_path: Path) -> None:
    """Why the export exists: Zensical reads mkdocs.yml but runs neither the `kb` plugin nor
    `hooks:`, so the repository's own configuration gives a site without a single record page."""
    project = tmp_path / "kb"
    project.mkdir()
    for name in ("docs", "overrides", "hooks", "usecases", "datasets", "seminars", "events", "results"):
        shutil.copytree(REPO / name, project / name)
    # not strict: with `strict: true` it stops at contributing.md's links to the missing reference pages
    config = (REPO / "mkdocs.yml").read_text(encoding="utf-8")
    (project / "mkdocs.yml").write_text(config.replace("\nstrict: true\n", "\nstrict: false\n"), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "zensical", "build"], cwd=project, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert (project / "site" / "about" / "index.html").is_file()
    assert not any((project / "site" / folder / "index.html").is_file() for folder in expected_pages())


def test_mkdocs_passes_generated_html_through(shipped_export: Path, mkdocs_site: Path) -> None:
    for folder, block in generated_blocks(shipped_export).items():
        built = (mkdocs_site / folder / "index.html").read_text(encoding="utf-8")
        assert block.rstrip("\n") in built, folder


@pytest.fixture(scope="session")
def hostile_zensical(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if ZENSICAL:
        pytest.skip(ZENSICAL)
    root = tmp_path_factory.mktemp("hostile-export") / "kb"
    config = copy_site_fixture(root, FIXTURES / "hostile")
    done = export(config, root / "export")
    assert done.returncode == 0, done.stdout + done.stderr
    done = zensical_build(root / "export")
    assert done.returncode == 0, done.stdout + done.stderr
    return root / "export" / "site"


@needs_zensical
def test_hostile_notebooks_stay_inert_in_zensical(hostile_zensical: Path) -> None:
    # the theme's own scripts (its config differs by depth: the root page's and a nested page's)
    theme = {s for name in ("about/index.html", "index.html") for s in scan(hostile_zensical / name).scripts}
    pages = html_pages(hostile_zensical)
    notebooks = [p for p in pages if "hostile-notebooks/notebooks/" in p.as_posix()]
    assert len(notebooks) == 5
    for page in pages:
        found = scan(page)
        assert not found.handlers, (page, found.handlers[:3])
        assert [s for s in found.scripts if s not in theme] == [], page
        assert not [url for url in found.urls if EXECUTABLE_URL.match(url)], page
        text = page.read_text(encoding="utf-8")
        content = content_of(text)
        assert not re.search(r"<script(?![^>]*application/ld\+json)", content, re.I), page
        if page in notebooks:
            assert not FORBIDDEN_TAGS.search(content) and "<form" not in content, page


# --- the writing itself -----------------------------------------------------------------------


class Tokens(HTMLParser):
    """A document as a browser's tokenizer reads it: tags with decoded attributes, decoded text
    (numeric references to control characters kept, as HTML5 keeps them; `html.unescape` drops them)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.tokens: list[tuple[str, object]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tokens.append(("start", (tag, attrs)))

    def handle_endtag(self, tag: str) -> None:
        self.tokens.append(("end", tag))

    def handle_charref(self, name: str) -> None:
        self.handle_data(chr(int(name[1:], 16) if name[:1] in "xX" else int(name)))

    def handle_entityref(self, name: str) -> None:
        self.handle_data(html.unescape(f"&{name};"))

    def handle_data(self, data: str) -> None:
        if self.tokens and self.tokens[-1][0] == "text":
            data = str(self.tokens.pop()[1]) + data
        self.tokens.append(("text", data))


def tricky_html() -> str:
    """Tabs, CR and CRLF, blank and whitespace-only lines in code, STX/ETX, Markdown syntax in text."""
    return (EXPORT_FIXTURES / "tricky.html").read_bytes().decode("utf-8")  # as written: no newline translation


def tokens(html: str) -> list[tuple[str, object]]:
    parser = Tokens()
    parser.feed(html.replace("\r\n", "\n").replace("\r", "\n"))  # a browser's input step
    parser.close()
    return parser.tokens


def test_passthrough_reads_as_the_same_html_and_has_nothing_markdown_rewrites() -> None:
    html = tricky_html()
    assert "\t" in html and "\n\n" in html and "\r" in html  # the fixture holds what it tests
    written = passthrough(html)
    assert tokens(written) == tokens(html)
    assert not re.search(r"[\t\r\x02\x03]|\n[ ]*\n", written)


def test_python_markdown_leaves_a_page_untouched() -> None:
    """Python-Markdown with the site's extensions (what MkDocs and Zensical both run) on a page."""
    import markdown

    doc = Document("T", {"kb_kind": "test"})
    doc.add(tricky_html())
    text = page_text(doc)
    block = text[text.index(WRAPPER_OPEN) :]
    extensions = ["meta", "attr_list", "tables", "admonition", "pymdownx.details", "toc"]
    assert markdown.markdown(text, extensions=extensions).strip() == block.strip()


def test_pages_are_written_at_their_url_as_index_pages() -> None:
    assert index_page("index.md") == "index.md"
    assert index_page("usecases/index.md") == "usecases/index.md"
    assert index_page("reproducibility.md") == "reproducibility/index.md"
    assert index_page("usecases/x/notebooks/a.ipynb") == "usecases/x/notebooks/a/index.md"
    assert index_page("tags/reindex.md") == "tags/reindex/index.md"
    moved = {"reference/usecase.md": "reference/usecase/index.md"}
    text = "[a](reference/usecase.md#fields) [b](other.md)\n[c]: reference/usecase.md\n`(reference/x.md)`"
    assert point_links(text, "contributing.md", moved) == (
        "[a](reference/usecase/index.md#fields) [b](other.md)\n[c]: reference/usecase/index.md\n`(reference/x.md)`"
    )
    assert point_links("[a](../reference/usecase.md)", "sub/page.md", moved) == "[a](../reference/usecase/index.md)"


# --- refusals and atomic writing ----------------------------------------------------------------


def test_a_folder_with_files_is_refused(run_cli, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    code, _, err = run_cli("export", "pages", str(out), "-f", str(REPO / "mkdocs.yml"))
    assert code == 2 and "not empty" in err and "Traceback" not in err
    assert [p.name for p in out.iterdir()] == ["keep.txt"]


def test_a_link_as_dir_is_refused_and_not_followed(run_cli, tmp_path: Path) -> None:
    target = tmp_path / "elsewhere"
    target.mkdir()
    (tmp_path / "out").symlink_to(target)
    code, _, err = run_cli("export", "pages", str(tmp_path / "out"), "-f", str(REPO / "mkdocs.yml"))
    assert code == 2 and "symbolic link" in err
    assert list(target.iterdir()) == []


def test_a_failed_export_leaves_nothing_and_an_earlier_one_untouched(run_cli, tmp_path: Path) -> None:
    root = tmp_path / "kb"
    config = copy_site_fixture(root, FIXTURES / "hostile")
    out = tmp_path / "out"
    code, _, err = run_cli("export", "pages", str(out), "-f", str(config))
    assert code == 0, err
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    record = next((root / "usecases").glob("*/usecase.yaml"))
    record.write_text(record.read_text() + "\nnot: [valid\n")
    empty = tmp_path / "empty"
    empty.mkdir()
    code, _, err = run_cli("export", "pages", str(empty), "-f", str(config))
    assert code == 1 and "Traceback" not in err, err
    assert list(empty.iterdir()) == [] and [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    assert {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    code, _, err = run_cli("export", "pages", str(out), "-f", str(config))
    assert code == 2


def test_a_write_that_fails_midway_leaves_no_trace(run_cli, tmp_path: Path) -> None:
    """A hand-written folder named like a generated file (`feed.xml/`) stops the export while it
    writes: exit 1 with the reason, no DIR, no temporary folder left beside it."""
    root = tmp_path / "kb"
    config = copy_site_fixture(root, FIXTURES / "hostile")
    shutil.copytree(REPO / "docs", root / "docs")
    (root / "docs" / "feed.xml").mkdir()
    (root / "docs" / "feed.xml" / "note.txt").write_text("a folder where the feed goes")
    config.write_text(re.sub(r"(?m)^docs_dir: .*$", "docs_dir: docs", config.read_text()))
    out = tmp_path / "out"
    code, _, err = run_cli("export", "pages", str(out), "-f", str(config))
    assert code == 1 and "cannot write docs/feed.xml" in err and "Traceback" not in err, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kb"]
