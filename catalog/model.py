"""The catalog as data: records with their source positions, and the links derived between them."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

from .loader import LineMap
from .problems import Problem
from .records import Dataset, Event, RecordValue, Seminar, UseCase

KIND_FOLDERS = {"usecase": "usecases", "dataset": "datasets", "seminar": "seminars", "event": "events"}
# which field of a record of one kind points to records of another kind
REFERENCE_FIELDS: dict[str, dict[str, str]] = {
    "usecase": {"datasets": "dataset", "seminars": "seminar"},
    "seminar": {"usecases": "usecase", "datasets": "dataset", "events": "event"},
    "dataset": {},
    "event": {},  # exercises point to use cases and datasets: see `exercise_links`
}


V = TypeVar("V", bound=RecordValue)


class InvalidRecord(ValueError):
    """A record that failed its schema has no typed value (the build refuses such a catalog)."""


@dataclass
class Record(Generic[V]):
    """One YAML record: its data exactly as the loader built it, where it came from, and (when it
    passed its schema) its typed value (`records.py`), which rendering and exports read. The raw
    `data` is for the rules that check untrusted input and for exports that copy a record as is."""

    kind: str
    data: dict[str, Any]
    file: str  # relative to the catalog root, as shown to users
    path: Path
    lines: LineMap
    schema_valid: bool = True
    # top-level fields whose shape the schema rejected ("*": the record's shape as a whole); rules
    # that read only other fields still run, so one round of fixes shows every problem
    invalid_fields: frozenset[str] = frozenset()
    typed: V | None = None  # built by validate.load_record when the record passed its schema

    @property
    def value(self) -> V:
        """The record as a typed value; only records that passed their schema have one."""
        if self.typed is None:
            raise InvalidRecord(f"{self.file}: the record did not pass its schema, so it has no typed value")
        return self.typed

    def shape_ok(self, *fields: str) -> bool:
        return "*" not in self.invalid_fields and not self.invalid_fields.intersection(fields)

    @property
    def id(self) -> str:
        value = self.data.get("id")
        return value if isinstance(value, str) else self.path.stem

    @property
    def title(self) -> str:
        value = self.data.get("title")
        return value if isinstance(value, str) else self.id

    @property
    def folder(self) -> Path:
        """The use case folder (notebooks and environment files are relative to it)."""
        return self.path.parent


@dataclass
class Catalog:
    """All records by kind and id, the derived links both ways, and the problems found."""

    root: Path
    records: dict[str, dict[str, Record[Any]]] = field(default_factory=lambda: {k: {} for k in KIND_FOLDERS})
    problems: list[Problem] = field(default_factory=list)
    _links: dict[tuple[str, str], dict[str, list[str]]] = field(default_factory=dict)

    @property
    def usecases(self) -> dict[str, Record[UseCase]]:
        return self.records["usecase"]

    @property
    def datasets(self) -> dict[str, Record[Dataset]]:
        return self.records["dataset"]

    @property
    def seminars(self) -> dict[str, Record[Seminar]]:
        return self.records["seminar"]

    @property
    def events(self) -> dict[str, Record[Event]]:
        return self.records["event"]

    def all_records(self) -> list[Record]:
        return [r for kind in KIND_FOLDERS for r in self.records[kind].values()]

    def related(self, record: Record, kind: str) -> list[Record]:
        """Records of `kind` linked to `record` in either direction, sorted by id."""
        ids = self._links.get((record.kind, record.id), {}).get(kind, [])
        return [self.records[kind][i] for i in ids if i in self.records[kind]]

    def derive_links(self) -> None:
        links: dict[tuple[str, str], dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        for record in self.all_records():
            for field_name, target_kind in REFERENCE_FIELDS[record.kind].items():
                targets = record.data.get(field_name)
                if not isinstance(targets, list):
                    continue
                for target in targets:
                    if isinstance(target, str) and target in self.records[target_kind]:
                        links[(record.kind, record.id)][target_kind].add(target)
                        links[(target_kind, target)][record.kind].add(record.id)
        for event in self.events.values():
            for _, target_kind, target in exercise_links(event):
                if target in self.records[target_kind]:
                    links[("event", event.id)][target_kind].add(target)
                    links[(target_kind, target)]["event"].add(event.id)
        self._links = {key: {k: sorted(v) for k, v in value.items()} for key, value in links.items()}

    @property
    def has_errors(self) -> bool:
        return any(p.is_error for p in self.problems)


def exercise_links(event: Record) -> list[tuple[tuple[str | int, ...], str, str]]:
    """(JSON path, kind, id) of every use case and dataset an event's exercises name."""
    found: list[tuple[tuple[str | int, ...], str, str]] = []
    exercises = event.data.get("exercises")
    for i, exercise in enumerate(exercises if isinstance(exercises, list) else []):
        if not isinstance(exercise, dict):
            continue
        if isinstance(exercise.get("usecase"), str):
            found.append((("exercises", i, "usecase"), "usecase", exercise["usecase"]))
        datasets = exercise.get("datasets")
        for j, dataset in enumerate(datasets if isinstance(datasets, list) else []):
            if isinstance(dataset, str):
                found.append((("exercises", i, "datasets", j), "dataset", dataset))
    return found
