"""Hostile notebooks (tests/fixtures/hostile): built for real, nothing that runs is published.

Covers the notebook-safety threats: cell metadata, Markdown-cell link escapes, re-parsed HTML,
script-bearing outputs, forged caches, symbolic links, committed caches, inputs that crash or
exhaust the build, and damaged notebooks that validation accepts.
"""

from __future__ import annotations

import html
import json
import os
import random
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from catalog.notebook import check_notebook_bytes

from .conftest import FIXTURES, build, copy_site_fixture
from .test_site_build import PageScan, html_pages, scan

pytestmark = pytest.mark.slow
HOSTILE = FIXTURES / "hostile"
NOTEBOOK_PAGES = HOSTILE / "usecases" / "hostile-notebooks" / "notebooks"
# executable URLs, read as a browser reads them (entities decoded, blanks removed, any case)
EXECUTABLE_URL = re.compile(r"^(javascript:|vbscript:|data:(?!image/(png|jpeg|gif|webp|svg\+xml);base64,))", re.I)
FORBIDDEN_TAGS = re.compile(r"<(iframe|object|embed|base|applet|frame|frameset|input|textarea|select)\b", re.I)


def notebook_page(site: Path, name: str) -> str:
    return (site / "usecases/hostile-notebooks/notebooks" / name / "index.html").read_text(encoding="utf-8")


def content_of(page: str) -> str:
    """The page's article (what came from the notebook), without the theme around it."""
    start = page.index('<article class="md-content__inner')
    return page[start : page.index("</article>", start)]


def test_hostile_notebooks_publish_nothing_that_runs(hostile_site: Path) -> None:
    theme = {s for name in ("about/index.html", "index.html") for s in scan(hostile_site / name).scripts}
    pages = html_pages(hostile_site)
    assert len([p for p in pages if "hostile-notebooks/notebooks/" in p.as_posix()]) == 5
    for page in pages:
        found = scan(page)
        assert not found.handlers, (page, found.handlers[:3])
        assert [s for s in found.scripts if s not in theme] == [], page
        bad = [url for url in found.urls if EXECUTABLE_URL.match(url)]
        assert not bad, (page, bad[:3])
        text = page.read_text(encoding="utf-8")
        if "hostile-notebooks/notebooks/" in page.as_posix():  # listings have their own facet form
            assert not FORBIDDEN_TAGS.search(content_of(text)) and "<form" not in content_of(text), page


def test_metadata_is_not_shown(hostile_site: Path) -> None:
    page = notebook_page(hostile_site, "metadata")
    for marker in ("alert('tag", "celltag", "kernel-display", "kernel-name", "alert('meta", "alert('cm')", "author"):
        assert marker not in page, marker


def test_script_outputs_become_a_note_and_svg_an_image(hostile_site: Path) -> None:
    page = content_of(notebook_page(hostile_site, "outputs"))
    assert "Interactive output not shown" in page  # application/javascript
    svg = re.search(r'<img[^>]+src="data:image/svg\+xml;base64,([^"]+)"', page)
    assert svg is not None  # shown as an image, where a browser runs none of its script
    assert "body{display:none}" not in page and 'id="__search"' not in page and "md-dialog" not in page
    assert "tracker.example" not in page  # no request to a third-party host
    assert "&lt;script&gt;alert('stream')" in page  # text output shown as text


def test_real_constructs_read_as_written(hostile_site: Path) -> None:
    page = content_of(notebook_page(hostile_site, "real_constructs"))
    maths = re.findall(r'<annotation encoding="application/x-tex">(.*?)</annotation>', page, re.S)
    tex = [html.unescape(m) for m in maths]
    assert r"\mathcal{L}_{total} = \mathcal{L}_{PDE} + \lambda \mathcal{L}_{data}" in tex  # beside "data:"
    assert r"\chi^2 = \sum_i \frac{(x_i - \mu)^2}{\sigma_i^2}" in tex and r"J/\psi" in tex
    assert any(t.startswith(r"\begin{align}") for t in tex)
    assert "supervised data:" in page and "<em>" not in page.split("supervised data:")[1][:300]
    assert "costs $5 and $6" in page and "echo $HOME" in page  # money and code stay text
    assert re.search(r'<img alt="logo" src="data:image/png;base64,', page)  # the attachment
    assert 'style="background-color:#ffcccc;color:#900"' in page  # meaningful colours kept ...
    assert "position" not in page  # ... other properties dropped
    assert "Interactive output not shown" in page  # the Plotly figure
    assert "NBVAL_CHECK_OUTPUT" not in page  # nbval markers are for the runner, not readers


def test_download_is_the_committed_notebook(hostile_site: Path) -> None:
    for source in NOTEBOOK_PAGES.glob("*.ipynb"):
        served = hostile_site / "usecases/hostile-notebooks/notebooks" / source.stem / source.name
        assert served.read_bytes() == source.read_bytes(), source.name


