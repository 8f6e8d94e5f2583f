"""Per-use-case environments: real uv, real ipykernel, real nbval, the package index this machine uses."""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path

import pytest

from catalog.reproduce.envs import parse_freeze, uv_settings

from .conftest import FIXTURES

pytestmark = pytest.mark.slow
ENVS = FIXTURES / "envs"


def runs(results: Path) -> dict[str, dict]:
    doc = json.loads(results.read_text())
    return {key.split("/")[0]: entry["history"][-1] for key, entry in doc["notebooks"].items()}


def env_folders(base: Path) -> set[str]:
    return {p.name for p in base.iterdir() if p.is_dir()}


@pytest.fixture(scope="module")
def catalog_copy(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    root = tmp_path_factory.mktemp("envs-kb") / "kb"
    shutil.copytree(ENVS, root)
    base = tmp_path_factory.mktemp("envs-built")
    return root, root / "results.json", base


@pytest.fixture
def reproduce(run_cli, catalog_copy, monkeypatch):
    root, results, base = catalog_copy
    monkeypatch.setenv("MLINFN_ENVS_DIR", str(base))

    def run(*extra: str) -> tuple[int, str, str]:
        return run_cli("reproduce", "--root", str(root), "--results", str(results), "--gpu", "no", *extra)

    return run


def test_the_fixture_packages_are_absent_here() -> None:
    assert importlib.util.find_spec("tomli_w") is None and importlib.util.find_spec("toolz") is None


def test_each_use_case_runs_in_its_own_environment(reproduce, catalog_copy) -> None:
    _, results, base = catalog_copy
    code, out, _ = reproduce()
    assert code == 0, out
    assert "2 notebook(s) executed; 2 passed" in out
    assert len(env_folders(base)) == 2  # two distinct declarations
    run = runs(results)["needs-tomli-w"]
    assert run["verdict"] == "passed" and run["kernel"].startswith("mlinfn-")
    environment = run["environment"]
    assert environment["files"] == ["usecases/needs-tomli-w/requirements.txt"]
    assert "tomli-w" in environment["packages"] and "ipykernel" in environment["packages"]
    assert run["packages"] == environment["packages"]  # the resolved list is what the verdict stores
    assert "toolz" not in environment["packages"]


def test_a_second_run_creates_no_environment_and_starts_no_kernel(reproduce, catalog_copy) -> None:
    _, _, base = catalog_copy
    before = {p: (p / "env.json").stat().st_mtime_ns for p in base.iterdir() if p.is_dir()}
    code, out, _ = reproduce()
    assert code == 0 and "0 notebook(s) executed" in out and "building" not in out
    assert {p: (p / "env.json").stat().st_mtime_ns for p in base.iterdir() if p.is_dir()} == before


def test_editing_one_requirements_file_reruns_only_that_use_case(reproduce, catalog_copy) -> None:
    root, results, base = catalog_copy
    requirements = root / "usecases/needs-toolz/requirements.txt"
    requirements.write_text(requirements.read_text() + "tomli-w>=1.0\n")
    code, out, _ = reproduce()
    assert code == 0, out
    assert "1 notebook(s) executed" in out and "needs-toolz/notebooks/nb.ipynb: passed" in out
    assert len(env_folders(base)) == 3
    assert "tomli-w" in runs(results)["needs-toolz"]["environment"]["packages"]


def test_a_missing_dependency_names_the_package_and_the_requirements_file(reproduce, catalog_copy) -> None:
    root, results, _ = catalog_copy
    (root / "usecases/needs-tomli-w/requirements.txt").write_text("# tomli-w removed\n")
    code, out, _ = reproduce("needs-tomli-w")
    run = runs(results)["needs-tomli-w"]
    assert code == 1 and run["verdict"] == "error"
    assert run["reason"].endswith(
        " raised ModuleNotFoundError: No module named 'tomli_w' (add it to usecases/needs-tomli-w/requirements.txt)"
    )
    assert "add it to usecases/needs-tomli-w/requirements.txt" in out


def test_an_unbuildable_environment_is_an_error_naming_its_file(reproduce, catalog_copy) -> None:
    root, results, _ = catalog_copy
    (root / "usecases/needs-tomli-w/requirements.txt").write_text("mlinfn-no-such-distribution-xyz==1.0\n")
    code, _, _ = reproduce("needs-tomli-w")
    run = runs(results)["needs-tomli-w"]
    assert code == 1 and run["verdict"] == "error" and run["reason"] == "its environment could not be built"
    assert "usecases/needs-tomli-w/requirements.txt" in run["error_excerpt"]
    assert "mlinfn-no-such-distribution-xyz" in run["error_excerpt"]


def test_env_active_keeps_todays_behaviour(reproduce, catalog_copy) -> None:
    _, results, _ = catalog_copy
    code, _, _ = reproduce("needs-toolz", "--env", "active", "--force")
    run = runs(results)["needs-toolz"]
    assert code == 1 and run["kernel"] == "current-env" and "environment" not in run
    assert "No module named 'toolz' (add it to usecases/needs-toolz/requirements.txt)" in run["reason"]


def test_pip_configuration_is_passed_to_uv(monkeypatch) -> None:
    for name in (
        "UV_DEFAULT_INDEX",
        "UV_INDEX_URL",
        "UV_INDEX",
        "UV_EXTRA_INDEX_URL",
        "UV_FIND_LINKS",
        "UV_CONSTRAINT",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    env, args = uv_settings(
        {
            "index-url": ["https://pypi.example.org/simple"],
            "extra-index-url": ["file:///opt/a/simple", "file:///opt/b/simple"],
            "find-links": ["/opt/wheels"],
            "constraint": [str(FIXTURES / "envs/usecases/needs-toolz/requirements.txt")],
            "cert": ["/etc/ssl/certs/ca-certificates.crt"],
        }
    )
    assert env["UV_DEFAULT_INDEX"] == "https://pypi.example.org/simple"
    assert env["UV_INDEX"] == "file:///opt/a/simple file:///opt/b/simple"
    assert env["SSL_CERT_FILE"] == "/etc/ssl/certs/ca-certificates.crt" and env["UV_PYTHON_DOWNLOADS"] == "never"
    assert args[:2] == ["--find-links", "/opt/wheels"] and args[2] == "--constraint"


def test_freeze_lines_become_the_package_list() -> None:
    text = "NumPy==2.0.1\nmlinfn-data @ file:///tmp/x/mlinfn-data\n# comment\n"
    assert parse_freeze(text) == {"mlinfn-data": "@ mlinfn-data", "numpy": "2.0.1"}


def test_the_setup_cell_does_nothing_when_everything_is_present(tmp_path: Path) -> None:
    """It checks imports only: no pip, no subprocess, when the packages are there (CI, Binder)."""
    import subprocess
    import sys

    from catalog.reproduce.setup_cell import MARKER, setup_source
    from catalog.validate import load_catalog

    from .conftest import REPO

    usecase = load_catalog(REPO).usecases["digits-mlp-classifier"]
    source = setup_source(usecase, "https://github.com/ml-infn/knowledge-base")
    assert source.startswith(MARKER) and '"sklearn": "scikit-learn>=1.3"' in source
    guard = (
        "import subprocess\ndef refuse(*a, **k):\n    raise SystemExit('pip was started')\nsubprocess.run = refuse\n"
    )
    script = tmp_path / "cell.py"
    script.write_text(guard + source)
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout == "" and done.stderr == "", done.stderr
    script.write_text(guard + source.replace('"numpy": "numpy>=1.24"', '"no_such_module_x": "numpy>=1.24"'))
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60)
    assert "pip was started" in done.stderr  # and with one missing, it installs


def test_shipped_notebooks_start_with_their_current_setup_cell(run_cli) -> None:
    from .conftest import REPO

    code, out, _ = run_cli("env", "setup-cells", "--check", "--root", str(REPO))
    assert code == 0, out
