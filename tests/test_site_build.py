"""The fixture site built for real with `catalog build` (mkdocs build --strict), then read back."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import icalendar
import jsonschema
import pytest
import referencing

from catalog import load_catalog
from catalog.render.launch import nbgitpuller_url
from catalog.schema_check import load_schema
from catalog.urls import page_uri, url_of

from .conftest import FIXTURES, build, copy_site_fixture, snapshot

pytestmark = pytest.mark.slow
SITE_CATALOG = FIXTURES / "site"


IMAGE_DATA = re.compile(r"data:image/(png|jpeg|gif|webp|svg\+xml);base64,[A-Za-z0-9+/=]*", re.IGNORECASE)


class PageScan(HTMLParser):
    """Collects scripts, event-handler attributes and link targets of one page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.scripts: list[str] = []
        self.handlers: list[str] = []
        self.urls: list[str] = []
        self.image_sources: list[str] = []
        self.json_ld: list[str] = []
        self._script: list[str] | None = None
        self._script_type = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name.lower().startswith("on"):
                self.handlers.append(f"<{tag} {name}={value!r}>")
            if name in ("href", "src", "action", "formaction", "xlink:href", "poster", "cite") and value is not None:
                self.urls.append(re.sub(r"[\x00-\x20\x7f]", "", value))  # as a browser reads it
                if tag == "img" and name == "src":
                    self.image_sources.append(self.urls[-1])
        if tag == "script":
            self._script = []
            self._script_type = dict(attrs).get("type") or ""
            src = dict(attrs).get("src")
            if src:
                self.scripts.append("src:" + re.sub(r"^(\.\./)+|^\./|^/", "", src))

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            self._script.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._script is not None:
            body = "".join(self._script).strip()
            if self._script_type == "application/ld+json":
                self.json_ld.append(body)
            elif body:
                body = re.sub(r'(?<=")(\.\./)+', "", re.sub(r"\s+", " ", body))  # relative prefixes differ by depth
                self.scripts.append(re.sub(r'"(?:\.\.|\.|/)?"', '"REL"', body))
            self._script = None


def scan(path: Path) -> PageScan:
    parser = PageScan()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def html_pages(site: Path) -> list[Path]:
    """Every page but 404.html, which the theme writes with absolute URLs and no content of ours."""
    return sorted(p for p in site.rglob("*.html") if p.name != "404.html")


def test_every_record_and_notebook_has_a_page(fixture_site: Path) -> None:
    catalog = load_catalog(SITE_CATALOG)
    for usecase in catalog.usecases.values():
        assert (fixture_site / "usecases" / usecase.id / "index.html").is_file()
        for nb in usecase.data["notebooks"]:
            stem = nb["path"].removesuffix(".ipynb")
            assert (fixture_site / "usecases" / usecase.id / stem / "index.html").is_file()
            assert (fixture_site / "usecases" / usecase.id / stem / Path(nb["path"]).name).is_file()
    for dataset in catalog.datasets.values():
        assert (fixture_site / "datasets" / dataset.id / "index.html").is_file()
    for seminar in catalog.seminars.values():
        assert (fixture_site / "seminars" / seminar.path.parent.name / seminar.id / "index.html").is_file()
    for page in (
        "usecases",
        "datasets",
        "seminars",
        "reproducibility",
        "contributing",
        "about",
        "reference/usecase",
        "seminars/minutes",
        "tags",
    ):
        assert (fixture_site / page / "index.html").is_file(), page


