"""The catalog shipped in this repository is valid and meets the knowledge-base promises."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from catalog import load_catalog
from catalog.rules import PUBLIC_ACCESS

from .conftest import REPO, check_golden, snapshot


def test_shipped_catalog_validates_strictly() -> None:
    done = subprocess.run(["catalog", "validate", "--strict"], cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip() == "0 error(s), 0 warning(s)"


def test_shipped_catalog_content() -> None:
    catalog = load_catalog(REPO)
    assert catalog.problems == []
    assert len(catalog.datasets) >= 12
    # invariants, not lists: contributions add records without editing this test
    refs = [s.data.get("provenance", {}).get("report_reference") for s in catalog.seminars.values()]
    refs = [r for r in refs if r is not None]
    assert refs and len(refs) == len(set(refs)) and all(isinstance(r, int) and r > 0 for r in refs)
    gpus = [n.get("gpu", "none") for u in catalog.usecases.values() for n in u.data["notebooks"]]
    assert gpus.count("none") >= 3 and "required" in gpus
    for usecase in catalog.usecases.values():
        assert any(d.data["access"] in PUBLIC_ACCESS for d in catalog.related(usecase, "dataset"))


def test_back_references_are_derived() -> None:
    """Every reference resolves, and every dataset or seminar lists exactly the use cases naming it."""
    catalog = load_catalog(REPO)
    for kind, field, records in (("dataset", "datasets", catalog.datasets), ("seminar", "seminars", catalog.seminars)):
        for record in records.values():
            naming = sorted(u.id for u in catalog.usecases.values() if record.id in u.data.get(field, []))
            assert [u.id for u in catalog.related(record, "usecase")] == naming, (kind, record.id)
        for usecase in catalog.usecases.values():
            assert all(ident in records for ident in usecase.data.get(field, [])), usecase.id


def test_validate_writes_nothing() -> None:
    before = snapshot(REPO / "datasets")
    subprocess.run(["catalog", "validate"], cwd=REPO, capture_output=True, check=True)
    assert snapshot(REPO / "datasets") == before


def test_usage_errors_exit_2_without_traceback(tmp_path) -> None:
    done = subprocess.run(["catalog", "validate", "--root", str(tmp_path)], capture_output=True, text=True)
    assert done.returncode == 2 and "not a catalog root" in done.stderr and "Traceback" not in done.stderr
    done = subprocess.run(["catalog", "validate", "--format", "xml"], cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 2 and "Traceback" not in done.stderr


@pytest.fixture(scope="module")
def shipped_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The README's first command's last step: the shipped catalog as a site, with --strict."""
    site = tmp_path_factory.mktemp("shipped") / "site"
    done = subprocess.run(["catalog", "build", "-d", str(site)], cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "WARNING" not in done.stderr
    return site


def test_shipped_site_builds_strictly(shipped_site: Path) -> None:
    import json

    site = shipped_site
    catalog = load_catalog(REPO)
    for record in catalog.all_records():
        folder = {"usecase": "usecases", "dataset": "datasets", "event": "events"}.get(record.kind)
        page = site / (f"{folder}/{record.id}" if folder else f"seminars/{record.path.parent.name}/{record.id}")
        assert (page / "index.html").is_file(), record.file
    for usecase in catalog.usecases.values():
        for nb in usecase.data["notebooks"]:
            assert (site / "usecases" / usecase.id / nb["path"].removesuffix(".ipynb") / "index.html").is_file()
    exported = json.loads((site / "catalog.json").read_text())
    verdicts = {e["id"]: e["reproducibility"] for e in exported["records"] if e["kind"] == "usecase"}
    for usecase in catalog.usecases.values():
        page = (site / "usecases" / usecase.id / "index.html").read_text()
        for nb in usecase.data["notebooks"]:
            verdict = verdicts[usecase.id][nb["path"]]["verdict"]
            assert verdict not in ("failed", "error", "timeout"), (usecase.id, nb["path"], verdict)
            if nb.get("gpu") == "required":
                assert verdict in ("skipped", "passed", "never-run") and "needs a GPU" in page


# Entries whose text comes from records alone (not from today's date or hand-written docs pages):
# their text is compared too, as a digest.
RECORD_DERIVED = ("usecases/", "datasets/", "seminars/", "events/", "tags/")


def site_outline(site: Path) -> dict[str, list]:
    """The page set and the search entries of a built site, in a form a reviewer can diff."""
    import hashlib
    import json

    pages = sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html"))
    entries = []
    for entry in json.loads((site / "search" / "search_index.json").read_text())["docs"]:
        row = [entry["location"], entry["title"]]
        if entry["location"].startswith(RECORD_DERIVED):
            row.append(hashlib.sha256(entry["text"].encode()).hexdigest()[:16])
        entries.append(row)
    return {"pages": pages, "search": entries}


def test_shipped_site_has_the_same_pages_and_search_entries(shipped_site: Path) -> None:
    """Restructuring the code must not change the site: the page set and the search entries
    (location, title, and a digest of the text of record-derived entries) match the golden file.
    An intended change updates it with UPDATE_GOLDEN=1 (never in CI) and shows in the diff."""
    import json

    text = json.dumps(site_outline(shipped_site), indent=1, ensure_ascii=False) + "\n"
    check_golden("shipped-site.json", text)
