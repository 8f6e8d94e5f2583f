"""Where a dataset record is read from, so that `fetch` works wherever a notebook is launched.

1. A checkout: `$MLINFN_CATALOG_ROOT`, else the first folder at or above the working directory
   that holds `datasets/` (a clone, a hub's nbgitpuller folder, a Binder image).
2. Otherwise the published catalog: `$MLINFN_CATALOG_JSON_URL` (the site's `catalog.json`) when
   set, then the record at `$MLINFN_RECORDS_URL` (the repository's raw files; default the
   project's GitHub repository, branch main) + `datasets/<id>.yaml`.
A record read remotely is kept in the data cache (`_records/<id>.json`) and used from there when
the network is not reachable.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import requests
import yaml

from .http import HttpPolicy, new_session, request_with_retries
from .netguard import AddressRefused, endpoint

ROOT_ENV = "MLINFN_CATALOG_ROOT"
CATALOG_JSON_ENV = "MLINFN_CATALOG_JSON_URL"
RECORDS_ENV = "MLINFN_RECORDS_URL"
DEFAULT_RECORDS = "https://raw.githubusercontent.com/ml-infn/knowledge-base/main/"
MAX_RECORD = 1 << 20  # the loader's cap on a record
MAX_CATALOG = 64 << 20
# the id pattern of the dataset schema, checked before any path is built from an id
DATASET_ID = re.compile(r"^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,79}$")


class FetchError(Exception):
    """A dataset file could not be had; the message names dataset, file, URL and cause."""


def check_dataset_id(dataset_id: str) -> None:
    """Raise FetchError unless `dataset_id` has the form of a dataset id (no path can be made of it)."""
    if not isinstance(dataset_id, str) or not DATASET_ID.match(dataset_id):
        raise FetchError(
            f"{dataset_id!r} is not a dataset id (lowercase letters, digits and single hyphens, 3 to 80 characters)"
        )


def find_catalog_root(start: Path | None = None) -> Path | None:
    """The checkout's root, or None when the notebook runs outside one."""
    if os.environ.get(ROOT_ENV):
        return Path(os.environ[ROOT_ENV])
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "datasets").is_dir():
            return folder
    return None


def _checkout_record(dataset_id: str, root: Path) -> dict[str, Any]:
    path = root / "datasets" / f"{dataset_id}.yaml"
    if not path.is_file():
        raise FetchError(f"dataset {dataset_id!r}: no record {path}")
    try:  # the catalog's own strict loader and schema when this runs beside it
        from catalog.validate import load_record
    except ImportError:
        try:
            data = yaml.safe_load(path.read_bytes()[:MAX_RECORD])
        except yaml.YAMLError as exc:
            raise FetchError(f"dataset {dataset_id!r}: its record {path} is not YAML ({exc})") from exc
        if not isinstance(data, dict) or not isinstance(data.get("files", []), list):
            raise FetchError(f"dataset {dataset_id!r}: its record {path} is invalid") from None
        return data
    record, problems = load_record("dataset", path, root)
    if record is None or any(p.is_error for p in problems):
        details = "; ".join(p.as_text() for p in problems[:3])
        raise FetchError(f"dataset {dataset_id!r}: its record is invalid ({details})")
    return dict(record.data)


def _get(url: str, limit: int, policy: HttpPolicy) -> bytes:
    if not url.startswith(("https://", "http://127.0.0.1", "http://localhost")):
        raise FetchError(f"{url}: only https:// (or loopback http) is used")
    # a location the user set (MLINFN_CATALOG_JSON_URL, MLINFN_RECORDS_URL) is reached as named,
    # like a configured mirror; redirects away from it are checked by the guard as usual
    session = new_session(policy, [endpoint(url)] if url.startswith("http://") else [])
    try:
        response = request_with_retries(session, "GET", url, policy)
    except (requests.RequestException, AddressRefused) as exc:
        raise FetchError(f"{url}: {exc}") from exc
    if response.status_code != 200:
        raise FetchError(f"{url} answered HTTP {response.status_code}")
    if len(response.content) > limit:
        raise FetchError(f"{url}: larger than {limit} bytes")
    return response.content


def _remote_record(dataset_id: str, policy: HttpPolicy) -> dict[str, Any]:
    failures = []
    catalog_url = os.environ.get(CATALOG_JSON_ENV, "")
    if catalog_url:
        try:
            document = json.loads(_get(catalog_url, MAX_CATALOG, policy))
            for entry in document.get("records", []):
                if entry.get("kind") == "dataset" and entry.get("id") == dataset_id:
                    return dict(entry["record"])
            failures.append(f"{catalog_url} has no dataset {dataset_id!r}")
        except (FetchError, ValueError, AttributeError) as exc:
            failures.append(str(exc))
    base = os.environ.get(RECORDS_ENV) or DEFAULT_RECORDS
    url = f"{base.rstrip('/')}/datasets/{dataset_id}.yaml"
    try:
        data = yaml.safe_load(_get(url, MAX_RECORD, policy))
        if isinstance(data, dict) and data.get("id") == dataset_id:
            return data
        failures.append(f"{url} is not the record of {dataset_id!r}")
    except (FetchError, yaml.YAMLError) as exc:
        failures.append(str(exc))
    raise FetchError(f"dataset {dataset_id!r}: no checkout here and no published record ({'; '.join(failures)})")


def dataset_record(dataset_id: str, root: Path | None, cache: Path, policy: HttpPolicy | None = None) -> dict[str, Any]:
    """The dataset record's data, from the checkout at `root` (or found), else published."""
    check_dataset_id(dataset_id)
    root = root or find_catalog_root()
    if root is not None:
        return _checkout_record(dataset_id, root)
    kept = cache / "_records" / f"{dataset_id}.json"
    try:
        data = _remote_record(dataset_id, policy or HttpPolicy(retries=1, budget=30))
    except FetchError:
        if kept.is_file():
            return dict(json.loads(kept.read_text(encoding="utf-8")))
        raise
    kept.parent.mkdir(parents=True, exist_ok=True)
    partial = kept.with_name(f".{kept.name}.{os.getpid()}")
    partial.write_text(json.dumps(data, default=str), encoding="utf-8")
    os.replace(partial, kept)
    return data
