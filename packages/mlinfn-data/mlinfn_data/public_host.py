"""What counts as a public host: pure functions shared by validation (KB110) and `netguard`.

No network and no HTTP library here, so that `catalog validate` stays light.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def internal_reason(ip: IPAddress) -> str | None:
    """Why `ip` must not be contacted ("loopback", "private", ...), or None for a public address."""
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour
        if embedded is None and ip in _NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is None and ip.teredo:
            embedded = ip.teredo[1]
        if embedded is not None:
            return internal_reason(embedded)
    checks = (
        ("loopback", ip.is_loopback),
        ("unspecified", ip.is_unspecified),
        ("link-local", ip.is_link_local),
        ("multicast", ip.is_multicast),
        ("reserved", ip.is_reserved),
        ("private", ip.is_private),
    )
    for reason, hit in checks:
        if hit:
            return reason
    return None if ip.is_global else "non-public"


def parse_ip(text: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(text.strip("[]").split("%", 1)[0])
    except ValueError:
        return None


# Last labels of names that only resolve inside a network (RFC 6761, RFC 8375 and common practice);
# the record schemas refuse them in URLs with the same list.
INTERNAL_SUFFIXES = frozenset(
    {"localhost", "local", "internal", "intranet", "lan", "corp", "home", "localdomain", "private", "arpa"}
)


def url_host_problem(url: str) -> str | None:
    """Why a record URL's host is not a public host name, or None (what validation says, KB110)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return None
    if "@" in parts.netloc:
        return "it carries user info before the host"
    if not host:
        return None
    labels = host.rstrip(".").split(".")
    last = labels[-1].lower()
    if parts.netloc.startswith("[") or last.isdigit() or last.startswith("0x"):
        return f"its host {host} is an IP address"
    if len(labels) == 1:
        return f"its host {host} is a single-label, internal name"
    if last in INTERNAL_SUFFIXES:
        return f"its host {host} is an internal name (.{last})"
    return None
