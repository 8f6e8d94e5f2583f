"""`catalog reproduce`, `catalog matrix` and `catalog results merge`: running notebooks and their results."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from .plan import plan_from_args

if TYPE_CHECKING:
    from .common import Subparsers


def cmd_reproduce(args: argparse.Namespace) -> int:
    from ..reproduce import hardware
    from ..reproduce.runner import FAILING, RunContext, run_plan, summary_table

    gpus = hardware.detect_gpus() if args.gpu == "auto" else ([{"name": "assumed GPU"}] if args.gpu == "yes" else [])
    root, results, store, tasks = plan_from_args(args, gpu_available=bool(gpus))
    if args.dry_run:
        for task in tasks:
            first = ", before a later notebook that is due" if task.prerequisite else ""
            print(f"{task.action:10} {task.key} ({task.order}{first}; gpu: {task.gpu})")
        return 0
    context = RunContext.create(root, [g for g in gpus if g.get("name") != "assumed GPU"], args.kernel)
    if getattr(args, "isolation", None) is not None:
        from ..reproduce.isolation import prepare

        tasks = prepare(tasks, args.isolation, root)
        context.isolation = args.isolation
    outcomes = run_plan(tasks, context, store, results)
    print(summary_table(outcomes), end="")
    print(f"catalog: results in {results}")
    return 1 if any(o.verdict in FAILING for o in outcomes) else 0


def cmd_matrix(args: argparse.Namespace) -> int:
    from ..reproduce.matrix import github_matrix, gitlab_pipeline

    args.usecases, args.shard, args.dry_run = args.usecases or [], "1/1", False
    root, _, _, tasks = plan_from_args(args, gpu_available=True)
    if args.format in ("slurm", "kubernetes"):
        from .dispatch import engine_matrix

        text = engine_matrix(args, root, tasks)
    else:
        text = github_matrix(tasks, args.batch) if args.format == "github" else gitlab_pipeline(tasks, args.batch)
    emit_text = text if text.endswith("\n") else text + "\n"
    if args.output:
        Path(args.output).write_text(emit_text, encoding="utf-8")
    else:
        sys.stdout.write(emit_text)
    return 0


def cmd_results_merge(args: argparse.Namespace) -> int:
    from ..reproduce.shards import MergeError, merge_shards

    missing = [name for name in args.inputs if not Path(name).is_file()]
    if missing:  # e.g. an unmatched shell glob: merging zero shards must not look like success
        print(f"catalog: error: no such shard file: {', '.join(missing)}", file=sys.stderr)
        return 1
    try:
        count, refused = merge_shards(Path(args.output), [Path(n) for n in args.inputs], args.matrix)
    except MergeError as exc:
        print(f"catalog: error: {exc}", file=sys.stderr)
        return 1
    for message in refused:
        print(f"catalog: error: {message}", file=sys.stderr)
    print(f"catalog: merged {len(args.inputs)} file(s) into {args.output} ({count} runs)")
    return 1 if refused else 0


def register(sub: Subparsers) -> None:
    p = sub.add_parser("reproduce", help="run due notebooks with nbval and record their verdicts")
    p.add_argument("usecases", nargs="*", metavar="USECASE", help="only these use cases")
    p.add_argument("--root", help="catalog root (default: current folder)")
    p.add_argument(
        "--changed",
        nargs="?",
        const="origin/main",
        metavar="BASE",
        help="only use cases changed against a git base (default origin/main)",
    )
    p.add_argument("--force", action="store_true", help="run even notebooks unchanged since their last pass")
    p.add_argument("--gpu", choices=["auto", "yes", "no"], default="auto", help="GPU present? (auto: nvidia-smi)")
    p.add_argument(
        "--shard",
        default="1/1",
        metavar="I/N",
        help="run only the I-th of N equal shares of the use cases (a use case is never split)",
    )
    p.add_argument("--results", default="results/results.json", help="results store (merged, never overwritten)")
    p.add_argument("--kernel", default="", help="kernel name (default: this Python environment's kernel)")
    p.add_argument(
        "--env",
        choices=["isolated", "active"],
        default="isolated",
        help="isolated: each use case in its own uv environment built from its record (cached by fingerprint "
        "in $MLINFN_ENVS_DIR); active: every notebook in this Python environment",
    )
    p.add_argument("--dry-run", action="store_true", help="print the plan, run nothing")
    p.set_defaults(func=cmd_reproduce)

    p = sub.add_parser(
        "matrix", help="jobs for the due use cases: GitHub matrix, GitLab child pipeline, Slurm arrays, Kubernetes Jobs"
    )
    p.add_argument("--format", choices=["github", "gitlab", "slurm", "kubernetes"], default="github")
    p.add_argument("--config", help="site configuration with extra.catalog.engines (default: ROOT/mkdocs.yml)")
    p.add_argument("--root", help="catalog root (default: current folder)")
    p.add_argument("--results", default="results/results.json")
    p.add_argument("--changed", nargs="?", const="origin/main", metavar="BASE")
    p.add_argument("--force", action="store_true", help="every notebook, not only the due ones")
    p.add_argument("--batch", type=int, default=1, help="use cases per job")
    p.add_argument("--output", help="write here instead of standard output")
    p.add_argument("usecases", nargs="*", metavar="USECASE")
    p.set_defaults(func=cmd_matrix)

    p = sub.add_parser("results", help="work with results stores")
    results_sub = p.add_subparsers(dest="results_command", required=True)
    m = results_sub.add_parser("merge", help="merge shard result files into one store (nothing lost)")
    m.add_argument("output", help="store to merge into (created if missing)")
    m.add_argument("inputs", nargs="+", help="shard result files")
    m.add_argument(
        "--matrix",
        help="the `catalog matrix --format github` JSON the shards were run from: a shard holding a use case "
        "outside its job's assignment is refused",
    )
    m.set_defaults(func=cmd_results_merge)
