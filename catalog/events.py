"""Events (hackathons, schools, workshops): their dates, kept at the precision recorded, and
their rules — exercises name real use cases and datasets, an event does not end before it starts."""

from __future__ import annotations

import calendar

from .loader import json_path
from .model import Catalog, Record, exercise_links
from .problems import Problem
from .records import Event

MONTHS = tuple(calendar.month_name)


def when_text(start: str, end: str | None = None) -> str:
    """'June 2021', '2024', '21–25 November 2022': only as precise as what is recorded."""

    def one(value: str) -> str:
        parts = value.split("-")
        if len(parts) == 1:
            return value
        month = MONTHS[int(parts[1])]
        return f"{month} {parts[0]}" if len(parts) == 2 else f"{int(parts[2])} {month} {parts[0]}"

    if not end or end == start:
        return one(start)
    if len(start) == len(end) == 10 and start[:7] == end[:7]:  # 15–17 September 2025
        return f"{int(start[8:])}–{one(end)}"
    return f"{one(start)} – {one(end)}"


def event_when(event: Event) -> str:
    """When an event took place, as precisely as recorded."""
    return when_text(event.start, event.end)


def sort_key(record: Record[Event]) -> tuple[str, str]:
    return (record.value.start, record.id)


def check_event(record: Record, catalog: Catalog) -> list[Problem]:
    problems = []
    for parts, kind, target in exercise_links(record):
        if target not in catalog.records[kind]:
            line, col = record.lines.locate(parts)
            problems.append(
                Problem(
                    "KB203",
                    f"{kind} {target!r} does not exist",
                    record.file,
                    line,
                    col,
                    json_path(parts),
                    hint=f"add {kind} record {target!r} first, or leave the field out",
                )
            )
    start, end = record.data.get("start"), record.data.get("end")
    if isinstance(start, str) and isinstance(end, str) and end[: len(start)] < start[: len(end)]:
        line, col = record.lines.locate(("end",))
        problems.append(
            Problem("KB231", f"the event ends ({end}) before it starts ({start})", record.file, line, col, "$.end")
        )
    return problems
