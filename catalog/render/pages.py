"""One page per record, written as HTML (see `document.py`). Every function returns a value and
touches no file."""

from __future__ import annotations

import datetime as dt
import html
from typing import Any

from ..events import event_when, sort_key
from ..model import Catalog, Record
from ..results import NEVER_RUN, NotebookStatus, StatusMap
from ..urls import arxiv_url, doi_url, download_href, listing_uri, notebook_uri, orcid_url, page_uri
from .document import Document
from .launch import SiteSettings, launch_links, launch_notes
from .markup import a, attr, external_a, markdown_html, markdown_inline, plain, safe_url, table
from .tags import tags_of
from .verdicts import failure_details, metrics_table


def record_link(from_uri: str, record: Record) -> str:
    return a(from_uri, page_uri(record), plain(record.title))


def person(entry: dict[str, Any]) -> str:
    text = plain(entry["name"])
    if entry.get("orcid"):
        text = external_a(entry["name"], orcid_url(entry["orcid"]))
    if entry.get("affiliation"):
        text += f" ({plain(entry['affiliation'])})"
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


def reference_line(ref: dict[str, Any]) -> str:
    parts = [f"<strong>{plain(ref['title'])}</strong>"]
    if ref.get("authors"):
        parts.append(plain(", ".join(ref["authors"])))
    if ref.get("venue"):
        parts.append(f"<em>{plain(ref['venue'])}</em>")
    if ref.get("year"):
        parts.append(str(ref["year"]))
    links = []
    if ref.get("doi"):
        links.append(external_a(f"doi:{ref['doi']}", doi_url(ref["doi"])))
    if ref.get("arxiv"):
        links.append(external_a(f"arXiv:{ref['arxiv']}", arxiv_url(ref["arxiv"])))
    if ref.get("url"):
        links.append(external_a("link", ref["url"]))
    if ref.get("cited_as") and not links:
        links.append(f"cited as: {plain(ref['cited_as'])}")
    return ". ".join(parts) + (". " + " · ".join(links) if links else "")


def references_section(doc: Document, refs: list[dict[str, Any]], heading: str = "References") -> None:
    if refs:
        doc.heading(2, heading)
        doc.add(bullets([reference_line(r) for r in refs]))


def tags_line(from_uri: str, record: Record) -> str:
    tags = tags_of(record)
    if not tags:
        return ""
    return "<p><strong>Tags:</strong> " + " · ".join(a(from_uri, t.uri, plain(t.label)) for t in tags) + "</p>\n"


def search_terms(record: Record) -> list[str]:
    """People and identifiers of a record: the search index gives them as the page's `tags`, the
    field Material ranks highest, so a surname or a DOI suffix finds the record first."""
    data = record.data
    people = [p["name"] for key in ("authors", "contacts", "creators", "speakers") for p in data.get(key, [])]
    refs = [*data.get("references", []), *([data["reference_paper"]] if data.get("reference_paper") else []), data]
    ids = [ref[key] for ref in refs for key in ("doi", "arxiv") if isinstance(ref.get(key), str)]
    return list(dict.fromkeys([*people, *ids]))


def title_block(doc: Document, record: Record, uri: str, lead: str) -> None:
    doc.meta["kb_search_terms"] = search_terms(record)
    doc.heading(1, plain(record.title))
    doc.add(lead, tags_line(uri, record))


def provenance_note(record: Record) -> str:
    prov = record.data.get("provenance")
    if not prov:
        return ""
    state = prov["verification"].replace("_", " ")
    body = f"<p>Facts in this record: <strong>{plain(state)}</strong>.</p>"
    if prov.get("notes"):
        body += markdown_html(prov["notes"])
    if prov.get("sources"):
        body += "<p>Sources: " + "; ".join(plain(s) for s in prov["sources"]) + "</p>"
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


def joined(values: Any) -> str:
    return plain(values if isinstance(values, str) else ", ".join(str(v) for v in values))


