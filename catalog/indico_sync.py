"""Indico's view of seminars and events merged into the catalog's records, without overwriting
what a maintainer wrote.

Every field Indico fills is recorded in the record's `indico.fields` with a fingerprint of the
value imported. On the next import a field is updated only while the record still holds exactly
that value; a field a maintainer wrote or corrected is kept and, where Indico now says something
else, reported as a conflict. Minutes, use case links, tags and everything else Indico does not
know are never touched. Importing the same data twice changes no file.
"""

from __future__ import annotations

import difflib
import hashlib
import io
import json
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, LiteralScalarString

from .atomic_write import write_text
from .indico_parse import Event, Export, Talk
from .loader import parse_yaml
from .model import Catalog, Record
from .schema_check import check_against_schema

SEMINAR_FIELDS = (
    "title",
    "date",
    "time",
    "timezone",
    "duration_minutes",
    "speakers",
    "abstract",
    "event_page",
    "slides",
    "recording",
)
EVENT_FIELDS = ("title", "start", "end", "place", "event_page")
REMOVE = object()


def fingerprint(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:12]


@dataclass
class Conflict:
    file: str
    field: str
    record_value: Any
    indico_value: Any
    note: str = ""

    def text(self) -> str:
        def short(value: Any) -> str:
            shown = json.dumps(value, ensure_ascii=False)
            return shown if len(shown) <= 80 else shown[:77] + "…"

        what = self.note or "the record's value was kept"
        if self.record_value is None:
            said = short(self.indico_value)
            return f"conflict {self.file}: {self.field} was removed from the record, Indico says {said}; {what}"
        return (
            f"conflict {self.file}: {self.field} — the record says {short(self.record_value)}, "
            f"Indico says {short(self.indico_value)}; {what}"
        )


@dataclass
class Change:
    path: Path
    file: str
    old: str | None  # None: a new file
    new: str
    fields: list[str]

    def summary(self) -> str:
        if self.old is None:
            return f"created {self.file}"
        return f"updated {self.file}: {', '.join(self.fields)}"

    def diff(self) -> str:
        old = (self.old or "").splitlines(keepends=True)
        label = "/dev/null" if self.old is None else f"a/{self.file}"
        return "".join(difflib.unified_diff(old, self.new.splitlines(keepends=True), label, f"b/{self.file}"))


@dataclass
class Plan:
    changes: list[Change] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)  # generated records that would not validate


def _yaml() -> YAML:
    yaml = YAML()  # round-trip: comments, key order and quoting of untouched lines survive
    yaml.preserve_quotes = True
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def _normal_url(url: Any) -> str:
    return url.rstrip("/") if isinstance(url, str) else ""


def slugify(text: str, limit: int) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")
    return slug[:limit].rstrip("-") or "talk"


def plan_import(catalog: Catalog, export: Export) -> Plan:
    plan = Plan()
    taken = {kind: set(records) for kind, records in catalog.records.items()}
    events, seminars = _index(catalog.events), _index(catalog.seminars)
    event_ids: dict[str, str] = {}
    for event in export.events:
        existing = events.get(_normal_url(event.url))
        event_ids[_normal_url(event.url)] = _sync_event(catalog, event, existing, plan, taken["event"])
    for talk in export.talks:
        event_id = event_ids.get(_normal_url(talk.event_url)) if talk.event_url else None
        _sync_talk(catalog, talk, seminars.get(_normal_url(talk.url)), event_id, plan, taken["seminar"])
    return plan


def _index(records: dict[str, Record]) -> dict[str, Record]:
    """Records by the Indico page they came from, else by their event page (written by hand)."""
    index: dict[str, Record] = {}
    for record in records.values():
        page = _normal_url(record.data.get("event_page"))
        if page:
            index.setdefault(page, record)
    for record in records.values():
        indico = record.data.get("indico")
        if isinstance(indico, dict) and _normal_url(indico.get("url")):
            index[_normal_url(indico.get("url"))] = record  # an import's own mark wins
    return index


def _unique(base: str, taken: set[str]) -> str:
    ident, n = base, 1
    while ident in taken:
        n += 1
        ident = f"{base[: 80 - len(str(n)) - 1]}-{n}"
    taken.add(ident)
    return ident


def _sync_event(catalog: Catalog, event: Event, existing: Record | None, plan: Plan, taken: set[str]) -> str:
    if existing is None:
        start = event.fields["start"]
        ident = _unique(f"{start}-{slugify(event.fields['title'], 79 - len(start))}", taken)
        data = {"id": ident, **{k: event.fields[k] for k in ("title", "kind")}}
        data.update({k: event.fields[k] for k in EVENT_FIELDS if k in event.fields and k != "title"})
        tracked = {k: fingerprint(event.fields[k]) for k in EVENT_FIELDS if k in event.fields}
        data["indico"] = {"url": event.url, "fields": dict(sorted(tracked.items()))}
        path = catalog.root / "events" / f"{ident}.yaml"
        _add_new(plan, catalog, "event", path, data)
        return ident
    _update(plan, catalog, existing, event.url, event.fields, EVENT_FIELDS, extra_events=None)
    return existing.id


