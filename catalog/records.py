"""Typed records: what a YAML record says, as frozen values with attributes.

Built once per record by the validate stage (`validate.load_record`), and only from data that
passed its JSON Schema (`schemas/*.schema.json`), so the builders below trust the shape: a
required field is read with `data[...]`, an optional one is `None` (or an empty tuple) when the
record leaves it out, never a made-up value. Where a schema declares a `default` (a notebook's
`gpu`, `nbval`, `cell_timeout`, `launch`; a seminar's `timezone`), the attribute holds it.

Rendering and exports read these attributes; the rules that check untrusted input (`rules.py`,
`schema_check.py`) read the raw data in `Record.data`, where a wrong shape can still be.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal

# --- values shared by the kinds ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Person:
    """`$defs/person`: a contact or a speaker."""

    name: str
    affiliation: str | None = None
    orcid: str | None = None
    email: str | None = None
    github: str | None = None

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Person:
        return cls(data["name"], data.get("affiliation"), data.get("orcid"), data.get("email"), data.get("github"))


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

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Creator:
        return cls(
            data["name"],
            data.get("kind", "person"),
            data.get("given_names"),
            data.get("family_names"),
            data.get("affiliation"),
            data.get("orcid"),
            data.get("ror"),
            data.get("email"),
            data.get("github"),
        )


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

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Reference:
        return cls(
            data["title"],
            tuple(data.get("authors", ())),
            data.get("year"),
            data.get("venue"),
            data.get("doi"),
            data.get("arxiv"),
            data.get("url"),
            data.get("cited_as"),
        )


@dataclass(frozen=True, slots=True)
class Provenance:
    """`$defs/provenance`: where the record's facts come from and how far they were checked."""

    verification: Literal["verified", "partially_verified", "unverified"]
    sources: tuple[str, ...] = ()
    notes: str | None = None
    report_reference: int | None = None

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Provenance:
        return cls(
            data["verification"], tuple(data.get("sources", ())), data.get("notes"), data.get("report_reference")
        )


@dataclass(frozen=True, slots=True)
class Imported:
    """The `indico` block: the page a record was imported from and the fields Indico filled."""

    url: str
    fields: tuple[str, ...]  # in the record's order

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Imported:
        return cls(data["url"], tuple(data["fields"]))


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

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> MetricSpec:
        get = data.get
        return cls(data["name"], get("expected"), get("abs_tol"), get("rel_tol"), get("min"), get("max"))


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

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> NotebookEntry:
        return cls(
            data["path"],
            data["title"],
            data.get("nbval", "lax"),
            data.get("cell_timeout", 300),
            data.get("gpu", "none"),
            data.get("gpu_memory_gb"),
            data.get("memory_gb"),
            data.get("launch", True),
            tuple(MetricSpec.from_data(m) for m in data.get("metrics", ())),
        )


@dataclass(frozen=True, slots=True)
class Environment:
    """A use case's `environment`: how its notebooks run."""

    python: str | None = None
    requirements: str | None = None
    conda: str | None = None
    image: str | None = None
    profile: str | None = None
    hub: str | None = None

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Environment:
        get = data.get
        return cls(get("python"), get("requirements"), get("conda"), get("image"), get("profile"), get("hub"))


@dataclass(frozen=True, slots=True)
class DataInfo:
    """A use case's `data`: the data it works on, in words."""

    type: Literal["simulation", "real", "mixed", "synthetic"] | None = None
    size: str | None = None
    sources: tuple[str, ...] = ()
    generated_by: str | None = None

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> DataInfo:
        return cls(data.get("type"), data.get("size"), tuple(data.get("sources", ())), data.get("generated_by"))


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

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> UseCase:
        get = data.get
        return cls(
            id=data["id"],
            title=data["title"],
            summary=data["summary"],
            domain=data["domain"],
            techniques=tuple(data["techniques"]),
            authors=tuple(map(Creator.from_data, data["authors"])),
            datasets=tuple(data["datasets"]),
            notebooks=tuple(map(NotebookEntry.from_data, data["notebooks"])),
            description=get("description"),
            science_field=get("science_field"),
            experiments=tuple(get("experiments", ())),
            ml_technology=get("ml_technology"),
            toolset=tuple(get("toolset", ())),
            additional_libraries=tuple(get("additional_libraries", ())),
            suggested_environments=tuple(get("suggested_environments", ())),
            data=DataInfo.from_data(data["data"]) if "data" in data else None,
            contacts=tuple(map(Person.from_data, get("contacts", ()))),
            maintainers=tuple(get("maintainers", ())),
            seminars=tuple(get("seminars", ())),
            metrics=tuple(map(MetricSpec.from_data, get("metrics", ()))),
            environment=Environment.from_data(data["environment"]) if "environment" in data else None,
            code=get("code"),
            references=tuple(map(Reference.from_data, get("references", ()))),
            license=get("license"),
            created=get("created"),
            updated=get("updated"),
            tags=tuple(get("tags", ())),
            provenance=Provenance.from_data(data["provenance"]) if "provenance" in data else None,
        )