def usecase_page(record: Record, catalog: Catalog, settings: SiteSettings, statuses: StatusMap) -> Document:
    data, uri = record.data, page_uri(record)
    doc = Document(record.title, {"kb_kind": "usecase"})
    title_block(doc, record, uri, f"<p><em>{plain(data['summary'])}</em></p>\n")
    rows = [("Domain", plain(data["domain"])), ("Techniques", joined(data["techniques"]))]
    for key, label in (
        ("science_field", "Science field"),
        ("ml_technology", "ML technology"),
        ("experiments", "Experiments"),
        ("toolset", "Toolset"),
        ("additional_libraries", "Additional libraries"),
        ("suggested_environments", "Suggested environments"),
    ):
        if data.get(key):
            rows.append((label, joined(data[key])))
    for key in ("type", "size", "sources"):
        if data.get("data", {}).get(key):
            rows.append((f"Data {key}", joined(data["data"][key])))
    if data.get("license"):
        rows.append(("License", plain(data["license"])))
    if data.get("code"):
        rows.append(("Code", external_a(data["code"], data["code"])))
    doc.add(properties(rows))
    if data.get("description"):
        doc.heading(2, "Description")
        doc.add(markdown_html(data["description"]))
    doc.heading(2, "Authors")
    doc.add(bullets([person(p) for p in data["authors"]]))
    if data.get("contacts"):
        doc.heading(2, "Contacts")
        doc.add(bullets([person(p) for p in data["contacts"]]))
    notebooks_section(doc, record, settings, statuses)
    environment_section(doc, data)
    related_section(doc, uri, catalog, record)
    references_section(doc, data.get("references", []))
    citation_section(doc, record, settings)
    doc.add(provenance_note(record))
    return doc


def usecase_facets(record: Record, statuses: StatusMap) -> dict[str, list[str]]:
    data = record.data
    gpu = sorted({n.get("gpu", "none") for n in data["notebooks"]})
    status = sorted({statuses.get((record.id, n["path"]), NEVER_RUN).facet for n in data["notebooks"]})
    return {
        "domain": [data["domain"]],
        "technique": list(data["techniques"]),
        "experiment": list(data.get("experiments", [])),
        "gpu": gpu,
        "status": status,
        "license": [data.get("license", "unknown")],
    }


def notebooks_section(doc: Document, record: Record, settings: SiteSettings, statuses: StatusMap) -> None:
    uri = page_uri(record)
    doc.heading(2, "Notebooks")
    for nb in record.data["notebooks"]:
        target = notebook_uri(record.id, nb["path"])
        status = statuses.get((record.id, nb["path"]), NEVER_RUN)
        gpu = {"none": "CPU only", "optional": "GPU optional", "required": "needs a GPU"}[nb.get("gpu", "none")]
        if nb.get("gpu_memory_gb"):
            gpu += f" ({nb['gpu_memory_gb']} GB)"
        doc.heading(3, plain(nb["title"]), inner=a(uri, target, plain(nb["title"])))
        doc.add(
            f"<p>Reproducibility: {badge(status)}</p>\n",
            failure_details(status),
            metrics_table(status),
            f"<p><code>{html.escape(nb['path'])}</code> · {gpu} · nbval {plain(nb.get('nbval', 'lax'))} · "
            f"cell timeout {nb.get('cell_timeout', 300)} s</p>\n",
        )
        doc.add(launch_buttons(uri, record, nb, settings))


def launch_buttons(from_uri: str, record: Record, nb: dict[str, Any], settings: SiteSettings) -> str:
    """The launch buttons of one notebook (where launching is on) and its download, as a paragraph."""
    target = notebook_uri(record.id, nb["path"])
    buttons = []
    if nb.get("launch", True):
        buttons = [
            f'<a class="md-button kb-launch-{attr(link.service)}" href="{attr(safe_url(link.url))}">'
            f"{plain(link.label)}</a>"
            for link in launch_links(settings, record.data, target, nb.get("gpu", "none"))
        ]
    buttons.append(f'<a class="md-button" href="{attr(download_href(from_uri, target))}" download>Download</a>')
    notes = launch_notes(settings, nb.get("gpu", "none")) if nb.get("launch", True) else []
    why = "".join(f'<p class="kb-launch-note">{plain(note)}</p>\n' for note in notes)
    return "<p>" + " ".join(buttons) + "</p>\n" + why


def environment_section(doc: Document, data: dict[str, Any]) -> None:
    env = data.get("environment")
    if not env:
        return
    labels = {
        "python": "Python",
        "requirements": "Requirements file",
        "image": "Image",
        "profile": "JupyterHub profile",
        "hub": "JupyterHub",
    }
    doc.heading(2, "Environment")
    doc.add(properties([(labels[k], plain(v) if k != "hub" else external_a(v, v)) for k, v in env.items()]))


