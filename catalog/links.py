"""The link checker: every URL in the records, checked politely, with a memory across runs.

One bad day must not fail a pull request: a link is *broken* only after `CONFIRM_RUNS` failing
runs in a row; rate limits (429) and refusals (401/403) are reported as such, never as broken.

Every result a user sees is a `Problem` (KB3xx, docs/contributing.md) at the line of the URL's
field in its record, printed by the same formatters as validation problems.
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
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from .atomic_write import write_text
from .loader import JsonPath, json_path
from .model import Catalog, Record
from .problems import Problem, Severity
from .urls import arxiv_url, doi_url

if TYPE_CHECKING:  # the HTTP stack is imported where links are checked: a site build only reads history
    import requests

    from .http import HttpPolicy

CONFIRM_RUNS = 3
HISTORY_LIMIT = 10
PER_HOST = 2
STATES = ("ok", "broken", "rate-limited", "blocked", "timeout", "redirect-loop", "refused")
FAILING = ("broken", "timeout", "redirect-loop", "refused")


# One code per way a link check fails (docs/contributing.md); "ok" is no problem.
LINK_CODES = {
    "broken": "KB301",
    "refused": "KB302",
    "redirect-loop": "KB303",
    "timeout": "KB304",
    "rate-limited": "KB305",
    "blocked": "KB306",
}
LINK_HINTS = {
    "KB301": "fix the URL or link a copy that stays (an archive, the DOI)",
    "KB302": "the host name resolves to an internal address; records link to public hosts only",
    "KB303": "link the address the redirects should end at",
    "KB304": "the server did not answer in time; the next runs tell whether it is down",
    "KB305": "the server limits automated requests; a rate-limited link never counts as broken",
    "KB306": "the server refuses robots or needs a login; check the page in a browser",
}
# `--verify-files` outcomes; "verified" is no problem.
FILE_CODES = {"checksum-error": "KB310", "unavailable": "KB311", "skipped": "KB312"}
FILE_HINTS = {
    "KB310": "correct sha256/md5 and size_bytes in the record, or find out why the file changed",
    "KB311": "check the file's url; a mirror (MLINFN_DATA_MIRRORS) may still have it",
    "KB312": "give the file a url, a checksum and size_bytes, or raise --max-file-bytes",
}


@dataclass(frozen=True)
class LinkUse:
    url: str
    file: str
    path: str
    parts: JsonPath = ()  # the field in the record, for the line of a problem


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
                found.append(LinkUse(value, record.file, json_path(parts), parts))
            elif key == "doi":
                found.append(LinkUse(doi_url(value), record.file, json_path(parts), parts))
            elif key == "arxiv":
                found.append(LinkUse(arxiv_url(value), record.file, json_path(parts), parts))

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
    import requests

    from .http import new_session, request_with_retries
    from .netguard import AddressRefused

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

    from .http import new_session

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
        if failing_runs(runs) == CONFIRM_RUNS:
            return "broken"
        return f"failing ({last}, {failing_runs(runs)}/{CONFIRM_RUNS})"
    return last


def failing_runs(runs: list[dict[str, Any]]) -> int:
    """How many of the last `CONFIRM_RUNS` runs failed."""
    return sum(r["state"] in FAILING for r in runs[-CONFIRM_RUNS:])


def link_problems(
    catalog: Catalog, uses: dict[str, list[LinkUse]], checks: list[LinkCheck], history: History
) -> list[Problem]:
    """One problem per use of each link whose last check failed, an error only once it is broken."""
    records = {record.file: record for record in catalog.all_records()}
    problems = []
    for check in checks:
        code = LINK_CODES.get(check.state)
        if code is None:
            continue
        runs = history.get(check.url, [])
        broken = verdict(runs) == "broken"
        if broken:
            message = f"{check.url} is broken: {check.detail} ({CONFIRM_RUNS} failing runs in a row)"
        elif check.state in FAILING:
            message = (
                f"{check.url} failed: {check.detail} ({failing_runs(runs)} of the last {CONFIRM_RUNS} runs failed; "
                f"broken after {CONFIRM_RUNS} in a row)"
            )
        else:
            message = f"{check.url} is {check.state}: {check.detail}"
        for use in uses.get(check.url, []):
            record = records.get(use.file)
            line, column = record.lines.locate(use.parts) if record else (1, 1)
            problems.append(
                Problem(
                    code,
                    message,
                    use.file,
                    line,
                    column,
                    use.path,
                    Severity.ERROR if broken else Severity.WARNING,
                    LINK_HINTS[code],
                )
            )
    return sorted(problems, key=Problem.sort_key)


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


def file_problems(catalog: Catalog, checks: list[FileCheck]) -> list[Problem]:
    """`verify_files` outcomes as problems at the file's entry in its dataset record; a checksum
    or size that does not match is an error, a file not downloaded or not checked a warning."""
    problems = []
    for check in checks:
        code = FILE_CODES.get(check.state)
        record = catalog.datasets.get(check.dataset)
        if code is None or record is None:
            continue
        entries = record.data.get("files", [])
        index = next((i for i, e in enumerate(entries) if e.get("name") == check.name), 0)
        parts: JsonPath = ("files", index, "url") if entries and entries[index].get("url") else ("files", index)
        line, column = record.lines.locate(parts)
        words = {"KB310": "does not match the record", "KB311": "could not be downloaded", "KB312": "was not verified"}
        problems.append(
            Problem(
                code,
                f"file {check.name!r} {words[code]}: {check.detail}",
                record.file,
                line,
                column,
                json_path(parts),
                Severity.ERROR if code == "KB310" else Severity.WARNING,
                FILE_HINTS[code],
            )
        )
    return sorted(problems, key=Problem.sort_key)
