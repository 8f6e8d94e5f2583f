"""One page per record, written as HTML (see `document.py`). Every function returns a value and
touches no file."""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Sequence
from typing import Any

from ..events import event_when, sort_key
from ..model import Catalog, Record
from ..records import (
    Creator,
    DataFile,
    Dataset,
    Environment,
    Event,
    Imported,
    Minutes,
    NotebookEntry,
    Person,
    Provenance,
    RecordValue,
    Reference,
    Seminar,
    UseCase,
    people_of,
)
from ..results import NEVER_RUN, NotebookStatus, StatusMap
from ..urls import arxiv_url, doi_url, download_href, listing_uri, notebook_uri, orcid_url, page_uri
from .document import Document
from .launch import SiteSettings, launch_links, launch_notes
from .markup import a, attr, external_a, markdown_html, markdown_inline, plain, safe_url, table
from .tags import tags_of
from .verdicts import failure_details, metrics_table, order_note


def record_link(from_uri: str, record: Record) -> str:
    return a(from_uri, page_uri(record), plain(record.title))


def person(entry: Person | Creator) -> str:
    text = plain(entry.name)
    if entry.orcid:
        text = external_a(entry.name, orcid_url(entry.orcid))
    if entry.affiliation:
        text += f" ({plain(entry.affiliation)})"
    return text


def bullets(items: list[str], css: str = "") -> str:
    if not items:
        return ""
    cls = f' class="{css}"' if css else ""
    return f"<ul{cls}>\n" + "".join(f"<li>{item}</li>\n" for item in items) + "</ul>\n"


def properties(rows: list[tuple[str, str]]) -> str:
    """Label/value pairs as a definition list (fewer elements than a two-column table). The line
    breaks matter: the search index keeps no tags, so "Domain" and "hep" must not run together."""
    return (
        '<dl class="kb-properties">\n'
        + "".join(f"<dt>{label}</dt>\n<dd>{value}</dd>\n" for label, value in rows)
        + "</dl>\n"
    )


def reference_line(ref: Reference) -> str:
    parts = [f"<strong>{plain(ref.title)}</strong>"]
    if ref.authors:
        parts.append(plain(", ".join(ref.authors)))
    if ref.venue:
        parts.append(f"<em>{plain(ref.venue)}</em>")
    if ref.year:
        parts.append(str(ref.year))
    links = []
    if ref.doi:
        links.append(external_a(f"doi:{ref.doi}", doi_url(ref.doi)))
    if ref.arxiv:
        links.append(external_a(f"arXiv:{ref.arxiv}", arxiv_url(ref.arxiv)))
    if ref.url:
        links.append(external_a("link", ref.url))
    if ref.cited_as and not links:
        links.append(f"cited as: {plain(ref.cited_as)}")
    return ". ".join(parts) + (". " + " · ".join(links) if links else "")


def references_section(doc: Document, refs: Sequence[Reference], heading: str = "References") -> None:
    if refs:
        doc.heading(2, heading)
        doc.add(bullets([reference_line(r) for r in refs]))


def tags_line(from_uri: str, record: Record) -> str:
    tags = tags_of(record)
    if not tags:
        return ""
    return "<p><strong>Tags:</strong> " + " · ".join(a(from_uri, t.uri, plain(t.label)) for t in tags) + "</p>\n"


def search_terms(value: RecordValue) -> list[str]:
    """People and identifiers of a record: the search index gives them as the page's `tags`, the
    field Material ranks highest, so a surname or a DOI suffix finds the record first."""
    refs: Sequence[Reference] = ()
    own: list[str] = []  # the record's own identifiers
    if isinstance(value, (UseCase, Seminar)):
        refs = value.references
    elif isinstance(value, Dataset):
        refs = (value.reference_paper,) if value.reference_paper else ()
        own = [value.doi] if value.doi else []
    ids = [ident for ref in refs for ident in (ref.doi, ref.arxiv) if ident]
    return list(dict.fromkeys([*(p.name for p in people_of(value)), *ids, *own]))


