"""Subcommands beyond `validate`; each is a thin wrapper around a stage module."""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from .cli import UsageError, catalog_root, subcommand
from .permissions import dir_mode

if TYPE_CHECKING:
    from .reproduce.plan import Task
    from .reproduce.store import ResultsStore


def mkdocs_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "mkdocs", *args]


def mkdocs_env() -> dict[str, str]:
    return {**os.environ, "NO_MKDOCS_2_WARNING": "1"}


def build_site(config: Path, site_dir: Path, strict: bool) -> int:
    """Build into a temporary folder and swap it in only on success: a failed build leaves
    the previous site untouched."""
    site_dir = site_dir.resolve()
    site_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{site_dir.name}.new-", dir=site_dir.parent))
    staging.chmod(dir_mode())  # mkdtemp's 0700 would hide the site from a web server's user
    try:
        args = ["build", "-f", str(config), "-d", str(staging)] + (["--strict"] if strict else [])
        done = subprocess.run(mkdocs_command(*args), env=mkdocs_env())
        if done.returncode != 0:
            print(f"catalog: build failed; {site_dir} was left as it was", file=sys.stderr)
            return 1
        previous = site_dir.with_name(f".{site_dir.name}.old")
        shutil.rmtree(previous, ignore_errors=True)
        if site_dir.exists():
            site_dir.rename(previous)
        staging.rename(site_dir)
        shutil.rmtree(previous, ignore_errors=True)
        print(f"catalog: site built in {site_dir}")
        return 0
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def warn_without_site_url(site_url: str) -> None:
    from .exports.feed import NO_SITE_URL

    if not site_url:
        print(f"catalog: warning: {NO_SITE_URL}", file=sys.stderr)


def configured_site_url(config: Path) -> str:
    """mkdocs.yml's site_url, or KB_SITE_URL that it reads through !ENV ('' when neither)."""
    import re

    match = re.search(r"^site_url:\s*(.*)$", config.read_text(encoding="utf-8"), re.M)
    value = match.group(1).strip() if match else ""
    env = re.match(r"!ENV\s*\[?\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:,\s*([^\]]*))?", value)
    if env:
        return os.environ.get(env.group(1), (env.group(2) or "").strip().strip("'\""))
    return value.strip("'\"")


def cmd_build(args: argparse.Namespace) -> int:
    config = Path(args.config_file)
    if not config.is_file():
        raise UsageError(f"no MkDocs configuration at {config}")
    warn_without_site_url(configured_site_url(config))
    return build_site(config, Path(args.site_dir or config.parent / "site"), not args.no_strict)


def cmd_serve(args: argparse.Namespace) -> int:
    config = Path(args.config_file)
    if not config.is_file():
        raise UsageError(f"no MkDocs configuration at {config}")
    # exec: this process becomes mkdocs, so stopping `catalog serve` by its PID stops the server
    command = mkdocs_command("serve", "-f", str(config), "-a", args.dev_addr)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(command[0], command, mkdocs_env())


