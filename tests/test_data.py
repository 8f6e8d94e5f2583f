"""catalog.data.fetch against a real HTTP server on 127.0.0.1 (THREATS 15)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from catalog.data import FetchError, fetch
from catalog.http import HttpPolicy

from .conftest import REPO
from .httpfixture import GOOD, serve

FAST = HttpPolicy(connect_timeout=1, read_timeout=1, retries=1, backoff=0.05, budget=5)


@pytest.fixture
def catalog_root(tmp_path: Path) -> Path:
    root = tmp_path / "kb"
    (root / "datasets").mkdir(parents=True)
    sha = hashlib.sha256(GOOD).hexdigest()
    files = "\n".join(
        f"  - name: {name}\n    size_bytes: {len(GOOD)}\n    sha256: {sha}"
        for name in ("good.bin", "wrong.bin", "dropped.bin", "absent.bin")
    )
    (root / "datasets" / "demo.yaml").write_text(
        "id: demo\ntitle: Demo\nsummary: Files served by the test server.\ndomain: other\nlicense: unknown\n"
        f"access: open\nfiles:\n{files}\n  - name: unchecked.bin\n"
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
