"""Creators as the export formats need them: a person's family and given names, or an organisation.

Records give structured creators (`$defs/creator`: name, kind, given_names, family_names, ...).
A person's name without explicit parts is split at its last space, the common Western order; a
record whose names do not follow it gives `given_names` and `family_names`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..model import Record


@dataclass(frozen=True)
class Creator:
    name: str
    organization: bool
    family: str = ""
    given: str = ""
    affiliation: str = ""
    orcid: str = ""
    ror: str = ""


def creator(entry: dict[str, Any]) -> Creator:
    name = " ".join(str(entry["name"]).split())
    common = {"affiliation": entry.get("affiliation", ""), "orcid": entry.get("orcid", ""), "ror": entry.get("ror", "")}
    if entry.get("kind") == "organization":
        return Creator(name, True, **common)
    family, given = entry.get("family_names", ""), entry.get("given_names", "")
    if not family:
        given, _, family = name.rpartition(" ")
    return Creator(name, False, family, given, **common)


def creators_of(record: Record) -> list[Creator]:
    """A use case's authors or a dataset's creators."""
    key = "authors" if record.kind == "usecase" else "creators"
    return [creator(entry) for entry in record.data.get(key, [])]