def title_block(doc: Document, record: Record, uri: str, lead: str) -> None:
    doc.meta["kb_search_terms"] = search_terms(record.value)
    doc.heading(1, plain(record.value.title))
    doc.add(lead, tags_line(uri, record))


def provenance_note(prov: Provenance | None) -> str:
    if not prov:
        return ""
    state = prov.verification.replace("_", " ")
    body = f"<p>Facts in this record: <strong>{plain(state)}</strong>.</p>"
    if prov.notes:
        body += markdown_html(prov.notes)
    if prov.sources:
        body += "<p>Sources: " + "; ".join(plain(s) for s in prov.sources) + "</p>"
    return f'<details class="note"><summary>Provenance</summary>{body}</details>\n'


def badge(status: NotebookStatus) -> str:
    """A reproducibility badge: verdict, date, hardware, runtime (or 'not run yet')."""
    details = []
    if status.started:
        details.append(status.started[:10])
    if status.hardware:
        details.append(status.hardware)
    if status.duration_s is not None:
        details.append(f"{status.duration_s:.1f} s")
    title = " · ".join(details) or status.reason
    suffix = f" — {plain(title)}" if title else ""
    return f'<span class="kb-badge kb-{attr(status.facet)}" title="{attr(title)}">{plain(status.label)}</span>{suffix}'


def joined(values: str | Sequence[object]) -> str:
    return plain(values if isinstance(values, str) else ", ".join(str(v) for v in values))


def usecase_page(record: Record[UseCase], catalog: Catalog, settings: SiteSettings, statuses: StatusMap) -> Document:
    usecase, uri = record.value, page_uri(record)
    doc = Document(usecase.title, {"kb_kind": "usecase"})
    title_block(doc, record, uri, f"<p><em>{plain(usecase.summary)}</em></p>\n")
    rows = [("Domain", plain(usecase.domain)), ("Techniques", joined(usecase.techniques))]
    optional: tuple[tuple[str, str | tuple[str, ...] | None], ...] = (
        ("Science field", usecase.science_field),
        ("ML technology", usecase.ml_technology),
        ("Experiments", usecase.experiments),
        ("Toolset", usecase.toolset),
        ("Additional libraries", usecase.additional_libraries),
        ("Suggested environments", usecase.suggested_environments),
    )
    rows += [(label, joined(value)) for label, value in optional if value]
    if usecase.data:
        about = (("type", usecase.data.type), ("size", usecase.data.size), ("sources", usecase.data.sources))
        rows += [(f"Data {key}", joined(value)) for key, value in about if value]
    if usecase.license:
        rows.append(("License", plain(usecase.license)))
    if usecase.code:
        rows.append(("Code", external_a(usecase.code, usecase.code)))
    doc.add(properties(rows))
    if usecase.description:
        doc.heading(2, "Description")
        doc.add(markdown_html(usecase.description))
    doc.heading(2, "Authors")
    doc.add(bullets([person(p) for p in usecase.authors]))
    if usecase.contacts:
        doc.heading(2, "Contacts")
        doc.add(bullets([person(p) for p in usecase.contacts]))
    notebooks_section(doc, record, settings, statuses)
    environment_section(doc, usecase.environment)
    related_section(doc, uri, catalog, record)
    references_section(doc, usecase.references)
    citation_section(doc, record, settings)
    doc.add(provenance_note(usecase.provenance))
    return doc


def usecase_facets(record: Record[UseCase], statuses: StatusMap) -> dict[str, list[str]]:
    usecase = record.value
    gpu: list[str] = sorted({n.gpu for n in usecase.notebooks})
    status = sorted({statuses.get((record.id, n.path), NEVER_RUN).facet for n in usecase.notebooks})
    return {
        "domain": [usecase.domain],
        "technique": list(usecase.techniques),
        "experiment": list(usecase.experiments),
        "gpu": gpu,
        "status": status,
        "license": [usecase.license if usecase.license is not None else "unknown"],
    }


