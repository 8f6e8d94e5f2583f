"""The home page (counts, seminars, recent records, a chart drawn at build time) and the
compiled minutes of the whole series."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from ..model import Catalog, Record
from ..records import Event, Seminar
from ..urls import HOME, MINUTES, listing_uri, page_uri
from .document import Document
from .markup import a, attr, href, markdown_html, markdown_inline, plain
from .pages import bullets, reference_line, seminar_when

COUNTED = {"usecase": "use cases", "dataset": "datasets", "seminar": "seminars", "event": "events"}


def bar_chart_svg(title: str, counts: dict[str, int], width: int = 560) -> str:
    """A horizontal bar chart as inline SVG: no JavaScript, no network, readable by screen readers."""
    if not counts:
        return ""
    bar_h, gap, label_w = 18, 6, 170
    biggest = max(counts.values())
    rows = []
    for i, (label, count) in enumerate(counts.items()):
        y = i * (bar_h + gap) + 24
        length = max(2, round((width - label_w - 50) * count / biggest))
        rows.append(
            f'<text x="{label_w - 8}" y="{y + 13}" text-anchor="end">{plain(label)}</text>'
            f'<rect x="{label_w}" y="{y}" width="{length}" height="{bar_h}" rx="3" class="kb-bar"/>'
            f'<text x="{label_w + length + 6}" y="{y + 13}">{count}</text>'
        )
    height = len(counts) * (bar_h + gap) + 30
    size = f'width="{width}" height="{height}" style="max-width:100%;height:auto"'
    return (
        f'<figure class="kb-chart"><svg role="img" aria-label="{attr(title)}" viewBox="0 0 {width} {height}" '
        f'{size} xmlns="http://www.w3.org/2000/svg"><text x="0" y="14" class="kb-chart-title">'
        f"{plain(title)}</text>{''.join(rows)}</svg></figure>\n"
    )


def records_per_domain(catalog: Catalog) -> dict[str, int]:
    values = [r.value for r in catalog.all_records()]
    counts = Counter(v.domain for v in values if not isinstance(v, Event) and v.domain)
    return dict(counts.most_common())


def seminars_per_year(catalog: Catalog) -> dict[str, int]:
    counts = Counter("undated" if r.value.undated else r.value.date[:4] for r in catalog.seminars.values())
    return dict(sorted(counts.items(), key=lambda kv: (kv[0] == "undated", kv[0])))


def home_page(catalog: Catalog, today: dt.date) -> Document:
    uri = HOME
    doc = Document("ML_INFN knowledge base", {"kb_kind": "home"})
    doc.heading(1, "ML_INFN knowledge base")
    doc.add(
        "<p>Machine-learning <strong>use cases</strong> with notebooks that CI re-runs, the public "
        "<strong>datasets</strong> they use, and the <strong>seminars</strong> of the ML_INFN national series "
        "with their minutes.</p>\n",
        '<div class="kb-counts">'
        + "".join(
            f'<a href="{href(uri, listing_uri(kind))}"><strong>{len(catalog.records[kind])}</strong> {noun}</a>'
            for kind, noun in COUNTED.items()
        )
        + "</div>\n",
    )
    dated = sorted(((d, r) for r in catalog.seminars.values() if (d := r.value.day)), key=lambda p: p[0])
    upcoming = [(d, r) for d, r in dated if d >= today][:5]
    latest = [(d, r) for d, r in reversed(dated) if d < today][:5]
    doc.heading(2, "Upcoming seminars")
    doc.add(_seminar_list(uri, upcoming) or "<p><em>None scheduled yet.</em></p>\n")
    doc.heading(2, "Latest seminars")
    doc.add(
        _seminar_list(uri, latest)
        or f"<p><em>No dated seminars yet; see {a(uri, listing_uri('seminar'), 'all seminars')}.</em></p>\n"
    )
    if catalog.events:
        from ..events import event_when, sort_key

        doc.heading(2, "Hackathons and schools")
        events = sorted(catalog.events.values(), key=sort_key, reverse=True)
        doc.add(
            bullets([f"{a(uri, page_uri(e), plain(e.title))} — {plain(event_when(e.value))}" for e in events[:8]]),
            f"<p>{a(uri, listing_uri('event'), 'All events')}</p>\n",
        )
    recent = sorted(
        ((created, r) for r in catalog.usecases.values() if (created := r.value.created)),
        key=lambda pair: (pair[0], pair[1].id),
        reverse=True,
    )[:5]
    if recent:
        doc.heading(2, "Recently added use cases")
        doc.add(bullets([f"{a(uri, page_uri(r), plain(r.title))} — {plain(created)}" for created, r in recent]))
    doc.heading(2, "The catalog at a glance")
    doc.add(
        bar_chart_svg("Records per domain", records_per_domain(catalog)),
        bar_chart_svg("Seminars per year", seminars_per_year(catalog)),
    )
    return doc


def _seminar_list(uri: str, pairs: list[tuple[dt.date, Record[Seminar]]]) -> str:
    return bullets([f"{plain(seminar_when(r.value))}: {a(uri, page_uri(r), plain(r.title))}" for _, r in pairs])


def compiled_minutes_page(catalog: Catalog) -> Document:
    """Every suggestion from the audience, by seminar and by topic, and what each discussion was."""
    uri = MINUTES
    doc = Document("Compiled minutes", {"kb_kind": "minutes"})
    doc.heading(1, "Compiled minutes")
    with_minutes = sorted(
        ((minutes, r) for r in catalog.seminars.values() if (minutes := r.value.minutes)),
        key=lambda pair: (pair[1].value.undated, pair[1].value.date, pair[1].title),
    )
    if not with_minutes:
        doc.add(
            "<p><strong>No minutes have been recorded yet.</strong> After a seminar, "
            "<code>catalog new minutes SEMINAR-ID</code> adds the block (topic summary, discussion, "
            "suggestions, references) to its record; the suggestions then appear here.</p>\n"
        )
        return doc
    count = sum(len(minutes.suggestions) for minutes, _ in with_minutes)
    doc.add(
        f"<p>Minutes of {len(with_minutes)} of {len(catalog.seminars)} seminars; {count} suggestions from the "
        "audience, listed by seminar and by topic.</p>\n"
    )
    doc.heading(2, "By seminar")
    by_topic: dict[str, list[str]] = {}
    for minutes, record in with_minutes:
        link = a(uri, page_uri(record), plain(record.title))
        doc.heading(3, plain(record.title), inner=link)
        doc.add(f"<p><em>{plain(seminar_when(record.value))}</em></p>\n")
        if minutes.topic_summary:
            doc.add(markdown_html(minutes.topic_summary))
        suggestions = [markdown_inline(s) for s in minutes.suggestions]
        doc.add(bullets(suggestions, "kb-suggestions") or "<p><em>No suggestions recorded.</em></p>\n")
        if minutes.references:
            doc.add("<p><strong>References</strong></p>\n", bullets([reference_line(r) for r in minutes.references]))
        for topic in topics_of(record.value):
            by_topic.setdefault(topic, []).extend(f"{s} <small>({link})</small>" for s in suggestions)
    doc.heading(2, "By topic")
    listed = {t: lines for t, lines in sorted(by_topic.items()) if lines}
    if not listed:
        doc.add("<p><em>No suggestions recorded yet.</em></p>\n")
    for topic, lines in listed.items():
        doc.heading(3, plain(topic), anchor=f"topic-{topic}")
        doc.add(bullets(lines, "kb-suggestions"))
    return doc


def topics_of(seminar: Seminar) -> list[str]:
    """A seminar's topics: its techniques and tags, else its domain, else 'other'."""
    topics = [*seminar.techniques, *seminar.tags]
    if not topics and seminar.domain:
        topics = [seminar.domain]
    return sorted(set(topics)) or ["other"]
