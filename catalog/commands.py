"""Subcommands beyond `validate`; each is a thin wrapper around a stage module."""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from .cli import UsageError, catalog_root, subcommand


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


def cmd_build(args: argparse.Namespace) -> int:
    config = Path(args.config_file)
    if not config.is_file():
        raise UsageError(f"no MkDocs configuration at {config}")
    return build_site(config, Path(args.site_dir or config.parent / "site"), not args.no_strict)


def cmd_serve(args: argparse.Namespace) -> int:
    config = Path(args.config_file)
    if not config.is_file():
        raise UsageError(f"no MkDocs configuration at {config}")
    return subprocess.run(mkdocs_command("serve", "-f", str(config), "-a", args.dev_addr), env=mkdocs_env()).returncode


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
