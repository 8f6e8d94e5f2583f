"""How to cite a use case: BibTeX and CITATION.cff, from the record alone."""

from __future__ import annotations

import json
import re

from ..model import Record
from ..render.launch import SiteSettings


def _bibtex_text(value: object) -> str:
    """Protect BibTeX specials; braces keep capitalisation."""
    text = " ".join(str(value).split())
    return re.sub(r"([{}\\&%$#_^~])", lambda m: "\\" + m.group(1) if m.group(1) not in "\\^~" else " ", text)


def bibtex_entry(record: Record, settings: SiteSettings) -> str:
    data = record.data
    authors = " and ".join(_bibtex_text(a["name"]) for a in data["authors"])
    year = str(data.get("updated") or data.get("created") or "")[:4]
    fields = {
        "author": authors,
        "title": "{" + _bibtex_text(data["title"]) + "}",
        "howpublished": "ML\\_INFN knowledge base",
    }
    if year:
        fields["year"] = year
    if settings.site_url:
        fields["url"] = f"{settings.site_url.rstrip('/')}/usecases/{record.id}/"
    elif settings.repository:
        fields["url"] = f"{settings.repository}/tree/{settings.branch}/usecases/{record.id}"
    if data.get("license"):
        fields["note"] = "License: " + _bibtex_text(data["license"])
    body = ",\n".join(f"  {key} = {{{value}}}" for key, value in fields.items())
    return f"@misc{{mlinfn-{record.id},\n{body}\n}}\n"


def citation_cff(record: Record, settings: SiteSettings) -> str:
    """CITATION.cff 1.2.0 (YAML written as JSON scalars, a YAML subset)."""
    data = record.data
    lines = [
        "cff-version: 1.2.0",
        "message: If you use this use case, please cite it as below.",
        f"title: {json.dumps(data['title'], ensure_ascii=False)}",
        "type: software",
        "authors:",
    ]
    for author in data["authors"]:
        lines.append(f"  - name: {json.dumps(author['name'], ensure_ascii=False)}")
        if author.get("affiliation"):
            lines.append(f"    affiliation: {json.dumps(author['affiliation'], ensure_ascii=False)}")
        if author.get("orcid"):
            lines.append(f'    orcid: "https://orcid.org/{author["orcid"]}"')
    if data.get("license") and data["license"] != "unknown":
        lines.append(f"license: {json.dumps(data['license'])}")
    if data.get("summary"):
        lines.append(f"abstract: {json.dumps(data['summary'], ensure_ascii=False)}")
    if settings.repository:
        lines.append(f"repository-code: {json.dumps(settings.repository)}")
    if data.get("created"):
        lines.append(f"date-released: {json.dumps(str(data.get('updated') or data['created']))}")
    keywords = [*data["techniques"], data["domain"], *data.get("tags", [])]
    lines.append("keywords: " + json.dumps(keywords, ensure_ascii=False))
    return "\n".join(lines) + "\n"
