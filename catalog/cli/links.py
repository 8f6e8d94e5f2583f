"""`catalog links`: every URL in the records checked, broken only after repeated failures."""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import UsageError
from ..problems import FORMATTERS
from .common import catalog_root, report

if TYPE_CHECKING:
    from .common import Subparsers


def cmd_links(args: argparse.Namespace) -> int:
    from ..changed import changed_files
    from ..http import HttpPolicy
    from ..links import catalog_urls, check_urls, link_problems, read_history, update_history, write_history
    from ..validate import load_catalog

    root = catalog_root(args.root)
    catalog = load_catalog(root)
    files = changed_files(root, args.changed) if args.changed else None
    uses = catalog_urls(catalog, files)
    if args.list:
        for url, where in uses.items():
            print(f"{url}  ({where[0].file} {where[0].path})")
        return 0
    history_path = root / args.history
    try:
        history = read_history(history_path)
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    policy = HttpPolicy(budget=args.budget)
    checks = check_urls(uses, policy)
    history = update_history(history, checks)
    write_history(history_path, history)
    problems = link_problems(catalog, uses, checks, history)
    counts = Counter(check.state for check in checks)
    print(
        f"catalog: {len(checks)} link(s) checked: " + ", ".join(f"{n} {s}" for s, n in sorted(counts.items())),
        file=sys.stderr,
    )
    if args.verify_files:
        from ..links import file_problems, verify_files

        with tempfile.TemporaryDirectory(prefix="kb-verify-") as scratch:
            problems += file_problems(catalog, verify_files(catalog, Path(scratch), args.max_file_bytes, policy))
    return report(problems, args.format, args.output)


def register(sub: Subparsers) -> None:
    p = sub.add_parser("links", help="check every URL in the records (broken only after repeated failures)")
    p.add_argument("--root", help="catalog root (default: current folder)")
    p.add_argument("--changed", nargs="?", const="origin/main", metavar="BASE")
    p.add_argument("--format", choices=sorted(FORMATTERS), default="text")
    p.add_argument("--output", help="write the report here instead of standard output")
    p.add_argument("--history", default="results/links.json", help="link history store")
    p.add_argument("--budget", type=float, default=60.0, help="seconds any one URL may take, retries included")
    p.add_argument("--list", action="store_true", help="only list the URLs that would be checked")
    p.add_argument("--verify-files", action="store_true", help="also download dataset files and check checksums")
    p.add_argument("--max-file-bytes", type=int, default=200_000_000, help="size cap for --verify-files")
    p.set_defaults(func=cmd_links)
