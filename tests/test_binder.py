"""`catalog env binder`: binder/ from the records, conflicts named by use case, KB214 when stale."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from catalog.reproduce.binder import binder_inputs, check_binder, recorded_digest
from catalog.validate import load_catalog

from .conftest import FIXTURES, REPO


def shipped_copy(target: Path) -> Path:
    for name in ("usecases", "datasets", "seminars", "events", "binder"):
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, target / name)
    return target


def test_the_shipped_binder_folder_is_current() -> None:
    catalog = load_catalog(REPO)
    assert check_binder(catalog) == []
    inputs = binder_inputs(catalog)
    assert recorded_digest(REPO) == inputs.digest
    assert "parametric-nn-hepmass" in inputs.left_out  # needs a GPU: not on Binder
    text = (REPO / "binder/requirements.txt").read_text()
    assert "scikit-learn==" in text and "torch" not in text
    assert (REPO / "binder/runtime.txt").read_text() == "python-3.11\n"
    assert "./packages/mlinfn-data" in (REPO / "binder/postBuild").read_text()


def test_a_changed_requirements_file_makes_binder_stale(tmp_path: Path, run_cli) -> None:
    root = shipped_copy(tmp_path / "kb")
    requirements = root / "usecases/digits-mlp-classifier/requirements.txt"
    requirements.write_text(requirements.read_text() + "tomli-w>=1.0\n")
    code, out, _ = run_cli("validate", "--root", str(root))
    assert code == 0 and "binder/requirements.txt:1:1: warning KB214 binder/ is out of date" in out
    assert "catalog env binder" in out
    # a GPU use case's requirements are not Binder's business
    gpu = root / "usecases/parametric-nn-hepmass/requirements.txt"
    requirements.write_text(requirements.read_text().replace("tomli-w>=1.0\n", ""))
    gpu.write_text(gpu.read_text() + "tomli-w>=1.0\n")
    code, out, _ = run_cli("validate", "--root", str(root), "--strict")
    assert code == 0 and "KB214" not in out


@pytest.mark.slow
def test_regenerating_resolves_and_conflicts_are_named(tmp_path: Path, run_cli) -> None:
    root = tmp_path / "kb"
    shutil.copytree(FIXTURES / "envs", root)
    code, out, err = run_cli("env", "binder", "--root", str(root))
    assert code == 0, err
    text = (root / "binder/requirements.txt").read_text()
    assert "tomli-w==" in text and "toolz==" in text and "# use cases: needs-tomli-w, needs-toolz" in text
    code, out, _ = run_cli("validate", "--root", str(root))
    assert code == 0, out
    (root / "usecases/needs-toolz/requirements.txt").write_text("toolz==0.12.0\ntomli-w<1.0\n")
    (root / "usecases/needs-tomli-w/requirements.txt").write_text("tomli-w>=1.0\n")
    code, _, err = run_cli("env", "binder", "--root", str(root))
    assert code == 1 and "the requirements of use cases needs-tomli-w, needs-toolz conflict" in err
    assert "tomli-w" in err and "Traceback" not in err