# --- datasets -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Bundled:
    """Where a file ships inside a package (a dataset file's `bundled`)."""

    package: str
    module: str | None = None
    path: str | None = None
    version: str | None = None
    loader: str | None = None

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Bundled:
        get = data.get
        return cls(data["package"], get("module"), get("path"), get("version"), get("loader"))


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

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> DataFile:
        get = data.get
        bundled = Bundled.from_data(data["bundled"]) if "bundled" in data else None
        return cls(data["name"], get("url"), get("size_bytes"), get("sha256"), get("md5"), get("description"), bundled)


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

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Dataset:
        get = data.get
        return cls(
            id=data["id"],
            title=data["title"],
            summary=data["summary"],
            domain=data["domain"],
            access=data["access"],
            license=data["license"],
            description=get("description"),
            keywords=tuple(get("keywords", ())),
            doi=get("doi"),
            landing_page=get("landing_page"),
            publisher=get("publisher"),
            creators=tuple(map(Creator.from_data, get("creators", ()))),
            more_creators=get("more_creators", False),
            year=get("year"),
            version=get("version"),
            size=get("size"),
            formats=tuple(get("formats", ())),
            content=get("content"),
            files=tuple(map(DataFile.from_data, get("files", ()))),
            citation=get("citation"),
            reference_paper=Reference.from_data(data["reference_paper"]) if "reference_paper" in data else None,
            code=get("code"),
            related_records=tuple(map(Reference.from_data, get("related_records", ()))),
            provenance=Provenance.from_data(data["provenance"]) if "provenance" in data else None,
        )


# --- seminars -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Minutes:
    """A past seminar's minutes."""

    topic_summary: str | None = None
    discussion: str | None = None
    suggestions: tuple[str, ...] = ()
    attendance: int | None = None
    references: tuple[Reference, ...] = ()

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Minutes:
        get = data.get
        references = tuple(map(Reference.from_data, get("references", ())))
        return cls(
            get("topic_summary"), get("discussion"), tuple(get("suggestions", ())), get("attendance"), references
        )


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
    day: dt.date | None  # the date as a date (None when unknown)
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

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Seminar:
        get = data.get
        return cls(
            id=data["id"],
            title=data["title"],
            date=data["date"],
            day=calendar_day(data["date"]),
            time=get("time"),
            timezone=get("timezone", "Europe/Rome"),
            duration_minutes=get("duration_minutes"),
            speakers=tuple(map(Person.from_data, get("speakers", ()))),
            abstract=get("abstract"),
            references=tuple(map(Reference.from_data, get("references", ()))),
            slides=get("slides"),
            recording=get("recording"),
            event_page=get("event_page"),
            minutes=Minutes.from_data(data["minutes"]) if "minutes" in data else None,
            usecases=tuple(get("usecases", ())),
            datasets=tuple(get("datasets", ())),
            events=tuple(get("events", ())),
            tags=tuple(get("tags", ())),
            domain=get("domain"),
            techniques=tuple(get("techniques", ())),
            provenance=Provenance.from_data(data["provenance"]) if "provenance" in data else None,
            indico=Imported.from_data(data["indico"]) if "indico" in data else None,
        )


# --- events -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Exercise:
    """One of an event's exercises, and the use case and datasets it became or used."""

    title: str
    material: str | None = None
    usecase: str | None = None
    datasets: tuple[str, ...] = ()

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Exercise:
        return cls(data["title"], data.get("material"), data.get("usecase"), tuple(data.get("datasets", ())))


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

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Event:
        get = data.get
        return cls(
            id=data["id"],
            title=data["title"],
            kind=data["kind"],
            start=data["start"],
            end=get("end"),
            flavour=get("flavour"),
            format=get("format"),
            format_details=get("format_details"),
            place=get("place"),
            event_page=get("event_page"),
            material=get("material"),
            resources_per_participant=get("resources_per_participant"),
            topics=tuple(get("topics", ())),
            exercises=tuple(map(Exercise.from_data, get("exercises", ()))),
            participants=get("participants"),
            notes=get("notes"),
            tags=tuple(get("tags", ())),
            indico=Imported.from_data(data["indico"]) if "indico" in data else None,
            provenance=Provenance.from_data(data["provenance"]) if "provenance" in data else None,
        )


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
        return UseCase.from_data(data)
    if kind == "dataset":
        return Dataset.from_data(data)
    if kind == "seminar":
        return Seminar.from_data(data)
    if kind == "event":
        return Event.from_data(data)
    raise ValueError(f"no record kind {kind!r}")
