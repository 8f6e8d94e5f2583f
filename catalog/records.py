"""Typed records: what a YAML record says, as frozen values with attributes.

Built once per record by the validate stage (`validate.load_record`), and only from data that
passed its JSON Schema (`schemas/*.schema.json`), so `build` trusts the shape. Each attribute is
the YAML field of the same name; `build` reads the dataclasses' own annotations to turn lists into
tuples and nested mappings into their values. An optional field the record leaves out is `None`
(or an empty tuple), never a made-up value; where a schema declares a `default` (a notebook's
`gpu`, `nbval`, `cell_timeout`, `launch`; a seminar's `timezone`), the attribute holds it.

Rendering and exports read these attributes; the rules that check untrusted input (`rules.py`,
`schema_check.py`) read the raw data in `Record.data`, where a wrong shape can still be.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import types
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, TypeVar, Union, get_args, get_origin, get_type_hints

# --- values shared by the kinds ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Person:
    """`$defs/person`: a contact or a speaker."""

    name: str
    affiliation: str | None = None
    orcid: str | None = None
    email: str | None = None
    github: str | None = None


@dataclass(frozen=True, slots=True)
class Creator:
    """`$defs/creator`: someone credited for the work, a person (the default) or an organisation."""

    name: str
    kind: Literal["person", "organization"] = "person"
    given_names: str | None = None
    family_names: str | None = None
    affiliation: str | None = None
    orcid: str | None = None
    ror: str | None = None
    email: str | None = None
    github: str | None = None


@dataclass(frozen=True, slots=True)
class Reference:
    """`$defs/reference`: a publication or web resource (at least one of doi, arxiv, url, cited_as)."""

    title: str
    authors: tuple[str, ...] = ()
    year: int | None = None
    venue: str | None = None
    doi: str | None = None
    arxiv: str | None = None
    url: str | None = None
    cited_as: str | None = None


@dataclass(frozen=True, slots=True)
class Provenance:
    """`$defs/provenance`: where the record's facts come from and how far they were checked."""

    verification: Literal["verified", "partially_verified", "unverified"]
    sources: tuple[str, ...] = ()
    notes: str | None = None
    report_reference: int | None = None


@dataclass(frozen=True, slots=True)
class Imported:
    """The `indico` block: the page a record was imported from and the fields Indico filled."""

    url: str
    fields: tuple[str, ...]  # in the record's order


# --- use cases ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MetricSpec:
    """A metric a notebook reports and what it is expected to be."""

    name: str
    expected: float | None = None
    abs_tol: float | None = None
    rel_tol: float | None = None
    min: float | None = None
    max: float | None = None


@dataclass(frozen=True, slots=True)
class NotebookEntry:
    """One entry of a use case's `notebooks` (the notebook file itself is `notebook.Notebook`)."""

    path: str
    title: str
    nbval: Literal["lax", "strict"] = "lax"
    cell_timeout: int = 300
    gpu: Literal["none", "optional", "required"] = "none"
    gpu_memory_gb: float | None = None
    memory_gb: float | None = None
    launch: bool = True
    metrics: tuple[MetricSpec, ...] = ()


@dataclass(frozen=True, slots=True)
class Environment:
    """A use case's `environment`: how its notebooks run."""

    python: str | None = None
    requirements: str | None = None
    conda: str | None = None
    image: str | None = None
    profile: str | None = None
    hub: str | None = None


@dataclass(frozen=True, slots=True)
class DataInfo:
    """A use case's `data`: the data it works on, in words."""

    type: Literal["simulation", "real", "mixed", "synthetic"] | None = None
    size: str | None = None
    sources: tuple[str, ...] = ()
    generated_by: str | None = None


@dataclass(frozen=True, slots=True)
class UseCase:
    id: str
    title: str
    summary: str
    domain: str
    techniques: tuple[str, ...]
    authors: tuple[Creator, ...]
    datasets: tuple[str, ...]
    notebooks: tuple[NotebookEntry, ...]
    description: str | None = None
    science_field: str | None = None
    experiments: tuple[str, ...] = ()
    ml_technology: str | None = None
    toolset: tuple[str, ...] = ()
    additional_libraries: tuple[str, ...] = ()
    suggested_environments: tuple[str, ...] = ()
    data: DataInfo | None = None
    contacts: tuple[Person, ...] = ()
    maintainers: tuple[str, ...] = ()
    seminars: tuple[str, ...] = ()
    metrics: tuple[MetricSpec, ...] = ()
    environment: Environment | None = None
    code: str | None = None
    references: tuple[Reference, ...] = ()
    license: str | None = None
    created: str | None = None  # YYYY-MM-DD, as written
    updated: str | None = None
    tags: tuple[str, ...] = ()
    provenance: Provenance | None = None


# --- datasets -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Bundled:
    """Where a file ships inside a package (a dataset file's `bundled`)."""

    package: str
    module: str | None = None
    path: str | None = None
    version: str | None = None
    loader: str | None = None


@dataclass(frozen=True, slots=True)
class DataFile:
    """One entry of a dataset's `files`."""

    name: str
    url: str | None = None
    size_bytes: int | None = None
    sha256: str | None = None
    md5: str | None = None
    description: str | None = None
    bundled: Bundled | None = None


