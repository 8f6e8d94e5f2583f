"""Real stand-ins for where the site's launch buttons lead: fresh virtual environments made with
uv (this machine's package index), a git repository of the working tree, a loopback web server
for the repository and the site, and nbval run against a kernel of such an environment."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from importlib import resources
from pathlib import Path
from typing import Any

from catalog.reproduce.envs import uv_binary, uv_settings

from .chromium import serve
from .conftest import REPO

TREE = ("usecases", "datasets", "seminars", "events", "packages", "binder", "mkdocs.yml")


def make_venv(folder: Path, packages: list[str], *, pip: bool = True) -> Path:
    """A fresh environment with only `packages` (and pip, as hub images and Colab have); its python."""
    env, extra = uv_settings()
    env = {**os.environ, **env}
    venv = [uv_binary(), "venv", "--quiet", "--python", f"{sys.version_info.major}.{sys.version_info.minor}"]
    subprocess.run([*venv, *(["--seed"] if pip else []), str(folder)], check=True, env=env)
    python = folder / "bin" / "python"
    if packages:
        install = [uv_binary(), "pip", "install", "--quiet", "--python", str(python), *packages, *extra]
        subprocess.run(install, check=True, env=env)
    return python


def add_kernel(python: Path, name: str) -> Path:
    """A kernel spec for `python` inside its own environment; the folder to put on JUPYTER_PATH."""
    share = python.parent.parent / "share" / "jupyter"
    (share / "kernels" / name).mkdir(parents=True, exist_ok=True)
    spec = {"argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"], "language": "python"}
    (share / "kernels" / name / "kernel.json").write_text(json.dumps(spec | {"display_name": name}))
    return share


def source_repository(target: Path) -> Path:
    """A git repository (branch main) holding the working tree's catalog, helper and binder/."""
    for name in TREE:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=shutil.ignore_patterns("__pycache__", "build", "*.egg-info"))
        elif source.is_file():
            shutil.copy2(source, target / name)
    git = ["git", "-C", str(target), "-c", "user.name=t", "-c", "user.email=t@example.org"]
    subprocess.run([*git[:3], "init", "-q", "-b", "main"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "catalog"], check=True)
    return target


static_server = serve  # http://127.0.0.1:PORT serving a folder (git's dumb HTTP protocol included)


def run_nbval(notebook: Path, kernel: str, jupyter_path: Path, env: dict[str, str], out: Path) -> dict[str, Any]:
    """The nbval worker's report for `notebook`, run where it lies against `kernel`."""
    with resources.as_file(resources.files("catalog").joinpath("nbval_sanitize.cfg")) as sanitize:
        command = [sys.executable, "-m", "catalog.reproduce.nbval_worker", notebook.name, "--kernel", kernel]
        command += ["--cell-timeout", "600", "--sanitize", str(sanitize), "--out", str(out)]
        full_env = {**os.environ, **env, "JUPYTER_PATH": str(jupyter_path)}
        done = subprocess.run(command, cwd=notebook.parent, env=full_env, capture_output=True, text=True, timeout=1500)
    assert out.is_file(), done.stdout + done.stderr
    return dict(json.loads(out.read_text()))


def failures(report: dict[str, Any]) -> list[str]:
    return [c["text"] for c in report["cells"] if c["outcome"] != "passed"]
