"""`catalog env ...`: per-use-case environments, notebook setup cells and the Binder configuration."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import UsageError
from .common import catalog_root

if TYPE_CHECKING:
    from ..model import Catalog
    from .common import Subparsers

DEFAULT_REPOSITORY = "https://github.com/ml-infn/knowledge-base"


def _catalog(args: argparse.Namespace) -> Catalog:
    from ..validate import load_catalog

    catalog = load_catalog(catalog_root(args.root))
    unknown = [u for u in getattr(args, "usecases", []) if u not in catalog.usecases]
    if unknown:
        raise UsageError(f"no such use case: {', '.join(unknown)}")
    return catalog


def cmd_env_build(args: argparse.Namespace) -> int:
    from ..reproduce.envs import EnvError, declaration_of, ensure

    catalog = _catalog(args)
    failed = 0
    for usecase in sorted(catalog.usecases.values(), key=lambda r: r.id):
        if args.usecases and usecase.id not in args.usecases:
            continue
        clock = time.perf_counter()
        try:
            declaration = declaration_of(usecase, catalog.root)
            if declaration is None:
                print(f"{usecase.id}: no environment declared (runs in the active environment)")
                continue
            environment = ensure(declaration, catalog.root)
        except EnvError as exc:
            print(f"{usecase.id}: error: {exc}", file=sys.stderr)
            failed += 1
            continue
        state = "built" if environment.created else "reused"
        print(
            f"{usecase.id}: {state} in {time.perf_counter() - clock:.2f} s: {environment.folder} "
            f"(Python {environment.python_version}, {len(environment.packages)} packages, "
            f"{environment.fingerprint[:19]})"
        )
    return 1 if failed else 0


def cmd_env_setup_cells(args: argparse.Namespace) -> int:
    from ..reproduce.setup_cell import setup_cell_of, setup_source, write_setup_cells

    catalog = _catalog(args)
    stale: list[Path] = []
    for usecase in sorted(catalog.usecases.values(), key=lambda r: r.id):
        if args.usecases and usecase.id not in args.usecases:
            continue
        if args.check:
            source = setup_source(usecase, args.repository)
            stale += [
                usecase.folder / e["path"]
                for e in usecase.data.get("notebooks", [])
                if setup_cell_of(usecase.folder / e["path"]) != source
            ]
        else:
            for path in write_setup_cells(usecase, args.repository):
                print(f"catalog: setup cell written in {path}")
    for path in stale:
        print(f"{path}: setup cell missing or out of date (run catalog env setup-cells)")
    return 1 if stale else 0


def cmd_env_binder(args: argparse.Namespace) -> int:
    from ..reproduce.binder import BinderError, write_binder

    catalog = _catalog(args)
    try:
        written = write_binder(catalog)
    except BinderError as exc:
        print(f"catalog: error: {exc}", file=sys.stderr)
        return 1
    for path in written:
        print(f"catalog: wrote {path}")
    return 0


def register(sub: Subparsers) -> None:
    p = sub.add_parser("env", help="per-use-case environments, notebook setup cells, binder/")
    env = p.add_subparsers(dest="env_command", required=True)

    q = env.add_parser("build", help="build (or reuse) each use case's isolated uv environment")
    q.add_argument("usecases", nargs="*", metavar="USECASE")
    q.add_argument("--root", help="catalog root (default: current folder)")
    q.set_defaults(func=cmd_env_build)

    q = env.add_parser("setup-cells", help="write each notebook's first cell, which installs missing packages")
    q.add_argument("usecases", nargs="*", metavar="USECASE")
    q.add_argument("--root", help="catalog root (default: current folder)")
    q.add_argument("--repository", default=DEFAULT_REPOSITORY, help="where the data helper is installed from")
    q.add_argument("--check", action="store_true", help="only report notebooks whose setup cell is out of date")
    q.set_defaults(func=cmd_env_setup_cells)

    q = env.add_parser("binder", help="write binder/ from the CPU use cases' requirements, resolved together")
    q.add_argument("--root", help="catalog root (default: current folder)")
    q.set_defaults(func=cmd_env_binder)
