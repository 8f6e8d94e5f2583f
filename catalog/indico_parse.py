"""Indico's HTTP export (JSON) → the seminars and events it describes, as plain field values.

Pure: bytes in, dataclasses out, `IndicoError` for anything that is not a well-formed export.
The shape read here is Indico's own (`indico/modules/events/api.py`): an `HTTPAPIResult` whose
`results` are events (`_type: Conference`) with `contributions`, `chairs`, `folders` of
attachments and `{date, time, tz}` dates.

How an Indico event becomes records: a lecture, or a meeting with at most one talk, is one
seminar; a conference, or a meeting with several talks, is an event record (a school, workshop or
hackathon) and one seminar per talk, each linked to it.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


class IndicoError(Exception):
    """The export cannot be used; nothing was written."""


@dataclass
class Talk:
    """One future seminar record: its Indico page and the fields Indico says."""

    url: str
    fields: dict[str, Any]
    event_url: str | None = None  # the event record it belongs to, if any


@dataclass
class Event:
    url: str
    fields: dict[str, Any]
    talks: list[Talk] = field(default_factory=list)


@dataclass
class Export:
    talks: list[Talk] = field(default_factory=list)  # seminars, including those of events
    events: list[Event] = field(default_factory=list)


SLIDES = re.compile(r"slide|transparen|presentation|\.(pdf|pptx?|key|odp)$", re.IGNORECASE)
RECORDING = re.compile(r"record|video|webcast|youtube|vimeo|mediaspace", re.IGNORECASE)


def parse_export(raw: bytes, source: str) -> Export:
    try:
        document = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise IndicoError(f"{source} is not JSON ({exc}); expected Indico's /export/….json output") from exc
    if not isinstance(document, dict) or not isinstance(document.get("results"), list):
        raise IndicoError(f"{source} is not an Indico export: no 'results' list (is it an HTTPAPIResult?)")
    export = Export()
    for index, item in enumerate(document["results"]):
        where = f"{source}: results[{index}]"
        if not isinstance(item, dict) or item.get("_type") != "Conference":
            raise IndicoError(f"{where} is not an Indico event (_type Conference)")
        _add_event(export, item, where)
    return export


def _add_event(export: Export, item: dict[str, Any], where: str) -> None:
    url = _https(item.get("url"), f"{where}.url")
    title = _title(item.get("title"), f"{where}.title")
    start = _when(item.get("startDate"), f"{where}.startDate")
    end = _when(item.get("endDate"), f"{where}.endDate")
    contributions = [c for c in _list(item, "contributions", where) if isinstance(c, dict)]
    kind = item.get("type")
    if kind == "conference" or len(contributions) > 1:
        event = Event(url, _event_fields(item, title, start, end, url))
        for j, contrib in enumerate(contributions):
            talk = _contribution_talk(contrib, None, f"{where}.contributions[{j}]", start)
            talk.event_url = url
            event.talks.append(talk)
            export.talks.append(talk)
        export.events.append(event)
    elif contributions:
        export.talks.append(_contribution_talk(contributions[0], item, f"{where}.contributions[0]", start))
    else:
        fields = _timing(start, end, None)
        fields.update(title=title, event_page=url)
        if kind == "simple_event":  # a lecture: its chairs are its speakers
            fields["speakers"] = _people(_list(item, "chairs", where), where)
        fields["abstract"] = _text(item.get("description"))
        fields.update(_materials(item, where))
        export.talks.append(Talk(url, _compact(fields)))


def _contribution_talk(
    contrib: dict[str, Any], event: dict[str, Any] | None, where: str, event_start: dt.datetime
) -> Talk:
    """A talk; `event` is given for a single-talk meeting, whose own attachments are the talk's."""
    url = _https(contrib.get("url"), f"{where}.url")
    if contrib.get("startDate"):
        duration = contrib.get("duration")
        fields = _timing(
            _when(contrib["startDate"], f"{where}.startDate"), None, duration if isinstance(duration, int) else None
        )
    else:  # not in the timetable: the day is the event's, the hour is not known
        fields = {"date": event_start.date().isoformat()}
    fields.update(
        title=_title(contrib.get("title"), f"{where}.title"),
        event_page=url,
        speakers=_people(_list(contrib, "speakers", where), where),
        abstract=_text(contrib.get("description")),
    )
    materials = _materials(contrib, where)
    for key, value in (_materials(event, where) if event else {}).items():  # the meeting's, if the talk has none
        materials.setdefault(key, value)
    fields.update(materials)
    return Talk(url, _compact(fields))


def _event_fields(item: dict[str, Any], title: str, start: dt.datetime, end: dt.datetime, url: str) -> dict[str, Any]:
    lowered = title.lower()
    kind = "hackathon" if "hackathon" in lowered else "school" if "school" in lowered else "workshop"
    fields = {
        "title": title,
        "kind": kind,
        "start": start.date().isoformat(),
        "end": end.date().isoformat() if end.date() != start.date() else None,
        "place": _one_line(item.get("location")),
        "event_page": url,
    }
    return _compact(fields)


