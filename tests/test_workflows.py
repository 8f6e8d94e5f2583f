"""THREATS rows 1-2: the shipped CI never lets fork code reach a GPU runner, and the audit that
says so fails on the insecure examples in tests/fixtures/workflows/insecure/."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from catalog.ci_audit import audit_file, audit_repository

from .conftest import FIXTURES, REPO

INSECURE = sorted((FIXTURES / "workflows" / "insecure").glob("*.yml"))
SECURE = sorted((FIXTURES / "workflows" / "secure").glob("*.yml"))


def test_shipped_pipelines_pass_the_audit() -> None:
    shipped = [*(REPO / ".github" / "workflows").glob("*.yml"), REPO / ".gitlab-ci.yml"]
    assert len(shipped) >= 4
    assert audit_repository(REPO) == []


@pytest.mark.parametrize("path", INSECURE, ids=lambda p: p.stem)
def test_insecure_example_is_caught(path: Path) -> None:
    expected = sorted(tuple(m.groups()) for m in re.finditer(r"^# expect: (CI\d) (\S+)$", path.read_text(), re.M))
    found = sorted((f.code, f.job) for f in audit_file(path, path.parent))
    assert expected and found == expected


@pytest.mark.parametrize("path", SECURE, ids=lambda p: p.stem)
def test_secure_example_passes(path: Path) -> None:
    assert audit_file(path, path.parent) == []


def test_gpu_jobs_of_the_shipped_workflow_are_gated_and_secret_free() -> None:
    from catalog.loader import parse_yaml

    doc = parse_yaml((REPO / ".github/workflows/reproduce.yml").read_text(), "reproduce.yml").data
    job = doc["jobs"]["run"]
    assert job["environment"] == "gpu-runners" and job["permissions"] == {}
    assert "secrets." not in json.dumps(job)
    assert set(doc["on"]) == {"schedule", "workflow_dispatch"}
    pr = parse_yaml((REPO / ".github/workflows/pr.yml").read_text(), "pr.yml").data
    assert pr["permissions"] == {"contents": "read"}
    assert all(j["runs-on"] == "ubuntu-latest" for j in pr["jobs"].values())
