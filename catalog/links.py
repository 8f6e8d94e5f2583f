"""The link checker: every URL in the records, checked politely, with a memory across runs.

One bad day must not fail a pull request: a link is *broken* only after `CONFIRM_RUNS` failing
runs in a row; rate limits (429) and refusals (401/403) are reported as such, never as broken.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from collections import defaultdict
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests

from .atomic_write import write_text
from .http import HttpPolicy, new_session, request_with_retries
from .loader import json_path
from .model import Catalog, Record
from .netguard import AddressRefused
from .urls import arxiv_url, doi_url

CONFIRM_RUNS = 3
HISTORY_LIMIT = 10
PER_HOST = 2
STATES = ("ok", "broken", "rate-limited", "blocked", "timeout", "redirect-loop", "refused")
FAILING = ("broken", "timeout", "redirect-loop", "refused")


@dataclass(frozen=True)
class LinkUse:
    url: str
    file: str
    path: str


@dataclass(frozen=True)
class LinkCheck:
    url: str
    state: str
    status: int | None
    detail: str
    seconds: float
    checked: str


def record_urls(record: Record) -> list[LinkUse]:
    """Every URL a record names, DOIs resolved through doi.org and arXiv ids through arxiv.org."""
    found: list[LinkUse] = []

    def walk(value: Any, parts: tuple[str | int, ...]) -> None:
        if isinstance(value, dict):
            for key, sub in value.items():
                walk(sub, (*parts, key))
        elif isinstance(value, list):
            for i, sub in enumerate(value):
                walk(sub, (*parts, i))
        elif isinstance(value, str) and parts:
            key = parts[-1]
            if value.startswith("https://") and key != "$schema" and "sources" not in parts:
                found.append(LinkUse(value, record.file, json_path(parts)))
            elif key == "doi":
                found.append(LinkUse(doi_url(value), record.file, json_path(parts)))
            elif key == "arxiv":
                found.append(LinkUse(arxiv_url(value), record.file, json_path(parts)))

    walk(record.data, ())
    return found


def catalog_urls(catalog: Catalog, files: set[str] | None = None) -> dict[str, list[LinkUse]]:
    uses: dict[str, list[LinkUse]] = defaultdict(list)
    for record in catalog.all_records():
        if files is None or record.file in files:
            for use in record_urls(record):
                uses[use.url].append(use)
    return dict(sorted(uses.items()))


def classify(response: requests.Response) -> tuple[str, str]:
    code = response.status_code
    if code < 400:
        return "ok", ""
    if code == 429:
        return "rate-limited", f"Retry-After: {response.headers.get('Retry-After', 'not given')}"
    if code in (401, 403):
        return "blocked", "the server refuses automated requests or needs a login"
    return "broken", f"HTTP {code}"


def check_url(url: str, policy: HttpPolicy, session: requests.Session | None = None) -> LinkCheck:
    """HEAD, then GET when HEAD is refused or unsupported; never reads a body."""
    session = session or new_session(policy)
    started = time.monotonic()
    checked = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    try:
        response = request_with_retries(session, "HEAD", url, policy)
        if response.status_code in (400, 403, 404, 405, 501) or response.status_code >= 500:
            response.close()
            response = request_with_retries(session, "GET", url, policy, stream=True)
        state, detail = classify(response)
        status: int | None = response.status_code
        response.close()
    except AddressRefused as exc:  # an internal address, at the first hop or a redirect: nothing sent
        state, status, detail = "refused", None, str(exc)
    except requests.TooManyRedirects:
        state, status, detail = "redirect-loop", None, f"more than {policy.max_redirects} redirects"
    except requests.Timeout:
        state, status, detail = "timeout", None, f"no answer within {policy.read_timeout:g} s"
    except requests.RequestException as exc:
        state, status, detail = "broken", None, type(exc).__name__ + ": " + str(exc)[:200]
    return LinkCheck(url, state, status, detail, round(time.monotonic() - started, 3), checked)


def check_urls(urls: Iterable[str], policy: HttpPolicy, workers: int = 8) -> list[LinkCheck]:
    """Check URLs concurrently, at most `PER_HOST` requests at a time to any one host."""
    limits: dict[str, threading.Semaphore] = defaultdict(lambda: threading.Semaphore(PER_HOST))
    guard = threading.Lock()
    local = threading.local()

    def one(url: str) -> LinkCheck:
        host = urlsplit(url).netloc.lower()
        with guard:
            limit = limits[host]
        if not hasattr(local, "session"):
            local.session = new_session(policy)
        with limit:
            return check_url(url, policy, local.session)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(one, list(urls)))


def read_history(path: Path) -> dict[str, list[dict[str, Any]]]:
    if not path.is_file():
        return {}
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise ValueError(f"{path}: cannot read link history: {exc}") from exc
    return doc.get("links", {})


History = dict[str, list[dict[str, Any]]]


def update_history(history: History, checks: list[LinkCheck]) -> History:
    out = {url: list(runs) for url, runs in history.items()}
    for check in checks:
        out[check.url] = [*out.get(check.url, []), asdict(check)][-HISTORY_LIMIT:]
    return out


def write_history(path: Path, history: dict[str, list[dict[str, Any]]]) -> None:
    write_text(path, json.dumps({"format_version": 1, "links": dict(sorted(history.items()))}, indent=1))


def verdict(runs: list[dict[str, Any]]) -> str:
    """The state to report: `broken` only when the last CONFIRM_RUNS runs all failed."""
    if not runs:
        return "unchecked"
    last = runs[-1]["state"]
    if last in FAILING:
        recent = runs[-CONFIRM_RUNS:]
        if len(recent) == CONFIRM_RUNS and all(r["state"] in FAILING for r in recent):
            return "broken"
        return f"failing ({last}, {sum(r['state'] in FAILING for r in recent)}/{CONFIRM_RUNS})"
    return last


@dataclass(frozen=True)
class FileCheck:
    dataset: str
    name: str
    state: str  # verified | checksum-error | unavailable | skipped
    detail: str


def verify_files(catalog: Catalog, cache: Path, max_bytes: int, policy: HttpPolicy) -> list[FileCheck]:
    """Download every dataset file that has a URL and a checksum (up to `max_bytes`) and check it."""
    from .data import FetchError, fetch

    results = []
    for record in sorted(catalog.datasets.values(), key=lambda r: r.id):
        for entry in record.data.get("files", []):
            name = entry["name"]
            if not entry.get("url") or not (entry.get("sha256") or entry.get("md5")):
                results.append(FileCheck(record.id, name, "skipped", "no URL or no checksum in the record"))
                continue
            if entry.get("size_bytes") is None or entry["size_bytes"] > max_bytes:
                results.append(FileCheck(record.id, name, "skipped", f"size unknown or above {max_bytes} bytes"))
                continue
            try:
                fetch(
                    record.id,
                    name,
                    root=catalog.root,
                    mirrors=[],
                    cache=cache,
                    policy=policy,
                    refresh=True,
                    max_bytes=max_bytes,
                )
                results.append(FileCheck(record.id, name, "verified", ""))
            except FetchError as exc:
                state = "checksum-error" if "checksum error" in str(exc) or "size " in str(exc) else "unavailable"
                results.append(FileCheck(record.id, name, state, str(exc)))
    return results