def test_notebook_prose_is_searchable_and_code_indexed_once(hostile_site: Path) -> None:
    index = json.loads((hostile_site / "search" / "search_index.json").read_text())
    entries = [e for e in index["docs"] if "notebooks/real_constructs/" in e["location"]]
    text = " ".join(e["text"] for e in entries)
    assert "Cauchy" in text  # a word that occurs only in a Markdown cell
    assert any(e["title"] == "Results" and e["location"].endswith("#Results") for e in entries)
    assert text.count("x = 'a_very_long_identifier_") == 1  # code once, no hidden copy
    assert "Copied!" not in text and "wide_table" in text and "column 39" not in text  # outputs out


def test_forged_cache_entries_are_rebuilt_not_trusted(tmp_path: Path) -> None:
    root = tmp_path / "kb"
    config = copy_site_fixture(root, HOSTILE)
    assert build(config, root / "site").returncode == 0
    pages = root / ".cache" / "kb-notebooks" / "pages"
    entries = list(pages.glob("*.json"))
    assert entries
    forged = {"html": "<p>FORGED</p><script>alert('cache')</script>", "css": "0" * 16}
    for entry in entries:
        entry.write_text(json.dumps({"mac": "0" * 64, "payload": json.dumps(forged)}))
    (pages / ("0" * 16 + ".css")).write_text("@import url(https://evil.example/x.css);")
    done = build(config, root / "site")
    assert done.returncode == 0, done.stderr
    for page in html_pages(root / "site"):
        text = page.read_text(encoding="utf-8")
        assert "FORGED" not in text and "alert('cache')" not in text
    assert not list((root / "site").rglob("*0000000000000000.css"))


def test_symlinked_docs_file_is_refused_and_publishes_nothing(tmp_path: Path) -> None:
    root = tmp_path / "kb"
    config = copy_site_fixture(root, HOSTILE)
    shutil.copytree(Path(__file__).parents[1] / "docs", root / "docs")
    config.write_text(re.sub(r"docs_dir: .*", "docs_dir: docs", config.read_text()))
    (root / "docs" / "env.txt").symlink_to("/proc/self/environ")
    done = build(config, root / "site")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "docs/env.txt" in done.stdout + done.stderr and "KB010" in done.stdout + done.stderr
    assert not (root / "site" / "env.txt").exists()


def test_symlinked_record_is_a_problem_and_not_read(tmp_path: Path, run_cli) -> None:
    root = tmp_path / "kb"
    shutil.copytree(HOSTILE, root)
    secret = tmp_path / "secret.yaml"
    secret.write_text("id: open-data\ntitle: SECRET-CONTENT\n")
    (root / "datasets" / "linked.yaml").symlink_to(secret)
    code, out, err = run_cli("validate", "--root", str(root))
    assert code == 1 and "datasets/linked.yaml" in out and "KB010" in out
    assert "SECRET" not in out + err


def _git(root: Path, *args: str) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@e", "GIT_COMMITTER_NAME": "t"}
    env["GIT_COMMITTER_EMAIL"] = "t@e"
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, env=env)


def test_pull_request_adding_a_cache_file_or_a_link_fails_changed_validation(tmp_path: Path, run_cli) -> None:
    root = tmp_path / "kb"
    shutil.copytree(HOSTILE, root)
    (root / ".gitignore").write_text(".cache/\n")
    _git(root, "init", "-q", "-b", "main")
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "base")
    _git(root, "checkout", "-q", "-b", "pr")
    poisoned = root / ".cache" / "kb-notebooks" / "pages" / "abc.json"
    poisoned.parent.mkdir(parents=True)
    poisoned.write_text('{"html": "<script>alert(1)</script>"}')
    link = root / "usecases" / "hostile-notebooks" / "notebooks" / "data.csv"
    link.symlink_to("/etc/hostname")
    _git(root, "add", "-f", ".cache/kb-notebooks/pages/abc.json", "usecases")
    _git(root, "commit", "-q", "-m", "pr")
    code, out, err = run_cli("validate", "--root", str(root), "--changed", "main")
    assert code == 1 and "Traceback" not in err
    assert ".cache/kb-notebooks/pages/abc.json:1:1: error KB011" in out
    assert "usecases/hostile-notebooks/notebooks/data.csv:1:1: error KB010" in out


@pytest.mark.parametrize("kind", ["deep-yaml", "deep-json", "many-cells"])
def test_hostile_sizes_give_one_problem_fast(kind: str, tmp_path: Path, run_cli) -> None:
    root = tmp_path / "kb"
    shutil.copytree(HOSTILE, root)
    if kind == "deep-yaml":
        (root / "datasets" / "deep.yaml").write_text("id: deep\ntitle: " + "[" * 600 + "]" * 600 + "\n")
    else:
        notebook = root / "usecases" / "hostile-notebooks" / "notebooks" / "metadata.ipynb"
        if kind == "deep-json":
            notebook.write_text("[" * 100_000 + "]" * 100_000)
        else:
            cell = '{"cell_type":"raw","id":"x","metadata":{},"source":""}'
            notebook.write_text(
                '{"nbformat":4,"nbformat_minor":5,"metadata":{},"cells":[' + ",".join([cell] * 100_000) + "]}"
            )
    started = time.process_time()  # CPU time: what the input costs, not how busy the machine is
    code, out, err = run_cli("validate", "--root", str(root))
    elapsed = time.process_time() - started
    errors = [line for line in out.splitlines() if " error " in line]
    assert code == 1 and "Traceback" not in err and "RecursionError" not in out + err
    assert len(errors) == 1, errors
    assert ("KB008" if kind == "deep-yaml" else "KB240") in errors[0]
    assert elapsed < 1.0, elapsed


