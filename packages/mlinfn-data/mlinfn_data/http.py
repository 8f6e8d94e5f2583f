"""Polite HTTP for the real web: timeouts, bounded retries with backoff, capped Retry-After.

Shared by the fetch helper and the link checker so both behave the same under rate limits, and
both reach public addresses only (`netguard`). Redirects are followed here, hop by hop, without
reading the body of a redirect response, each hop connecting through the guard.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import urljoin

import requests

from .netguard import Endpoint, guard_session

USER_AGENT = "mlinfn-catalog/0.1 (+https://github.com/ml-infn/knowledge-base)"
RETRY_STATUS = frozenset({408, 429, 500, 502, 503, 504})


@dataclass(frozen=True)
class HttpPolicy:
    connect_timeout: float = 5.0
    read_timeout: float = 20.0
    retries: int = 3
    backoff: float = 1.0  # seconds, doubled each retry
    max_retry_after: float = 60.0
    max_redirects: int = 10
    budget: float = 120.0  # total seconds one URL may take, retries included
    min_rate: float = 1_000_000.0  # bytes/s: a download's body deadline is budget + size / min_rate


def new_session(policy: HttpPolicy, trusted: Iterable[Endpoint] = ()) -> requests.Session:
    """A session that contacts public addresses only, plus the `trusted` (host, port) endpoints."""
    session = requests.Session()
    session.headers["User-Agent"] = USER_AGENT
    session.headers["Accept-Encoding"] = "identity"  # bodies are counted as sent: no decompression
    session.max_redirects = policy.max_redirects
    session.trust_env = False  # no proxies or .netrc picked up from the environment
    return guard_session(session, trusted)


def follow_redirects(
    session: requests.Session, method: str, url: str, policy: HttpPolicy, *, stream: bool = False
) -> requests.Response:
    """The response at the end of at most `policy.max_redirects` redirects, always streamed.

    A redirect's body is never read (an endless one cannot hold the run); each hop opens its
    connection through the session's guard, so an internal target is refused at any hop.
    `stream` is accepted for the callers' clarity: the caller reads (a bounded part of) the
    body or closes the response.
    """
    for _hop in range(policy.max_redirects + 1):
        response = session.request(
            method, url, stream=True, timeout=(policy.connect_timeout, policy.read_timeout), allow_redirects=False
        )
        target = session.get_redirect_target(response)
        if not target:
            return response  # streamed: the caller reads (a bounded part of) the body, or closes it
        response.close()
        url = urljoin(response.url, target)
        if response.status_code == 303 and method != "HEAD":
            method = "GET"
    raise requests.TooManyRedirects(f"more than {policy.max_redirects} redirects", response=None)


def retry_delay(response: requests.Response | None, attempt: int, policy: HttpPolicy) -> float:
    """Seconds to wait before the next try: Retry-After when given (capped), else exponential backoff."""
    if response is not None:
        header = response.headers.get("Retry-After", "")
        if header.strip().isdigit():
            return min(float(header), policy.max_retry_after)
    return min(policy.backoff * (2**attempt), policy.max_retry_after)


def request_with_retries(
    session: requests.Session,
    method: str,
    url: str,
    policy: HttpPolicy,
    *,
    stream: bool = False,
    sleep: Callable[[float], None] = time.sleep,
) -> requests.Response:
    """The final response (possibly a 4xx/5xx one); raises requests exceptions after the last try.

    Never waits past `policy.budget`: a Retry-After beyond what is left returns the last response.
    """
    deadline = time.monotonic() + policy.budget
    attempt = 0
    while True:
        response: requests.Response | None = None
        try:
            response = follow_redirects(session, method, url, policy, stream=stream)
            if response.status_code not in RETRY_STATUS:
                return response
        except (requests.ConnectionError, requests.Timeout):
            if attempt >= policy.retries or time.monotonic() + retry_delay(None, attempt, policy) > deadline:
                raise
        if attempt >= policy.retries:
            assert response is not None
            return response
        delay = retry_delay(response, attempt, policy)
        if time.monotonic() + delay > deadline:
            if response is None:  # pragma: no cover - handled above
                raise requests.Timeout(f"time budget of {policy.budget}s spent on {url}")
            return response
        if response is not None:
            response.close()
        sleep(delay)
        attempt += 1
