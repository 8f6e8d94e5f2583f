from __future__ import annotations

import shutil
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
