"""Tags: a record's domain, techniques, experiments and keywords, each with a page listing its records."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from ..model import Catalog, Record
from ..records import Dataset, Seminar, UseCase
from ..urls import tag_uri

# a record's domain, techniques, experiments and tags (a dataset's keywords) are its tags; the
# group (domain, technique, experiment, keyword) names the folder of the tag pages


_NOT_SLUG = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True, order=True)
class Tag:
    group: str
    label: str

    @property
    def slug(self) -> str:
        return _NOT_SLUG.sub("-", self.label.lower()).strip("-") or "tag"

    @property
    def uri(self) -> str:
        return tag_uri(self.group, self.slug)


def tags_of(record: Record) -> list[Tag]:
    value = record.value
    labels: dict[str, Sequence[str]] = {}
    if isinstance(value, UseCase):
        labels = {"domain": (value.domain,), "technique": value.techniques, "experiment": value.experiments}
        labels["keyword"] = value.tags
    elif isinstance(value, Dataset):
        labels = {"domain": (value.domain,), "keyword": value.keywords}
    elif isinstance(value, Seminar):
        labels = {"domain": (value.domain,) if value.domain else (), "technique": value.techniques}
        labels["keyword"] = value.tags
    else:
        labels = {"keyword": value.tags}
    return sorted({Tag(group, label) for group, items in labels.items() for label in items})


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