# --- whatever validate accepts, build builds -----------------------------------------------------

PAYLOADS = ["<script>alert(1)</script>", "<img src=x onerror=alert(2)>", "javascript:alert(3)", "$$\\frac{", "\x00", ""]


def _mutate(rng: random.Random, value: object, depth: int = 0) -> object:
    """One random change somewhere in a JSON value: a key dropped, a type changed, a payload in."""
    if isinstance(value, dict) and value and rng.random() < 0.7:
        key = rng.choice(sorted(value))
        out = dict(value)
        roll = rng.random()
        if roll < 0.2:
            del out[key]
        elif roll < 0.3:
            out[rng.choice(PAYLOADS) or "k"] = rng.choice(PAYLOADS)
        else:
            out[key] = _mutate(rng, value[key], depth + 1)
        return out
    if isinstance(value, list) and value and rng.random() < 0.7:
        out_list = list(value)
        index = rng.randrange(len(out_list))
        roll = rng.random()
        if roll < 0.15:
            del out_list[index]
        elif roll < 0.3:
            out_list.insert(index, json.loads(json.dumps(out_list[index])))  # a duplicate (same cell id)
        else:
            out_list[index] = _mutate(rng, out_list[index], depth + 1)
        return out_list
    return rng.choice([None, 5, -1, 1.5, True, "x", [], {}, [1], {"a": 1}, *PAYLOADS, "a b", [["deep"]]])


def test_damaged_notebooks_accepted_by_validate_build_without_traceback(tmp_path: Path) -> None:
    """A corpus of randomly damaged copies of the fixture notebooks: every one that `catalog
    validate` accepts goes into a real `catalog build`, which must succeed."""
    rng = random.Random(20261128)
    sources = [json.loads(p.read_text()) for p in sorted(NOTEBOOK_PAGES.glob("*.ipynb"))]
    root = tmp_path / "kb"
    config = copy_site_fixture(root, HOSTILE)
    folder = root / "usecases" / "hostile-notebooks" / "notebooks"
    accepted, rejected = [], 0
    while len(accepted) < 40 and rejected < 2_000:
        mutant = sources[rng.randrange(len(sources))]
        for _ in range(rng.randint(1, 3)):
            mutant = _mutate(rng, mutant)  # type: ignore[assignment]
        raw = json.dumps(mutant).encode()
        if check_notebook_bytes(raw)[1]:
            rejected += 1
            continue
        name = f"mutant_{len(accepted):02d}.ipynb"
        (folder / name).write_bytes(raw)
        accepted.append(name)
    assert len(accepted) >= 20 and rejected > 20  # the corpus exercises both sides
    record = folder.parent / "usecase.yaml"
    text = record.read_text()
    record.write_text(text + "".join(f"  - path: notebooks/{n}\n    title: Mutant {n}\n" for n in accepted))
    done = build(config, root / "site")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "Traceback" not in done.stderr
    for name in accepted:
        page = root / "site/usecases/hostile-notebooks/notebooks" / name.removesuffix(".ipynb") / "index.html"
        found = PageScan()
        found.feed(page.read_text(encoding="utf-8"))
        assert not found.handlers and not [u for u in found.urls if EXECUTABLE_URL.match(u)], name


# --- smaller defects -------------------------------------------------------------------------------


def test_tags_that_share_a_page_list_every_record(tmp_path: Path) -> None:
    from catalog import load_catalog
    from catalog.render.tags import tag_index

    root = tmp_path / "kb"
    shutil.copytree(HOSTILE, root)
    dataset = root / "datasets" / "open-data.yaml"
    # keywords are lower case (the schema says so): "atlas+" and "atlas" share the page tags/keyword/atlas
    dataset.write_text(dataset.read_text() + "keywords: [atlas+]\n")
    (root / "datasets" / "other-data.yaml").write_text(
        dataset.read_text().replace("id: open-data", "id: other-data").replace("[atlas+]", "[atlas]")
    )
    catalog = load_catalog(root)
    assert not catalog.has_errors, catalog.problems
    index = tag_index(catalog)
    [records] = [r for t, r in index.items() if t.slug == "atlas"]
    assert sorted(r.id for r in records) == ["open-data", "other-data"]


def test_bibtex_fields_keep_balanced_braces() -> None:
    from catalog.exports.citation import _bibtex_text

    for text in ("}}", "a } b {", "{{{", "\\}", "}{"):
        escaped = _bibtex_text(text)
        depth = 0
        for char in escaped:
            depth += {"{": 1, "}": -1}.get(char, 0)
            assert depth >= 0, (text, escaped)
        assert depth == 0, (text, escaped)