def test_no_injected_script_handler_or_unsafe_link(fixture_site: Path) -> None:
    """THREATS 3-5: the XSS payloads of the fixture records and notebook leave no trace that runs."""
    clean_pages = [fixture_site / "about/index.html", fixture_site / "usecases/jet-gnn/notebooks/train/index.html"]
    theme_scripts = {s for page in clean_pages for s in scan(page).scripts}
    for page in html_pages(fixture_site):
        found = scan(page)
        assert not found.handlers, (page, found.handlers)
        foreign = [s for s in found.scripts if s not in theme_scripts]
        assert not foreign, (page, foreign[:2])
        for url in found.urls:
            scheme = url.split(":", 1)[0].lower() if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", url) else ""
            if scheme == "data":  # only images: a browser runs no script in an <img>, SVG included
                assert url in found.image_sources and IMAGE_DATA.fullmatch(url), (page, url[:80])
                continue
            assert scheme in ("", "http", "https", "mailto"), (page, url)
        assert all("alert(" not in s for s in found.scripts), page


def test_plain_fields_are_shown_escaped(fixture_site: Path) -> None:
    """THREATS 4: a title with HTML is text everywhere — page, listing, search index, JSON-LD, feeds."""
    page = (fixture_site / "usecases/xss-demo/index.html").read_text()
    assert (
        "&lt;script&gt;alert(&#x27;usecase-title&#x27;)&lt;/script&gt;" in page
        or "&lt;script&gt;alert('usecase-title')&lt;/script&gt;" in page
    )
    listing = (fixture_site / "usecases/index.html").read_text()
    assert "<script>alert(" not in listing and "&lt;script&gt;alert" in listing
    index = json.loads((fixture_site / "search/search_index.json").read_text())
    titles = [d["title"] for d in index["docs"]]
    assert all("<script" not in t for t in titles)
    dataset_page = scan(fixture_site / "datasets/xss-data/index.html")
    [ld] = dataset_page.json_ld
    assert "<" not in ld and json.loads(ld)["name"].startswith("<script>")
    hostile = load_catalog(SITE_CATALOG).seminars["2025-09-09-hostile-title"].data["title"]
    cal = icalendar.Calendar.from_ical((fixture_site / "seminars.ics").read_bytes())
    [event] = [e for e in cal.walk("VEVENT") if str(e["uid"]).startswith("2025-09-09-hostile-title")]
    assert str(event["summary"]) == hostile  # text stays text: nothing injected, nothing lost
    assert "injected" not in str(event.get("description", "")) and len(event.property_items()) < 20
    import xml.etree.ElementTree as ET

    feed = (fixture_site / "feed.xml").read_bytes()
    assert b"<script>" not in feed
    titles = [e.text for e in ET.fromstring(feed).iter("{http://www.w3.org/2005/Atom}title")]
    assert hostile in titles and "<script>alert('usecase-title')</script> & friends" in titles


def test_bad_record_stops_the_build_with_validate_problems(tmp_path: Path, run_cli) -> None:
    config = copy_site_fixture(tmp_path / "kb")
    bad = tmp_path / "kb/datasets/jets.yaml"
    bad.write_text(bad.read_text().replace("access: open", "access: maybe").replace("license: CC-BY-4.0", ""))
    done = build(config, tmp_path / "kb/site")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    _, expected, _ = run_cli("validate", "--root", str(tmp_path / "kb"))
    problem_lines = [line for line in expected.splitlines() if ": error KB" in line]
    assert len(problem_lines) >= 2
    for line in problem_lines:
        assert line in done.stdout + done.stderr


def test_failed_build_keeps_the_previous_site(tmp_path: Path) -> None:
    """THREATS 16: the earlier site/ survives a failing build untouched."""
    config = copy_site_fixture(tmp_path / "kb")
    site = tmp_path / "kb/site"
    assert build(config, site).returncode == 0
    before = snapshot(site)
    (tmp_path / "kb/datasets/jets.yaml").write_text("id: jets\ntitle: [unclosed\n")
    assert build(config, site).returncode == 1
    assert snapshot(site) == before
    assert not [p for p in site.parent.iterdir() if p.name.startswith(".site.")]


