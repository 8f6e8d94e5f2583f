from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).parent
REPO = TESTS.parent
FIXTURES = TESTS / "fixtures"
BASE_CATALOG = FIXTURES / "base"


@pytest.fixture
def base_catalog(tmp_path: Path) -> Path:
    """A fresh copy of the small valid fixture catalog."""
    root = tmp_path / "kb"
    shutil.copytree(BASE_CATALOG, root)
    return root


def check_golden(name: str, text: str) -> None:
    path = TESTS / "golden" / name
    if os.environ.get("UPDATE_GOLDEN"):
        # rewriting the expectation in CI would make the test pass whatever the output
        assert not os.environ.get("CI"), "UPDATE_GOLDEN is for a developer's machine, never CI"
        path.write_text(text)
    assert text == path.read_text(), f"{name} differs; rerun with UPDATE_GOLDEN=1 and review the diff"


def latest(results: Path) -> dict[str, dict]:
    """The newest run of each use case in a results store, after checking the store's schema."""
    import jsonschema

    from catalog.schema_check import load_schema

    doc = json.loads(results.read_text())
    jsonschema.Draft202012Validator(load_schema("results")).validate(doc)
    return {key.split("/")[0]: entry["history"][-1] for key, entry in doc["notebooks"].items()}


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file's bytes under root, to prove a command changed nothing."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def run_cli(capsys: pytest.CaptureFixture[str]):
    """Run `catalog ...` in-process; returns (exit code, stdout, stderr)."""
    from catalog.cli import main

    def run(*args: str) -> tuple[int, str, str]:
        code = main(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    return run


PYTHON = sys.executable


def copy_site_fixture(target: Path, source: Path = FIXTURES / "site") -> Path:
    """Copy a fixture site, pointing its mkdocs.yml at this repository's docs/ and hooks/."""
    shutil.copytree(source, target)
    config = target / "mkdocs.yml"
    config.write_text(config.read_text().replace("../../../", f"{REPO}/"))
    return config


def build(config: Path, site_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["catalog", "build", "-f", str(config), "-d", str(site_dir)], cwd=config.parent, capture_output=True, text=True
    )


@pytest.fixture(scope="session")
def fixture_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture catalog under tests/fixtures/site, built once with the real `catalog build`."""
    root = tmp_path_factory.mktemp("fixture-site") / "kb"
    config = copy_site_fixture(root)
    done = build(config, root / "site")
    assert done.returncode == 0, done.stdout + done.stderr
    return root / "site"


@pytest.fixture(scope="session")
def hostile_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("hostile-site") / "kb"
    config = copy_site_fixture(root, FIXTURES / "hostile")
    done = build(config, root / "site")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    return root / "site"


@pytest.fixture(scope="session", autouse=True)
def isolated_envs_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`catalog reproduce` builds its per-use-case environments here, not in ~/.cache (uv's own
    package cache is still shared, as on a developer's machine)."""
    import os

    folder = tmp_path_factory.mktemp("envs")
    os.environ["MLINFN_ENVS_DIR"] = str(folder)
    return folder