@subcommand
def register_site(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("build", help="build the site (mkdocs build --strict), replacing site/ only on success")
    p.add_argument("-f", "--config-file", default="mkdocs.yml")
    p.add_argument("-d", "--site-dir", help="output folder (default: site/ next to mkdocs.yml)")
    p.add_argument("--no-strict", action="store_true", help="do not fail on MkDocs warnings")
    p.set_defaults(func=cmd_build)
    p = sub.add_parser("serve", help="preview the site; edits to records and notebooks rebuild it")
    p.add_argument("-f", "--config-file", default="mkdocs.yml")
    p.add_argument("-a", "--dev-addr", default="127.0.0.1:8000")
    p.set_defaults(func=cmd_serve)


def cmd_export(args: argparse.Namespace) -> int:
    import datetime as dt

    from .exports.citation import bibtex_entry, citation_cff
    from .render.launch import SiteSettings
    from .render.site import render_site
    from .reproduce.store import load_statuses
    from .validate import load_catalog

    root = catalog_root(args.root)
    catalog = load_catalog(root)
    if catalog.has_errors:
        from .problems import format_text

        sys.stderr.write(format_text([p for p in catalog.problems if p.is_error]))
        return 1
    statuses, history = load_statuses(catalog, root / args.results)
    warn_without_site_url(args.site_url)
    settings = SiteSettings.from_mapping({"repository": args.repository, "branch": args.branch}, args.site_url)
    site = render_site(catalog, settings, statuses, dt.date.today(), history)
    out = Path(args.output)
    files = {name: data for name, data in site.files.items() if not name.startswith("schemas/")}
    for record in catalog.usecases.values():
        files[f"citations/{record.id}.bib"] = bibtex_entry(record, settings).encode()
        files[f"citations/{record.id}.cff"] = citation_cff(record, settings).encode()
    for name, data in files.items():
        target = out / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    print(f"catalog: wrote {len(files)} files to {out}")
    return 0


@subcommand
def register_export(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("export", help="write catalog.json, seminars.ics, feed.xml and citations without a site build")
    p.add_argument("--root", help="catalog root (default: current folder)")
    p.add_argument("-o", "--output", default="export")
    p.add_argument("--results", default="results/results.json")
    p.add_argument("--repository", default="")
    p.add_argument("--branch", default="main")
    p.add_argument("--site-url", default="")
    p.set_defaults(func=cmd_export)


def _plan_from_args(args: argparse.Namespace, gpu_available: bool) -> tuple[Path, Path, ResultsStore, list[Task]]:
    from .changed import changed_files, record_key
    from .reproduce.plan import parse_shard, plan_runs
    from .reproduce.store import StoreError, read_store
    from .validate import load_catalog

    root = catalog_root(args.root)
    catalog = load_catalog(root)
    if catalog.has_errors:
        from .problems import format_text

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
        from .reproduce.isolation import declarations, planning_fingerprints

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


def cmd_reproduce(args: argparse.Namespace) -> int:
    from .reproduce import hardware
    from .reproduce.runner import FAILING, RunContext, run_plan, summary_table

    gpus = hardware.detect_gpus() if args.gpu == "auto" else ([{"name": "assumed GPU"}] if args.gpu == "yes" else [])
    root, results, store, tasks = _plan_from_args(args, gpu_available=bool(gpus))
    if args.dry_run:
        for task in tasks:
            print(f"{task.action:10} {task.key} (gpu: {task.gpu})")
        return 0
    context = RunContext.create(root, [g for g in gpus if g.get("name") != "assumed GPU"], args.kernel)
    if getattr(args, "isolation", None) is not None:
        from .reproduce.isolation import prepare

        tasks = prepare(tasks, args.isolation, root)
        context.isolation = args.isolation
    outcomes = run_plan(tasks, context, store, results)
    print(summary_table(outcomes), end="")
    print(f"catalog: results in {results}")
    return 1 if any(o.verdict in FAILING for o in outcomes) else 0


def cmd_matrix(args: argparse.Namespace) -> int:
    from .reproduce.matrix import github_matrix, gitlab_pipeline

    args.usecases, args.shard, args.dry_run = args.usecases or [], "1/1", False
    root, _, _, tasks = _plan_from_args(args, gpu_available=True)
    if args.format in ("slurm", "kubernetes"):
        from .dispatch_commands import engine_matrix

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
    from .reproduce.shards import MergeError, merge_shards

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


@subcommand
def register_reproduce(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
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
    p.add_argument("--shard", default="1/1", metavar="I/N", help="run only the I-th of N equal shares")
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


def cmd_fetch(args: argparse.Namespace) -> int:
    from .data import FetchError, check_dataset_id, configured_mirrors, fetch, file_spec
    from .validate import load_record

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


def cmd_links(args: argparse.Namespace) -> int:
    import json

    from .changed import changed_files
    from .http import HttpPolicy
    from .links import catalog_urls, check_urls, read_history, update_history, verdict, write_history
    from .validate import load_catalog

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
        from .links import verify_files

        with tempfile.TemporaryDirectory(prefix="kb-verify-") as scratch:
            for file_check in verify_files(catalog, Path(scratch), args.max_file_bytes, policy):
                bad_files += file_check.state == "checksum-error"
                print(
                    f"datasets/{file_check.dataset}.yaml: file {file_check.name}: {file_check.state}"
                    + (f" ({file_check.detail})" if file_check.detail else "")
                )
    return 1 if bad_files or any(item["state"] == "broken" for item in report) else 0


@subcommand
def register_data(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
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


def cmd_new(args: argparse.Namespace) -> int:
    from .scaffold import ScaffoldError, scaffold, write_scaffold
    from .validate import load_catalog

    root = catalog_root(args.root)
    catalog = load_catalog(root)
    if args.kind == "minutes":
        from .minutes_cli import new_minutes

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


@subcommand
def register_new(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("new", help="scaffold a record that validates as it is (never overwrites)")
    p.add_argument("kind", choices=["usecase", "dataset", "seminar", "minutes"])
    p.add_argument("id", help="the new id (a seminar's starts with its date, YYYY-MM-DD-); for minutes: the seminar's")
    p.add_argument("--root", help="catalog root (default: current folder)")
    p.add_argument("--dataset", help="for a use case: the dataset it uses (default: the first public one)")
    from .minutes_cli import add_minutes_arguments

    add_minutes_arguments(p)
    p.set_defaults(func=cmd_new)