def _timing(start: dt.datetime, end: dt.datetime | None, minutes: int | None) -> dict[str, Any]:
    if minutes is None and end is not None and end.date() == start.date():
        minutes = int((end - start).total_seconds() // 60)
    fields: dict[str, Any] = {
        "date": start.date().isoformat(),
        "time": start.strftime("%H:%M"),
        "timezone": str(start.tzinfo),
    }
    if minutes is not None and 5 <= minutes <= 600:
        fields["duration_minutes"] = minutes
    return fields


def _when(value: Any, where: str) -> dt.datetime:
    if not isinstance(value, dict):
        raise IndicoError(f"{where} is missing or not an Indico date ({{date, time, tz}})")
    try:
        day = dt.date.fromisoformat(str(value.get("date")))
        clock = dt.time.fromisoformat(str(value.get("time") or "00:00:00"))
        zone = ZoneInfo(str(value.get("tz") or "UTC"))
    except (ValueError, ZoneInfoNotFoundError) as exc:
        raise IndicoError(f"{where} is not a valid Indico date: {value!r}") from exc
    return dt.datetime.combine(day, clock.replace(microsecond=0), tzinfo=zone)


def _https(value: Any, where: str) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"https://[^\s/$.?#][^\s]*", value):
        raise IndicoError(f"{where} is not an https:// address: {value!r}")
    return value


def _title(value: Any, where: str) -> str:
    text = _one_line(value)
    if not text:
        raise IndicoError(f"{where} is missing")
    return text


def _one_line(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    text = " ".join(value.split())
    return (text[:299] + "…" if len(text) > 300 else text) or None


def _list(item: dict[str, Any], key: str, where: str) -> list[Any]:
    value = item.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise IndicoError(f"{where}.{key} is not a list")
    return value


def _people(entries: list[Any], where: str) -> list[dict[str, str]]:
    people = []
    for entry in entries:
        if not isinstance(entry, dict):
            raise IndicoError(f"{where}: a person entry is not an object")
        name = _one_line(entry.get("fullName")) or _one_line(
            " ".join(str(entry.get(k) or "") for k in ("first_name", "last_name"))
        )
        if not name or len(name) < 2 or "<" in name or ">" in name:
            continue
        person = {"name": name[:120]}
        affiliation = _one_line(entry.get("affiliation"))
        if affiliation:
            person["affiliation"] = affiliation
        people.append(person)
    return people


def _materials(item: dict[str, Any], where: str) -> dict[str, str]:
    """Slides and recording from the attachment folders (the legacy `material` list otherwise)."""
    found: dict[str, str] = {}
    candidates: list[tuple[str, Any]] = []  # (words describing it, its URL as given)
    for folder in _list(item, "folders", where):
        if not isinstance(folder, dict):
            continue
        for att in folder.get("attachments") or []:
            if not isinstance(att, dict) or att.get("is_protected"):
                continue
            url = att.get("link_url") if att.get("type") == "link" else att.get("download_url")
            words = " ".join(str(x or "") for x in (folder.get("title"), att.get("title"), att.get("filename"), url))
            candidates.append((words, url))
    if not candidates:
        for folder in _list(item, "material", where):
            for res in (folder.get("resources") or []) if isinstance(folder, dict) else []:
                if isinstance(res, dict):
                    words = " ".join(str(x or "") for x in (folder.get("title"), res.get("name"), res.get("url")))
                    candidates.append((words, res.get("url")))
    for words, url in candidates:
        if not isinstance(url, str) or not url.startswith("https://") or " " in url:
            continue
        if RECORDING.search(words):
            found.setdefault("recording", url)
        elif SLIDES.search(words):
            found.setdefault("slides", url)
    return found


class _TextOfHtml(HTMLParser):
    BREAKS = frozenset({"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "tr"})

    HIDDEN = frozenset({"script", "style", "template"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.HIDDEN:
            self.hidden += 1
        if tag in self.BREAKS:
            self.parts.append("\n\n" if tag != "br" else "\n")
        if tag == "li":
            self.parts.append("- ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.HIDDEN and self.hidden:
            self.hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def _text(value: Any) -> str | None:
    """A description as Markdown-safe text: Indico's HTML reduced to paragraphs, Markdown kept."""
    if not isinstance(value, str) or not value.strip():
        return None
    if re.search(r"<[a-zA-Z][^>]*>", value):
        parser = _TextOfHtml()
        parser.feed(value)
        parser.close()
        value = "".join(parser.parts)
    else:
        value = html.unescape(value)
    lines = [" ".join(line.split()) for line in value.replace("\r\n", "\n").split("\n")]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    return text[:20000] or None


def _compact(fields: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in fields.items() if v not in (None, "", [])}
