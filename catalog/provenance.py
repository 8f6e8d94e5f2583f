"""Provenance sources are public references a reader can follow: a URL or `owner/repo path`.

Research notes (search hits, file ids, mirror hosts met on the way) belong nowhere in a record;
free-text remarks about a source go into the provenance `notes`.
"""

from __future__ import annotations

import re

from .loader import json_path
from .model import Record
from .problems import Problem

URL_SOURCE = re.compile(r"https?://[^\s/$.?#][^\s]*")
# owner/repo (GitHub's rules for both), optionally prefixed by github.com/, then one path
REPO_SOURCE = re.compile(r"(?:github\.com/)?[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100} [^\s()]+")


def is_public_source(text: str) -> bool:
    return bool(URL_SOURCE.fullmatch(text) or REPO_SOURCE.fullmatch(text))


def check_provenance_sources(record: Record) -> list[Problem]:
    provenance = record.data.get("provenance")
    sources = provenance.get("sources") if isinstance(provenance, dict) else None
    problems = []
    for index, source in enumerate(sources if isinstance(sources, list) else []):
        if isinstance(source, str) and not is_public_source(source):
            parts = ("provenance", "sources", index)
            line, col = record.lines.locate(parts)
            problems.append(
                Problem(
                    "KB230",
                    f"provenance source {source[:60]!r} is neither a URL nor an `owner/repo path` reference",
                    record.file,
                    line,
                    col,
                    json_path(parts),
                    hint="write the URL or `owner/repo path/to/file` alone; remarks go into provenance.notes",
                )
            )
    return problems
