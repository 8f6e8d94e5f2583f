"""One isolated Python environment per distinct environment declaration, built with uv.

A use case declares its environment in its record (`environment.python`, `.requirements`,
optionally `.conda`: a conda `environment.yml`). Use cases with the same declaration share one
environment. An environment lives in `<envs dir>/<declaration hash>/`: `venv/` (uv venv with the
declared packages, ipykernel, the data helper and a kernel spec) and `env.json`, written last, so
an environment without it is a broken build and is rebuilt. Reusing a built environment reads
`env.json` only (no resolver, no interpreter started).

The environment's fingerprint covers the declared files, the Python version and the resolved
package versions; it is part of each notebook's content hash (see fingerprint.py).

uv does not read pip's configuration: the index settings pip uses on this machine (`pip config
list`: index-url, extra-index-url, find-links, constraint, cert) are passed to uv explicitly,
unless `UV_*` variables already say otherwise.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ..atomic_write import write_text
from ..model import Record

ENVS_ENV = "MLINFN_ENVS_DIR"
BUILD_FORMAT = "2"  # bump when the way environments are built changes (2: bytecode compiled)
BASE_PACKAGES = ("ipykernel>=6",)
HELPER_FOLDER = Path("packages") / "mlinfn-data"


class EnvError(Exception):
    """An environment could not be built; the message names the use case file and uv's cause."""


@dataclass(frozen=True)
class Declaration:
    """What one or more use cases declare; `key` names the environment built for it."""

    python: str
    requirements: tuple[str, ...]  # requirement lines (files' own comments removed)
    sources: tuple[str, ...]  # the declaring files, relative to the catalog root
    key: str  # sha256 of everything that goes into the build

    @property
    def short(self) -> str:
        return self.key.removeprefix("sha256:")[:16]


@dataclass(frozen=True)
class Environment:
    declaration: Declaration
    folder: Path
    python_version: str
    packages: dict[str, str]
    fingerprint: str  # declaration + resolved versions
    created: bool  # built in this call (False: reused)

    @property
    def python(self) -> Path:
        return self.folder / "venv" / "bin" / "python"

    @property
    def kernel_name(self) -> str:
        return f"mlinfn-{self.declaration.short}"

    @property
    def jupyter_path(self) -> Path:
        return self.folder / "venv" / "share" / "jupyter"

    def record(self) -> dict[str, Any]:
        """What a verdict stores about the environment it ran in."""
        return {
            "isolation": "uv",
            "fingerprint": self.fingerprint,
            "declared": self.declaration.key,
            "files": list(self.declaration.sources),
            "python": self.python_version,
            "packages": self.packages,
        }


def envs_dir() -> Path:
    default = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "mlinfn-catalog" / "envs"
    return Path(os.environ.get(ENVS_ENV) or default)


def _requirement_lines(text: str) -> list[str]:
    lines = []
    for raw in text.splitlines():
        line = raw.split(" #", 1)[0].strip()
        if line and not line.startswith("#"):
            lines.append(line)
    return lines


def _conda_requirements(path: Path) -> tuple[str, list[str]]:
    """(python version, pip requirements) from a conda environment.yml: its `python=` pin, its
    `pip:` list, and its other conda packages by the same name on PyPI (`name=1.2` → `name==1.2`)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    python, lines = "", []
    for dep in data.get("dependencies") or []:
        if isinstance(dep, dict):
            lines += [str(x) for x in dep.get("pip") or []]
            continue
        spec = str(dep).split("::")[-1].strip()
        name = re.split(r"[<>=!~ ]", spec, maxsplit=1)[0]
        if name == "python":
            python = ".".join(re.sub(r"^[^0-9]*", "", spec[len(name) :]).split(".")[:2])
        elif name and name != "pip":
            rest = spec[len(name) :].strip()
            if rest.startswith("=") and not rest.startswith("=="):
                rest = "==" + rest.lstrip("=").rstrip("*").rstrip(".")
            lines.append(name + rest)
    return python, lines


def helper_source(root: Path) -> Path | None:
    """The data helper's source tree: the checkout's own, else the one this package came from."""
    for base in (root, Path(__file__).resolve().parents[2]):
        if (base / HELPER_FOLDER / "pyproject.toml").is_file():
            return base / HELPER_FOLDER
    return None


def _helper_files(folder: Path) -> list[Path]:
    """The helper's source files (no build leftovers)."""
    files = [folder / "pyproject.toml", folder / "README.md", *sorted((folder / "mlinfn_data").glob("*.py"))]
    return [f for f in files if f.is_file()]


