"""Load → schema → catalog rules: the whole check of a catalog, returning data, never raising."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from .cache import ParsedRecords
from .discover import find_record_files
from .loader import PARSER_VERSION, load_yaml_file
from .model import Catalog, Record
from .problems import Problem, relative_name
from .records import record_value
from .rules import catalog_rules, check_id_matches_location
from .schema_check import check_against_schema
from .tree import CACHE_FOLDER, cache_problems, symlink_problems


def load_record(
    kind: str, path: Path, root: Path, parsed: ParsedRecords | None = None
) -> tuple[Record | None, list[Problem]]:
    file = relative_name(path, root)
    loaded = load_yaml_file(path, file, parsed)
    if not isinstance(loaded.data, dict):
        return None, loaded.problems
    problems = loaded.problems + check_against_schema(kind, loaded.data, loaded.lines, file)
    invalid = frozenset(map(_top_field, problems))
    typed = None if problems else record_value(kind, loaded.data)  # built once, from data its schema accepted
    record = Record(kind, loaded.data, file, path, loaded.lines, not problems, invalid, typed)
    return record, problems


_MISSING = re.compile(r"missing required field '([^']+)'")
_TOP = re.compile(r"^\$\.([A-Za-z_][A-Za-z0-9_-]*)|^\$\['([^']+)'\]")


def _top_field(problem: Problem) -> str:
    """The top-level field a problem is about ("*" when it is about the record as a whole)."""
    if missing := _MISSING.match(problem.message):
        return missing.group(1)
    top = _TOP.match(problem.path)
    return (top.group(1) or top.group(2)) if top else "*"


def load_catalog(root: str | Path, *, today: dt.date | None = None, cache: Path | None = None) -> Catalog:
    """Every record under `root`, checked; `catalog.problems` lists all that is wrong.

    `cache`: a folder under `root/.cache` for the parsed YAML of problem-free files
    (`cache.ParsedRecords`, used by site builds); every record is still checked against its schema
    and the catalog rules. It is not touched while `.cache` has a problem (a link, committed files)."""
    root = Path(root)
    catalog = Catalog(root=root)
    files, problems = find_record_files(root)
    cache_issues = cache_problems(root)  # a link in or under .cache among them: the cache is not touched
    problems.extend(symlink_problems(root) + cache_issues)
    usable = cache is not None and not cache_issues and cache.is_relative_to(root / CACHE_FOLDER)
    parsed = ParsedRecords(cache, PARSER_VERSION) if cache is not None and usable else None
    for kind, path in files:
        record, found = load_record(kind, path, root, parsed)
        problems.extend(found)
        if record is None:
            continue
        first = catalog.records[kind].get(record.id)
        if first is None:
            catalog.records[kind][record.id] = record
        elif _named_after_id(record) and not _named_after_id(first):
            catalog.records[kind][record.id] = record  # the file named after the id keeps it
            problems.extend(_duplicate(first, record) + check_id_matches_location(first))
        else:
            problems.extend(_duplicate(record, first) + check_id_matches_location(record))
    catalog.derive_links()
    problems.extend(catalog_rules(catalog, today or dt.date.today()))
    catalog.problems = sorted(problems, key=Problem.sort_key)
    if parsed is not None:
        parsed.save()
    return catalog


def _named_after_id(record: Record) -> bool:
    return (record.path.parent.name if record.kind == "usecase" else record.path.stem) == record.id


def _duplicate(record: Record, first: Record) -> list[Problem]:
    line, col = record.lines.locate(("id",))
    return [
        Problem(
            "KB202",
            f"duplicate {record.kind} id {record.id!r} (also in {first.file})",
            record.file,
            line,
            col,
            "$.id",
            hint="ids are unique per kind; rename one",
        )
    ]


def check(root: str | Path, *, today: dt.date | None = None) -> list[Problem]:
    """The problems of the catalog under `root` (empty when all is well)."""
    return load_catalog(root, today=today).problems
