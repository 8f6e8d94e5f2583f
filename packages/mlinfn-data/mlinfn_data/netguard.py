"""Outbound requests reach public addresses only (THREATS 23: no blind SSRF from a record URL).

Every connection the link checker and the fetch helper open goes through `GuardedAdapter`: the
host is resolved here, every address it resolves to is checked, and the socket is connected to
an address that was checked (no second lookup that a rebinding DNS server could answer
differently). Loopback, private, link-local, multicast, reserved, unspecified and other
non-global addresses are refused, IPv4 and IPv6 alike (IPv4-mapped, 6to4 and NAT64 IPv6
addresses are judged by the IPv4 address they carry). Because the check sits on the connection,
it runs again at every redirect hop.

Two exceptions, both explicit:

- `trusted` endpoints of one session: a data mirror the *user* configured (for example a plain
  http mirror on 127.0.0.1) is reached as named. Redirects away from it are checked as usual.
- `allow_loopback_for_tests(port)`: TEST-ONLY. The suite's servers listen on 127.0.0.1; this
  context manager lets connections reach 127.0.0.1/::1 on exactly the ports given, for as long
  as it is active. Nothing in the package calls it; there is no environment variable for it.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

from .public_host import IPAddress, internal_reason, parse_ip

Endpoint = tuple[str, int]

# Indirection so that tests can answer DNS queries themselves (a public-looking name that
# resolves to an internal address) without a DNS server.
getaddrinfo: Callable[..., list[Any]] = socket.getaddrinfo

_test_ports: set[int] = set()
_test_lock = threading.Lock()


class AddressRefused(Exception):
    """A connection to a non-public address was refused before anything was sent.

    Deliberately not an OSError: urllib3 and requests pass it through unchanged (no retry, no
    wrapping), so callers see exactly this.
    """

    def __init__(self, host: str, reason: str, *, literal: bool) -> None:
        self.host = host
        self.reason = reason
        verb = "is" if literal else "resolves to"
        super().__init__(f"refused: {host} {verb} a {reason} address (only public addresses are contacted)")


@contextmanager
def allow_loopback_for_tests(*ports: int) -> Iterator[None]:
    """TEST-ONLY: let connections reach 127.0.0.1 / ::1 on `ports` while the block runs."""
    with _test_lock:
        added = set(ports) - _test_ports
        _test_ports.update(added)
    try:
        yield
    finally:
        with _test_lock:
            _test_ports.difference_update(added)


def _test_allowed(ip: IPAddress, port: int) -> bool:
    with _test_lock:
        return ip.is_loopback and port in _test_ports


def vet(host: str, port: int, trusted: Iterable[Endpoint] = ()) -> list[tuple[Any, ...]]:
    """getaddrinfo results for (host, port), every one of them checked; raises AddressRefused."""
    name = host.strip("[]").rstrip(".").lower()
    infos = getaddrinfo(name, port, 0, socket.SOCK_STREAM)
    if not infos:
        raise OSError(f"no address for {name}")
    if (name, port) in set(trusted):
        return infos
    literal = parse_ip(name) is not None
    for info in infos:
        ip = parse_ip(str(info[4][0]))
        reason = "unparseable" if ip is None else internal_reason(ip)
        if reason and not (ip is not None and _test_allowed(ip, port)):
            raise AddressRefused(name, reason, literal=literal)
    return infos


def _connect(infos: list[tuple[Any, ...]], timeout: Any, options: Any) -> socket.socket:
    error: OSError | None = None
    for family, kind, proto, _canonical, address in infos:
        sock = socket.socket(family, kind, proto)
        try:
            for option in options or ():
                sock.setsockopt(*option)
            if isinstance(timeout, (int, float)):
                sock.settimeout(timeout)
            sock.connect(address)
            return sock
        except OSError as exc:
            error = exc
            sock.close()
    raise error or OSError("no address to connect to")


class _GuardedConnection:
    """Mixin for urllib3 connections: resolve, check, then connect to the checked address."""

    trusted: frozenset[Endpoint] = frozenset()
    host: str
    port: int
    timeout: Any
    socket_options: Any

    def _new_conn(self) -> socket.socket:
        infos = vet(self.host, self.port, self.trusted)
        try:
            return _connect(infos, self.timeout, self.socket_options)
        except TimeoutError as exc:
            raise ConnectTimeoutError(self, f"connection to {self.host} timed out") from exc
        except OSError as exc:
            raise NewConnectionError(self, f"failed to establish a new connection: {exc}") from exc  # type: ignore[arg-type]


class GuardedAdapter(HTTPAdapter):
    """A requests adapter whose every connection goes through `vet`."""

    def __init__(self, trusted: Iterable[Endpoint] = (), **kwargs: Any) -> None:
        self.trusted = frozenset((host.strip("[]").lower(), port) for host, port in trusted)
        super().__init__(**kwargs)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        extra = {"trusted": self.trusted}
        http_conn = type("GuardedHTTPConnection", (_GuardedConnection, HTTPConnection), extra)
        https_conn = type("GuardedHTTPSConnection", (_GuardedConnection, HTTPSConnection), extra)
        self.poolmanager.pool_classes_by_scheme = {
            "http": type("GuardedHTTPPool", (HTTPConnectionPool,), {"ConnectionCls": http_conn}),
            "https": type("GuardedHTTPSPool", (HTTPSConnectionPool,), {"ConnectionCls": https_conn}),
        }

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        raise requests.exceptions.InvalidProxyURL("proxies are not used for catalog requests")


def guard_session(session: requests.Session, trusted: Iterable[Endpoint] = ()) -> requests.Session:
    adapter = GuardedAdapter(trusted)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def endpoint(url: str) -> Endpoint:
    """(hostname, port) of an http(s) URL, the port defaulted by scheme."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return (parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80))