def test_search_index_finds_records_and_leaves_outputs_out(fixture_site: Path) -> None:
    index = json.loads((fixture_site / "search/search_index.json").read_text())
    text = " ".join(d["title"] + " " + d["text"] for d in index["docs"])
    assert "Jet tagging with graph networks" in text and "Grace Hopper" in text and "Simulated jets" in text
    assert "graph network output 12345" in text  # notebook code is searchable
    assert "OUTPUTSECRET" not in text  # its outputs are not
    catalog = load_catalog(SITE_CATALOG)
    record_urls = {url_of(page_uri(r)) for r in catalog.all_records()}
    per_record = [d for d in index["docs"] if d["location"].split("#")[0] in record_urls]
    size = len(json.dumps(per_record, ensure_ascii=False).encode())
    assert size / len(record_urls) < 4 * 1024


def test_launch_links_on_the_usecase_page(fixture_site: Path) -> None:
    page = (fixture_site / "usecases/jet-gnn/index.html").read_text()
    expected = nbgitpuller_url(
        "https://hub.example.org",
        "https://github.com/example-org/kb-demo",
        "main",
        "usecases/jet-gnn/notebooks/train.ipynb",
    )
    assert expected.replace("&", "&amp;") in page
    notebook = "usecases/jet-gnn/notebooks/train.ipynb"
    # it needs a GPU: no Binder button (Binder has no GPUs), and the page says why; Colab stays
    assert "mybinder.org" not in page and "this notebook needs a GPU and Binder has none" in page
    assert f"https://colab.research.google.com/github/example-org/kb-demo/blob/main/{notebook}" in page
    other = (fixture_site / "usecases/tabular-bdt/index.html").read_text()
    assert "https://other-hub.example.org/hub/user-redirect/git-pull?" in other  # the use case's own hub


def test_internal_links_and_anchors_resolve(fixture_site: Path) -> None:
    """Generated pages are HTML that MkDocs does not validate: every link and #anchor must exist."""
    checked_anchors = 0
    for page in html_pages(fixture_site):
        if "xss" in str(page):
            continue  # hostile records carry made-up relative links such as <img src=x>
        for url in scan(page).urls:
            if re.match(r"^[a-z]+:|^//", url):
                continue
            path, _, anchor = url.partition("#")
            target = (page.parent / path.split("?")[0]).resolve() if path else page
            if target.is_dir():
                target = target / "index.html"
            assert target.exists(), (page, url)
            if anchor and target.suffix == ".html":
                assert f'id="{anchor}"' in target.read_text(encoding="utf-8"), (page, url)
                checked_anchors += 1
    assert checked_anchors > 50


def test_record_pages_have_a_table_of_contents_and_search_sections(fixture_site: Path) -> None:
    page = (fixture_site / "datasets/jets/index.html").read_text()
    toc = page[page.index("md-nav--secondary") :]
    for anchor in ("#files", "#use-cases"):
        assert f'href="{anchor}"' in toc
    index = json.loads((fixture_site / "search/search_index.json").read_text())
    locations = [d["location"] for d in index["docs"]]
    assert locations.count("datasets/jets/") == 1 and locations.count("datasets/jets/#files") == 1
    files = next(d for d in index["docs"] if d["location"] == "datasets/jets/#files")
    assert files["title"] == "Files" and "train.h5" in files["text"]
    top = next(d for d in index["docs"] if d["location"] == "datasets/jets/")
    assert "Domain hep" in top["text"] and "License CC-BY-4.0" in top["text"]  # words stay apart
    assert len(locations) == len(set(locations))  # no page indexed twice


def test_catalog_json_validates_and_round_trips(fixture_site: Path) -> None:
    doc = json.loads((fixture_site / "catalog.json").read_text())
    registry = referencing.Registry().with_resources(
        (load_schema(k)["$id"], referencing.Resource.from_contents(load_schema(k)))
        for k in ("usecase", "dataset", "seminar")
    )
    jsonschema.Draft202012Validator(load_schema("catalog"), registry=registry).validate(doc)
    catalog = load_catalog(SITE_CATALOG)
    by_key = {(e["kind"], e["id"]): e for e in doc["records"]}
    assert len(by_key) == len(catalog.all_records())
    for record in catalog.all_records():
        assert by_key[(record.kind, record.id)]["record"] == record.data
    assert by_key[("dataset", "jets")]["links"]["usecase"] == ["jet-gnn", "tabular-bdt"]
    assert by_key[("usecase", "jet-gnn")]["reproducibility"]["notebooks/train.ipynb"]["verdict"] == "never-run"