GPU_LABELS = {"none": "CPU only", "optional": "GPU optional", "required": "needs a GPU"}


def notebooks_section(doc: Document, record: Record[UseCase], settings: SiteSettings, statuses: StatusMap) -> None:
    uri = page_uri(record)
    doc.heading(2, "Notebooks")
    for nb in record.value.notebooks:
        target = notebook_uri(record.id, nb.path)
        status = statuses.get((record.id, nb.path), NEVER_RUN)
        gpu = GPU_LABELS[nb.gpu]
        if nb.gpu_memory_gb:
            gpu += f" ({nb.gpu_memory_gb} GB)"
        doc.heading(3, plain(nb.title), inner=a(uri, target, plain(nb.title)))
        doc.add(
            f"<p>Reproducibility: {badge(status)}</p>\n",
            order_note(status),
            failure_details(status),
            metrics_table(status),
            f"<p><code>{html.escape(nb.path)}</code> · {gpu} · nbval {plain(nb.nbval)} · "
            f"cell timeout {nb.cell_timeout} s</p>\n",
        )
        doc.add(launch_buttons(uri, record, nb, settings))


def launch_buttons(from_uri: str, record: Record[UseCase], nb: NotebookEntry, settings: SiteSettings) -> str:
    """The launch buttons of one notebook (where launching is on) and its download, as a paragraph."""
    target = notebook_uri(record.id, nb.path)
    buttons = []
    if nb.launch:
        environment = record.value.environment
        hub = environment.hub if environment else None
        buttons = [
            f'<a class="md-button kb-launch-{attr(link.service)}" href="{attr(safe_url(link.url))}">'
            f"{plain(link.label)}</a>"
            for link in launch_links(settings, target, nb.gpu, hub)
        ]
    buttons.append(f'<a class="md-button" href="{attr(download_href(from_uri, target))}" download>Download</a>')
    notes = launch_notes(settings, nb.gpu) if nb.launch else []
    why = "".join(f'<p class="kb-launch-note">{plain(note)}</p>\n' for note in notes)
    return "<p>" + " ".join(buttons) + "</p>\n" + why


def environment_section(doc: Document, env: Environment | None) -> None:
    if not env:
        return
    rows = [
        (label, plain(value))
        for label, value in (
            ("Python", env.python),
            ("Requirements file", env.requirements),
            ("Conda environment file", env.conda),
            ("Image", env.image),
            ("JupyterHub profile", env.profile),
        )
        if value is not None
    ]
    if env.hub is not None:
        rows.append(("JupyterHub", external_a(env.hub, env.hub)))
    doc.heading(2, "Environment")
    doc.add(properties(rows))


def related_section(doc: Document, uri: str, catalog: Catalog, record: Record) -> None:
    for kind, heading in (("dataset", "Datasets"), ("seminar", "Seminars"), ("usecase", "Use cases")):
        related = catalog.related(record, kind) if kind != record.kind else []
        if not related:
            continue
        lines = []
        for other in related:
            extra = ""
            if kind == "dataset":
                dataset: Dataset = other.value
                extra = f" — access: {plain(dataset.access)}, license: {plain(dataset.license)}"
            lines.append(record_link(uri, other) + extra)
        doc.heading(2, heading)
        doc.add(bullets(lines))
    heading, lines = event_mentions(uri, catalog, record)
    if lines:
        doc.heading(2, heading)
        doc.add(bullets(lines))


def event_mentions(uri: str, catalog: Catalog, record: Record) -> tuple[str, list[str]]:
    """(heading, lines) naming the events a use case, dataset or seminar is part of."""
    events: list[Record[Event]] = sorted(catalog.related(record, "event"), key=sort_key)
    if record.kind == "seminar":
        return "Given at", [f"{record_link(uri, e)} ({plain(event_when(e.value))})" for e in events]
    lines = []
    for event in events:
        for exercise in event.value.exercises:
            named = exercise.usecase == record.id or record.id in exercise.datasets
            if named:
                lines.append(
                    f"{record_link(uri, event)} ({plain(event_when(event.value))}): exercise “{plain(exercise.title)}”"
                )
    return ("Used as an exercise at" if record.kind == "usecase" else "Used in exercises at"), lines


