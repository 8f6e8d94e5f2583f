"""THREATS 23: no blind SSRF. Outbound requests reach public addresses only, at every hop.

The "internal" service of these tests is a real server on 127.0.0.1 that is *not* opened through
the test-only allowance; each test shows that it receives nothing.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import socket
from pathlib import Path
from typing import Any

import pytest

from catalog import netguard, public_host
from catalog.data import FetchError, fetch
from catalog.http import HttpPolicy
from catalog.links import check_urls

from .httpfixture import GOOD, serve

POLICY = HttpPolicy(connect_timeout=1, read_timeout=1, retries=1, backoff=0.05, budget=5)


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("10.0.0.1", "private"),
        ("172.16.5.4", "private"),
        ("192.168.1.1", "private"),
        ("169.254.169.254", "link-local"),
        ("100.64.0.1", "non-public"),
        ("0.0.0.0", "unspecified"),
        ("224.0.0.1", "multicast"),
        ("240.0.0.1", "reserved"),
        ("::1", "loopback"),
        ("fe80::1", "link-local"),
        ("fd00::1", "private"),
        ("ff02::1", "multicast"),
        ("::ffff:127.0.0.1", "loopback"),
        ("::ffff:169.254.169.254", "link-local"),
        ("64:ff9b::a00:1", "private"),
        ("2002:7f00:1::", "loopback"),
        ("8.8.8.8", None),
        ("2001:4860:4860::8888", None),
    ],
)
def test_internal_addresses_are_named(address: str, reason: str | None) -> None:
    assert public_host.internal_reason(ipaddress.ip_address(address)) == reason


def answer(mapping: dict[str, str]) -> Any:
    """A resolver for the test: names in `mapping` resolve to the given address, nothing else does."""

    def resolve(host: str, port: int, *args: Any, **kwargs: Any) -> list[Any]:
        address = mapping.get(host, host)
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        return [(family, socket.SOCK_STREAM, 6, "", (address, port))]

    return resolve


def test_internal_url_is_refused_and_the_target_sees_nothing() -> None:
    with serve(allowed=False) as (internal, internal_log):
        checks = check_urls(
            [f"{internal}/internal-admin", "https://169.254.169.254/latest/meta-data/", "https://10.0.0.1:8443/admin"],
            POLICY,
        )
    assert [c.state for c in checks] == ["refused", "refused", "refused"]
    assert "127.0.0.1 is a loopback address" in checks[0].detail
    assert "169.254.169.254 is a link-local address" in checks[1].detail
    assert "10.0.0.1 is a private address" in checks[2].detail
    assert internal_log == []


def test_public_looking_name_resolving_inside_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    with serve(allowed=False) as (internal, internal_log):
        port = internal.rsplit(":", 1)[1]
        monkeypatch.setattr(
            netguard, "getaddrinfo", answer({"data.example.org": "127.0.0.1", "meta.example.org": "fd00::1"})
        )
        checks = check_urls([f"http://data.example.org:{port}/internal-admin", "https://meta.example.org/"], POLICY)
        assert [c.state for c in checks] == ["refused", "refused"]
        assert "data.example.org resolves to a loopback address" in checks[0].detail
        assert "meta.example.org resolves to a private address" in checks[1].detail
        assert internal_log == []
        # control: the same name through the test allowance does reach the server, so the
        # patched resolver is the one in use and the refusal above is the guard's doing
        with netguard.allow_loopback_for_tests(int(port)):
            (ok,) = check_urls([f"http://data.example.org:{port}/ok"], POLICY)
        assert ok.state == "ok" and internal_log == ["HEAD /ok"]


def test_redirect_to_an_internal_address_is_refused_at_that_hop() -> None:
    with serve(allowed=False) as (internal, internal_log), serve() as (public, public_log):
        checks = check_urls(
            [
                f"{public}/redirect?to={internal}/internal-admin",
                f"{public}/redirect?to=http://169.254.169.254/latest/meta-data/",
            ],
            POLICY,
        )
    assert [c.state for c in checks] == ["refused", "refused"]
    assert checks[0].status is None and "loopback" in checks[0].detail
    assert internal_log == []  # the hop to the internal port never connected
    assert all(line.startswith("HEAD /redirect") for line in public_log)


def test_fetch_refuses_a_redirect_from_its_mirror_to_an_internal_port(tmp_path: Path) -> None:
    root = tmp_path / "kb"
    (root / "datasets").mkdir(parents=True)
    sha = hashlib.sha256(GOOD).hexdigest()
    (root / "datasets" / "demo.yaml").write_text(
        "id: demo\ntitle: Demo\nsummary: Files served by the test server.\ndomain: other\nlicense: unknown\n"
        f"access: open\nfiles:\n  - name: good.bin\n    size_bytes: {len(GOOD)}\n    sha256: {sha}\n"
    )
    cache = tmp_path / "cache"
    # the mirror is trusted because the user configured it; where it redirects to is not
    with (
        serve(allowed=False) as (internal, internal_log),
        serve(allowed=False) as (mirror, mirror_log),
        pytest.raises(FetchError, match=r"refused: 127\.0\.0\.1 is a loopback address"),
    ):
        port = internal.rsplit(":", 1)[1]
        fetch("demo", "good.bin", root=root, mirrors=[f"{mirror}/hop/{port}"], cache=cache, policy=POLICY)
    assert internal_log == [] and len(mirror_log) == 1
    assert not cache.exists() or not any(p.is_file() for p in cache.rglob("*"))


def test_allowance_is_scoped_to_its_ports_and_its_block() -> None:
    with serve(allowed=False) as (base, log):
        port = int(base.rsplit(":", 1)[1])
        with netguard.allow_loopback_for_tests(port + 1 if port < 65535 else port - 1):
            (other,) = check_urls([f"{base}/ok"], POLICY)
        with netguard.allow_loopback_for_tests(port):
            (inside,) = check_urls([f"{base}/ok"], POLICY)
        (after,) = check_urls([f"{base}/ok"], POLICY)
    assert (other.state, inside.state, after.state) == ("refused", "ok", "refused")
    assert log == ["HEAD /ok"]


def test_links_command_refuses_a_record_url_whose_name_resolves_inside(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, run_cli
) -> None:
    """The whole path: a record that validates, `catalog links`, a DNS answer pointing inside."""
    from catalog import check

    root = tmp_path / "kb"
    (root / "datasets").mkdir(parents=True)
    with serve(allowed=False) as (internal, internal_log):
        port = internal.rsplit(":", 1)[1]
        (root / "datasets" / "internal-data.yaml").write_text(
            "id: internal-data\ntitle: Looks public\nsummary: Its host name resolves to an internal address.\n"
            f"domain: other\nlicense: unknown\naccess: open\nlanding_page: https://data.example.org:{port}/internal-admin\n"
        )
        assert [p for p in check(root) if p.is_error] == []  # a public-looking name passes validation
        monkeypatch.setattr(netguard, "getaddrinfo", answer({"data.example.org": "127.0.0.1"}))
        code, out, _ = run_cli("links", "--root", str(root), "--format", "json")
    (item,) = json.loads(out)
    assert item["code"] == "KB302" and item["path"] == "$.landing_page" and item["line"] == 7
    assert "data.example.org resolves to a loopback address" in item["message"]
    assert item["severity"] == "warning"  # failing, not yet broken (3 runs)
    assert code == 0 and internal_log == []  # and nothing was sent


def test_only_tests_use_the_loopback_allowance() -> None:
    from .conftest import REPO

    users = [
        path.relative_to(REPO).as_posix()
        for folder in ("catalog", "hooks")
        for path in sorted((REPO / folder).rglob("*.py"))
        if "allow_loopback_for_tests(" in path.read_text(encoding="utf-8") and path.name != "netguard.py"
    ]
    assert users == []
