"""Event pages (hackathons, schools, workshops) and the events listing. The lines other pages
show about events ("used as an exercise at …", "given at …") are `pages.event_mentions`."""

from __future__ import annotations

from ..events import event_when, sort_key
from ..model import Catalog, Record
from ..records import Event, Exercise, Seminar
from ..urls import listing_uri, page_uri
from .document import Document
from .markup import a, external_a, plain
from .pages import bullets, imported_note, properties, provenance_note, record_link, tags_line

KIND_LABELS = {"hackathon": "Hackathon", "school": "School", "workshop": "Workshop"}
FORMAT_LABELS = {"virtual": "virtual", "in-person": "in person", "hybrid": "hybrid"}


def event_page(record: Record[Event], catalog: Catalog) -> Document:
    event, uri = record.value, page_uri(record)
    doc = Document(event.title, {"kb_kind": "event"})
    doc.heading(1, plain(event.title))
    doc.add(tags_line(uri, record))
    rows = [("Kind", plain(KIND_LABELS[event.kind])), ("When", plain(event_when(event)))]
    if event.flavour:
        rows.append(("Level", plain(event.flavour)))
    if event.format:
        details = f" ({event.format_details})" if event.format_details else ""
        rows.append(("Format", plain(FORMAT_LABELS[event.format] + details)))
    if event.place:
        rows.append(("Place", plain(event.place)))
    if event.participants is not None:
        rows.append(("Participants", str(event.participants)))
    if event.resources_per_participant:
        rows.append(("Resources per participant", plain(event.resources_per_participant)))
    if event.event_page:
        rows.append(("Event page", external_a(event.event_page, event.event_page)))
    if event.material:
        rows.append(("Material", external_a(event.material, event.material)))
    doc.add(properties(rows))
    if event.topics:
        doc.heading(2, "Topics")
        doc.add(bullets([plain(t) for t in event.topics]))
    if event.exercises:
        doc.heading(2, "Exercises")
        doc.add(bullets([exercise_line(uri, exercise, catalog) for exercise in event.exercises]))
    seminars: list[Record[Seminar]] = catalog.related(record, "seminar")
    if seminars:
        doc.heading(2, "Seminars given at this event")
        doc.add(bullets([record_link(uri, s) for s in sorted(seminars, key=lambda r: (r.value.date, r.title))]))
    if event.notes:
        from .markup import markdown_html

        doc.heading(2, "Notes")
        doc.add(markdown_html(event.notes))
    doc.add(provenance_note(event.provenance), imported_note(event.indico))
    return doc


def exercise_line(uri: str, exercise: Exercise, catalog: Catalog) -> str:
    text = plain(exercise.title)
    if exercise.material:
        text += " — " + external_a("material", exercise.material)
    usecase = catalog.usecases.get(exercise.usecase or "")
    if usecase is not None:
        text += " — became the use case " + record_link(uri, usecase)
    datasets = [catalog.datasets[d] for d in exercise.datasets if d in catalog.datasets]
    if datasets:
        text += " — data: " + ", ".join(record_link(uri, d) for d in datasets)
    return text


def events_index(catalog: Catalog) -> Document:
    uri = listing_uri("event")
    doc = Document("Events", {"kb_kind": "listing"})
    doc.heading(1, "Events")
    events = sorted(catalog.events.values(), key=sort_key, reverse=True)
    if not events:
        doc.add("<p><em>No events recorded yet.</em></p>\n")
        return doc
    doc.add(
        f"<p>{len(events)} hackathons, schools and workshops of the initiative, newest first, each with its "
        "event page and material. Dates are as precise as what is recorded: a month or a year alone where "
        "that is all that is known.</p>\n"
    )
    lines = []
    for record in events:
        event = record.value
        bits = [plain(event_when(event))]
        if event.flavour:
            bits.append(plain(event.flavour))
        if event.format:
            bits.append(plain(FORMAT_LABELS[event.format]))
        if event.place:
            bits.append(plain(event.place))
        lines.append(f"{a(uri, page_uri(record), plain(record.title))} — {' · '.join(bits)}")
    doc.add(bullets(lines))
    return doc