def citation_section(doc: Document, record: Record[UseCase], settings: SiteSettings) -> None:
    from ..exports.citation import bibtex_entry

    doc.heading(2, "Cite this use case")
    doc.add(f'<pre><code class="language-bibtex">{html.escape(bibtex_entry(record, settings))}</code></pre>\n')


def link_status_section(doc: Document, record: Record, link_history: dict[str, list[dict[str, Any]]]) -> None:
    """Each URL of the record with its last checked state (from `catalog links`)."""
    if not link_history:
        return  # no link was ever checked
    from ..links import record_urls, verdict

    lines = []
    for use in record_urls(record):
        runs = link_history.get(use.url, [])
        if not runs:
            continue  # never checked: nothing to tell the reader
        checked = f"checked {runs[-1]['checked'][:10]}"
        lines.append(f"{external_a(use.url, use.url)} — <strong>{plain(verdict(runs))}</strong>, {checked}")
    if lines:
        doc.heading(2, "Link status")
        doc.add(bullets(lines, "kb-link-status"))


def dataset_page(
    record: Record[Dataset], catalog: Catalog, link_history: dict[str, list[dict[str, Any]]] | None = None
) -> Document:
    dataset, uri = record.value, page_uri(record)
    doc = Document(dataset.title, {"kb_kind": "dataset"})
    title_block(doc, record, uri, f"<p><em>{plain(dataset.summary)}</em></p>\n")
    rows = [
        ("Domain", plain(dataset.domain)),
        ("Access", plain(dataset.access)),
        ("License", plain(dataset.license)),
    ]
    if dataset.doi:
        rows.append(("DOI", external_a(dataset.doi, doi_url(dataset.doi))))
    if dataset.landing_page:
        rows.append(("Landing page", external_a(dataset.landing_page, dataset.landing_page)))
    creators = [c.name for c in dataset.creators] + (["et al."] if dataset.more_creators else [])
    optional: tuple[tuple[str, str | int | list[str] | tuple[str, ...] | None], ...] = (
        ("Publisher", dataset.publisher),
        ("Year", dataset.year),
        ("Version", dataset.version),
        ("Size", dataset.size),
        ("Creators", creators if dataset.creators else None),
        ("Formats", dataset.formats),
        ("Keywords", dataset.keywords),
    )
    rows += [
        (label, joined(value) if isinstance(value, (list, tuple)) else plain(value))
        for label, value in optional
        if value
    ]
    if dataset.code:
        rows.append(("Code", external_a(dataset.code, dataset.code)))
    doc.add(properties(rows))
    for text, heading in ((dataset.description, "Description"), (dataset.content, "Content")):
        if text:
            doc.heading(2, heading)
            doc.add(markdown_html(text))
    files_section(doc, dataset.files)
    if dataset.citation:
        doc.heading(2, "Citation")
        doc.add(f"<blockquote><p>{plain(dataset.citation)}</p></blockquote>\n")
    if dataset.reference_paper:
        references_section(doc, [dataset.reference_paper], "Reference paper")
    references_section(doc, dataset.related_records, "Related records")
    related_section(doc, uri, catalog, record)
    link_status_section(doc, record, link_history or {})
    doc.add(provenance_note(dataset.provenance))
    return doc


