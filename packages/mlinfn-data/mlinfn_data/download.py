"""`fetch(dataset_id, filename)`: one reliable way for notebooks to get a dataset file.

The file's spec (URL, size, checksum) comes from the dataset record: in the checkout when there
is one, else from the published catalog (locate.py).

Order: the verified cache, then configured mirrors (local folders such as a cvmfs path, or base
URLs), then a copy bundled in an installed package, then the record's URL. Every file is checked
against the size and checksum in the record; downloads go to a temporary file that is renamed
only once verified, so a failed or wrong download never leaves a partial file nor replaces a
good cached copy.

Downloads are bounded (THREATS 24): the body is read undecoded (`Accept-Encoding: identity`, no
automatic decompression, so a gzip bomb is only its compressed size), reading stops as soon as
the bytes exceed the size the record declares (or `max_bytes` when it declares none), and the
whole body must arrive within a wall-clock deadline (`HttpPolicy.budget` plus the declared size
at `HttpPolicy.min_rate`). Only public addresses are contacted (`netguard`), except the mirrors
the user configured.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
import urllib3

from .http import HttpPolicy, new_session, request_with_retries
from .locate import ROOT_ENV, FetchError, check_dataset_id, dataset_record, find_catalog_root  # noqa: F401
from .metric import METRIC_MIME
from .netguard import AddressRefused, Endpoint, endpoint

MIRRORS_ENV = "MLINFN_DATA_MIRRORS"  # folders or https:// base URLs, separated by ";" or newlines
MIRROR_SEPARATORS = re.compile(r"[;\n]")
CACHE_ENV = "MLINFN_DATA_CACHE"
CHUNK = 1 << 20
READ = 64 << 10  # one socket read at most: the deadline is checked between reads
MAX_BYTES = 4 << 30  # cap on a download whose record declares no size
LOOPBACK_NAMES = frozenset({"127.0.0.1", "::1", "localhost"})


class MirrorError(FetchError):
    """An entry of MLINFN_DATA_MIRRORS is neither an existing folder nor a usable URL."""


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


def file_spec(dataset_id: str, filename: str, root: Path | None = None) -> FileSpec:
    """The record's entry for `filename` (checkout at `root`, else one found, else published)."""
    check_dataset_id(dataset_id)
    record = dataset_record(dataset_id, root, cache_dir())
    for entry in record.get("files", []):
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
    names = ", ".join(f["name"] for f in record.get("files", [])) or "none"
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


def parse_mirrors(text: str) -> list[str]:
    """Mirror entries of `text` (";" or newline separated), each checked; raises MirrorError.

    An entry is an existing folder, an https:// base URL, or an http:// one on a loopback host
    (127.0.0.1, ::1, localhost; the parsed hostname is compared, not a prefix of the text).
    """
    mirrors = []
    for raw in MIRROR_SEPARATORS.split(text):
        entry = raw.strip()
        if not entry:
            continue
        problem = mirror_problem(entry)
        if problem:
            raise MirrorError(f"{MIRRORS_ENV}: entry {entry!r} {problem} (entries are separated by ';')")
        mirrors.append(entry)
    return mirrors


def mirror_problem(entry: str) -> str | None:
    """None when `entry` is a usable mirror, else why not."""
    if "://" not in entry:
        return None if Path(entry).is_dir() else "is neither an existing folder nor an https:// URL"
    try:
        parts = urlsplit(entry)
        host = parts.hostname or ""
        _ = parts.port
    except ValueError as exc:
        return f"is not a valid URL ({exc})"
    if parts.scheme == "https" and host:
        return None if not (parts.query or parts.fragment or parts.username) else "must be a plain base URL"
    if parts.scheme == "http" and host in LOOPBACK_NAMES:
        return None
    if parts.scheme == "http":
        return "uses plain http on a host that is not loopback (use https://)"
    return "is neither an existing folder nor an https:// URL"


def configured_mirrors() -> list[str]:
    return parse_mirrors(os.environ.get(MIRRORS_ENV, ""))


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


def _content_length(response: requests.Response, where: str) -> int | None:
    header = response.headers.get("Content-Length")
    if header is None:
        return None
    values = {v.strip() for v in header.split(",")}
    if len(values) != 1 or not next(iter(values)).isdigit():
        raise FetchError(f"{where}: malformed Content-Length {header[:40]!r}")
    return int(next(iter(values)))


