"""THREATS rows 1-2: the shipped CI never lets fork code reach a GPU runner, and the audits that
say so fail on the insecure examples in tests/fixtures/workflows/insecure/.

Two auditors: zizmor (pinned in the test extra, run offline) for what any workflow can get
wrong, and catalog/ci_audit.py for what zizmor cannot know (the site's GPU runner labels and
GitLab tags, jobs brought in by `uses:` / `extends:`, gates parsed from `if:` / `rules:`).
A fixture's `# caught-by:` lines name which of them catches it; the test checks each claim.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from catalog.ci_audit import Finding, audit_file, audit_repository, gated, is_gated, load_site
from catalog.ci_expr import parse_github

from .conftest import FIXTURES, REPO

SITE = load_site(REPO)
INSECURE = sorted((FIXTURES / "workflows" / "insecure").glob("*"))
SECURE = sorted((FIXTURES / "workflows" / "secure").glob("*"))
WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.yml"))
ZIZMOR_PIN = re.search(r'"zizmor==([^"]+)"', (REPO / "pyproject.toml").read_text())


def fixture_text(path: Path) -> str:
    files = sorted(path.rglob("*.yml")) if path.is_dir() else [path]
    return "\n".join(f.read_text() for f in files)


def audit(path: Path) -> list[Finding]:
    return audit_repository(path, SITE) if path.is_dir() else audit_file(path, path.parent, SITE)


def zizmor(*args: str) -> list[dict]:
    """zizmor's JSON findings (offline: no GitHub API), from the version the test extra pins."""
    exe = shutil.which("zizmor", path=str(Path(sys.executable).parent)) or shutil.which("zizmor")
    assert exe, "zizmor is part of the test extra: pip install -e '.[test]'"
    done = subprocess.run([exe, "--offline", "--format", "json", *args], capture_output=True, text=True, timeout=120)
    assert done.returncode in (0, 10, 11, 12, 13, 14), done.stderr  # 1x: findings at some severity
    return json.loads(done.stdout or "[]")


def test_shipped_pipelines_pass_the_audit() -> None:
    shipped = [*WORKFLOWS, REPO / ".gitlab-ci.yml"]
    assert len(shipped) >= 4
    assert audit_repository(REPO) == []


def test_zizmor_finds_nothing_high_in_the_shipped_workflows() -> None:
    assert ZIZMOR_PIN, "pyproject.toml pins zizmor in the test extra"
    exe = shutil.which("zizmor", path=str(Path(sys.executable).parent)) or shutil.which("zizmor")
    version = subprocess.run([str(exe), "--version"], capture_output=True, text=True).stdout.split()[-1]
    assert version == ZIZMOR_PIN.group(1)
    findings = zizmor("--min-severity", "high", str(REPO / ".github"))
    assert [(f["ident"], f["locations"][0]["symbolic"]["key"]) for f in findings] == []


@pytest.mark.parametrize("path", INSECURE, ids=lambda p: p.stem)
def test_insecure_example_is_caught(path: Path) -> None:
    expected = sorted(re.findall(r"^# expect: (CI\d) (.+)$", fixture_text(path), re.M))
    found = sorted((f.code, f.job) for f in audit(path))
    assert expected and found == expected


@pytest.mark.parametrize("path", SECURE, ids=lambda p: p.stem)
def test_secure_example_passes(path: Path) -> None:
    assert audit(path) == []


VARIANTS = [
    (path, claim)
    for path in INSECURE
    if "# variant:" in fixture_text(path)
    for claim in re.findall(r"^# caught-by: (.+)$", fixture_text(path), re.M)
]


def test_the_eight_insecure_variants_are_fixtures() -> None:
    variants = {path.stem for path, _ in VARIANTS}
    assert variants == {
        "gpu-custom-label",
        "pr-target-merge-commit",
        "pr-target-gh-checkout",
        "label-negated-gate",
        "reusable-gpu",
        "gitlab-extends-gpu",
        "gitlab-cuda-tag",
        "gitlab-branch-rule",
    }


