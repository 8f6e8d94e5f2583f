"""schema.org `Dataset` JSON-LD for dataset pages (Google Dataset Search and friends read it)."""

from __future__ import annotations

import json
from typing import Any

from ..records import Dataset
from ..urls import doi_url, orcid_url, ror_url
from .people import Creator, creators_of

SPDX_URL = "https://spdx.org/licenses/{}.html"

# IANA-registered media types only (https://www.iana.org/assignments/media-types); a format with
# none (HDF5, NumPy .npz) is application/octet-stream, and a gzip-compressed file is application/gzip.
MEDIA_TYPES = (
    (".gz", "application/gzip"),
    (".tgz", "application/gzip"),
    (".zip", "application/zip"),
    (".csv", "text/csv"),
    (".tsv", "text/tab-separated-values"),
    (".txt", "text/plain"),
    (".json", "application/json"),
    (".xml", "application/xml"),
    (".png", "image/png"),
    (".jpg", "image/jpeg"),
    (".jpeg", "image/jpeg"),
    (".tif", "image/tiff"),
    (".tiff", "image/tiff"),
    (".dcm", "application/dicom"),
    (".pdf", "application/pdf"),
)


def schema_org_creator(who: Creator) -> dict[str, Any]:
    if who.organization:
        org: dict[str, Any] = {"@type": "Organization", "name": who.name}
        if who.ror:
            org["identifier"] = ror_url(who.ror)
        return org
    person: dict[str, Any] = {"@type": "Person", "name": who.name, "familyName": who.family}
    if who.given:
        person["givenName"] = who.given
    if who.orcid:
        person["identifier"] = orcid_url(who.orcid)
    if who.affiliation:
        person["affiliation"] = {"@type": "Organization", "name": who.affiliation}
    return person


def dataset_jsonld(dataset: Dataset, page_url: str = "") -> dict[str, Any]:
    doc: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Dataset",
        "name": dataset.title,
        "description": dataset.description or dataset.summary,
    }
    if dataset.doi:
        doc["identifier"] = doc["sameAs"] = doi_url(dataset.doi)
    if dataset.landing_page:
        doc["url"] = dataset.landing_page
    elif page_url:
        doc["url"] = page_url
    if dataset.license != "unknown":
        doc["license"] = SPDX_URL.format(dataset.license)
    creators = creators_of(dataset)
    if creators:
        doc["creator"] = [schema_org_creator(who) for who in creators]
    if dataset.publisher:
        doc["publisher"] = {"@type": "Organization", "name": dataset.publisher}
    if dataset.year:
        doc["datePublished"] = str(dataset.year)
    if dataset.version:
        doc["version"] = dataset.version
    if dataset.keywords:
        doc["keywords"] = list(dataset.keywords)
    if dataset.citation:
        doc["citation"] = dataset.citation
    doc["isAccessibleForFree"] = dataset.access in ("open", "registration")
    distribution = []
    for f in dataset.files:
        if not f.url:
            continue  # a DataDownload needs its contentUrl; the landing page stays in `url`
        entry: dict[str, Any] = {"@type": "DataDownload", "name": f.name, "contentUrl": f.url}
        if f.size_bytes is not None:
            entry["contentSize"] = f"{f.size_bytes} B"
        entry["encodingFormat"] = encoding_format(f.name)
        distribution.append(entry)
    if distribution:
        doc["distribution"] = distribution
    return doc


def encoding_format(name: str) -> str:
    lower = name.lower()
    for suffix, mime in MEDIA_TYPES:
        if lower.endswith(suffix):
            return mime
    return "application/octet-stream"


def script_tag(doc: dict[str, Any]) -> str:
    """The JSON-LD as an inert script element; '<', '>' and '&' escaped so no text can end it."""
    text = json.dumps(doc, ensure_ascii=False)  # no indent: json's C encoder only serves indent=None
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return f'<script type="application/ld+json">\n{text}\n</script>\n'
