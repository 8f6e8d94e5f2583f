"""`catalog build` and `catalog serve`: MkDocs with the kb plugin, a failed build never replacing the site."""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import UsageError
from ..permissions import dir_mode

if TYPE_CHECKING:
    from .common import Subparsers


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
    from ..exports.feed import NO_SITE_URL

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


def register(sub: Subparsers) -> None:
    p = sub.add_parser("build", help="build the site (mkdocs build --strict), replacing site/ only on success")
    p.add_argument("-f", "--config-file", default="mkdocs.yml")
    p.add_argument("-d", "--site-dir", help="output folder (default: site/ next to mkdocs.yml)")
    p.add_argument("--no-strict", action="store_true", help="do not fail on MkDocs warnings")
    p.set_defaults(func=cmd_build)
    p = sub.add_parser("serve", help="preview the site; edits to records and notebooks rebuild it")
    p.add_argument("-f", "--config-file", default="mkdocs.yml")
    p.add_argument("-a", "--dev-addr", default="127.0.0.1:8000")
    p.set_defaults(func=cmd_serve)