def files_section(doc: Document, files: Sequence[DataFile]) -> None:
    if not files:
        return
    rows = []
    for f in files:
        name = external_a(f.name, f.url) if f.url else plain(f.name)
        size = f"{f.size_bytes:,} B" if f.size_bytes is not None else ""
        sums = [
            f"{algo} <code>{html.escape(value)}</code>"
            for algo, value in (("sha256", f.sha256), ("md5", f.md5))
            if value
        ]
        where = f"bundled in {plain(f.bundled.package)}" if f.bundled else ""
        rows.append([name, plain(f.description or ""), size, "<br>".join(sums), where])
    doc.heading(2, "Files")
    doc.add(table(["File", "Content", "Size", "Checksums", "Copy"], rows))


def seminar_when(seminar: Seminar) -> str:
    if seminar.undated:
        return "date not recorded"
    when = seminar.date
    if seminar.time:
        when += f" {seminar.time} ({seminar.timezone})"
    if seminar.duration_minutes:
        when += f", {seminar.duration_minutes} min"
    return when


UNDATED_ANCHOR = "date-not-recorded"


def seminar_page(record: Record[Seminar], catalog: Catalog, today: dt.date | None = None) -> Document:
    seminar, uri = record.value, page_uri(record)
    doc = Document(seminar.title, {"kb_kind": "seminar"})
    lead = "" if seminar.undated else f"<p><strong>When:</strong> {plain(seminar_when(seminar))}</p>\n"
    title_block(doc, record, uri, lead + not_recorded_note(uri, seminar, today))
    if seminar.speakers:
        doc.heading(2, "Speakers")
        doc.add(bullets([person(s) for s in seminar.speakers]))
    if seminar.abstract:
        doc.heading(2, "Abstract")
        doc.add(markdown_html(seminar.abstract))
    named = (("Slides", seminar.slides), ("Recording", seminar.recording), ("Event page", seminar.event_page))
    links = [external_a(label, url) for label, url in named if url]
    if links:
        doc.add("<p>" + " · ".join(links) + "</p>\n")
    minutes_section(doc, seminar.minutes)
    references_section(doc, seminar.references)
    related_section(doc, uri, catalog, record)
    doc.add(provenance_note(seminar.provenance), imported_note(seminar.indico))
    return doc


def imported_note(indico: Imported | None) -> str:
    """Which fields `catalog import indico` filled (the others are the maintainers')."""
    if indico is None or not indico.fields:
        return ""
    names = ", ".join(plain(name.replace("_", " ")) for name in indico.fields)
    return f'<p class="kb-imported"><small>From {external_a("Indico", indico.url)}: {names}.</small></p>\n'


def not_recorded_note(uri: str, seminar: Seminar, today: dt.date | None) -> str:
    """One line for everything a seminar record lacks, instead of a placeholder per section. A
    future seminar has no minutes yet, which is no gap."""
    missing = []
    if seminar.undated:
        missing.append("the date")
    if not seminar.speakers:
        missing.append("the speakers")
    future = not seminar.undated and today is not None and seminar.date >= today.isoformat()
    if not seminar.minutes and not future:
        missing.append("the minutes")
    if not missing:
        return ""
    listed = missing[0] if len(missing) == 1 else ", ".join(missing[:-1]) + " and " + missing[-1]
    why = a(uri, listing_uri("seminar"), "why", UNDATED_ANCHOR) if seminar.undated else ""
    return f'<p class="kb-not-recorded"><em>Not recorded: {listed}{f" ({why})" if why else ""}.</em></p>\n'


def minutes_section(doc: Document, minutes: Minutes | None) -> None:
    if not minutes:
        return  # said once, in the not-recorded line
    doc.heading(2, "Minutes")
    for text, heading in ((minutes.topic_summary, "Summary of the topic"), (minutes.discussion, "Discussion")):
        if text:
            doc.heading(3, heading)
            doc.add(markdown_html(text))
    if minutes.suggestions:
        doc.heading(3, "Suggestions from the audience")
        doc.add(bullets([markdown_inline(s) for s in minutes.suggestions], "kb-suggestions"))
    if minutes.attendance is not None:
        doc.add(f"<p>Attendance: {minutes.attendance}</p>\n")
