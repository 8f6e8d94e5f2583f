"""`fetch(dataset_id, filename)`: one reliable way for notebooks to get a dataset file.

Order: the verified cache, then configured mirrors (local folders such as a cvmfs path, or base
URLs), then a copy bundled in an installed package, then the record's URL. Every file is checked
against the size and checksum in the record; downloads go to a temporary file that is renamed
only once verified, so a failed or wrong download never leaves a partial file nor replaces a
good cached copy.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from .http import HttpPolicy, new_session, request_with_retries

MIRRORS_ENV = "MLINFN_DATA_MIRRORS"  # os.pathsep-separated folders or https:// base URLs
CACHE_ENV = "MLINFN_DATA_CACHE"
ROOT_ENV = "MLINFN_CATALOG_ROOT"
CHUNK = 1 << 20


class FetchError(Exception):
    """A dataset file could not be had; the message names dataset, file, URL and cause."""


@dataclass(frozen=True)
class FileSpec:
    dataset: str
    name: str
    url: str | None
    size: int | None
    sha256: str | None
    md5: str | None
    bundled: dict[str, Any] | None

    @property
    def checkable(self) -> bool:
        return bool(self.sha256 or self.md5 or self.size is not None)


def find_catalog_root(start: Path | None = None) -> Path:
    if os.environ.get(ROOT_ENV):
        return Path(os.environ[ROOT_ENV])
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "datasets").is_dir():
            return folder
    raise FetchError(f"no catalog found above {here}; set {ROOT_ENV}")


def file_spec(dataset_id: str, filename: str, root: Path) -> FileSpec:
    from .validate import load_record

    path = root / "datasets" / f"{dataset_id}.yaml"
    if not path.is_file():
        raise FetchError(f"dataset {dataset_id!r}: no record {path}")
    record, problems = load_record("dataset", path, root)
    if record is None or any(p.is_error for p in problems):
        details = "; ".join(p.as_text() for p in problems[:3])
        raise FetchError(f"dataset {dataset_id!r}: its record is invalid ({details})")
    for entry in record.data.get("files", []):
        if entry["name"] == filename:
            return FileSpec(
                dataset_id,
                filename,
                entry.get("url"),
                entry.get("size_bytes"),
                entry.get("sha256"),
                entry.get("md5"),
                entry.get("bundled"),
            )
    names = ", ".join(f["name"] for f in record.data.get("files", [])) or "none"
    raise FetchError(f"dataset {dataset_id!r} lists no file {filename!r} (files: {names})")


def verify(path: Path, spec: FileSpec) -> str | None:
    """None when `path` matches the record, else what is wrong."""
    size = path.stat().st_size
    if spec.size is not None and size != spec.size:
        return f"size {size} bytes, expected {spec.size}"
    if spec.sha256 or spec.md5:
        algo, expected = ("sha256", spec.sha256) if spec.sha256 else ("md5", spec.md5)
        digest = hashlib.new(algo)
        with path.open("rb") as handle:
            while chunk := handle.read(CHUNK):
                digest.update(chunk)
        if digest.hexdigest() != expected:
            return f"{algo} {digest.hexdigest()}, expected {expected}"
    return None


def cache_dir() -> Path:
    default = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "mlinfn-catalog" / "data"
    return Path(os.environ.get(CACHE_ENV) or default)


def configured_mirrors() -> list[str]:
    return [m for m in os.environ.get(MIRRORS_ENV, "").split(os.pathsep) if m]


def _bundled_path(spec: FileSpec) -> Path | None:
    if not spec.bundled:
        return None
    found = importlib.util.find_spec(spec.bundled["module"])
    if found is None or not found.submodule_search_locations:
        return None
    for location in found.submodule_search_locations:
        candidate = Path(location) / spec.bundled["path"]
        if candidate.is_file():
            return candidate
    return None


def _download(
    url: str,
    target: Path,
    spec: FileSpec,
    session: requests.Session,
    policy: HttpPolicy,
    progress: Callable[[int, int | None], None] | None,
) -> None:
    """Stream `url` into `target` via a temporary file; `target` changes only on success."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{os.getpid()}.part")
    try:
        response = request_with_retries(session, "GET", url, policy, stream=True)
        if response.status_code != 200:
            raise FetchError(f"dataset {spec.dataset!r} file {spec.name!r}: {url} answered HTTP {response.status_code}")
        total = int(response.headers.get("Content-Length", 0)) or spec.size
        done = 0
        with partial.open("wb") as handle:
            for chunk in response.iter_content(CHUNK):
                handle.write(chunk)
                done += len(chunk)
                if progress:
                    progress(done, total)
        if total and done < total:
            raise FetchError(
                f"dataset {spec.dataset!r} file {spec.name!r}: {url} stopped after {done} of {total} bytes"
            )
        wrong = verify(partial, spec)
        if wrong:
            raise FetchError(f"dataset {spec.dataset!r} file {spec.name!r}: checksum error for {url}: {wrong}")
        os.replace(partial, target)
    except requests.RequestException as exc:
        raise FetchError(f"dataset {spec.dataset!r} file {spec.name!r}: download of {url} failed: {exc}") from exc
    finally:
        partial.unlink(missing_ok=True)