def _sync_talk(
    catalog: Catalog, talk: Talk, existing: Record | None, event_id: str | None, plan: Plan, taken: set[str]
) -> None:
    if existing is None:
        date = talk.fields["date"]
        ident = _unique(f"{date}-{slugify(talk.fields['title'], 79 - len(date))}", taken)
        data: dict[str, Any] = {"id": ident}
        data.update({k: talk.fields[k] for k in SEMINAR_FIELDS if k in talk.fields})
        if event_id:
            data["events"] = [event_id]
        tracked = {k: fingerprint(talk.fields[k]) for k in SEMINAR_FIELDS if k in talk.fields}
        data["indico"] = {"url": talk.url, "fields": dict(sorted(tracked.items()))}
        path = catalog.root / "seminars" / date[:4] / f"{ident}.yaml"
        _add_new(plan, catalog, "seminar", path, data)
        return
    _update(plan, catalog, existing, talk.url, talk.fields, SEMINAR_FIELDS, extra_events=event_id)


def _update(
    plan: Plan,
    catalog: Catalog,
    record: Record,
    url: str,
    desired: dict[str, Any],
    names: tuple[str, ...],
    extra_events: str | None,
) -> None:
    data = record.data
    indico: dict[str, Any] = data["indico"] if isinstance(data.get("indico"), dict) else {}
    tracked: dict[str, str] = dict(indico.get("fields") or {})
    updates: dict[str, Any] = {}
    for name in names:
        want, have, prev = desired.get(name), data.get(name), tracked.get(name)
        if want is None:
            if prev is not None and have is not None and fingerprint(have) == prev:
                updates[name] = REMOVE  # Indico dropped it and nobody edited it since
            tracked.pop(name, None)
        elif have is None:
            if prev is None:
                updates[name] = want
                tracked[name] = fingerprint(want)
            else:
                plan.conflicts.append(Conflict(record.file, name, None, want))
        elif have == want:
            tracked[name] = fingerprint(want)
        elif prev is not None and fingerprint(have) == prev:
            if name in ("date", "start") and record.kind == "seminar":
                note = "the record's id and folder carry the date: move and rename it by hand, then re-import"
                plan.conflicts.append(Conflict(record.file, name, have, want, note))
            else:
                updates[name] = want
                tracked[name] = fingerprint(want)
        else:
            plan.conflicts.append(Conflict(record.file, name, have, want))
    new_indico = {"url": url, "fields": dict(sorted(tracked.items()))}
    events: list[Any] = data["events"] if isinstance(data.get("events"), list) else []
    if extra_events and extra_events not in events:
        updates["events"] = [*events, extra_events]
    if not updates and indico == new_indico:
        plan.unchanged.append(record.file)
        return
    old = record.path.read_text(encoding="utf-8")
    yaml = _yaml()
    document = yaml.load(old)
    for name, value in updates.items():
        if value is REMOVE:
            del document[name]
        else:
            document[name] = _styled(value, name)
    document["indico"] = new_indico
    out = io.StringIO()
    yaml.dump(document, out)
    new = out.getvalue()
    if new == old:
        plan.unchanged.append(record.file)
        return
    fields = [n for n in updates] or ["indico"]
    _check(plan, record.kind, record.file, new)
    plan.changes.append(Change(record.path, record.file, old, new, fields))


QUOTED = frozenset({"date", "time", "start", "end"})  # quoted so that no YAML 1.1 reader takes them for numbers


def _styled(value: Any, name: str = "") -> Any:
    if isinstance(value, str) and "\n" in value:
        return LiteralScalarString(value)
    if isinstance(value, str) and name in QUOTED:
        return DoubleQuotedScalarString(value)
    return value


def _add_new(plan: Plan, catalog: Catalog, kind: str, path: Path, data: dict[str, Any]) -> None:
    file = path.relative_to(catalog.root).as_posix()
    schema = (
        "../../catalog/schemas/seminar.schema.json" if kind == "seminar" else "../catalog/schemas/event.schema.json"
    )
    out = io.StringIO()
    _yaml().dump({k: _styled(v, k) for k, v in data.items()}, out)
    text = f"# yaml-language-server: $schema={schema}\n# imported from Indico by `catalog import indico`\n"
    text += out.getvalue()
    if path.exists():
        plan.invalid.append(f"{file} exists already but is not the record of {data['indico']['url']}")
        return
    _check(plan, kind, file, text)
    plan.changes.append(Change(path, file, None, text, sorted(data)))


def _check(plan: Plan, kind: str, file: str, text: str) -> None:
    loaded = parse_yaml(text, file)
    problems = list(loaded.problems)
    if isinstance(loaded.data, dict):
        problems += check_against_schema(kind, loaded.data, loaded.lines, file)
    plan.invalid += [f"{file}:{p.line}: {p.message}" for p in problems]


def apply(plan: Plan) -> None:
    """Write every change; each file is replaced whole (atomically) or not at all."""
    for change in plan.changes:
        write_text(change.path, change.new)
