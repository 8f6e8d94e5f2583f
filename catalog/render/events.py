"""Event pages (hackathons, schools, workshops) and the events listing. The lines other pages
show about events ("used as an exercise at …", "given at …") are `pages.event_mentions`."""

from __future__ import annotations

from ..events import event_when, sort_key
from ..model import Catalog, Record
from ..urls import listing_uri, page_uri
from .document import Document
from .markup import a, external_a, plain
from .pages import bullets, imported_note, properties, provenance_note, record_link, tags_line

KIND_LABELS = {"hackathon": "Hackathon", "school": "School", "workshop": "Workshop"}
FORMAT_LABELS = {"virtual": "virtual", "in-person": "in person", "hybrid": "hybrid"}


def event_page(record: Record, catalog: Catalog) -> Document:
    data, uri = record.data, page_uri(record)
    doc = Document(record.title, {"kb_kind": "event"})
    doc.heading(1, plain(record.title))
    doc.add(tags_line(uri, record))
    rows = [("Kind", plain(KIND_LABELS[data["kind"]])), ("When", plain(event_when(data)))]
    if data.get("flavour"):
        rows.append(("Level", plain(data["flavour"])))
    if data.get("format"):
        details = f" ({data['format_details']})" if data.get("format_details") else ""
        rows.append(("Format", plain(FORMAT_LABELS[data["format"]] + details)))
    if data.get("place"):
        rows.append(("Place", plain(data["place"])))
    if data.get("participants") is not None:
        rows.append(("Participants", str(data["participants"])))
    if data.get("resources_per_participant"):
        rows.append(("Resources per participant", plain(data["resources_per_participant"])))
    if data.get("event_page"):
        rows.append(("Event page", external_a(data["event_page"], data["event_page"])))
    if data.get("material"):
        rows.append(("Material", external_a(data["material"], data["material"])))
    doc.add(properties(rows))
    if data.get("topics"):
        doc.heading(2, "Topics")
        doc.add(bullets([plain(t) for t in data["topics"]]))
    if data.get("exercises"):
        doc.heading(2, "Exercises")
        doc.add(bullets([exercise_line(uri, exercise, catalog) for exercise in data["exercises"]]))
    seminars = catalog.related(record, "seminar")
    if seminars:
        doc.heading(2, "Seminars given at this event")
        doc.add(bullets([record_link(uri, s) for s in sorted(seminars, key=lambda r: (r.data["date"], r.title))]))
    if data.get("notes"):
        from .markup import markdown_html

        doc.heading(2, "Notes")
        doc.add(markdown_html(data["notes"]))
    doc.add(provenance_note(record), imported_note(data))
    return doc


def exercise_line(uri: str, exercise: dict[str, object], catalog: Catalog) -> str:
    text = plain(exercise["title"])
    if isinstance(exercise.get("material"), str):
        text += " — " + external_a("material", str(exercise["material"]))
    usecase = catalog.usecases.get(str(exercise.get("usecase", "")))
    if usecase is not None:
        text += " — became the use case " + record_link(uri, usecase)
    datasets = [catalog.datasets[d] for d in exercise.get("datasets") or [] if d in catalog.datasets]  # type: ignore[attr-defined]
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
    for event in events:
        data = event.data
        bits = [plain(event_when(data))]
        if data.get("flavour"):
            bits.append(plain(data["flavour"]))
        if data.get("format"):
            bits.append(plain(FORMAT_LABELS[data["format"]]))
        if data.get("place"):
            bits.append(plain(data["place"]))
        lines.append(f"{a(uri, page_uri(event), plain(event.title))} — {' · '.join(bits)}")
    doc.add(bullets(lines))
    return doc
