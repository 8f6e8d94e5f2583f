"""catalog.data.fetch against a real HTTP server on 127.0.0.1 (THREATS 15, 24)."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import pytest

from catalog.data import FetchError, fetch
from catalog.http import HttpPolicy

from .conftest import REPO
from .httpfixture import BOMB_BYTES, GOOD, serve

FAST = HttpPolicy(connect_timeout=1, read_timeout=1, retries=1, backoff=0.05, budget=5)


@pytest.fixture
def catalog_root(tmp_path: Path) -> Path:
    root = tmp_path / "kb"
    (root / "datasets").mkdir(parents=True)
    sha = hashlib.sha256(GOOD).hexdigest()
    files = "\n".join(
        f"  - name: {name}\n    size_bytes: {len(GOOD)}\n    sha256: {sha}"
        for name in (
            "good.bin",
            "wrong.bin",
            "dropped.bin",
            "absent.bin",
            "bomb.bin",
            "endless.bin",
            "drip.bin",
            "badlength.bin",
        )
    )
    (root / "datasets" / "demo.yaml").write_text(
        "id: demo\ntitle: Demo\nsummary: Files served by the test server.\ndomain: other\nlicense: unknown\n"
        f"access: open\nfiles:\n{files}\n  - name: unchecked.bin\n  - name: unsized-endless.bin\n"
        "  - name: unsized-bomb.bin\n"
    )
    return root


def leftovers(cache: Path) -> list[str]:
    return sorted(p.name for p in cache.rglob("*") if p.is_file())


def test_download_from_a_mirror_url_is_verified_and_cached(catalog_root: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    seen = []
    with serve() as (base, log):
        path = fetch(
            "demo",
            "good.bin",
            root=catalog_root,
            mirrors=[base],
            cache=cache,
            policy=FAST,
            progress=lambda done, total: seen.append((done, total)),
        )
        assert path.read_bytes() == GOOD and path.parent == cache / "demo"
        assert seen[-1] == (len(GOOD), len(GOOD))
        again = fetch("demo", "good.bin", root=catalog_root, mirrors=[base], cache=cache, policy=FAST)
        assert again == path and len(log) == 1  # the second call is a cache hit


def test_wrong_bytes_are_rejected_and_the_good_copy_kept(catalog_root: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    good_copy = cache / "demo" / "wrong.bin"
    good_copy.parent.mkdir(parents=True)
    good_copy.write_bytes(GOOD)  # an earlier, verified download
    with serve() as (base, _), pytest.raises(FetchError) as caught:
        fetch("demo", "wrong.bin", root=catalog_root, mirrors=[base], cache=cache, policy=FAST, refresh=True)
    message = str(caught.value)
    assert "checksum error" in message and "demo" in message and "wrong.bin" in message and base in message
    assert good_copy.read_bytes() == GOOD
    assert leftovers(cache) == ["wrong.bin"]


def test_connection_dropped_midway_leaves_nothing(catalog_root: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    with serve() as (base, _), pytest.raises(FetchError) as caught:
        fetch("demo", "dropped.bin", root=catalog_root, mirrors=[base], cache=cache, policy=FAST)
    assert "dropped.bin" in str(caught.value)
    assert leftovers(cache) == []


def test_local_mirror_is_used_without_any_request(catalog_root: Path, tmp_path: Path) -> None:
    mirror = tmp_path / "cvmfs" / "demo"
    mirror.mkdir(parents=True)
    (mirror / "good.bin").write_bytes(GOOD)
    with serve() as (base, log):
        path = fetch(
            "demo",
            "good.bin",
            root=catalog_root,
            mirrors=[str(tmp_path / "cvmfs"), base],
            cache=tmp_path / "cache",
            policy=FAST,
        )
        assert path == mirror / "good.bin" and log == []


def test_corrupt_mirror_copy_falls_through_to_the_next_source(catalog_root: Path, tmp_path: Path) -> None:
    mirror = tmp_path / "cvmfs"
    mirror.mkdir()
    (mirror / "good.bin").write_bytes(b"corrupt")
    with serve() as (base, log):
        path = fetch(
            "demo", "good.bin", root=catalog_root, mirrors=[str(mirror), base], cache=tmp_path / "c", policy=FAST
        )
        assert path.read_bytes() == GOOD and len(log) == 1


def test_unknown_file_and_dataset_errors_name_them(catalog_root: Path, tmp_path: Path) -> None:
    with pytest.raises(FetchError, match=r"lists no file 'nope\.bin'"):
        fetch("demo", "nope.bin", root=catalog_root, mirrors=[], cache=tmp_path)
    with pytest.raises(FetchError, match="dataset 'ghost'"):
        fetch("ghost", "x", root=catalog_root, mirrors=[], cache=tmp_path)
    with pytest.raises(FetchError, match="not available"):
        fetch("demo", "absent.bin", root=catalog_root, mirrors=[], cache=tmp_path)


def test_bundled_copy_of_the_shipped_record_is_verified() -> None:
    path = fetch("uci-breast-cancer-wisconsin-diagnostic", "breast_cancer.csv", root=REPO, mirrors=[])
    assert path.name == "breast_cancer.csv" and "sklearn" in str(path)
    assert (
        hashlib.sha256(path.read_bytes()).hexdigest()
        == "fed3eb72d0575ef6192293f5093c6e801b1476b577d0386bf4455504522172ed"
    )


def good_copy(cache: Path, name: str) -> Path:
    """An earlier, verified download of `name` in the cache."""
    path = cache / "demo" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(GOOD)
    return path


# (file, cap for files the record does not size, what the error says)
LIMITS = [
    ("bomb.bin", None, "more than the 2900 allowed"),  # its Content-Length says so before any byte
    ("unsized-bomb.bin", 100_000, "more than the 100000 allowed"),
    ("endless.bin", None, "sent more than the 2900 bytes allowed"),
    ("unsized-endless.bin", 1 << 20, "sent more than the 1048576 bytes allowed"),
    ("drip.bin", None, "did not finish within its 1 s deadline"),
    ("badlength.bin", None, "malformed Content-Length 'abc'"),
]


@pytest.mark.parametrize(("name", "cap", "message"), LIMITS, ids=[case[0] for case in LIMITS])
def test_hostile_download_stops_within_limits_and_keeps_the_good_copy(
    catalog_root: Path, tmp_path: Path, name: str, cap: int | None, message: str
) -> None:
    cache = tmp_path / "cache"
    earlier = good_copy(cache, name)
    policy = HttpPolicy(connect_timeout=1, read_timeout=1, retries=0, budget=1)
    started = time.monotonic()
    with serve() as (base, _), pytest.raises(FetchError) as caught:
        fetch(
            "demo",
            name,
            root=catalog_root,
            mirrors=[base],
            cache=cache,
            policy=policy,
            refresh=True,
            max_bytes=cap or 1 << 30,
        )
    elapsed = time.monotonic() - started
    assert message in str(caught.value) and name in str(caught.value)
    assert elapsed < 4  # budget 1 s, plus at most one read timeout
    assert earlier.read_bytes() == GOOD and leftovers(cache) == [name]  # no partial file


def test_compressed_body_is_stored_as_sent_never_inflated(catalog_root: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    with serve() as (base, _):
        path = fetch("demo", "unsized-bomb.bin", root=catalog_root, mirrors=[base], cache=cache, max_bytes=8 << 20)
    assert path.stat().st_size < BOMB_BYTES // 100  # the gzip as sent, not the GiB it inflates to
    assert path.read_bytes()[:2] == b"\x1f\x8b"


def test_url_mirror_from_the_environment_is_used(
    catalog_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, run_cli
) -> None:
    folder = tmp_path / "empty-mirror"
    folder.mkdir()
    with serve() as (base, log):
        monkeypatch.setenv("MLINFN_DATA_MIRRORS", f"{folder} ; {base}/")
        path = fetch("demo", "good.bin", root=catalog_root, cache=tmp_path / "cache", policy=FAST)
        assert path.read_bytes() == GOOD and log == ["GET /demo/good.bin"]
        code, out, _ = run_cli(
            "fetch", "demo", "good.bin", "--root", str(catalog_root), "--cache", str(tmp_path / "c2")
        )
        assert code == 0 and out.strip() == str(tmp_path / "c2" / "demo" / "good.bin") and len(log) == 2


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("/cvmfs/a.example:/cvmfs/b.example", "is neither an existing folder nor an https:// URL"),
        ("http://127.0.0.1.attacker.example/data", "plain http on a host that is not loopback"),
        ("http://localhost@evil.example/", "plain http on a host that is not loopback"),
        ("ftp://mirror.example/data", "is neither an existing folder nor an https:// URL"),
        ("https://mirror.example:99999/", "is not a valid URL"),
    ],
)
def test_malformed_mirror_entry_is_a_clear_error(
    catalog_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, run_cli, entry: str, message: str
) -> None:
    monkeypatch.setenv("MLINFN_DATA_MIRRORS", f"https://mirror.example/data;{entry}")
    with pytest.raises(FetchError, match="MLINFN_DATA_MIRRORS: entry") as caught:
        fetch("demo", "good.bin", root=catalog_root, cache=tmp_path / "cache")
    assert message in str(caught.value)
    code, _, err = run_cli("fetch", "demo", "good.bin", "--root", str(catalog_root), "--cache", str(tmp_path / "c"))
    assert code == 2 and message in err and "Traceback" not in err


def test_loopback_http_mirror_is_recognised_by_its_parsed_hostname() -> None:
    from catalog.data import mirror_problem

    assert mirror_problem("http://127.0.0.1:8080/data") is None
    assert mirror_problem("http://[::1]:8080/data") is None
    assert mirror_problem("http://localhost/data") is None
    assert mirror_problem("https://mirror.example/data") is None
    assert mirror_problem("http://127.0.0.1.attacker.example/") is not None


def test_dataset_id_that_is_a_path_is_refused(catalog_root: Path, tmp_path: Path, run_cli) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "evil.yaml").write_text((catalog_root / "datasets" / "demo.yaml").read_text().replace("demo", "evil"))
    cache = tmp_path / "cache"
    for bad in ("../outside/evil", "../../outside/evil", "/etc/passwd", "demo/../demo", "Demo"):
        with pytest.raises(FetchError, match="is not a dataset id"):
            fetch(bad, "good.bin", root=catalog_root, mirrors=[], cache=cache)
    code, _, err = run_cli("fetch", "../outside/evil", "--root", str(catalog_root), "--cache", str(cache))
    assert code == 2 and "is not a dataset id" in err
    assert not cache.exists() and sorted(p.name for p in outside.iterdir()) == ["evil.yaml"]
