"""`catalog dispatch` and the batch-engine formats of `catalog matrix` (slurm, kubernetes)."""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import UsageError

if TYPE_CHECKING:
    from ..reproduce.engines import EngineSettings
    from ..reproduce.plan import Task
    from .common import Subparsers


def settings_for(args: argparse.Namespace, root: Path) -> EngineSettings:
    from ..reproduce.engines import EngineConfigError, load_settings

    config = Path(args.config) if getattr(args, "config", None) else root / "mkdocs.yml"
    if getattr(args, "config", None) and not config.is_file():
        raise UsageError(f"no site configuration at {config}")
    try:
        return load_settings(config)
    except (EngineConfigError, OSError) as exc:
        raise UsageError(f"{config}: {exc}") from exc


def engine_matrix(args: argparse.Namespace, root: Path, tasks: list[Task]) -> str:
    """`catalog matrix --format slurm|kubernetes` output."""
    from ..reproduce.engines import units
    from ..reproduce.runner import git_commit

    settings = settings_for(args, root)
    commit = git_commit(root)
    found = units(tasks, args.batch, gpus=True)
    if args.format == "kubernetes":
        from ..reproduce.kubernetes import manifests_yaml

        if found and not settings.repository.startswith("https://"):
            raise UsageError("Kubernetes Jobs clone the repository: set extra.catalog.repository to its https:// URL")
        if not commit:
            print(f"catalog: warning: {root} is not a git checkout; Jobs check out {settings.branch}", file=sys.stderr)
        return manifests_yaml(found, settings, commit)
    from ..reproduce.slurm import Layout, array_jobs, submit_script

    shards = root / "results" / "shards" / "slurm"
    layout = Layout(root, shards, shards / "logs", settings.slurm.python or "python3", commit)
    return submit_script(array_jobs(found, settings), layout, settings)


def cmd_dispatch(args: argparse.Namespace) -> int:
    from ..reproduce import hardware
    from ..reproduce.dispatch import DispatchError, dispatch_slurm
    from ..reproduce.runner import FAILING
    from .plan import plan_from_args

    if args.engine == "kubernetes":
        raise UsageError(
            "Kubernetes is driven by kubectl: `catalog matrix --format kubernetes -o jobs.yaml`, "
            "`kubectl apply -f jobs.yaml`, then `catalog results merge` of the shard folder (docs/contributing.md)"
        )
    if args.wait <= 0:
        raise UsageError("--wait wants a positive number of seconds")
    args.shard, args.dry_run = "1/1", False
    gpus = args.gpu == "yes" or (args.gpu == "auto" and bool(hardware.detect_gpus()))
    root, results, _, tasks = plan_from_args(args, gpu_available=gpus)
    settings = settings_for(args, root)
    work = Path(args.work_dir).resolve() if args.work_dir else Path(tempfile.mkdtemp(prefix="kb-dispatch-", dir=root))
    work.mkdir(parents=True, exist_ok=True)
    if not any(t.action != "unchanged" for t in tasks):
        print("catalog: every notebook is up to date; nothing to dispatch")
        return 0
    try:
        outcome = dispatch_slurm(
            tasks, root, results, settings, work=work, batch=args.batch, gpus=gpus, wait_s=args.wait, poll_s=args.poll
        )
    except DispatchError as exc:
        print(f"catalog: error: {exc}", file=sys.stderr)
        return 1
    counts: dict[str, int] = {}
    for task, run in sorted(outcome.runs, key=lambda tr: tr[0].key):
        counts[run["verdict"]] = counts.get(run["verdict"], 0) + 1
        extra = f" — {run['reason']}" if run.get("reason") else ""
        print(f"{task.key}: {run['verdict']}{extra}")
    print(
        f"catalog: merged {len(outcome.shards)} shard(s) from {work} into {results}: "
        + ", ".join(f"{n} {v}" for v, n in sorted(counts.items()))
    )
    return 1 if any(run["verdict"] in FAILING for _, run in outcome.runs) else 0


def register(sub: Subparsers) -> None:
    p = sub.add_parser(
        "dispatch", help="run the due notebooks on a batch engine (Slurm job arrays), wait, merge the shards"
    )
    p.add_argument("usecases", nargs="*", metavar="USECASE", help="only these use cases")
    p.add_argument("--engine", choices=["slurm", "kubernetes"], required=True)
    p.add_argument("--root", help="catalog root (default: current folder)")
    p.add_argument("--config", help="site configuration with extra.catalog.engines (default: ROOT/mkdocs.yml)")
    p.add_argument("--results", default="results/results.json", help="results store the shards are merged into")
    p.add_argument("--changed", nargs="?", const="origin/main", metavar="BASE")
    p.add_argument("--force", action="store_true", help="every notebook, not only the due ones")
    p.add_argument("--batch", type=int, default=1, help="use cases per array task")
    p.add_argument("--gpu", choices=["auto", "yes", "no"], default="yes", help="ask the engine for GPUs (default yes)")
    p.add_argument("--wait", type=float, default=6 * 3600, help="seconds to wait before cancelling (default 6 h)")
    p.add_argument("--poll", type=float, default=2.0, help="seconds between state queries")
    p.add_argument("--work-dir", help="scripts, logs and shards (default: a new kb-dispatch-* folder in ROOT)")
    p.set_defaults(func=cmd_dispatch)
