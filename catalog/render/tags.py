"""Tags: a record's domain, techniques, experiments and keywords, each with a page listing its records."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

from ..model import Catalog, Record
from ..urls import tag_uri

# record field → tag group (the group names the folder of the tag pages)
TAG_FIELDS = {
    "domain": "domain",
    "techniques": "technique",
    "experiments": "experiment",
    "tags": "keyword",
    "keywords": "keyword",
}


@dataclass(frozen=True, order=True)
class Tag:
    group: str
    label: str

    @property
    def slug(self) -> str:
        return re.sub(r"[^a-z0-9]+", "-", self.label.lower()).strip("-") or "tag"

    @property
    def uri(self) -> str:
        return tag_uri(self.group, self.slug)


def tags_of(record: Record) -> list[Tag]:
    tags = set()
    for field, group in TAG_FIELDS.items():
        value = record.data.get(field)
        for item in [value] if isinstance(value, str) else (value or []):
            tags.add(Tag(group, str(item)))
    return sorted(tags)


def tag_index(catalog: Catalog) -> dict[Tag, list[Record]]:
    """Every tag page and its records, built once per build. Labels that share a page (`ATLAS` and
    `atlas` have one slug) share one entry, named by the first label seen, listing all records."""
    index: dict[Tag, list[Record]] = defaultdict(list)
    first: dict[str, Tag] = {}
    for record in catalog.all_records():
        pages = {first.setdefault(tag.uri, tag) for tag in tags_of(record)}
        for page in pages:
            index[page].append(record)
    return dict(sorted(index.items()))
