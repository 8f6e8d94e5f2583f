"""Listing pages with facets. The full list is plain HTML (readable without JavaScript);
`docs/javascripts/facets.js` filters it in the browser and keeps the filter in the URL."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from ..model import Catalog, Record, V
from ..records import Dataset, Seminar, UseCase, people_of
from ..results import NEVER_RUN, StatusMap
from ..urls import FEED, MINUTES, SEMINARS_ICS, TAGS_INDEX, listing_uri, page_uri
from .document import Document
from .markup import a, attr, file_href, href, plain
from .pages import UNDATED_ANCHOR, bullets, seminar_when, usecase_facets
from .tags import Tag, tag_index

FACET_LABELS = {
    "domain": "Domain",
    "technique": "Technique",
    "experiment": "Experiment",
    "gpu": "GPU",
    "status": "Reproducibility",
    "license": "License",
    "access": "Access",
    "year": "Year",
    "minutes": "Minutes",
}


def facet_panel(facets: dict[str, Counter[str]]) -> str:
    groups = []
    for name, counts in facets.items():
        if not counts:
            continue
        options = "".join(
            f'<label class="kb-facet-option"><input type="checkbox" name="{attr(name)}" value="{attr(value)}"> '
            f'{plain(value)} <span class="kb-count" data-kb-count>{count}</span></label>'
            for value, count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        )
        groups.append(
            f'<fieldset class="kb-facet" data-kb-facet="{attr(name)}">'
            f"<legend>{plain(FACET_LABELS.get(name, name))}</legend>{options}</fieldset>"
        )
    search = (
        '<label class="kb-filter-text">Filter <input type="search" name="q" data-kb-text '
        'placeholder="words in title, summary, people"></label>'
    )
    sort = (
        '<label class="kb-sort">Sort <select name="sort" data-kb-sort><option value="title">Title</option>'
        '<option value="newest">Newest first</option></select></label>'
    )
    return (
        f'<form class="kb-facets" data-kb-facets data-search-exclude hidden>{search}{sort}{"".join(groups)}'
        '<button type="reset" data-kb-reset>Clear filters</button></form>'
    )


def listing(
    uri: str,
    records: list[Record[V]],
    facet_fn: Callable[[Record[V]], dict[str, list[str]]],
    describe: Callable[[Record[V]], str],
    sort_key: Callable[[Record[V]], str],
) -> str:
    facets: dict[str, Counter[str]] = {}
    items = []
    for record in sorted(records, key=lambda r: r.title.lower()):
        values = facet_fn(record)
        for name, vals in values.items():
            facets.setdefault(name, Counter()).update(set(vals))
        data_attrs = " ".join(f'data-f-{attr(name)}="{attr("|".join(vals))}"' for name, vals in values.items())
        value = record.value
        summary = value.summary if isinstance(value, (UseCase, Dataset)) else ""
        text = " ".join([record.title, summary, *(p.name for p in people_of(value))]).lower()
        items.append(
            f'<li class="kb-item" data-kb-item {data_attrs} data-kb-sort="{attr(sort_key(record))}" '
            f'data-kb-text="{attr(text)}"><a href="{attr(href(uri, page_uri(record)))}">{plain(record.title)}</a>'
            f"{describe(record)}</li>"
        )
    count = f'<p class="kb-result-count"><span data-kb-shown>{len(items)}</span> of {len(items)} shown</p>'
    # the items stay out of the search index: each record is found on its own page
    return (
        f'<div class="kb-listing" data-kb-listing>\n{facet_panel(facets)}\n{count}\n'
        f'<ul class="kb-items" data-search-exclude>{"".join(items)}</ul>\n</div>\n'
    )


def usecases_index(catalog: Catalog, statuses: StatusMap) -> Document:
    uri = listing_uri("usecase")

    def describe(record: Record[UseCase]) -> str:
        usecase = record.value
        states = {statuses.get((record.id, n.path), NEVER_RUN).label for n in usecase.notebooks}
        return (
            f'<p class="kb-summary">{plain(usecase.summary)}</p><p class="kb-meta">{plain(usecase.domain)} · '
            f"{plain(', '.join(usecase.techniques))} · {len(usecase.notebooks)} notebook(s) · "
            f"{plain(', '.join(sorted(states)))}</p>"
        )

    doc = Document("Use cases", {"kb_kind": "listing"})
    doc.heading(1, "Use cases")
    doc.add(
        f"<p>{len(catalog.usecases)} use cases, each with notebooks re-run by CI and at least one public "
        "dataset. Filter by facet or text; the address bar keeps the filter, so a filtered view can be "
        "shared.</p>\n",
        listing(
            uri,
            list(catalog.usecases.values()),
            lambda r: usecase_facets(r, statuses),
            describe,
            lambda r: r.value.created or "",
        ),
    )
    return doc


def dataset_facets(record: Record[Dataset]) -> dict[str, list[str]]:
    dataset = record.value
    return {
        "domain": [dataset.domain],
        "access": [dataset.access],
        "license": [dataset.license],
        "year": [str(dataset.year)] if dataset.year else [],
    }


def datasets_index(catalog: Catalog) -> Document:
    uri = listing_uri("dataset")

    def describe(record: Record[Dataset]) -> str:
        dataset = record.value
        used = len(catalog.related(record, "usecase"))
        return (
            f'<p class="kb-summary">{plain(dataset.summary)}</p><p class="kb-meta">{plain(dataset.domain)} · '
            f"{plain(dataset.access)} · {plain(dataset.license)} · used by {used} use case(s)</p>"
        )

    def year(record: Record[Dataset]) -> str:
        return "" if record.value.year is None else str(record.value.year)

    doc = Document("Datasets", {"kb_kind": "listing"})
    doc.heading(1, "Datasets")
    doc.add(
        f"<p>{len(catalog.datasets)} public datasets with their licenses, files and checksums.</p>\n",
        listing(uri, list(catalog.datasets.values()), dataset_facets, describe, year),
    )
    return doc


def seminar_facets(record: Record[Seminar]) -> dict[str, list[str]]:
    seminar = record.value
    return {
        "year": ["undated" if seminar.undated else seminar.date[:4]],
        "domain": [seminar.domain] if seminar.domain else [],
        "technique": list(seminar.techniques),
        "minutes": ["with minutes" if seminar.minutes else "no minutes"],
    }


def seminars_index(catalog: Catalog) -> Document:
    uri = listing_uri("seminar")
    by_year: dict[str, list[Record[Seminar]]] = {}
    for record in catalog.seminars.values():
        by_year.setdefault(seminar_facets(record)["year"][0], []).append(record)
    years = sorted(by_year, key=lambda y: (y == "undated", y))
    doc = Document("Seminars", {"kb_kind": "listing"})
    doc.heading(1, "Seminars")
    doc.add(
        f"<p>{len(catalog.seminars)} seminars of the national series. Also as a "
        f'<a href="{file_href(uri, SEMINARS_ICS)}">calendar</a> and a <a href="{file_href(uri, FEED)}">'
        f"feed</a>; every suggestion from the audience is collected in the "
        f"{a(uri, MINUTES, 'compiled minutes')}.</p>\n",
        bullets(
            [
                f'<a href="#{attr(_year_anchor(year))}">{plain(_year_label(year))}</a> ({len(by_year[year])})'
                for year in years
            ]
        ),
    )

    def describe(record: Record[Seminar]) -> str:
        if record.value.undated:
            return ""  # said once, by the "Date not recorded" group's heading
        return f'<p class="kb-meta">{plain(seminar_when(record.value))}</p>'

    doc.add(
        listing(
            uri,
            list(catalog.seminars.values()),
            seminar_facets,
            describe,
            lambda r: "" if r.value.undated else r.value.date,
        )
    )
    for year in years:
        doc.heading(2, plain(_year_label(year)), anchor=_year_anchor(year))
        if year == "undated":
            doc.add(UNDATED_EXPLANATION)
        lines = []
        for record in sorted(by_year[year], key=lambda r: (r.value.date, r.title)):
            when = "" if year == "undated" else f"{plain(record.value.date)} — "
            lines.append(when + a(uri, page_uri(record), plain(record.title)))
        doc.add(bullets(lines))
    return doc


UNDATED_EXPLANATION = (
    "<p>The sources these seminars were collected from (chiefly the reference list of the ML_INFN "
    "status report) do not record their date, and mostly not their speakers or minutes either. "
    "Nothing is filled in by guesswork: each page shows what is known. A maintainer who has the "
    "missing facts adds them to the record, or imports the series with "
    "<code>catalog import indico</code>.</p>\n"
)


def _year_label(year: str) -> str:
    return "Date not recorded" if year == "undated" else year


def _year_anchor(year: str) -> str:
    return UNDATED_ANCHOR if year == "undated" else f"year-{year}"


def tag_pages(catalog: Catalog) -> dict[str, Document]:
    index = tag_index(catalog)
    pages = {}
    for tag, records in index.items():
        doc = Document(f"{tag.group}: {tag.label}", {"kb_kind": "tag"})
        doc.heading(1, plain(tag.label))
        doc.add(f"<p>Records tagged with the {plain(tag.group)} <em>{plain(tag.label)}</em>.</p>\n")
        for kind, heading in (("usecase", "Use cases"), ("dataset", "Datasets"), ("seminar", "Seminars")):
            matching = sorted((r for r in records if r.kind == kind), key=lambda r: r.title.lower())
            if matching:
                doc.heading(2, heading)
                doc.add(
                    "<ul>"
                    + "".join(f"<li>{a(tag.uri, page_uri(r), plain(r.title))}</li>" for r in matching)
                    + "</ul>\n"
                )
        pages[tag.uri] = doc
    pages[TAGS_INDEX] = tags_overview(index)
    return pages


def tags_overview(index: dict[Tag, list[Record]]) -> Document:
    doc = Document("Tags", {"kb_kind": "tag"})
    doc.heading(1, "Tags")
    groups: dict[str, list[Tag]] = {}
    for tag in index:
        groups.setdefault(tag.group, []).append(tag)
    for group, tags in sorted(groups.items()):
        doc.heading(2, plain(group.capitalize()))
        doc.add(
            "<p>" + " · ".join(f"{a(TAGS_INDEX, t.uri, plain(t.label))} ({len(index[t])})" for t in tags) + "</p>\n"
        )
    return doc