def test_dataset_json_ld(fixture_site: Path) -> None:
    [ld] = scan(fixture_site / "datasets/jets/index.html").json_ld
    doc = json.loads(ld)
    assert doc["@type"] == "Dataset" and doc["name"] == "Simulated jets"
    assert doc["identifier"] == "https://doi.org/10.5281/zenodo.0000001"
    assert doc["license"] == "https://spdx.org/licenses/CC-BY-4.0.html"
    assert [c["name"] for c in doc["creator"]] == ["Grace Hopper", "Alan Turing"]
    [dist] = doc["distribution"]
    assert dist == {
        "@type": "DataDownload",
        "name": "train.h5",
        "contentUrl": "https://example.org/jets/train.h5",
        "contentSize": "2048 B",
        "encodingFormat": "application/octet-stream",
    }


def test_icalendar_feed(fixture_site: Path) -> None:
    cal = icalendar.Calendar.from_ical((fixture_site / "seminars.ics").read_bytes())
    events = {str(e["uid"]): e for e in cal.walk("VEVENT")}
    assert sorted(events) == [
        "2024-03-12-graph-networks@ml-infn-knowledge-base",
        "2025-06-01-tabular@ml-infn-knowledge-base",
        "2025-09-09-hostile-title@ml-infn-knowledge-base",
    ]  # the undated one has none
    rome = events["2024-03-12-graph-networks@ml-infn-knowledge-base"]["dtstart"].dt
    assert str(rome.tzinfo) == "Europe/Rome" and rome.utcoffset().total_seconds() == 3600 and rome.hour == 16
    chicago = events["2025-06-01-tabular@ml-infn-knowledge-base"]["dtstart"].dt
    assert str(chicago.tzinfo) == "America/Chicago" and chicago.utcoffset().total_seconds() == -5 * 3600
    assert {str(tz["tzid"]) for tz in cal.walk("VTIMEZONE")} == {"Europe/Rome", "America/Chicago"}
    assert all(e.get("dtend") for e in events.values())


def test_atom_feed(fixture_site: Path) -> None:
    import xml.etree.ElementTree as ET

    root = ET.fromstring((fixture_site / "feed.xml").read_bytes())
    ns = {"a": "http://www.w3.org/2005/Atom"}
    titles = [e.findtext("a:title", namespaces=ns) for e in root.findall("a:entry", ns)]
    assert titles[0] == "<script>alert('usecase-title')</script> & friends"  # newest first (2025-10-01)
    assert titles.index("Trees still win on tables") < titles.index("Jet tagging with graph networks")
    assert "Jet tagging with graph networks" in titles


def test_schemas_published_under_stable_urls(fixture_site: Path) -> None:
    for kind in ("usecase", "dataset", "seminar", "catalog", "results"):
        assert json.loads((fixture_site / f"schemas/{kind}.schema.json").read_text()) == load_schema(kind)


def test_home_page_counts_and_chart(fixture_site: Path) -> None:
    page = (fixture_site / "index.html").read_text()
    assert "<strong>3</strong> use cases" in page and "<strong>2</strong> datasets" in page
    assert page.count('<svg role="img"') >= 2 and "Records per domain" in page
    assert "Trees still win on tables" in page  # latest seminars


def test_serve_watches_the_records(tmp_path: Path) -> None:
    """`mkdocs serve` rebuilds on edits to records and notebooks: the hook adds their folders to `watch`."""
    from mkdocs.config import load_config

    config_file = copy_site_fixture(tmp_path / "kb")
    config = load_config(str(config_file))
    config = config.plugins.on_config(config)
    for folder in ("usecases", "datasets", "seminars"):
        assert str(tmp_path / "kb" / folder) in config.watch
