"""`catalog validate`: records against the schemas and catalog rules, reported by the shared formatters."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import UsageError
from ..problems import FORMATTERS, Problem, relative_name
from .common import catalog_root, report

if TYPE_CHECKING:
    from .common import Subparsers


def cmd_validate(args: argparse.Namespace) -> int:
    from ..changed import changed_files, referrers_of_changed
    from ..tree import cache_problems
    from ..validate import load_catalog

    root = catalog_root(args.root)
    catalog = load_catalog(root, today=args.today)
    only: set[str] | None = None
    if args.paths:
        only = set()
        for raw in args.paths:
            path = Path(raw)
            if not path.exists():
                raise UsageError(f"no such file or folder: {raw}")
            targets = [p for p in path.rglob("*") if p.is_file()] if path.is_dir() else [path]
            only.update(relative_name(p, root) for p in targets)
        only |= referrers_of_changed(catalog, only)  # a notebook's problems are reported on its record
    extra: list[Problem] = []
    if args.changed is not None:
        changed = changed_files(root, args.changed)
        only = changed if only is None else only & changed
        only |= referrers_of_changed(catalog, changed)
        committed = {p.file for p in catalog.problems if p.code == "KB011"}
        extra = [p for p in cache_problems(root, changed) if p.file not in committed and (root / p.file).exists()]
    problems = catalog.problems if only is None else [p for p in catalog.problems if p.file in only]
    problems = sorted(problems + extra, key=Problem.sort_key)
    return report(problems, args.format, args.output, args.strict)


def _iso_date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date (YYYY-MM-DD)") from exc


def register(sub: Subparsers) -> None:
    p = sub.add_parser("validate", help="check records against the schemas and catalog rules")
    p.add_argument("paths", nargs="*", help="report only on these files or folders (rules still see everything)")
    p.add_argument("--root", help="catalog root (default: current folder)")
    p.add_argument("--format", choices=sorted(FORMATTERS), default="text")
    p.add_argument("--output", help="write the report here instead of standard output")
    p.add_argument("--strict", action="store_true", help="warnings fail too")
    p.add_argument(
        "--changed",
        nargs="?",
        const="origin/main",
        metavar="BASE",
        help="only files changed against a git base (default origin/main) and records they touch",
    )
    p.add_argument("--today", type=_iso_date, help="judge seminar dates as of this day, YYYY-MM-DD (default: today)")
    p.set_defaults(func=cmd_validate)
