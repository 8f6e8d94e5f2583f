"""The run plan that `reproduce`, `matrix` and `dispatch` share: the catalog, the selection of use
cases (named, or changed against a git base), the results store, and the tasks that are due."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import UsageError
from .common import catalog_root

if TYPE_CHECKING:
    from ..reproduce.plan import Task
    from ..reproduce.store import ResultsStore


def plan_from_args(args: argparse.Namespace, gpu_available: bool) -> tuple[Path, Path, ResultsStore, list[Task]]:
    from ..changed import changed_files, record_key
    from ..reproduce.plan import parse_shard, plan_runs
    from ..reproduce.store import StoreError, read_store
    from ..validate import load_catalog

    root = catalog_root(args.root)
    catalog = load_catalog(root)
    if catalog.has_errors:
        from ..problems import format_text

        sys.stderr.write(format_text([p for p in catalog.problems if p.is_error]))
        raise SystemExit(1)
    unknown = [u for u in args.usecases if u not in catalog.usecases]
    if unknown:
        raise UsageError(f"no such use case: {', '.join(unknown)}")
    selection = list(args.usecases) or None
    if getattr(args, "changed", None):
        touched = {key[1] for key in map(record_key, changed_files(root, args.changed)) if key and key[0] == "usecase"}
        selection = [u for u in (selection or list(catalog.usecases)) if u in touched]
        if not selection:
            print("catalog: no use case changed")
    try:
        shard = parse_shard(args.shard)
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    results = Path(args.results) if Path(args.results).is_absolute() else root / args.results
    try:
        store = read_store(results)
    except StoreError as exc:
        raise UsageError(str(exc)) from exc
    if selection == []:
        return root, results, store, []
    environments: dict[str, str] = {}
    args.isolation = None
    if getattr(args, "env", "isolated") == "isolated":  # per-use-case environments (catalog/reproduce/envs.py)
        from ..reproduce.isolation import declarations, planning_fingerprints

        args.isolation = declarations(catalog, selection)
        environments = planning_fingerprints(args.isolation, store, catalog, None)
    return (
        root,
        results,
        store,
        plan_runs(
            catalog,
            store,
            usecases=selection,
            force=args.force,
            gpu_available=gpu_available,
            shard=shard,
            environments=environments,
        ),
    )
