"""schema.org `Dataset` JSON-LD for dataset pages (Google Dataset Search and friends read it)."""

from __future__ import annotations

import json
from typing import Any

from ..model import Record

SPDX_URL = "https://spdx.org/licenses/{}.html"


def dataset_jsonld(record: Record, page_url: str = "") -> dict[str, Any]:
    data = record.data
    doc: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Dataset",
        "name": data["title"],
        "description": data.get("description") or data["summary"],
    }
    if data.get("doi"):
        doc["identifier"] = f"https://doi.org/{data['doi']}"
    if data.get("landing_page"):
        doc["url"] = data["landing_page"]
    elif page_url:
        doc["url"] = page_url
    if data["license"] != "unknown":
        doc["license"] = SPDX_URL.format(data["license"])
    if data.get("creators"):
        doc["creator"] = [{"@type": "Person", "name": c} for c in data["creators"]]
    if data.get("publisher"):
        doc["publisher"] = {"@type": "Organization", "name": data["publisher"]}
    if data.get("year"):
        doc["datePublished"] = str(data["year"])
    if data.get("keywords"):
        doc["keywords"] = data["keywords"]
    doc["isAccessibleForFree"] = data["access"] in ("open", "registration")
    distribution = []
    for f in data.get("files", []):
        entry: dict[str, Any] = {"@type": "DataDownload", "name": f["name"]}
        if f.get("url"):
            entry["contentUrl"] = f["url"]
        if "size_bytes" in f:
            entry["contentSize"] = f"{f['size_bytes']} B"
        entry["encodingFormat"] = encoding_format(f["name"])
        distribution.append(entry)
    if distribution:
        doc["distribution"] = distribution
    return doc


def encoding_format(name: str) -> str:
    for suffix, mime in (
        (".csv.gz", "text/csv+gzip"),
        (".csv", "text/csv"),
        (".h5", "application/x-hdf5"),
        (".hdf5", "application/x-hdf5"),
        (".npz", "application/x-npz"),
        (".zip", "application/zip"),
        (".tar.gz", "application/gzip"),
        (".tar", "application/x-tar"),
        (".json", "application/json"),
    ):
        if name.endswith(suffix):
            return mime
    return "application/octet-stream"


def script_tag(doc: dict[str, Any]) -> str:
    """The JSON-LD as an inert script element; '<', '>' and '&' escaped so no text can end it."""
    text = json.dumps(doc, ensure_ascii=False)  # no indent: json's C encoder only serves indent=None
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return f'<script type="application/ld+json">\n{text}\n</script>\n'
