"""The exports read by the real clients that readers use: cffconvert (from its own environment: it
pins jsonschema < 4), bibtexparser, feedparser, icalendar and vobject, extruct and pyld."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from catalog import load_catalog
from catalog.exports.jsonld import MEDIA_TYPES

from .conftest import FIXTURES, REPO

pytestmark = pytest.mark.slow
SITE_URL = "https://kb.example.org"
CFFCONVERT_VERSION = "2.0.0"
SCHEMA_ORG = "https://schema.org/"
LOCAL_CONTEXT = FIXTURES / "schemaorg-context.jsonld"


def export(root: Path, out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    command = ["catalog", "export", "--root", str(root), "-o", str(out), *extra]
    return subprocess.run(command, capture_output=True, text=True, cwd=root)


@pytest.fixture(scope="module")
def shipped(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("export") / "out"
    done = export(REPO, out, "--repository", "https://github.com/ml-infn/knowledge-base", "--site-url", SITE_URL)
    assert done.returncode == 0, done.stderr
    assert "warning" not in done.stderr
    return out


@pytest.fixture(scope="module")
def cffconvert() -> Path:
    """cffconvert in a virtual environment of its own (made once, kept in the user's cache)."""
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    venv = cache / f"mlinfn-catalog/cffconvert-{CFFCONVERT_VERSION}"
    exe = venv / "bin" / "cffconvert"
    if not exe.exists():
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
        pip = subprocess.run(
            [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", f"cffconvert=={CFFCONVERT_VERSION}"],
            capture_output=True,
            text=True,
        )
        if pip.returncode != 0:
            if os.environ.get("KB_REQUIRE_BROWSER"):  # CI: every client must run
                raise RuntimeError(pip.stderr)
            pytest.skip(f"cffconvert could not be installed from PyPI: {pip.stderr.strip()[-200:]}")
    return exe


def test_every_citation_cff_validates_with_cffconvert(shipped: Path, cffconvert: Path) -> None:
    files = sorted((shipped / "citations").glob("*.cff"))
    assert len(files) == len(load_catalog(REPO).usecases)
    for path in files:
        done = subprocess.run([str(cffconvert), "--validate", "-i", str(path)], capture_output=True, text=True)
        assert done.returncode == 0, f"{path.name}: {done.stdout}{done.stderr}"


def test_cff_persons_and_entities(shipped: Path) -> None:
    import yaml

    cff = yaml.safe_load((shipped / "citations" / "parametric-nn-hepmass.cff").read_text())
    assert cff["authors"][0] == {
        "family-names": "Anzalone",
        "given-names": "Luca",
        "affiliation": "University of Bologna, INFN Sezione di Bologna",
    }
    group = yaml.safe_load((shipped / "citations" / "digits-mlp-classifier.cff").read_text())
    assert group["authors"] == [{"name": "ML_INFN knowledge-base maintainers"}]  # an entity: no affiliation


def bibtex_authors(text: str) -> list[tuple[str, str]]:
    import bibtexparser
    from bibtexparser.middlewares import SeparateCoAuthors, SplitNameParts

    library = bibtexparser.parse_string(text, append_middleware=[SeparateCoAuthors(), SplitNameParts()])
    assert not library.failed_blocks
    (entry,) = library.entries
    assert entry.fields_dict["year"].value.isdigit()
    return [(" ".join(n.last).strip("{}"), " ".join(n.first).strip("{}")) for n in entry.fields_dict["author"].value]


def test_bibtex_parses_with_expected_author_split_and_a_year(shipped: Path) -> None:
    expected = {
        "parametric-nn-hepmass": [("Anzalone", "Luca"), ("Diotalevi", "Tommaso")],
        "digits-mlp-classifier": [("ML\\_INFN knowledge-base maintainers", "")],
    }
    for path in sorted((shipped / "citations").glob("*.bib")):
        authors = bibtex_authors(path.read_text())
        assert authors == expected.get(path.stem, authors), path.name
        assert all(last for last, _ in authors)
    group = (shipped / "citations/breast-cancer-classifiers.bib").read_text()
    assert "author = {{ML\\_INFN knowledge-base maintainers}}" in group


def test_feed_is_well_formed_for_feedparser(shipped: Path, tmp_path: Path) -> None:
    import feedparser

    feed = feedparser.parse((shipped / "feed.xml").read_bytes())
    assert feed.bozo == 0, feed.get("bozo_exception")
    assert feed.entries and all(e.link.startswith(SITE_URL) for e in feed.entries)
    # without a site URL: a warning, relative links, URN ids, and no made-up host
    done = export(REPO, tmp_path / "bare")
    assert done.returncode == 0 and "warning: no site URL" in done.stderr
    bare = (tmp_path / "bare" / "feed.xml").read_bytes()
    assert b"example.invalid" not in bare
    parsed = feedparser.parse(bare)
    assert parsed.bozo == 0 and all(e.id.startswith("urn:uuid:") for e in parsed.entries)


@pytest.mark.parametrize("root", [REPO, FIXTURES / "site"], ids=["no-dated-seminar", "dated-seminars"])
def test_calendar_reads_in_icalendar_and_vobject(root: Path, tmp_path: Path) -> None:
    import icalendar
    import vobject

    done = export(root, tmp_path / "out", "--site-url", SITE_URL)
    assert done.returncode == 0, done.stderr
    data = (tmp_path / "out" / "seminars.ics").read_bytes()
    cal = icalendar.Calendar.from_ical(data)
    assert cal.subcomponents, "RFC 5545: a calendar has at least one component"
    events = cal.walk("VEVENT")
    parsed = vobject.readOne(data.decode())
    assert len(getattr(parsed, "vevent_list", [])) == len(events)
    dated = [s for s in load_catalog(root).seminars.values() if s.data["date"] != "unknown"]
    assert len(events) == len(dated)


def test_calendar_bytes_are_icalendars_own_serialisation() -> None:
    """The export folds ASCII lines itself (icalendar's folding is slow): the bytes must be what
    icalendar writes, for lines at and around the fold, escapes at the fold and non-ASCII text."""
    import datetime as dt
    import random

    import icalendar
    from icalendar.parser import Contentline

    from catalog.exports.ical import calendar_bytes, fold_ascii

    rng = random.Random(19)
    for _ in range(5000):
        line = "".join(rng.choice("ab \\^,;:") for _ in range(rng.randint(0, 400)))
        assert fold_ascii(line) == Contentline(line).to_ical().decode(), line
    cal = icalendar.Calendar()
    cal.add("prodid", "-//test//EN")
    for n, text in enumerate(["short", "x" * 73 + "\\,", "Città, è " * 40, "a;b\\n" * 60, "y" * 74, "z" * 75]):
        event = icalendar.Event()
        event.add("uid", f"{n}@test")
        event.add("dtstart", dt.date(2026, 1, 1 + n))
        event.add("description", text)
        cal.add_component(event)
    assert calendar_bytes(cal) == cal.to_ical()


def local_loader(url: str, options: object = None) -> dict[str, object]:
    """pyld's document loader, offline: schema.org's context is a local file."""
    if url.rstrip("/") in ("https://schema.org", "http://schema.org"):
        return {"contextUrl": None, "documentUrl": url, "document": json.loads(LOCAL_CONTEXT.read_text())}
    raise ValueError(f"no network in tests: {url}")


def test_every_dataset_jsonld_expands_and_meets_google_dataset_guidance() -> None:
    import datetime as dt

    import extruct
    from pyld import jsonld

    from catalog.render.launch import SiteSettings
    from catalog.render.site import render_site
    from catalog.urls import page_uri

    catalog = load_catalog(REPO)
    site = render_site(catalog, SiteSettings.from_mapping({}, SITE_URL), {}, dt.date(2026, 11, 28))
    registered = {mime for _, mime in MEDIA_TYPES} | {"application/octet-stream"}
    for record in catalog.datasets.values():
        html = site.documents[page_uri(record)].body
        (doc,) = extruct.extract(html, syntaxes=["json-ld"], uniform=True)["json-ld"]
        (node,) = jsonld.expand(doc, {"documentLoader": local_loader})
        assert node["@type"] == [SCHEMA_ORG + "Dataset"], record.id
        # Google's required properties
        assert node[SCHEMA_ORG + "name"][0]["@value"]
        assert 50 <= len(node[SCHEMA_ORG + "description"][0]["@value"]) <= 5000, record.id
        # recommended ones, where the record knows them
        for creator in node.get(SCHEMA_ORG + "creator", []):
            assert creator["@type"][0] in (SCHEMA_ORG + "Person", SCHEMA_ORG + "Organization")
            name = creator[SCHEMA_ORG + "name"][0]["@value"]
            assert name not in ("et al.", "L.") and "et al" not in name
        if record.data.get("doi"):
            assert doc["sameAs"] == f"https://doi.org/{record.data['doi']}"
        for download in node.get(SCHEMA_ORG + "distribution", []):
            assert download[SCHEMA_ORG + "contentUrl"], record.id
            assert download[SCHEMA_ORG + "encodingFormat"][0]["@value"] in registered
        assert len(doc.get("distribution", [])) == sum(1 for f in record.data.get("files", []) if f.get("url"))
    gwosc = json.dumps(dataset_doc(site, catalog, "gwosc-gw150914"))
    assert '{"@type": "Organization", "name": "LIGO Scientific Collaboration"}' in gwosc


def dataset_doc(site, catalog, ident: str) -> dict[str, object]:
    import extruct

    from catalog.urls import page_uri

    html = site.documents[page_uri(catalog.datasets[ident])].body
    return extruct.extract(html, syntaxes=["json-ld"], uniform=True)["json-ld"][0]
