"""Command-line side of `catalog new minutes`: options in, one line out, exit codes."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from typing import TYPE_CHECKING

from ..errors import UsageError

if TYPE_CHECKING:
    from ..model import Catalog


def add_minutes_arguments(p: argparse.ArgumentParser) -> None:
    group = p.add_argument_group("minutes (catalog new minutes SEMINAR-ID)")
    group.add_argument("--summary", default="", help="summary of the topic presented (Markdown)")
    group.add_argument("--discussion", default="", help="summary of the discussion (Markdown)")
    group.add_argument("--suggestion", action="append", default=[], help="a suggestion from the audience (repeat)")
    group.add_argument(
        "--reference", nargs=2, action="append", default=[], metavar=("TITLE", "URL"), help="a reference (repeat)"
    )
    group.add_argument("--attendance", type=int, help="number of attendees")


def new_minutes(catalog: Catalog, args: argparse.Namespace) -> int:
    from ..minutes import MinutesError, MinutesInput, add_minutes

    for _, url in args.reference:
        if not url.startswith("https://"):
            raise UsageError(f"--reference URL must be an https:// address, not {url!r}")
    references = [(title, url) for title, url in args.reference]
    given = MinutesInput(args.summary, args.discussion, args.suggestion, references, args.attendance)
    try:
        name = add_minutes(catalog, args.id, given, dt.date.today())
    except MinutesError as exc:
        print(f"catalog: error: {exc}", file=sys.stderr)
        return 1
    print(f"added minutes to {name}")
    print("next steps:")
    if not (args.summary and args.discussion and args.suggestion):
        print("  - replace the FILL IN: lines of the minutes block (the record fails validation until then)")
    print(f"  - catalog validate {name}")
    return 0
