"""Events (hackathons, schools, workshops) as records: the shipped hackathons, their pages, the
links to use cases and seminars both ways, and the provenance rule."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
import yaml

from catalog import load_catalog
from catalog.render.events import event_page, events_index
from catalog.render.home import compiled_minutes_page, home_page
from catalog.render.launch import SiteSettings
from catalog.render.listings import seminars_index
from catalog.render.pages import seminar_page, usecase_page
from catalog.urls import page_uri

from .conftest import REPO

# the verified facts live in shared/ beside the repository (CI's copy) or beside the team's clones
FACTS = next(
    (
        p / "shared/facts/facts.yaml"
        for p in (REPO.parent, REPO.parent.parent)
        if (p / "shared/facts/facts.yaml").is_file()
    ),
    None,
)
HACKATHON_PAGES = [f"https://agenda.infn.it/event/{n}" for n in (25855, 28565, 32568, 35607, 37650, 43129, 47736)]


def write(root: Path, relative: str, text: str) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_seven_hackathons_ship_and_validate() -> None:
    catalog = load_catalog(REPO)
    assert [p for p in catalog.problems if p.file.startswith("events/")] == []
    events = catalog.events.values()
    assert sorted(e.data["event_page"] for e in events) == HACKATHON_PAGES
    assert all(e.data["kind"] == "hackathon" and e.data.get("material") for e in events)


def test_hackathons_carry_only_what_facts_record() -> None:
    """Dates, places, pages and repositories equal the facts file's; nothing else is claimed."""
    catalog = load_catalog(REPO)
    by_page = {e.data["event_page"]: e.data for e in catalog.events.values()}
    if FACTS is None:
        pytest.skip("shared/facts/facts.yaml is not beside this checkout")
    facts = yaml.safe_load(FACTS.read_text())["hackathons"]["events"]
    for fact in facts:
        data = by_page[fact["event_page"]]
        assert data["material"] == fact["material"]
        assert data["flavour"] == fact["flavour"]
        assert str(fact["when"]).startswith(data["start"])
        assert data.get("place") == fact.get("place")
        assert "participants" not in data  # per-event numbers are not recorded
        if "resources_per_participant" in fact:
            assert data["resources_per_participant"] == fact["resources_per_participant"]
        if "topics" in fact:  # the facts' flow list splits "(Bayesian, genetic algorithms)" at its comma
            assert ", ".join(data["topics"]) == ", ".join(fact["topics"])


def test_home_links_every_event_and_event_pages_link_indico_and_material() -> None:
    catalog = load_catalog(REPO)
    home = home_page(catalog, dt.date(2026, 11, 28)).body
    assert 'href="events/"' in home
    for event in catalog.events.values():
        assert f'href="{page_uri(event)[: -len(".md")]}/"' in home
        body = event_page(event, catalog).body
        assert f'href="{event.data["event_page"]}"' in body
        assert f'href="{event.data["material"]}"' in body
    listing = events_index(catalog).body
    assert listing.count("<li>") == 7
    assert "June 2021" in listing and ">2024<" not in listing and "2024 ·" in listing


def test_exercise_and_seminar_links_both_ways(base_catalog: Path) -> None:
    write(
        base_catalog,
        "events/2025-05-demo-school.yaml",
        "id: 2025-05-demo-school\ntitle: Demo school\nkind: school\nstart: '2025-05'\n"
        "exercises:\n  - title: Classify the demo data\n    usecase: demo-usecase\n    datasets: [open-data]\n",
    )
    seminar = base_catalog / "seminars/2024/2024-03-12-demo-seminar.yaml"
    seminar.write_text(seminar.read_text() + "events: [2025-05-demo-school]\n")
    catalog = load_catalog(base_catalog, today=dt.date(2025, 1, 1))
    assert [p for p in catalog.problems if p.is_error] == []
    usecase = catalog.usecases["demo-usecase"]
    page = usecase_page(usecase, catalog, SiteSettings.from_mapping({}), {}).body
    assert "Used as an exercise at" in page and "Demo school" in page and "Classify the demo data" in page
    assert "Given at" in seminar_page(catalog.seminars["2024-03-12-demo-seminar"], catalog).body
    event = event_page(catalog.events["2025-05-demo-school"], catalog).body
    assert "Seminars given at this event" in event and "Demo seminar" in event
    assert "became the use case" in event


