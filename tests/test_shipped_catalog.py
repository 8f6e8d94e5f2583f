"""The catalog shipped in this repository is valid and meets the knowledge-base promises."""

from __future__ import annotations

import subprocess

from catalog import load_catalog
from catalog.rules import PUBLIC_ACCESS

from .conftest import REPO, snapshot


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


def test_shipped_site_builds_strictly(tmp_path) -> None:
    """The README's first command's last step: the shipped catalog as a site, with --strict."""
    import json

    site = tmp_path / "site"
    done = subprocess.run(["catalog", "build", "-d", str(site)], cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "WARNING" not in done.stderr
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