@dataclass(frozen=True, slots=True)
class Dataset:
    id: str
    title: str
    summary: str
    domain: str
    access: Literal["open", "registration", "restricted"]
    license: str
    description: str | None = None
    keywords: tuple[str, ...] = ()
    doi: str | None = None
    landing_page: str | None = None
    publisher: str | None = None
    creators: tuple[Creator, ...] = ()
    more_creators: bool = False
    year: int | None = None
    version: str | None = None
    size: str | None = None
    formats: tuple[str, ...] = ()
    content: str | None = None
    files: tuple[DataFile, ...] = ()
    citation: str | None = None
    reference_paper: Reference | None = None
    code: str | None = None
    related_records: tuple[Reference, ...] = ()
    provenance: Provenance | None = None


# --- seminars -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Minutes:
    """A past seminar's minutes."""

    topic_summary: str | None = None
    discussion: str | None = None
    suggestions: tuple[str, ...] = ()
    attendance: int | None = None
    references: tuple[Reference, ...] = ()


def calendar_day(value: str) -> dt.date | None:
    """A `YYYY-MM-DD` date, or None for `unknown` or a day the calendar lacks."""
    try:
        return dt.date.fromisoformat(value) if value != "unknown" else None
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class Seminar:
    id: str
    title: str
    date: str  # YYYY-MM-DD, or "unknown" where the date was not recorded
    time: str | None = None  # HH:MM
    timezone: str = "Europe/Rome"
    duration_minutes: int | None = None
    speakers: tuple[Person, ...] = ()
    abstract: str | None = None
    references: tuple[Reference, ...] = ()
    slides: str | None = None
    recording: str | None = None
    event_page: str | None = None
    minutes: Minutes | None = None
    usecases: tuple[str, ...] = ()
    datasets: tuple[str, ...] = ()
    events: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    domain: str | None = None
    techniques: tuple[str, ...] = ()
    provenance: Provenance | None = None
    indico: Imported | None = None

    @property
    def undated(self) -> bool:
        return self.date == "unknown"

    @property
    def day(self) -> dt.date | None:
        """The date as a date (None when not recorded)."""
        return calendar_day(self.date)


# --- events -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Exercise:
    """One of an event's exercises, and the use case and datasets it became or used."""

    title: str
    material: str | None = None
    usecase: str | None = None
    datasets: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Event:
    id: str
    title: str
    kind: Literal["hackathon", "school", "workshop"]
    start: str  # YYYY, YYYY-MM or YYYY-MM-DD: as precise as recorded
    end: str | None = None
    flavour: Literal["entry-level", "advanced"] | None = None
    format: Literal["virtual", "in-person", "hybrid"] | None = None
    format_details: str | None = None
    place: str | None = None
    event_page: str | None = None
    material: str | None = None
    resources_per_participant: str | None = None
    topics: tuple[str, ...] = ()
    exercises: tuple[Exercise, ...] = ()
    participants: int | None = None
    notes: str | None = None
    tags: tuple[str, ...] = ()
    indico: Imported | None = None
    provenance: Provenance | None = None


RecordValue = UseCase | Dataset | Seminar | Event


def people_of(value: RecordValue) -> tuple[Person | Creator, ...]:
    """The people (and organisations) a record credits: a use case's authors and contacts, a
    dataset's creators, a seminar's speakers."""
    if isinstance(value, UseCase):
        return (*value.authors, *value.contacts)
    if isinstance(value, Dataset):
        return value.creators
    if isinstance(value, Seminar):
        return value.speakers
    return ()


def record_value(kind: str, data: dict[str, Any]) -> RecordValue:
    """The typed value of a record of `kind` whose data passed its schema."""
    if kind == "usecase":
        return build(UseCase, data)
    if kind == "dataset":
        return build(Dataset, data)
    if kind == "seminar":
        return build(Seminar, data)
    if kind == "event":
        return build(Event, data)
    raise ValueError(f"no record kind {kind!r}")


T = TypeVar("T")
Convert = Callable[[Any], Any]
# per dataclass: the fields taken as they are, and those converted (tuples, nested values)
_FIELDS: dict[type, tuple[frozenset[str], tuple[tuple[str, Convert], ...]]] = {}


def build(cls: type[T], data: dict[str, Any]) -> T:
    """A value of dataclass `cls` from schema-checked data: each field from the key of its name."""
    as_is, converted = _FIELDS.get(cls) or _fields(cls)
    values = {key: value for key, value in data.items() if key in as_is}
    for name, convert in converted:
        if name in data:
            values[name] = convert(data[name])
    return cls(**values)


def _fields(cls: type) -> tuple[frozenset[str], tuple[tuple[str, Convert], ...]]:
    hints = get_type_hints(cls)
    convert = {f.name: _converter(hints[f.name]) for f in dataclasses.fields(cls)}
    as_is = frozenset(name for name, how in convert.items() if how is _keep)
    _FIELDS[cls] = found = as_is, tuple((name, how) for name, how in convert.items() if how is not _keep)
    return found


def _keep(value: Any) -> Any:
    return value


def _converter(hint: Any) -> Convert:
    """How a YAML value becomes an attribute of type `hint`."""
    origin, args = get_origin(hint), get_args(hint)
    if origin in (Union, types.UnionType):  # X | None: the value is there, so it is an X
        (hint,) = [arg for arg in args if arg is not type(None)] or [Any]
        origin, args = get_origin(hint), get_args(hint)
    if origin is tuple:  # tuple[X, ...] from a list (or a mapping's keys)
        item = _converter(args[0])
        return tuple if item is _keep else lambda values: tuple(map(item, values))
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        nested: type = hint
        return lambda value: build(nested, value)
    return _keep
