"""The whole site as data: every generated page (an HTML document) and file (bytes)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from ..exports.catalog_json import catalog_json
from ..exports.feed import atom_feed
from ..exports.ical import seminars_ics
from ..exports.jsonld import dataset_jsonld, script_tag
from ..model import Catalog
from ..results import StatusMap
from ..urls import (
    CATALOG_JSON,
    FEED,
    HOME,
    MINUTES,
    REPRODUCIBILITY,
    SEMINARS_ICS,
    absolute_url,
    field_reference_uri,
    listing_uri,
    page_uri,
    schema_file,
)
from .dashboard import dashboard_page
from .document import Document
from .events import event_page, events_index
from .home import compiled_minutes_page, home_page
from .launch import SiteSettings
from .listings import datasets_index, seminars_index, tag_pages, usecases_index
from .notebook_header import add_notebook_headers
from .notebooks import notebook_site
from .pages import dataset_page, seminar_page, usecase_page
from .reference import TITLES, field_reference_page

SCHEMA_FILES = ("usecase", "dataset", "seminar", "event", "catalog", "results")


@dataclass
class SiteContent:
    documents: dict[str, Document] = field(default_factory=dict)  # every generated page, as HTML
    files: dict[str, bytes] = field(default_factory=dict)

    def sources(self) -> dict[str, str]:
        """Every page as the text of a file (front matter + HTML, a valid Markdown page)."""
        return {uri: doc.source() for uri, doc in self.documents.items()}


@dataclass
class GeneratedSite:
    """Everything a build adds to the hand-written docs: what the `kb` plugin hands MkDocs and
    what `catalog export pages` writes as files (one rendering for both)."""

    pages: dict[str, Document]  # record, listing, tag, reference … pages by source URI (.md)
    notebooks: dict[str, Document]  # notebook pages by the notebook's source URI (.ipynb)
    files: dict[str, str | bytes]  # by served path: notebook downloads, data files, stylesheets


def generated_site(
    catalog: Catalog,
    settings: SiteSettings,
    statuses: StatusMap,
    today: dt.date,
    history: dict[tuple[str, str], list[dict[str, object]]],
    link_history: dict[str, list[dict[str, Any]]],
    cache_dir: Path,
) -> GeneratedSite:
    """Every generated page, notebook page and file of the site (`cache_dir`: converted notebooks)."""
    site = render_site(catalog, settings, statuses, today, history, link_history)
    notebooks, downloads, stylesheets = notebook_site(catalog, cache_dir)
    add_notebook_headers(notebooks, catalog, settings, statuses)  # breadcrumb, verdict, launch
    files: dict[str, str | bytes] = {**downloads, **site.files, **stylesheets}
    return GeneratedSite(site.documents, notebooks, files)


def render_site(
    catalog: Catalog,
    settings: SiteSettings,
    statuses: StatusMap,
    today: dt.date,
    history: dict[tuple[str, str], list[dict[str, object]]] | None = None,
    link_history: dict[str, list[dict[str, Any]]] | None = None,
) -> SiteContent:
    site = SiteContent()
    for usecase in catalog.usecases.values():
        site.documents[page_uri(usecase)] = usecase_page(usecase, catalog, settings, statuses)
    for dataset in catalog.datasets.values():
        url = absolute_url(settings.site_url, page_uri(dataset)) if settings.site_url else ""
        doc = dataset_page(dataset, catalog, link_history)
        doc.add(script_tag(dataset_jsonld(dataset.value, url)), searchable=False)
        site.documents[page_uri(dataset)] = doc
    for seminar in catalog.seminars.values():
        site.documents[page_uri(seminar)] = seminar_page(seminar, catalog, today)
    for event in catalog.events.values():
        site.documents[page_uri(event)] = event_page(event, catalog)
    site.documents[listing_uri("event")] = events_index(catalog)
    site.documents[HOME] = home_page(catalog, today)
    site.documents[listing_uri("usecase")] = usecases_index(catalog, statuses)
    site.documents[listing_uri("dataset")] = datasets_index(catalog)
    site.documents[listing_uri("seminar")] = seminars_index(catalog)
    site.documents[MINUTES] = compiled_minutes_page(catalog)
    site.documents[REPRODUCIBILITY] = dashboard_page(catalog, statuses, history or {})
    site.documents.update(tag_pages(catalog))
    for kind in TITLES:
        site.documents[field_reference_uri(kind)] = field_reference_page(kind)
    site.files[CATALOG_JSON] = catalog_json(catalog, statuses).encode()
    site.files[SEMINARS_ICS] = seminars_ics(catalog, settings.site_url)
    site.files[FEED] = atom_feed(catalog, settings.site_url)
    for name in SCHEMA_FILES:
        text = resources.files("catalog").joinpath(f"schemas/{name}.schema.json").read_bytes()
        site.files[schema_file(name)] = text
    return site