def related_section(doc: Document, uri: str, catalog: Catalog, record: Record) -> None:
    for kind, heading in (("dataset", "Datasets"), ("seminar", "Seminars"), ("usecase", "Use cases")):
        related = catalog.related(record, kind) if kind != record.kind else []
        if not related:
            continue
        lines = []
        for other in related:
            extra = ""
            if kind == "dataset":
                extra = f" — access: {plain(other.data['access'])}, license: {plain(other.data['license'])}"
            lines.append(record_link(uri, other) + extra)
        doc.heading(2, heading)
        doc.add(bullets(lines))
    heading, lines = event_mentions(uri, catalog, record)
    if lines:
        doc.heading(2, heading)
        doc.add(bullets(lines))


def event_mentions(uri: str, catalog: Catalog, record: Record) -> tuple[str, list[str]]:
    """(heading, lines) naming the events a use case, dataset or seminar is part of."""
    events = sorted(catalog.related(record, "event"), key=sort_key)
    if record.kind == "seminar":
        return "Given at", [f"{record_link(uri, e)} ({plain(event_when(e.data))})" for e in events]
    lines = []
    for event in events:
        for exercise in event.data.get("exercises", []):
            named = exercise.get("usecase") == record.id or record.id in exercise.get("datasets", [])
            if named:
                lines.append(
                    f"{record_link(uri, event)} ({plain(event_when(event.data))}): exercise "
                    f"“{plain(exercise['title'])}”"
                )
    return ("Used as an exercise at" if record.kind == "usecase" else "Used in exercises at"), lines


def citation_section(doc: Document, record: Record, settings: SiteSettings) -> None:
    from ..exports.citation import bibtex_entry

    doc.heading(2, "Cite this use case")
    doc.add(f'<pre><code class="language-bibtex">{html.escape(bibtex_entry(record, settings))}</code></pre>\n')


def link_status_section(doc: Document, record: Record, link_history: dict[str, list[dict[str, Any]]]) -> None:
    """Each URL of the record with its last checked state (from `catalog links`)."""
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
    record: Record, catalog: Catalog, link_history: dict[str, list[dict[str, Any]]] | None = None
) -> Document:
    data, uri = record.data, page_uri(record)
    doc = Document(record.title, {"kb_kind": "dataset"})
    title_block(doc, record, uri, f"<p><em>{plain(data['summary'])}</em></p>\n")
    rows = [("Domain", plain(data["domain"])), ("Access", plain(data["access"])), ("License", plain(data["license"]))]
    if data.get("doi"):
        rows.append(("DOI", external_a(data["doi"], doi_url(data["doi"]))))
    if data.get("landing_page"):
        rows.append(("Landing page", external_a(data["landing_page"], data["landing_page"])))
    for key, label in (
        ("publisher", "Publisher"),
        ("year", "Year"),
        ("version", "Version"),
        ("size", "Size"),
        ("creators", "Creators"),
        ("formats", "Formats"),
        ("keywords", "Keywords"),
    ):
        if key == "creators" and data.get(key):
            names = [c["name"] for c in data["creators"]] + (["et al."] if data.get("more_creators") else [])
            rows.append((label, joined(names)))
        elif data.get(key):
            rows.append((label, joined(data[key]) if isinstance(data[key], list) else plain(data[key])))
    if data.get("code"):
        rows.append(("Code", external_a(data["code"], data["code"])))
    doc.add(properties(rows))
    for key, heading in (("description", "Description"), ("content", "Content")):
        if data.get(key):
            doc.heading(2, heading)
            doc.add(markdown_html(data[key]))
    files_section(doc, data.get("files", []))
    if data.get("citation"):
        doc.heading(2, "Citation")
        doc.add(f"<blockquote><p>{plain(data['citation'])}</p></blockquote>\n")
    if data.get("reference_paper"):
        references_section(doc, [data["reference_paper"]], "Reference paper")
    references_section(doc, data.get("related_records", []), "Related records")
    related_section(doc, uri, catalog, record)
    link_status_section(doc, record, link_history or {})
    doc.add(provenance_note(record))
    return doc


