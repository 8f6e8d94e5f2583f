"""How to cite a use case: BibTeX and CITATION.cff, from the record alone."""

from __future__ import annotations

import json
import re

from ..model import Record
from ..records import UseCase
from ..render.launch import SiteSettings
from ..urls import absolute_url, orcid_url, page_uri, repository_url, usecase_folder
from .people import Creator, creators_of

_BIBTEX_BRACES = {"{": r"\textbraceleft{}", "}": r"\textbraceright{}"}


def _bibtex_text(value: object) -> str:
    """Protect BibTeX specials. A brace in the text becomes a command (BibTeX counts braces even
    after a backslash, so `\\}` would still close the field early): every field stays balanced."""
    text = " ".join(str(value).split())
    return re.sub(
        r"([{}\\&%$#_^~])",
        lambda m: _BIBTEX_BRACES.get(m.group(1)) or ("\\" + m.group(1) if m.group(1) not in "\\^~" else " "),
        text,
    )


def bibtex_name(who: Creator) -> str:
    """`{Family}, {Given}` for a person, `{Organisation}` for a group: the braces stop BibTeX styles
    from splitting a group's name into first and last names, or a multi-word family name."""
    if who.organization:
        return "{" + _bibtex_text(who.name) + "}"
    if not who.given:
        return "{" + _bibtex_text(who.family) + "}"
    return "{" + _bibtex_text(who.family) + "}, {" + _bibtex_text(who.given) + "}"


def record_date(usecase: UseCase) -> str:
    """The date a citation gives: the last update, else the record's creation ('' if neither)."""
    return usecase.updated or usecase.created or ""


def bibtex_entry(record: Record[UseCase], settings: SiteSettings) -> str:
    usecase = record.value
    fields = {
        "author": " and ".join(bibtex_name(who) for who in creators_of(usecase)),
        "title": "{" + _bibtex_text(usecase.title) + "}",
        "howpublished": "ML\\_INFN knowledge base",
    }
    date = record_date(usecase)
    if date:
        fields["year"] = date[:4]
        fields["date"] = date
    if settings.site_url:
        fields["url"] = absolute_url(settings.site_url, page_uri(record))
    elif settings.repository:
        fields["url"] = repository_url(settings.repository, settings.branch, usecase_folder(record.id))
    if usecase.license:
        fields["note"] = "License: " + _bibtex_text(usecase.license)
    body = ",\n".join(f"  {key} = {{{value}}}" for key, value in fields.items())
    return f"@misc{{mlinfn-{record.id},\n{body}\n}}\n"


def q(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


def _cff_author(who: Creator) -> list[str]:
    """A CFF 1.2.0 person (family-names, given-names, affiliation, orcid) or entity (name only:
    an entity has no affiliation)."""
    if who.organization:
        return [f"  - name: {q(who.name)}"]
    lines = [f"  - family-names: {q(who.family)}"]
    if who.given:
        lines.append(f"    given-names: {q(who.given)}")
    if who.affiliation:
        lines.append(f"    affiliation: {q(who.affiliation)}")
    if who.orcid:
        lines.append(f"    orcid: {q(orcid_url(who.orcid))}")
    return lines


def citation_cff(record: Record[UseCase], settings: SiteSettings) -> str:
    """CITATION.cff 1.2.0 (YAML written as JSON scalars, a YAML subset)."""
    usecase = record.value
    lines = [
        "cff-version: 1.2.0",
        "message: If you use this use case, please cite it as below.",
        f"title: {json.dumps(usecase.title, ensure_ascii=False)}",
        "type: software",
        "authors:",
    ]
    for who in creators_of(usecase):
        lines += _cff_author(who)
    if usecase.license and usecase.license != "unknown":
        lines.append(f"license: {json.dumps(usecase.license)}")
    if usecase.summary:
        lines.append(f"abstract: {json.dumps(usecase.summary, ensure_ascii=False)}")
    if settings.repository:
        lines.append(f"repository-code: {json.dumps(settings.repository)}")
    if settings.site_url:
        lines.append(f"url: {json.dumps(absolute_url(settings.site_url, page_uri(record)))}")
    if record_date(usecase):
        lines.append(f"date-released: {json.dumps(record_date(usecase))}")
    keywords = [*usecase.techniques, usecase.domain, *usecase.tags]
    lines.append("keywords: " + json.dumps(keywords, ensure_ascii=False))
    return "\n".join(lines) + "\n"
