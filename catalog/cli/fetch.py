"""`catalog fetch`: a dataset's files, downloaded or found on a mirror, verified by checksum."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from ..errors import UsageError
from .common import catalog_root

if TYPE_CHECKING:
    from .common import Subparsers


def cmd_fetch(args: argparse.Namespace) -> int:
    from ..data import FetchError, check_dataset_id, configured_mirrors, fetch, file_spec
    from ..validate import load_record

    try:
        check_dataset_id(args.dataset)
        mirrors = configured_mirrors()
    except FetchError as exc:
        raise UsageError(str(exc)) from exc
    root = catalog_root(args.root)
    path = root / "datasets" / f"{args.dataset}.yaml"
    if not path.is_file():
        raise UsageError(f"no dataset {args.dataset!r} (no {path})")
    record, _ = load_record("dataset", path, root)
    names = args.files or [f["name"] for f in (record.data.get("files", []) if record else [])]
    failures = 0
    for name in names:
        try:
            file_spec(args.dataset, name, root)
            print(
                fetch(
                    args.dataset,
                    name,
                    root=root,
                    mirrors=mirrors,
                    cache=args.cache,
                    refresh=args.refresh,
                    max_bytes=args.max_bytes,
                )
            )
        except FetchError as exc:
            failures += 1
            print(f"catalog: error: {exc}", file=sys.stderr)
    return 1 if failures else 0


def register(sub: Subparsers) -> None:
    p = sub.add_parser("fetch", help="download (or find on a mirror) a dataset's files, verified by checksum")
    p.add_argument("dataset")
    p.add_argument("files", nargs="*", help="file names (default: every file of the record)")
    p.add_argument("--root", help="catalog root (default: current folder)")
    p.add_argument("--cache", help="cache folder (default: $MLINFN_DATA_CACHE or ~/.cache/mlinfn-catalog/data)")
    p.add_argument("--refresh", action="store_true", help="download again even when a verified copy is cached")
    p.add_argument(
        "--max-bytes", type=int, default=4 << 30, help="cap on a download whose record declares no size (bytes)"
    )
    p.set_defaults(func=cmd_fetch)
