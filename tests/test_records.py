"""Typed records (catalog/records.py) built by the validate stage, and the URL layout (catalog/urls.py)."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from catalog.model import InvalidRecord
from catalog.records import Creator, Dataset, Event, NotebookEntry, Seminar, UseCase, people_of
from catalog.urls import (
    IN_NAV,
    arxiv_url,
    doi_url,
    download_href,
    download_uri,
    listing_uri,
    notebook_uri,
    orcid_url,
    page_uri,
    url_of,
)
from catalog.validate import load_catalog, load_record

from .conftest import FIXTURES, REPO, TESTS

SITE = load_catalog(FIXTURES / "site")


def test_every_valid_record_has_the_typed_value_of_its_kind() -> None:
    kinds = {"usecase": UseCase, "dataset": Dataset, "seminar": Seminar, "event": Event}
    catalog = load_catalog(REPO)
    assert not catalog.has_errors
    for record in catalog.all_records():
        assert isinstance(record.value, kinds[record.kind]), record.file
        assert record.value.id == record.id and record.value.title == record.title
        with pytest.raises(dataclasses.FrozenInstanceError):
            record.value.title = "changed"  # type: ignore[misc]


def test_optional_fields_left_out_are_none_or_empty_never_invented() -> None:
    undated = SITE.seminars["xss-seminar"].value
    assert undated.date == "unknown" and undated.undated and undated.day is None
    assert undated.time is None and undated.minutes is None and undated.speakers == () and undated.provenance is None
    dated = SITE.seminars["2024-03-12-graph-networks"].value
    assert dated.day == dt.date(2024, 3, 12) and dated.duration_minutes == 45
    assert dated.minutes is not None and dated.minutes.attendance is None and dated.minutes.discussion
    assert dated.minutes.suggestions[0] == "Compare with a BDT baseline."
    assert [p.name for p in people_of(dated)] == ["Grace Hopper"]


def test_schema_defaults_are_the_values_of_fields_left_out() -> None:
    usecase = SITE.usecases["jet-gnn"].value
    entry = usecase.notebooks[0]
    assert isinstance(entry, NotebookEntry)
    raw = SITE.usecases["jet-gnn"].data["notebooks"][0]
    assert entry.gpu == raw.get("gpu", "none") and entry.nbval == raw.get("nbval", "lax")
    assert entry.cell_timeout == raw.get("cell_timeout", 300) and entry.launch is raw.get("launch", True)
    assert all(isinstance(a, Creator) for a in usecase.authors)


def test_a_record_that_fails_its_schema_keeps_its_data_but_has_no_typed_value() -> None:
    path = TESTS / "bad_records" / "datasets" / "ds-access-not-enum.yaml"
    record, problems = load_record("dataset", path, TESTS / "bad_records")
    assert record is not None and problems and not record.schema_valid
    assert record.data["access"] and record.typed is None
    with pytest.raises(InvalidRecord, match="did not pass its schema"):
        record.value  # noqa: B018


def test_url_layout() -> None:
    seminar = SITE.seminars["2024-03-12-graph-networks"]
    assert page_uri(seminar) == "seminars/2024/2024-03-12-graph-networks.md"  # in its year folder
    assert page_uri(SITE.usecases["jet-gnn"]) == "usecases/jet-gnn.md"
    assert url_of("usecases/jet-gnn.md") == "usecases/jet-gnn/" and url_of("usecases/index.md") == "usecases/"
    notebook = notebook_uri("jet-gnn", "notebooks/train.ipynb")
    assert notebook == "usecases/jet-gnn/notebooks/train.ipynb"
    assert download_uri(notebook) == "usecases/jet-gnn/notebooks/train/train.ipynb"
    # the use case's page is served at usecases/jet-gnn/, its notebook's below it
    assert download_href("usecases/jet-gnn.md", notebook) == "notebooks/train/train.ipynb"
    assert listing_uri("event") == "events/index.md" and "events/index.md" in IN_NAV


def test_identifier_links() -> None:
    assert doi_url("10.5281/zenodo.2603256") == "https://doi.org/10.5281/zenodo.2603256"
    assert arxiv_url("2202.00424") == "https://arxiv.org/abs/2202.00424"
    assert orcid_url("0000-0002-1825-0097") == "https://orcid.org/0000-0002-1825-0097"


def test_every_schema_field_has_an_attribute() -> None:
    """A field added to a schema needs its attribute in records.py (else rendering cannot read it)."""
    from catalog import records
    from catalog.schema_check import load_schema

    def names(cls: type) -> set[str]:
        return {f.name for f in dataclasses.fields(cls)}

    def props(schema: dict, *path: str) -> set[str]:
        for key in path:
            schema = schema[key]
        return set(schema["properties"]) - {"$schema"}

    usecase, dataset = load_schema("usecase"), load_schema("dataset")
    seminar, event = load_schema("seminar"), load_schema("event")
    pairs = [
        (UseCase, props(usecase)),
        (Dataset, props(dataset)),
        (Seminar, props(seminar)),
        (Event, props(event)),
        (records.Person, props(usecase, "$defs", "person")),
        (records.Creator, props(usecase, "$defs", "creator")),
        (records.Reference, props(usecase, "$defs", "reference")),
        (records.Provenance, props(usecase, "$defs", "provenance")),
        (records.NotebookEntry, props(usecase, "properties", "notebooks", "items")),
        (records.MetricSpec, props(usecase, "properties", "metrics", "items")),
        (records.Environment, props(usecase, "properties", "environment")),
        (records.DataInfo, props(usecase, "properties", "data")),
        (records.DataFile, props(dataset, "properties", "files", "items")),
        (records.Bundled, props(dataset, "properties", "files", "items", "properties", "bundled")),
        (records.Minutes, props(seminar, "properties", "minutes")),
        (records.Exercise, props(event, "properties", "exercises", "items")),
        (records.Imported, props(seminar, "properties", "indico")),
    ]
    for cls, fields in pairs:
        assert names(cls) == fields, cls.__name__