def _download(
    url: str,
    target: Path,
    spec: FileSpec,
    session: requests.Session,
    policy: HttpPolicy,
    progress: Callable[[int, int | None], None] | None,
    max_bytes: int = MAX_BYTES,
) -> None:
    """Stream `url` into `target` via a temporary file; `target` changes only on success.

    Stops with FetchError as soon as more bytes arrive than the record declares (or `max_bytes`),
    or when the body is not complete by the deadline; the partial file is removed either way.
    """
    where = f"dataset {spec.dataset!r} file {spec.name!r}: {url}"
    limit = spec.size if spec.size is not None else max_bytes
    seconds = policy.budget + limit / policy.min_rate
    deadline = time.monotonic() + seconds
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{os.getpid()}.part")
    response: requests.Response | None = None
    try:
        response = request_with_retries(session, "GET", url, policy, stream=True)
        if response.status_code != 200:
            raise FetchError(f"{where} answered HTTP {response.status_code}")
        length = _content_length(response, where)
        if length is not None and length > limit:
            raise FetchError(f"{where} announces {length} bytes, more than the {limit} allowed")
        encoding = response.headers.get("Content-Encoding", "identity").strip().lower()
        total = length or spec.size
        done = 0
        with partial.open("wb") as handle:
            while True:
                # read1: at most one socket read, so a byte-a-second drip cannot outlive the deadline
                chunk = response.raw.read1(READ, decode_content=False)
                if not chunk:
                    break
                done += len(chunk)
                if done > limit:
                    raise FetchError(f"{where} sent more than the {limit} bytes allowed; stopped")
                if time.monotonic() > deadline:
                    raise FetchError(f"{where} did not finish within its {seconds:.0f} s deadline; stopped")
                handle.write(chunk)
                if progress:
                    progress(done, total)
        if total and done < total:
            raise FetchError(f"{where} stopped after {done} of {total} bytes")
        wrong = verify(partial, spec)
        if wrong:
            note = f" (the server sent Content-Encoding: {encoding})" if encoding != "identity" else ""
            raise FetchError(f"dataset {spec.dataset!r} file {spec.name!r}: checksum error for {url}: {wrong}{note}")
        os.replace(partial, target)
    except FetchError:
        raise
    except AddressRefused as exc:
        raise FetchError(f"{where}: {exc}") from exc
    except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
        raise FetchError(f"{where}: download failed: {type(exc).__name__}: {exc}") from exc
    finally:
        if response is not None:
            response.close()
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
    max_bytes: int = MAX_BYTES,
) -> Path:
    """A local, verified path to `filename` of dataset `dataset_id`.

    `refresh` downloads again even when a verified copy is cached; the cached copy is replaced
    only by a download that verifies. `max_bytes` caps a download whose record declares no size.
    """
    check_dataset_id(dataset_id)
    spec = file_spec(dataset_id, filename, Path(root) if root else None)
    policy = policy or HttpPolicy()
    cached = Path(cache or cache_dir()) / dataset_id / filename
    if cached.is_file() and not refresh and verify(cached, spec) is None:
        return cached
    failures: list[str] = []
    mirrors = configured_mirrors() if mirrors is None else mirrors
    # the mirrors the user named are reached as named (a cvmfs proxy on 127.0.0.1 is fine);
    # everything else, redirects from a mirror included, must be a public address
    trusted: list[Endpoint] = [endpoint(m) for m in mirrors if "://" in m and mirror_problem(m) is None]
    session: requests.Session | None = None
    for mirror in mirrors:
        if "://" in mirror:
            problem = mirror_problem(mirror)
            if problem:
                failures.append(f"mirror {mirror!r} {problem}")
                continue
            session = session or new_session(policy, trusted)
            url = f"{mirror.rstrip('/')}/{dataset_id}/{filename}"
            try:
                _download(url, cached, spec, session, policy, progress, max_bytes)
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
        try:  # a session of its own: the record's URL gets no mirror's trust
            progress = progress or _stderr_progress(filename)
            _download(spec.url, cached, spec, new_session(policy), policy, progress, max_bytes)
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


def report_metric(name: str, value: float) -> None:
    """Report a measured value that the use case record declares under `metrics:`.

    One line in a notebook, `report_metric("roc_auc", auc)`, displays a structured output that
    `catalog reproduce` compares with the declared value and tolerance (instead of comparing the
    printed digits, which jitter across hardware).
    """
    number = float(value)
    payload = {"name": name, "value": number}
    try:
        from IPython.display import display
    except ImportError:  # outside Jupyter: just say it
        print(f"metric {name} = {number:.6g}")
        return
    display({METRIC_MIME: payload, "text/plain": f"metric {name} = {number:.6g}"}, raw=True)
