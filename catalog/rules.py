"""Catalog rules: what one record's schema cannot see — names, references, notebooks, dates."""

from __future__ import annotations

import datetime as dt
import difflib
import json
import re
from typing import Any

from .discover import SEMINAR_UNDATED_FOLDER
from .events import check_event
from .loader import JsonPath, json_path
from .model import REFERENCE_FIELDS, Catalog, Record
from .notebook import read_notebook
from .problems import Problem, Severity
from .proof_rules import proof_problems
from .provenance import check_provenance_sources
from .reproduce.metrics import declared_metrics
from .reproduce.setup_cell import MARKER as SETUP_MARKER

PUBLIC_ACCESS = ("open", "registration")
USECASE_CONTENT_FIELDS = ("notebooks", "datasets", "environment", "metrics", "data")
# what `catalog new` writes where only the contributor knows the answer: invalid until replaced
PLACEHOLDER = "FILL IN:"


def _problem(
    record: Record, code: str, message: str, parts: JsonPath, hint: str = "", severity: Severity = Severity.ERROR
) -> Problem:
    line, col = record.lines.locate(parts)
    return Problem(code, message, record.file, line, col, json_path(parts), severity, hint)


def catalog_rules(catalog: Catalog, today: dt.date) -> list[Problem]:
    problems: list[Problem] = []
    for record in catalog.all_records():
        problems += check_id_matches_location(record)
        problems += check_references(record, catalog)
        problems += check_placeholders(record)
        # content rules assume the schema's shapes of the fields they read, and only those
        if record.shape_ok("provenance"):
            problems += check_provenance_sources(record)
        if record.kind == "usecase" and record.shape_ok(*USECASE_CONTENT_FIELDS):
            problems += check_usecase_content(record, catalog)
        elif record.kind == "seminar" and record.shape_ok("date", "minutes"):
            problems += check_seminar_dates(record, today)
        elif record.kind == "event" and record.schema_valid:
            problems += check_event(record, catalog)
    from .reproduce.binder import check_binder  # KB214: generated binder/ out of date

    problems += check_binder(catalog)
    return problems


def check_placeholders(record: Record) -> list[Problem]:
    """Text a scaffold left for the contributor to write."""
    # Every string value appears verbatim in the record's JSON (ensure_ascii=False escapes only
    # quotes, backslashes and control characters), so one C-speed search rules out most records.
    try:
        if PLACEHOLDER not in json.dumps(record.data, ensure_ascii=False, default=str):
            return []
    except (TypeError, ValueError, RecursionError):
        pass  # a shape JSON cannot hold (a complex key): walk it below
    problems = []
    stack: list[tuple[JsonPath, Any]] = [((), record.data)]
    while stack:
        parts, value = stack.pop()
        if isinstance(value, dict):
            stack.extend(((*parts, key), child) for key, child in value.items())
        elif isinstance(value, list):
            stack.extend(((*parts, index), child) for index, child in enumerate(value))
        elif isinstance(value, str) and value.lstrip().startswith(PLACEHOLDER):
            problems.append(
                _problem(
                    record,
                    "KB250",
                    f"{json_path(parts)} still holds the scaffold's placeholder",
                    parts,
                    "replace it: " + value.strip()[len(PLACEHOLDER) :].strip()[:120],
                )
            )
    return sorted(problems, key=Problem.sort_key)


def expected_stem(record: Record) -> str:
    return record.path.parent.name if record.kind == "usecase" else record.path.stem


def check_id_matches_location(record: Record) -> list[Problem]:
    problems = []
    declared = record.data.get("id")
    stem = expected_stem(record)
    if isinstance(declared, str) and declared != stem:
        where = "folder" if record.kind == "usecase" else "file"
        problems.append(
            _problem(
                record,
                "KB201",
                f"id {declared!r} does not match the {where} name {stem!r}",
                ("id",),
                f"rename the {where} or set id: {stem}",
            )
        )
    if record.kind == "seminar":
        date = record.data.get("date")
        folder = record.path.parent.name
        if date == "unknown":
            expected = SEMINAR_UNDATED_FOLDER
        elif isinstance(date, str) and len(date) >= 4:
            expected = date[:4]
            if isinstance(declared, str) and not declared.startswith(date):
                problems.append(
                    _problem(
                        record,
                        "KB201",
                        f"seminar id {declared!r} must start with its date {date}",
                        ("id",),
                        f"name it {date}-<slug>",
                    )
                )
        else:
            return problems
        if folder != expected:
            problems.append(
                _problem(
                    record,
                    "KB211",
                    f"seminar is in seminars/{folder}/ but its date says {expected}",
                    ("date",),
                    f"move it to seminars/{expected}/",
                )
            )
    return problems


def check_references(record: Record, catalog: Catalog) -> list[Problem]:
    problems = []
    for field_name, target_kind in REFERENCE_FIELDS[record.kind].items():
        targets = record.data.get(field_name)
        if not isinstance(targets, list):
            continue
        known = catalog.records[target_kind]
        for index, target in enumerate(targets):
            if isinstance(target, str) and target not in known:
                match = difflib.get_close_matches(target, list(known), n=1, cutoff=0.6)
                hint = f"did you mean {match[0]!r}?" if match else f"add {target_kind} record {target!r} first"
                problems.append(
                    _problem(record, "KB203", f"{target_kind} {target!r} does not exist", (field_name, index), hint)
                )
    return problems


