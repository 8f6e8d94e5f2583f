"""`catalog new`: scaffolds that validate as they are, and minutes added to a past seminar."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from .common import catalog_root
from .minutes import add_minutes_arguments

if TYPE_CHECKING:
    from .common import Subparsers


def cmd_new(args: argparse.Namespace) -> int:
    from ..scaffold import ScaffoldError, scaffold, write_scaffold
    from ..validate import load_catalog

    root = catalog_root(args.root)
    catalog = load_catalog(root)
    if args.kind == "minutes":
        from .minutes import new_minutes

        return new_minutes(catalog, args)
    try:
        made = scaffold(catalog, args.kind, args.id, args.dataset)
        written = write_scaffold(made)
    except ScaffoldError as exc:
        print(f"catalog: error: {exc}", file=sys.stderr)
        return 1
    for path in written:
        print(f"created {path.relative_to(root)}")
    print("next steps:")
    for step in made.next_steps:
        print(f"  - {step}")
    return 0


def register(sub: Subparsers) -> None:
    p = sub.add_parser("new", help="scaffold a record that validates as it is (never overwrites)")
    p.add_argument("kind", choices=["usecase", "dataset", "seminar", "minutes"])
    p.add_argument("id", help="the new id (a seminar's starts with its date, YYYY-MM-DD-); for minutes: the seminar's")
    p.add_argument("--root", help="catalog root (default: current folder)")
    p.add_argument("--dataset", help="for a use case: the dataset it uses (default: the first public one)")
    add_minutes_arguments(p)
    p.set_defaults(func=cmd_new)