def fetch(
    dataset_id: str,
    filename: str,
    *,
    root: str | Path | None = None,
    mirrors: list[str] | None = None,
    cache: str | Path | None = None,
    policy: HttpPolicy | None = None,
    progress: Callable[[int, int | None], None] | None = None,
    refresh: bool = False,
) -> Path:
    """A local, verified path to `filename` of dataset `dataset_id`.

    `refresh` downloads again even when a verified copy is cached; the cached copy is replaced
    only by a download that verifies.
    """
    spec = file_spec(dataset_id, filename, Path(root) if root else find_catalog_root())
    policy = policy or HttpPolicy()
    cached = Path(cache or cache_dir()) / dataset_id / filename
    if cached.is_file() and not refresh and verify(cached, spec) is None:
        return cached
    failures: list[str] = []
    session: requests.Session | None = None
    for mirror in configured_mirrors() if mirrors is None else mirrors:
        if mirror.startswith(("https://", "http://127.0.0.1", "http://localhost")):  # plain http: loopback only
            session = session or new_session(policy)
            url = f"{mirror.rstrip('/')}/{dataset_id}/{filename}"
            try:
                _download(url, cached, spec, session, policy, progress)
                return cached
            except FetchError as exc:
                failures.append(str(exc))
            continue
        for candidate in (Path(mirror) / dataset_id / filename, Path(mirror) / filename):
            if candidate.is_file():
                wrong = verify(candidate, spec)
                if wrong is None:
                    return candidate  # read in place: a cvmfs copy is not duplicated
                failures.append(f"mirror copy {candidate}: {wrong}")
    bundled = _bundled_path(spec)
    if bundled is not None:
        wrong = verify(bundled, spec)
        if wrong is None:
            return bundled
        failures.append(f"bundled copy {bundled}: {wrong}")
    if spec.url:
        if not spec.checkable:
            failures.append("the record has no size or checksum; downloading unverified")
        session = session or new_session(policy)
        try:
            _download(spec.url, cached, spec, session, policy, progress or _stderr_progress(filename))
            return cached
        except FetchError as exc:
            failures.append(str(exc))
    reasons = "; ".join(failures) or "no mirror has it, no bundled copy, and the record has no URL"
    raise FetchError(f"dataset {dataset_id!r} file {filename!r}: not available ({reasons})")


def _stderr_progress(name: str) -> Callable[[int, int | None], None]:
    last = [0]

    def show(done: int, total: int | None) -> None:
        if done - last[0] < 50 * CHUNK and done != total:
            return
        last[0] = done
        share = f" ({100 * done // total}%)" if total else ""
        print(f"\r{name}: {done / 1e6:.1f} MB{share}", end="", file=sys.stderr, flush=True)

    return show
