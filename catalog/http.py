"""Polite HTTP for the real web: timeouts, bounded retries with backoff, capped Retry-After.

Shared by the fetch helper and the link checker so both behave the same under rate limits.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import requests

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


def new_session(policy: HttpPolicy) -> requests.Session:
    session = requests.Session()
    session.headers["User-Agent"] = USER_AGENT
    session.max_redirects = policy.max_redirects
    session.trust_env = False  # no proxies or .netrc picked up from the environment
    return session


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
            response = session.request(
                method,
                url,
                stream=stream,
                timeout=(policy.connect_timeout, policy.read_timeout),
                allow_redirects=True,
            )
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