def _tree_digest(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in _helper_files(folder):
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def declaration_of(usecase: Record, root: Path) -> Declaration | None:
    """None when the record declares no requirements (its notebooks run in the active environment)."""
    environment = usecase.data.get("environment") or {}
    if not environment.get("requirements") and not environment.get("conda"):
        return None
    python = str(environment.get("python") or "")
    lines: list[str] = []
    sources: list[str] = []
    for field_name in ("conda", "requirements"):
        name = environment.get(field_name)
        if not name:
            continue
        path = usecase.folder / name
        shown = path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
        sources.append(shown)
        if not path.is_file():
            raise EnvError(f"{shown}: declared as environment.{field_name} of {usecase.id} but missing")
        if field_name == "conda":
            conda_python, conda_lines = _conda_requirements(path)
            python = python or conda_python
            lines += conda_lines
        else:
            lines += _requirement_lines(path.read_text(encoding="utf-8"))
    python = python or f"{sys.version_info.major}.{sys.version_info.minor}"
    helper = helper_source(root)
    digest = hashlib.sha256(
        json.dumps(
            {
                "format": BUILD_FORMAT,
                "python": python,
                "requirements": sorted(lines),
                "base": BASE_PACKAGES,
                "helper": _tree_digest(helper) if helper else "",
            },
            sort_keys=True,
        ).encode()
    )
    return Declaration(python, tuple(lines), tuple(sources), "sha256:" + digest.hexdigest())


def pip_settings() -> dict[str, list[str]]:
    """This machine's pip configuration (`pip config list`), key → values."""
    try:
        done = subprocess.run(
            [sys.executable, "-m", "pip", "config", "list"], capture_output=True, text=True, timeout=60
        )
    except (OSError, subprocess.SubprocessError):
        return {}
    settings: dict[str, list[str]] = {}
    for line in done.stdout.splitlines():
        key, sep, value = line.partition("=")
        if not sep:
            continue
        name = key.rsplit(".", 1)[-1]
        settings[name] = value.strip().strip("'\"").split()
    return settings


def uv_settings(pip: dict[str, list[str]] | None = None) -> tuple[dict[str, str], list[str]]:
    """(environment variables, extra `uv pip install` arguments) mirroring pip's configuration."""
    pip = pip_settings() if pip is None else pip
    env = {"UV_PYTHON_DOWNLOADS": os.environ.get("UV_PYTHON_DOWNLOADS", "never")}
    args: list[str] = []
    if pip.get("index-url") and not os.environ.get("UV_DEFAULT_INDEX") and not os.environ.get("UV_INDEX_URL"):
        env["UV_DEFAULT_INDEX"] = pip["index-url"][0]
    if pip.get("extra-index-url") and not os.environ.get("UV_INDEX") and not os.environ.get("UV_EXTRA_INDEX_URL"):
        env["UV_INDEX"] = " ".join(pip["extra-index-url"])
    if not os.environ.get("UV_FIND_LINKS"):
        for link in pip.get("find-links", []):
            args += ["--find-links", link]
    if not os.environ.get("UV_CONSTRAINT"):
        for constraint in pip.get("constraint", []):
            if Path(constraint).is_file():
                args += ["--constraint", constraint]
    if pip.get("cert") and not os.environ.get("SSL_CERT_FILE"):
        env["SSL_CERT_FILE"] = pip["cert"][0]
    return env, args


def uv_binary() -> str:
    try:
        from uv import find_uv_bin

        return str(find_uv_bin())
    except (ImportError, FileNotFoundError):
        found = shutil.which("uv")
        if not found:
            raise EnvError("uv is not installed (pip install uv)") from None
        return found


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    folder.parent.mkdir(parents=True, exist_ok=True)
    with open(folder.parent / f".{folder.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def existing(declaration: Declaration, base: Path | None = None) -> Environment | None:
    """The built environment for `declaration`, if any (reads one small file)."""
    folder = (base or envs_dir()) / declaration.short
    try:
        meta = json.loads((folder / "env.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if meta.get("declared") != declaration.key or not (folder / "venv" / "bin" / "python").exists():
        return None
    found = Environment(declaration, folder, meta["python"], meta["packages"], meta["fingerprint"], created=False)
    spec = found.jupyter_path / "kernels" / found.kernel_name / "kernel.json"
    try:
        current = json.loads(spec.read_text(encoding="utf-8"))["argv"][0] == str(found.python)
    except (OSError, ValueError, KeyError, IndexError):
        current = False
    if not current:  # restored from a CI cache at another path: the kernel spec follows
        _write_kernel_spec(found)
    return found


def ensure(declaration: Declaration, root: Path, base: Path | None = None) -> Environment:
    """The environment for `declaration`, built with uv when it does not exist yet."""
    found = existing(declaration, base)
    if found:
        return found
    folder = (base or envs_dir()) / declaration.short
    with _locked(folder):
        found = existing(declaration, base)  # built by a concurrent run meanwhile
        if found:
            return found
        return _build(declaration, folder, root)


def _run_uv(args: list[str], env: dict[str, str], what: str, declaration: Declaration) -> str:
    try:
        done = subprocess.run(
            [uv_binary(), *args], capture_output=True, text=True, timeout=1800, env={**os.environ, **env}
        )
    except subprocess.TimeoutExpired as exc:
        raise EnvError(f"{', '.join(declaration.sources)}: {what} took over 30 minutes") from exc
    if done.returncode != 0:
        cause = "\n".join(line for line in done.stderr.strip().splitlines() if line.strip())[-1500:]
        raise EnvError(f"{', '.join(declaration.sources)}: {what} failed: {cause}")
    return done.stdout


def _copy_helper(root: Path, target: Path) -> Path | None:
    """A private copy of the helper's sources to install from (the checkout stays untouched)."""
    source = helper_source(root)
    if source is None:
        return None
    for path in _helper_files(source):
        destination = target / path.relative_to(source)
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, destination)
    return target


def _build(declaration: Declaration, folder: Path, root: Path) -> Environment:
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    env, extra = uv_settings()
    venv = folder / "venv"
    try:
        _run_uv(
            ["venv", "--quiet", "--python", declaration.python, str(venv)],
            env,
            f"creating a Python {declaration.python} environment",
            declaration,
        )
        python = str(venv / "bin" / "python")
        requirements = folder / "requirements.in"
        requirements.write_text("\n".join(declaration.requirements) + "\n", encoding="utf-8")
        helper = _copy_helper(root, folder / "mlinfn-data")
        # compiled at install time as pip does: with PYTHONDONTWRITEBYTECODE set (as on this
        # machine) a kernel would otherwise compile numpy & co. on every start (+1.5 s a notebook)
        install = ["pip", "install", "--quiet", "--compile-bytecode", "--python", python, "-r", str(requirements)]
        install += [*BASE_PACKAGES, *extra]
        _run_uv(install + ([str(helper)] if helper else []), env, "installing the requirements", declaration)
        frozen = _run_uv(["pip", "freeze", "--python", python], env, "listing the packages", declaration)
        version = subprocess.run(
            [python, "-c", "import platform; print(platform.python_version())"],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout.strip()
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    packages = parse_freeze(frozen)
    fingerprint = environment_fingerprint(declaration.key, version, packages)
    environment = Environment(declaration, folder, version, packages, fingerprint, created=True)
    _write_kernel_spec(environment)
    meta = {
        "declared": declaration.key,
        "files": list(declaration.sources),
        "python": version,
        "packages": packages,
        "fingerprint": fingerprint,
    }
    write_text(folder / "env.json", json.dumps(meta, indent=1, sort_keys=True) + "\n")
    return environment


def parse_freeze(text: str) -> dict[str, str]:
    packages = {}
    for line in text.splitlines():
        name, sep, version = line.partition("==")
        if sep:
            packages[name.strip().lower()] = version.strip()
        elif " @ " in line:  # a local build such as the data helper
            name, _, where = line.partition(" @ ")
            packages[name.strip().lower()] = "@ " + Path(where.strip()).name
    return dict(sorted(packages.items()))


def environment_fingerprint(declared: str, python_version: str, packages: dict[str, str]) -> str:
    doc = {"declared": declared, "python": python_version, "packages": packages}
    return "sha256:" + hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()


def _write_kernel_spec(environment: Environment) -> None:
    folder = environment.jupyter_path / "kernels" / environment.kernel_name
    folder.mkdir(parents=True, exist_ok=True)
    spec = {
        "argv": [str(environment.python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": f"Python {environment.python_version} ({', '.join(environment.declaration.sources)})",
        "language": "python",
        "metadata": {"debugger": False},
    }
    (folder / "kernel.json").write_text(json.dumps(spec, indent=1) + "\n", encoding="utf-8")


MISSING_MODULE = re.compile(r"(ModuleNotFoundError: No module named '([A-Za-z0-9_.]+)')")


def missing_module_hint(excerpt: str, usecase: Record, root: Path) -> str:
    """`ModuleNotFoundError: ... (add it to usecases/<id>/requirements.txt)` when a cell failed
    for a package the use case does not declare; "" otherwise."""
    found = MISSING_MODULE.search(excerpt)
    if not found:
        return ""
    environment = usecase.data.get("environment") or {}
    name = environment.get("requirements") or "requirements.txt"
    path = usecase.folder / name
    shown = path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
    return f"{found.group(1)} (add it to {shown})"