def check_usecase_content(record: Record, catalog: Catalog) -> list[Problem]:
    problems: list[Problem] = []
    data = record.data
    notebooks = data.get("notebooks") or []
    if not notebooks:
        problems.append(
            _problem(
                record,
                "KB204",
                "a use case needs at least one notebook",
                ("notebooks",),
                "add notebooks: [{path: notebooks/NAME.ipynb, title: ...}]",
            )
        )
    listed = data.get("datasets") or []
    datasets = [catalog.datasets[d] for d in listed if d in catalog.datasets]
    generated = (data.get("data") or {}).get("generated_by") == "notebook"
    if (
        len(datasets) == len(listed)
        and not any(d.data.get("access") in PUBLIC_ACCESS for d in datasets)
        and not (generated and not listed)
    ):
        problems.append(
            _problem(
                record,
                "KB205",
                "a use case needs at least one public dataset (access: open or registration)",
                ("datasets",),
                "link a dataset record whose access is open or registration, or, when the notebooks "
                "make their own data, declare data: {generated_by: notebook}",
            )
        )
    for index, notebook in enumerate(notebooks):
        found = check_notebook(record, index, notebook["path"])
        problems += found or proof_problems(record, index, notebook, declared_metrics(data, notebook))
        if not found:
            problems += shell_install_problems(record, index, notebook["path"])
    requirements = (data.get("environment") or {}).get("requirements")
    if requirements:
        problems += check_inside_folder(record, requirements, ("environment", "requirements"), "requirements file")
    conda = (data.get("environment") or {}).get("conda")
    if conda:
        problems += check_inside_folder(record, conda, ("environment", "conda"), "conda environment file")
    return problems


def check_inside_folder(record: Record, relative: str, parts: JsonPath, what: str) -> list[Problem]:
    folder = record.folder.resolve()
    target = (folder / relative).resolve()
    if not target.is_relative_to(folder):
        return [
            _problem(
                record,
                "KB212",
                f"{what} {relative!r} is outside the use case folder",
                parts,
                "paths are relative to the use case folder and stay inside it",
            )
        ]
    if not target.is_file():
        return [
            _problem(
                record,
                "KB213",
                f"{what} {relative!r} does not exist",
                parts,
                f"create {record.folder.name}/{relative} or fix the path",
            )
        ]
    return []


def check_notebook(record: Record, index: int, relative: str) -> list[Problem]:
    parts = ("notebooks", index, "path")
    missing = check_inside_folder(record, relative, parts, "notebook")
    if missing:
        return [
            p
            if p.code == "KB212"
            else Problem("KB206", p.message, p.file, p.line, p.column, p.path, p.severity, p.hint)
            for p in missing
        ]
    notebook = read_notebook(record.folder / relative)
    return [
        _problem(record, defect.code, f"notebook {relative!r}: {defect.message}", parts, defect.hint)
        for defect in notebook.defects
    ]


# `!pip install x`, `%pip install x`, `!conda install`, `%uv pip install`, ... at the start of a line
_SHELL_INSTALL = re.compile(r"^[ \t]*[!%][ \t]*(?:pip3?|conda|mamba|uv(?:[ \t]+pip)?)[ \t]+install\b.*$", re.M)


def shell_install_problems(record: Record, index: int, relative: str) -> list[Problem]:
    """Installs from inside a notebook that CI runs: the environment comes from requirements.txt
    (a run-time install bypasses the use case's environment and leaves pip.log in the folder).
    The generated setup cell, which installs only what a hub or Colab lacks, is not one of them."""
    notebook = read_notebook(record.folder / relative)
    problems = []
    for number, cell in enumerate(notebook.code_cells(), start=1):
        source = cell.get("source", "")
        text = "".join(source) if isinstance(source, list) else str(source)
        if text.startswith(SETUP_MARKER):
            continue
        found = _SHELL_INSTALL.search(text)
        if found:
            problems.append(
                _problem(
                    record,
                    "KB251",
                    f"notebook {relative!r}, code cell {number}: installs packages at run time "
                    f"({found.group().strip()[:80]})",
                    ("notebooks", index, "path"),
                    f"list the packages in {record.folder.name}/requirements.txt and remove the line "
                    "(catalog env setup-cells writes a setup cell for hubs and Colab)",
                    Severity.WARNING,
                )
            )
    return problems


def seminar_date(record: Record) -> dt.date | None:
    value = record.data.get("date")
    try:
        return dt.date.fromisoformat(value) if isinstance(value, str) and value != "unknown" else None
    except ValueError:
        return None


def check_seminar_dates(record: Record, today: dt.date) -> list[Problem]:
    date = seminar_date(record)
    if date is None:
        return []
    has_minutes = bool(record.data.get("minutes"))
    if date < today and not has_minutes:
        return [
            _problem(
                record,
                "KB209",
                f"the seminar of {date} has no minutes yet",
                ("date",),
                "add minutes: {topic_summary: ..., discussion: ..., suggestions: [...]}",
                Severity.WARNING,
            )
        ]
    if date > today and has_minutes:
        return [
            _problem(
                record,
                "KB210",
                f"the seminar of {date} is in the future but has minutes",
                ("minutes",),
                "remove the minutes or correct the date",
            )
        ]
    return []