@pytest.mark.parametrize(("path", "claim"), VARIANTS, ids=[f"{p.stem}-by-{c.replace(' ', '-')}" for p, c in VARIANTS])
def test_variant_is_caught_by_the_tool_it_names(path: Path, claim: str) -> None:
    tool, *what = claim.split()
    if tool == "ci_audit":
        assert audit(path), f"catalog/ci_audit.py misses {path.name}"
    elif tool == "zizmor":
        idents = {f["ident"] for f in zizmor(str(path))}
        assert what[0] in idents, f"zizmor reports {sorted(idents)} for {path.name}"
    else:
        pytest.fail(f"unknown tool {tool!r} in {path}")


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("contains(github.event.pull_request.labels.*.name, 'safe-to-test')", True),
        ("${{ !contains(github.event.pull_request.labels.*.name, 'skip-ci') }}", False),
        ("contains(github.event.pull_request.title, 'label')", False),  # the old substring gate
        ("github.event.pull_request.head.repo.full_name == github.repository", True),
        ("github.repository == github.event.pull_request.head.repo.full_name && always()", True),
        ("github.event.pull_request.head.repo.full_name == github.repository || always()", False),
        ("!github.event.pull_request.head.repo.fork", True),
        ("github.event.pull_request.head.repo.fork == false", True),
        ("!(github.event.pull_request.head.repo.fork || github.actor == 'x')", True),
        ("github.event_name == 'schedule'", True),
        ("github.event_name == 'pull_request'", False),
        ("github.event_name != 'schedule'", False),
        ("'label' != ''", False),
        ("always()", False),
    ],
)
def test_gates_are_parsed_not_substring_matched(condition: str, expected: bool) -> None:
    events = {"pull_request", "pull_request_target"}
    assert gated(parse_github(condition), events) is expected
    assert is_gated({"if": condition}, events) is expected


def test_shipped_workflows_pin_actions_and_keep_no_credentials() -> None:
    from catalog.loader import parse_yaml

    pin = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")
    for path in WORKFLOWS:
        text = path.read_text()
        for line in re.findall(r"uses: (\S+.*)$", text, re.M):
            ref, _, comment = line.partition(" # ")
            assert pin.match(ref) and re.match(r"v\d+\.\d+\.\d+", comment), f"{path.name}: {line}"
        doc = parse_yaml(text, path.name).data
        assert doc["permissions"] == {}, f"{path.name}: permissions are granted per job"
        for name, job in doc["jobs"].items():
            assert "permissions" in job, f"{path.name}: job {name} states its permissions"
            for step in job.get("steps", []):
                if str(step.get("uses", "")).startswith("actions/checkout@"):
                    assert step["with"]["persist-credentials"] is False, f"{path.name}: {name}"
                assert "${{" not in str(step.get("run", "")), f"{path.name}: {name}: expression in run:"
    dependabot = parse_yaml((REPO / ".github" / "dependabot.yml").read_text(), "dependabot.yml").data
    assert {u["package-ecosystem"] for u in dependabot["updates"]} >= {"github-actions"}


def test_gpu_jobs_of_the_shipped_workflow_are_gated_and_secret_free() -> None:
    from catalog.loader import parse_yaml

    doc = parse_yaml((REPO / ".github/workflows/reproduce.yml").read_text(), "reproduce.yml").data
    job = doc["jobs"]["run"]
    assert job["environment"] == "gpu-runners" and job["permissions"] == {}
    assert "secrets." not in json.dumps(job)
    assert set(doc["on"]) == {"schedule", "workflow_dispatch"}
    pr = parse_yaml((REPO / ".github/workflows/pr.yml").read_text(), "pr.yml").data
    assert pr["permissions"] == {}
    assert all(j["permissions"] == {"contents": "read"} for j in pr["jobs"].values())
    assert all(j["runs-on"] == "ubuntu-latest" for j in pr["jobs"].values())
    deploy = parse_yaml((REPO / ".github/workflows/deploy.yml").read_text(), "deploy.yml").data
    assert deploy["jobs"]["build"]["permissions"] == {"contents": "read"}  # pages/id-token: deploy job only


def test_gitlab_gpu_rules_require_a_protected_ref() -> None:
    from catalog.ci_audit import requires_protected
    from catalog.ci_expr import parse_gitlab
    from catalog.loader import parse_yaml

    doc = parse_yaml((REPO / ".gitlab-ci.yml").read_text(), ".gitlab-ci.yml").data
    for name in ("gpu-plan", "gpu-run"):
        for rule in doc[name]["rules"]:
            assert requires_protected(parse_gitlab(rule["if"])), f"{name}: {rule['if']}"
    assert not requires_protected(parse_gitlab('$CI_COMMIT_REF_PROTECTED == "true" || $CI_COMMIT_BRANCH'))
    assert not requires_protected(parse_gitlab("$CI_COMMIT_REF_PROTECTED"))  # the string "false" is truthy
