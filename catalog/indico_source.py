"""Where an Indico import reads from: a saved export file, or an Indico URL turned into the HTTP
export API call that returns the same document.

Network access goes through `catalog.http` (timeouts, bounded retries, capped Retry-After, and
`catalog.netguard`: public addresses only, at every redirect hop). The
token is read from an environment variable and sent only as `Authorization: Bearer …`, only over
https (or to a loopback test server); it is never part of a message, a record or a log.
"""

from __future__ import annotations

import ipaddress
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests

from . import http
from .indico_parse import IndicoError
from .netguard import AddressRefused

MAX_EXPORT_BYTES = 50_000_000
SECRET_PARAMS = frozenset({"ak", "apikey", "signature", "token", "access_token", "secretkey"})
EXPORT_PATH = re.compile(r"^(?P<prefix>.*)/export/(?P<what>categ|event)/(?P<ids>[0-9]+(?:-[0-9]+)*)\.json$")
PAGE_PATH = re.compile(r"^(?P<prefix>.*?)/(?P<what>category|event)/(?P<id>[0-9]+)(?:/.*)?$")


@dataclass(frozen=True)
class Fetched:
    raw: bytes
    source: str  # what messages call it: a file name or the URL without secrets


def shown_url(url: str) -> str:
    """The URL as it may be printed: query parameters that carry secrets are masked."""
    parts = urlsplit(url)
    query = [(k, "***" if k.lower() in SECRET_PARAMS else v) for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    return urlunsplit(parts._replace(query=urlencode(query, safe="*:/")))


def export_url(url: str, date_from: str | None = None, date_to: str | None = None) -> str:
    """The export API call for a category page, an event page or an export URL (kept as given,
    with detail=contributions added so that speakers and attachments come along)."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise IndicoError(f"{shown_url(url)} is not an Indico address (https://…/event/ID, /category/ID or /export/…)")
    path = parts.path.rstrip("/")
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    if match := EXPORT_PATH.match(path):
        new_path = path
    elif match := PAGE_PATH.match(path):
        what = "categ" if match["what"] == "category" else "event"
        new_path = f"{match['prefix']}/export/{what}/{match['id']}.json"
        query = {}
    else:
        raise IndicoError(
            f"{shown_url(url)} is not an Indico category, event or export address "
            "(expected …/category/ID, …/event/ID or …/export/categ|event/ID.json)"
        )
    if not ("detail" in query or "d" in query):
        query["detail"] = "contributions"
    if date_from:
        query["from"] = date_from
    if date_to:
        query["to"] = date_to
    return urlunsplit(parts._replace(path=new_path, query=urlencode(query, safe=":")))


def is_loopback(host: str | None) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host or "").is_loopback
    except ValueError:
        return False


def read_source(
    source: str,
    token: str | None,
    *,
    date_from: str | None = None,
    date_to: str | None = None,
    policy: http.HttpPolicy | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Fetched:
    if not re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", source):
        path = Path(source)
        if not path.is_file():
            raise IndicoError(f"{source}: no such file (give a saved export file or an Indico URL)")
        if path.stat().st_size > MAX_EXPORT_BYTES:
            raise IndicoError(f"{source} is larger than {MAX_EXPORT_BYTES} bytes")
        return Fetched(path.read_bytes(), source)
    url = export_url(source, date_from, date_to)
    return Fetched(fetch(url, token, policy or http.HttpPolicy(), sleep), shown_url(url))


def fetch(url: str, token: str | None, policy: http.HttpPolicy, sleep: Callable[[float], None]) -> bytes:
    shown = shown_url(url)
    parts = urlsplit(url)
    if token and parts.scheme != "https" and not is_loopback(parts.hostname):
        raise IndicoError(f"refusing to send the Indico token over plain http to {parts.hostname}; use https://")
    session = http.new_session(policy)
    session.headers["Accept"] = "application/json"
    if token:
        session.headers["Authorization"] = f"Bearer {token}"  # requests drops it on a redirect to another host
    try:
        response = http.request_with_retries(session, "GET", url, policy, stream=True, sleep=sleep)
    except requests.Timeout as exc:
        raise IndicoError(
            f"{shown}: no answer within {policy.read_timeout:g} s after {policy.retries + 1} tries; try again later"
        ) from exc
    except requests.RequestException as exc:
        raise IndicoError(f"{shown}: cannot connect ({type(exc).__name__})") from exc
    except AddressRefused as exc:  # the network guard: only public addresses are contacted
        raise IndicoError(f"{shown}: {exc}") from exc
    finally:
        session.close()
    with response:
        status = response.status_code
        if status in (401, 403):
            hint = (
                "set INDICO_TOKEN (or --token-env) to an Indico API token with the read:legacy_api scope"
                if not token
                else "the token was refused or lacks the read:legacy_api scope, or the event is protected"
            )
            raise IndicoError(f"{shown}: Indico refused access ({status}{_message(response, token)}); {hint}")
        if status == 429:
            after = response.headers.get("Retry-After", "not given")
            raise IndicoError(
                f"{shown}: Indico is rate limiting this client (429, Retry-After: {after}) after "
                f"{policy.retries + 1} tries; try again later"
            )
        if status >= 400:
            raise IndicoError(f"{shown}: Indico answered {status}{_message(response, token)}")
        try:
            raw = _read_capped(response)
        except requests.RequestException as exc:
            raise IndicoError(f"{shown}: the answer broke off ({type(exc).__name__})") from exc
    return raw


def _read_capped(response: requests.Response) -> bytes:
    chunks, total = [], 0
    for chunk in response.iter_content(65536):
        total += len(chunk)
        if total > MAX_EXPORT_BYTES:
            raise IndicoError(f"the export is larger than {MAX_EXPORT_BYTES} bytes; narrow it with --from/--to")
        chunks.append(chunk)
    return b"".join(chunks)


def _message(response: requests.Response, token: str | None) -> str:
    """Indico's own error text (`{"message": …}`), short and without the token."""
    try:
        body = response.raw.read(4096, decode_content=True) if response.raw is not None else b""
        message = str(json.loads(body).get("message", ""))
    except (ValueError, AttributeError, OSError):
        return ""
    if token:
        message = message.replace(token, "***")
    message = " ".join(message.split())[:200]
    return f": {message}" if message else ""
