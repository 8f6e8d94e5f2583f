"""The data helper outside a checkout: the dataset record from the published catalog.json or the
repository's raw files (loopback stand-ins named by the documented variables), kept for offline use."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from mlinfn_data.download import FetchError, file_spec
from mlinfn_data.locate import dataset_record

from .conftest import REPO
from .launch_support import static_server

DIGITS = "uci-optical-recognition-handwritten-digits"


@pytest.fixture
def outside(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory with no catalog above it."""
    monkeypatch.delenv("MLINFN_CATALOG_ROOT", raising=False)
    monkeypatch.setenv("MLINFN_DATA_CACHE", str(tmp_path / "cache"))
    folder = tmp_path / "content"
    folder.mkdir()
    monkeypatch.chdir(folder)
    return tmp_path


def test_record_from_the_sites_catalog_json(outside: Path, monkeypatch: pytest.MonkeyPatch, run_cli) -> None:
    site = outside / "served" / "site"
    code, _, err = run_cli("export", "--root", str(REPO), "-o", str(site))
    assert code == 0, err
    with static_server(outside / "served") as base:
        monkeypatch.setenv("MLINFN_CATALOG_JSON_URL", f"{base}/site/catalog.json")
        monkeypatch.setenv("MLINFN_RECORDS_URL", f"{base}/nothing-here/")
        spec = file_spec(DIGITS, "digits.csv.gz")
    assert spec.sha256 and spec.bundled  # as in the record
    kept = json.loads((outside / "cache" / "_records" / f"{DIGITS}.json").read_text())
    assert kept["id"] == DIGITS


def test_record_from_the_raw_repository_then_offline_from_the_cache(
    outside: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(REPO / "datasets", outside / "served" / "raw" / "datasets")
    with static_server(outside / "served") as base:
        monkeypatch.setenv("MLINFN_RECORDS_URL", f"{base}/raw/")
        online = file_spec(DIGITS, "digits.csv.gz")
        with pytest.raises(FetchError, match=r"lists no file 'nope\.csv'"):
            file_spec(DIGITS, "nope.csv")
    assert file_spec(DIGITS, "digits.csv.gz") == online  # the server is gone: the kept record


def test_no_checkout_and_nothing_published_says_where_it_looked(outside: Path, monkeypatch) -> None:
    with static_server(outside) as base:
        monkeypatch.setenv("MLINFN_RECORDS_URL", f"{base}/raw/")
        with pytest.raises(FetchError) as caught:
            dataset_record("no-such-dataset", None, outside / "cache")
    message = str(caught.value)
    assert "no checkout here and no published record" in message and "/raw/datasets/no-such-dataset.yaml" in message
    assert "404" in message