def test_event_dates_are_as_precise_as_recorded() -> None:
    from catalog.events import when_text

    assert when_text("2021-06") == "June 2021" and when_text("2024") == "2024"
    assert when_text("2025-09-15", "2025-09-17") == "15–17 September 2025"
    assert when_text("2023-11", "2023-12") == "November 2023 – December 2023"


def test_event_rules(base_catalog: Path) -> None:
    write(
        base_catalog,
        "events/bad-event.yaml",
        "id: bad-event\ntitle: Bad\nkind: hackathon\nstart: '2023-11'\nend: '2023-10-30'\n"
        "exercises:\n  - title: X\n    usecase: no-such-usecase\n",
    )
    write(base_catalog, "events/bad-month.yaml", "id: bad-month\ntitle: B\nkind: school\nstart: '2023-13'\n")
    problems = {(p.file, p.code, p.path) for p in load_catalog(base_catalog).problems}
    assert ("events/bad-event.yaml", "KB231", "$.end") in problems
    assert ("events/bad-event.yaml", "KB203", "$.exercises[0].usecase") in problems
    assert ("events/bad-month.yaml", "KB105", "$.start") in problems


def test_provenance_sources_are_urls_or_repository_paths(base_catalog: Path) -> None:
    seminar = base_catalog / "seminars/2024/2024-03-12-demo-seminar.yaml"
    seminar.write_text(
        seminar.read_text()
        + "provenance:\n  verification: verified\n  sources:\n"
        + "    - https://arxiv.org/abs/2303.11428\n"
        + "    - mbarbetti/poster-acat2022-lamarr README.md\n"
        + "    - 'owner/repo README (find_string hit id 19532015431)'\n"
        + "    - some README somewhere\n"
    )
    found = [p for p in load_catalog(base_catalog).problems if p.code == "KB230"]
    assert [p.path for p in found] == ["$.provenance.sources[2]", "$.provenance.sources[3]"]
    assert found[0].line == 14 and "owner/repo path" in found[0].message


def test_shipped_provenance_has_no_research_notes() -> None:
    for path in REPO.glob("**/*.yaml"):
        if any(part in (".venv", "tests", "site", "node_modules") for part in path.relative_to(REPO).parts):
            continue
        text = path.read_text()
        assert not re.search(r"find_string|file id \d|hit id|librae|dpdns", text), path


def test_undated_seminars_explained_once() -> None:
    catalog = load_catalog(REPO)
    listing = seminars_index(catalog).body
    assert 'href="minutes/"' in listing  # the compiled minutes, linked from the seminars page
    assert listing.count('id="date-not-recorded"') == 1 and "Nothing is filled in by guesswork" in listing
    for record in catalog.seminars.values():
        body = seminar_page(record, catalog, dt.date(2026, 11, 28)).body
        assert "Speakers not recorded" not in body and "No minutes recorded" not in body
        assert body.count("Not recorded:") == 1 and "#date-not-recorded" in body


def test_compiled_minutes_says_when_there_are_none() -> None:
    body = compiled_minutes_page(load_catalog(REPO)).body
    assert "No minutes have been recorded yet" in body and "catalog new minutes" in body


def test_exercise_on_a_shipped_use_case_appears_on_its_page(tmp_path: Path) -> None:
    import shutil

    root = tmp_path / "kb"
    for folder in ("usecases", "datasets", "seminars", "events"):
        shutil.copytree(REPO / folder, root / folder)
    usecase = sorted(load_catalog(REPO).usecases)[0]
    write(
        root,
        "events/2026-03-demo-hackathon.yaml",
        f"id: 2026-03-demo-hackathon\ntitle: A hackathon\nkind: hackathon\nstart: '2026-03'\n"
        f"exercises:\n  - title: The exercise\n    usecase: {usecase}\n",
    )
    catalog = load_catalog(root)
    assert [p for p in catalog.problems if p.is_error] == []
    page = usecase_page(catalog.usecases[usecase], catalog, SiteSettings.from_mapping({}), {}).body
    assert "Used as an exercise at" in page and "A hackathon" in page and "“The exercise”" in page