def files_section(doc: Document, files: list[dict[str, Any]]) -> None:
    if not files:
        return
    rows = []
    for f in files:
        name = external_a(f["name"], f["url"]) if f.get("url") else plain(f["name"])
        size = f"{f['size_bytes']:,} B" if "size_bytes" in f else ""
        sums = [f"{algo} <code>{html.escape(f[algo])}</code>" for algo in ("sha256", "md5") if f.get(algo)]
        where = f"bundled in {plain(f['bundled']['package'])}" if f.get("bundled") else ""
        rows.append([name, plain(f.get("description", "")), size, "<br>".join(sums), where])
    doc.heading(2, "Files")
    doc.add(table(["File", "Content", "Size", "Checksums", "Copy"], rows))


def seminar_when(data: dict[str, Any]) -> str:
    if data["date"] == "unknown":
        return "date not recorded"
    when = data["date"]
    if data.get("time"):
        when += f" {data['time']} ({data.get('timezone', 'Europe/Rome')})"
    if data.get("duration_minutes"):
        when += f", {data['duration_minutes']} min"
    return when


UNDATED_ANCHOR = "date-not-recorded"


def seminar_page(record: Record, catalog: Catalog, today: dt.date | None = None) -> Document:
    data, uri = record.data, page_uri(record)
    doc = Document(record.title, {"kb_kind": "seminar"})
    undated = data["date"] == "unknown"
    lead = "" if undated else f"<p><strong>When:</strong> {plain(seminar_when(data))}</p>\n"
    title_block(doc, record, uri, lead + not_recorded_note(uri, data, today))
    if data.get("speakers"):
        doc.heading(2, "Speakers")
        doc.add(bullets([person(s) for s in data["speakers"]]))
    if data.get("abstract"):
        doc.heading(2, "Abstract")
        doc.add(markdown_html(data["abstract"]))
    links = [
        external_a(label, data[key])
        for key, label in (("slides", "Slides"), ("recording", "Recording"), ("event_page", "Event page"))
        if data.get(key)
    ]
    if links:
        doc.add("<p>" + " · ".join(links) + "</p>\n")
    minutes_section(doc, data)
    references_section(doc, data.get("references", []))
    related_section(doc, uri, catalog, record)
    doc.add(provenance_note(record), imported_note(data))
    return doc


def imported_note(data: dict[str, Any]) -> str:
    """Which fields `catalog import indico` filled (the others are the maintainers')."""
    indico = data.get("indico")
    if not isinstance(indico, dict) or not indico.get("fields"):
        return ""
    names = ", ".join(plain(name.replace("_", " ")) for name in indico["fields"])
    return f'<p class="kb-imported"><small>From {external_a("Indico", indico["url"])}: {names}.</small></p>\n'


def not_recorded_note(uri: str, data: dict[str, Any], today: dt.date | None) -> str:
    """One line for everything a seminar record lacks, instead of a placeholder per section. A
    future seminar has no minutes yet, which is no gap."""
    missing = []
    if data["date"] == "unknown":
        missing.append("the date")
    if not data.get("speakers"):
        missing.append("the speakers")
    future = data["date"] != "unknown" and today is not None and data["date"] >= today.isoformat()
    if not data.get("minutes") and not future:
        missing.append("the minutes")
    if not missing:
        return ""
    listed = missing[0] if len(missing) == 1 else ", ".join(missing[:-1]) + " and " + missing[-1]
    why = a(uri, listing_uri("seminar"), "why", UNDATED_ANCHOR) if data["date"] == "unknown" else ""
    return f'<p class="kb-not-recorded"><em>Not recorded: {listed}{f" ({why})" if why else ""}.</em></p>\n'


def minutes_section(doc: Document, data: dict[str, Any]) -> None:
    minutes = data.get("minutes")
    if not minutes:
        return  # said once, in the not-recorded line
    doc.heading(2, "Minutes")
    for key, heading in (("topic_summary", "Summary of the topic"), ("discussion", "Discussion")):
        if minutes.get(key):
            doc.heading(3, heading)
            doc.add(markdown_html(minutes[key]))
    if minutes.get("suggestions"):
        doc.heading(3, "Suggestions from the audience")
        doc.add(bullets([markdown_inline(s) for s in minutes["suggestions"]], "kb-suggestions"))
    if minutes.get("attendance") is not None:
        doc.add(f"<p>Attendance: {minutes['attendance']}</p>\n")
