"""`catalog links`: every URL in the records checked, broken only after repeated failures."""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import UsageError
from .common import catalog_root

if TYPE_CHECKING:
    from .common import Subparsers


def cmd_links(args: argparse.Namespace) -> int:
    import json

    from ..changed import changed_files
    from ..http import HttpPolicy
    from ..links import catalog_urls, check_urls, read_history, update_history, verdict, write_history
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
    report = []
    for check in checks:
        state = verdict(history[check.url])
        for use in uses[check.url]:
            report.append(
                {
                    "url": check.url,
                    "state": state,
                    "last": check.state,
                    "status": check.status,
                    "detail": check.detail,
                    "file": use.file,
                    "path": use.path,
                }
            )
    if args.format == "json":
        print(json.dumps(report, indent=1))
    else:
        for item in report:
            if item["last"] == "ok":
                continue
            level = "error" if item["state"] == "broken" else "warning"
            if args.format == "github":
                print(
                    f"::{level} file={item['file']},title=link {item['state']}::{item['url']} at {item['path']}: "
                    f"{item['detail']}"
                )
            else:
                print(f"{item['file']}: {level}: {item['url']} at {item['path']} is {item['state']} ({item['detail']})")
        counts: dict[str, int] = {}
        for check in checks:
            counts[check.state] = counts.get(check.state, 0) + 1
        print(f"{len(checks)} link(s): " + ", ".join(f"{n} {s}" for s, n in sorted(counts.items())))
    bad_files = 0
    if args.verify_files:
        from ..links import verify_files

        with tempfile.TemporaryDirectory(prefix="kb-verify-") as scratch:
            for file_check in verify_files(catalog, Path(scratch), args.max_file_bytes, policy):
                bad_files += file_check.state == "checksum-error"
                print(
                    f"datasets/{file_check.dataset}.yaml: file {file_check.name}: {file_check.state}"
                    + (f" ({file_check.detail})" if file_check.detail else "")
                )
    return 1 if bad_files or any(item["state"] == "broken" for item in report) else 0


def register(sub: Subparsers) -> None:
    p = sub.add_parser("links", help="check every URL in the records (broken only after repeated failures)")
    p.add_argument("--root", help="catalog root (default: current folder)")
    p.add_argument("--changed", nargs="?", const="origin/main", metavar="BASE")
    p.add_argument("--format", choices=["text", "json", "github"], default="text")
    p.add_argument("--history", default="results/links.json", help="link history store")
    p.add_argument("--budget", type=float, default=60.0, help="seconds any one URL may take, retries included")
    p.add_argument("--list", action="store_true", help="only list the URLs that would be checked")
    p.add_argument("--verify-files", action="store_true", help="also download dataset files and check checksums")
    p.add_argument("--max-file-bytes", type=int, default=200_000_000, help="size cap for --verify-files")
    p.set_defaults(func=cmd_links)
