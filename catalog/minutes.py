"""`catalog new minutes SEMINAR-ID`: add the structured minutes block to a past seminar's record.

The block is appended to the file as text, so the maintainer's comments and layout stay as they
were; the result is validated before it replaces the file, and nothing is written when it fails.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
from dataclasses import dataclass, field

from .atomic_write import write_text
from .loader import parse_yaml
from .model import Catalog
from .problems import Problem
from .rules import PLACEHOLDER, seminar_date
from .schema_check import check_against_schema

# what is not given on the command line is left as the scaffolds' placeholder, which fails
# validation (KB250) until the maintainer replaces it
PLACEHOLDERS = {
    "topic_summary": f"{PLACEHOLDER} summary of the topic presented",
    "discussion": f"{PLACEHOLDER} summary of the discussion",
    "suggestion": f"{PLACEHOLDER} one suggestion from the audience per item",
}


class MinutesError(Exception):
    """The minutes cannot be added; nothing was written."""


@dataclass
class MinutesInput:
    topic_summary: str = ""
    discussion: str = ""
    suggestions: list[str] = field(default_factory=list)
    references: list[tuple[str, str]] = field(default_factory=list)  # (title, https URL)
    attendance: int | None = None


def _scalar(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a valid double-quoted YAML scalar


def minutes_block(given: MinutesInput) -> str:
    lines = [
        "minutes:",
        f"  topic_summary: {_scalar(given.topic_summary or PLACEHOLDERS['topic_summary'])}",
        f"  discussion: {_scalar(given.discussion or PLACEHOLDERS['discussion'])}",
        "  suggestions:",
        *(f"    - {_scalar(s)}" for s in (given.suggestions or [PLACEHOLDERS["suggestion"]])),
    ]
    if given.references:
        lines.append("  references:")
        for title, url in given.references:
            lines += [f"    - title: {_scalar(title)}", f"      url: {_scalar(url)}"]
    else:
        lines += ["  # references:", "  #   - title: ...", "  #     url: https://..."]
    if given.attendance is not None:
        lines.append(f"  attendance: {given.attendance}")
    return "\n".join(lines) + "\n"


def add_minutes(catalog: Catalog, seminar_id: str, given: MinutesInput, today: dt.date) -> str:
    """Append the minutes block to the seminar's file; returns its name. Raises MinutesError."""
    record = catalog.seminars.get(seminar_id)
    if record is None:
        match = difflib.get_close_matches(seminar_id, list(catalog.seminars), n=1, cutoff=0.6)
        raise MinutesError(f"no seminar {seminar_id!r}" + (f"; did you mean {match[0]!r}?" if match else ""))
    if record.data.get("minutes"):
        raise MinutesError(f"{record.file} already has minutes; edit them there")
    day = seminar_date(record)
    if day is not None and day > today:
        raise MinutesError(f"the seminar of {day} has not happened yet; add its minutes afterwards")
    text = record.path.read_text(encoding="utf-8")
    if "\nminutes:" in f"\n{text}":  # e.g. `minutes: {}` or a block the schema rejected
        raise MinutesError(f"{record.file} already has a minutes key; edit it there")
    new_text = text + ("" if text.endswith("\n") else "\n") + minutes_block(given)
    loaded = parse_yaml(new_text, record.file, record.path)
    problems: list[Problem] = list(loaded.problems)
    if isinstance(loaded.data, dict):
        problems += check_against_schema("seminar", loaded.data, loaded.lines, record.file)
    if problems or not isinstance(loaded.data, dict):
        shown = "; ".join(f"line {p.line}: {p.message}" for p in problems[:3])
        raise MinutesError(f"the minutes would not validate ({shown}); nothing was written")
    write_text(record.path, new_text)
    return record.file
