"""`catalog import indico SOURCE`: seminars and events from an Indico export file or URL."""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING

from ..errors import UsageError
from .common import catalog_root

if TYPE_CHECKING:
    from .common import Subparsers

DEFAULT_TOKEN_ENV = "INDICO_TOKEN"


def cmd_import_indico(args: argparse.Namespace) -> int:
    from ..indico_parse import IndicoError, parse_export
    from ..indico_source import read_source
    from ..indico_sync import apply, plan_import
    from ..validate import load_catalog

    root = catalog_root(args.root)
    if not args.token_env.replace("_", "").isalnum():
        raise UsageError(f"--token-env {args.token_env!r} is not an environment variable name")
    token = os.environ.get(args.token_env) or None
    try:
        fetched = read_source(args.source, token, date_from=args.date_from, date_to=args.date_to)
        export = parse_export(fetched.raw, fetched.source)
    except IndicoError as exc:
        print(f"catalog: error: {exc}; nothing was written", file=sys.stderr)
        return 1
    plan = plan_import(load_catalog(root), export)
    if plan.invalid:
        for line in plan.invalid:
            print(f"catalog: error: {line}", file=sys.stderr)
        print("catalog: error: the import would write invalid records; nothing was written", file=sys.stderr)
        return 1
    for change in plan.changes:
        print(change.diff() if args.dry_run else change.summary(), end="\n" if not args.dry_run else "")
    for conflict in plan.conflicts:
        print(conflict.text())
    if not args.dry_run:
        apply(plan)
    created = sum(1 for c in plan.changes if c.old is None)
    print(
        f"{len(export.talks)} talk(s) and {len(export.events)} event(s) in {fetched.source}: {created} created, "
        f"{len(plan.changes) - created} updated, {len(plan.unchanged)} unchanged, {len(plan.conflicts)} conflict(s)"
        + ("; dry run: nothing was written" if args.dry_run else "")
    )
    return 0


def register(sub: Subparsers) -> None:
    p = sub.add_parser("import", help="create or update records from another system")
    kinds = p.add_subparsers(dest="source_kind", required=True)
    q = kinds.add_parser(
        "indico",
        help="seminars (and events) from an Indico export file, or a category, event or export API URL",
        description=(
            "Creates or updates seminar records (and event records for multi-talk events) from Indico. "
            "Fields a maintainer wrote or corrected are never overwritten: a disagreement is reported as a "
            "conflict. Importing the same data twice changes nothing."
        ),
    )
    q.add_argument(
        "source", help="a saved export (.json) or an https:// Indico URL: …/category/ID, …/event/ID, …/export/…"
    )
    q.add_argument("--root", help="catalog root (default: current folder)")
    q.add_argument("--dry-run", action="store_true", help="print a diff per record; write nothing")
    q.add_argument(
        "--token-env",
        default=DEFAULT_TOKEN_ENV,
        metavar="NAME",
        help="environment variable holding an Indico API token, sent as Authorization: Bearer "
        f"(default {DEFAULT_TOKEN_ENV})",
    )
    q.add_argument("--from", dest="date_from", metavar="DATE", help="only events from this day (Indico's from=)")
    q.add_argument("--to", dest="date_to", metavar="DATE", help="only events up to this day (Indico's to=)")
    q.set_defaults(func=cmd_import_indico)
