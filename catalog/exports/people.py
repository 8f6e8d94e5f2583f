"""Creators as the export formats need them: a person's family and given names, or an organisation.

Records give structured creators (`$defs/creator`: name, kind, given_names, family_names, ...).
A person's name without explicit parts is split at its last space, the common Western order; a
record whose names do not follow it gives `given_names` and `family_names`.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..records import Creator as Credited
from ..records import Dataset, UseCase


@dataclass(frozen=True)
class Creator:
    name: str
    organization: bool
    family: str = ""
    given: str = ""
    affiliation: str = ""
    orcid: str = ""
    ror: str = ""


def creator(entry: Credited) -> Creator:
    name = " ".join(entry.name.split())
    common = {"affiliation": entry.affiliation or "", "orcid": entry.orcid or "", "ror": entry.ror or ""}
    if entry.kind == "organization":
        return Creator(name, True, **common)
    family, given = entry.family_names or "", entry.given_names or ""
    if not family:
        given, _, family = name.rpartition(" ")
    return Creator(name, False, family, given, **common)


def creators_of(value: UseCase | Dataset) -> list[Creator]:
    """A use case's authors or a dataset's creators."""
    return [creator(entry) for entry in (value.authors if isinstance(value, UseCase) else value.creators)]
