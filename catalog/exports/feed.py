"""An Atom feed of new seminars and use cases (RFC 4287), built with ElementTree so text is escaped."""

from __future__ import annotations

import datetime as dt
import uuid
import xml.etree.ElementTree as ET

from ..model import Catalog, Record
from ..records import Seminar, UseCase, calendar_day
from ..urls import FEED, page_uri, url_of

ATOM = "http://www.w3.org/2005/Atom"


def _entry_date(record: Record[UseCase] | Record[Seminar]) -> dt.date | None:
    value = record.value
    if isinstance(value, Seminar):
        return value.day
    written = value.updated or value.created
    return calendar_day(written) if written else None


NO_SITE_URL = (
    "no site URL (set KB_SITE_URL, or site_url in mkdocs.yml, or --site-url): the feed's links are relative "
    "and its ids are URNs, so feed readers cannot follow them from a downloaded copy; citations carry no page URL"
)


def _id(base: str, path: str) -> str:
    """An entry's permanent id: its page URL, or without a site URL a name-based UUID URN (RFC 4122)."""
    return f"{base}/{path}" if base else uuid.uuid5(uuid.NAMESPACE_URL, f"ml-infn-knowledge-base:{path}").urn


def atom_feed(catalog: Catalog, site_url: str, limit: int = 50) -> bytes:
    """Without a site URL nothing points at a made-up host: ids are URNs and links are relative
    (to the feed's own location, the site's root); `NO_SITE_URL` is the warning to print."""
    base = site_url.rstrip("/")
    records: list[Record[UseCase] | Record[Seminar]] = [*catalog.usecases.values(), *catalog.seminars.values()]
    dated = [(d, r) for r in records if (d := _entry_date(r))]
    dated.sort(key=lambda pair: (pair[0], pair[1].id), reverse=True)
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    ET.SubElement(feed, f"{{{ATOM}}}title").text = "ML_INFN knowledge base: new seminars and use cases"
    ET.SubElement(feed, f"{{{ATOM}}}id").text = _id(base, FEED)
    ET.SubElement(feed, f"{{{ATOM}}}link", href=f"{base}/{FEED}" if base else FEED, rel="self")
    ET.SubElement(feed, f"{{{ATOM}}}link", href=f"{base}/" if base else "./", rel="alternate", type="text/html")
    newest = dated[0][0] if dated else dt.date(2024, 1, 1)
    ET.SubElement(feed, f"{{{ATOM}}}updated").text = f"{newest.isoformat()}T00:00:00Z"
    author = ET.SubElement(feed, f"{{{ATOM}}}author")
    ET.SubElement(author, f"{{{ATOM}}}name").text = "ML_INFN"
    for day, record in dated[:limit]:
        path = url_of(page_uri(record))
        entry = ET.SubElement(feed, f"{{{ATOM}}}entry")
        ET.SubElement(entry, f"{{{ATOM}}}title").text = record.title
        ET.SubElement(entry, f"{{{ATOM}}}id").text = _id(base, path)
        ET.SubElement(entry, f"{{{ATOM}}}link", href=f"{base}/{path}" if base else path)
        ET.SubElement(entry, f"{{{ATOM}}}updated").text = f"{day.isoformat()}T00:00:00Z"
        ET.SubElement(entry, f"{{{ATOM}}}category", term=record.kind)
        value = record.value
        summary = (value.summary if isinstance(value, UseCase) else value.abstract) or ""
        ET.SubElement(entry, f"{{{ATOM}}}summary").text = summary
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)
