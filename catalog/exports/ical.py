"""The seminar series as an iCalendar feed (RFC 5545) with real time zones."""

from __future__ import annotations

import contextlib
import datetime as dt
from zoneinfo import ZoneInfo

import icalendar

from ..model import Catalog
from ..urls import absolute_url, page_uri

PRODID = "-//ML_INFN//knowledge base seminars//EN"
SERIES_TIMEZONE = "Europe/Rome"


def seminars_ics(catalog: Catalog, site_url: str = "", now: dt.datetime | None = None) -> bytes:
    """One VEVENT per dated seminar; timed ones carry their TZID, others are all-day events."""
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("x-wr-calname", "ML_INFN seminars")
    stamp = now or dt.datetime.now(dt.timezone.utc)
    # the time zones first, in a fixed order (icalendar's add_missing_timezones walks a set, so two
    # builds of one catalog could order them differently)
    for tzid in sorted({r.value.timezone for r in catalog.seminars.values() if r.value.day and r.value.time}):
        with contextlib.suppress(ValueError):  # one icalendar does not know: left out, as it would
            cal.add_component(icalendar.Timezone.from_tzid(tzid))
    for record in sorted(catalog.seminars.values(), key=lambda r: r.id):
        seminar = record.value
        day = seminar.day
        if day is None:
            continue
        event = icalendar.Event()
        event.add("uid", f"{record.id}@ml-infn-knowledge-base")
        event.add("dtstamp", stamp)
        event.add("summary", seminar.title)
        if seminar.time:
            hour, minute = map(int, seminar.time.split(":"))
            start = dt.datetime.combine(day, dt.time(hour, minute), tzinfo=ZoneInfo(seminar.timezone))
            event.add("dtstart", start)
            minutes = seminar.duration_minutes if seminar.duration_minutes is not None else 60
            event.add("dtend", start + dt.timedelta(minutes=minutes))
        else:
            event.add("dtstart", day)
            event.add("dtend", day + dt.timedelta(days=1))
        speakers = ", ".join(s.name for s in seminar.speakers)
        description = "\n\n".join(part for part in (speakers, seminar.abstract) if part)
        if description:
            event.add("description", description)
        if site_url:
            event.add("url", absolute_url(site_url, page_uri(record)))
        cal.add_component(event)
    cal.add_missing_timezones()
    if not cal.subcomponents:
        # RFC 5545 wants at least one component: with no dated seminar yet, the series' time zone
        # is the calendar's only component (a valid, empty calendar that clients can subscribe to).
        cal.add_component(icalendar.Timezone.from_tzid(SERIES_TIMEZONE))
    return calendar_bytes(cal)


def calendar_bytes(cal: icalendar.Calendar) -> bytes:
    """`cal.to_ical()`, byte for byte (the tests compare them), with ASCII lines folded here:
    icalendar folds by walking every character of every line in Python, which was most of this
    export's time (a seminar's abstract is one line of hundreds of characters). Other lines are
    folded by icalendar itself."""
    lines = (fold_ascii(line) if line.isascii() else line.to_ical().decode() for line in cal.content_lines() if line)
    return ("\r\n".join(lines) + "\r\n").encode()


def fold_ascii(line: str, limit: int = 75) -> str:
    """RFC 5545 folding of an ASCII content line as icalendar's does it: at most `limit` - 1
    characters a line, and a backslash or caret (which starts an escape) never ends a line."""
    chunks, start = [], 0
    while len(line) - start >= limit:
        end = start + limit - 1
        if line[end - 1] in "\\^":
            end -= 1
        chunks.append(line[start:end])
        start = end
    chunks.append(line[start:])
    return "\r\n ".join(chunks)
