"""Audit CI definitions so that untrusted pull-request code never reaches a GPU / self-hosted runner.

GitHub: a job on a self-hosted or GPU runner (or one chosen by an expression) in a workflow that
a fork can trigger needs a maintainer gate (an approval environment, a same-repository check or a
label condition); such jobs get `permissions: {}` and no secrets; `pull_request_target` never
checks out the pull request's head. GitLab: GPU-tagged or trigger jobs never run for merge
requests unless a maintainer starts them by hand.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .loader import parse_yaml

FORK_TRIGGERS = {
    "pull_request",
    "pull_request_target",
    "workflow_run",
    "issue_comment",
    "pull_request_review",
    "pull_request_review_comment",
}
SAME_REPO_GATES = (
    "head.repo.full_name == github.repository",
    "head.repo.fork == false",
    "github.event.pull_request.head.repo.fork != true",
)
HEAD_REFS = ("github.event.pull_request.head", "github.head_ref", "refs/pull/")


@dataclass(frozen=True)
class Finding:
    file: str
    job: str
    code: str  # CI1 ungated runner, CI2 pwn request, CI3 secrets/permissions
    message: str

    def as_text(self) -> str:
        return f"{self.file}: job {self.job!r}: {self.code} {self.message}"


def _triggers(doc: dict[str, Any]) -> set[str]:
    on = doc.get("on", doc.get(True))
    if isinstance(on, str):
        return {on}
    if isinstance(on, list):
        return set(on)
    return set(on or {})


def _runs_on_labels(job: dict[str, Any]) -> list[str]:
    runs_on = job.get("runs-on", [])
    if isinstance(runs_on, dict):
        runs_on = runs_on.get("labels", []) or [runs_on.get("group", "")]
    return [runs_on] if isinstance(runs_on, str) else [str(r) for r in runs_on]


def is_privileged_runner(job: dict[str, Any]) -> bool:
    labels = _runs_on_labels(job)
    if any("${{" in label for label in labels):
        return True  # chosen at run time: treat as possibly self-hosted
    return any(label == "self-hosted" or "gpu" in label.lower() for label in labels)


def is_gated(job: dict[str, Any]) -> bool:
    if job.get("environment"):
        return True
    condition = str(job.get("if", ""))
    return any(gate in condition for gate in SAME_REPO_GATES) or "label" in condition


def audit_github_workflow(doc: dict[str, Any], file: str) -> list[Finding]:
    findings: list[Finding] = []
    triggers = _triggers(doc)
    fork_reachable = triggers & FORK_TRIGGERS
    jobs = doc.get("jobs") or {}
    for name, job in jobs.items():
        if not isinstance(job, dict):
            continue
        text = json.dumps(job)
        if "pull_request_target" in triggers:
            for step in job.get("steps", []) or []:
                step_text = json.dumps(step)
                checks_out = "actions/checkout" in str(step.get("uses", "")) or "checkout" in str(step.get("run", ""))
                if checks_out and any(ref in step_text for ref in HEAD_REFS):
                    findings.append(
                        Finding(
                            file,
                            name,
                            "CI2",
                            "pull_request_target checks out the pull request's "
                            "head: untrusted code runs with repository secrets",
                        )
                    )
        if not is_privileged_runner(job):
            continue
        if fork_reachable and not is_gated(job):
            findings.append(
                Finding(
                    file,
                    name,
                    "CI1",
                    f"runs on a self-hosted/GPU runner and is triggered by "
                    f"{', '.join(sorted(fork_reachable))} without a maintainer "
                    "gate (environment approval, same-repo check or label)",
                )
            )
        permissions = job.get("permissions", doc.get("permissions"))
        if permissions not in ({}, "{}"):
            findings.append(Finding(file, name, "CI3", "a self-hosted/GPU job must declare `permissions: {}`"))
        if "secrets." in text:
            findings.append(Finding(file, name, "CI3", "a self-hosted/GPU job must not use secrets"))
    return findings


def _gitlab_gpu_job(job: dict[str, Any]) -> bool:
    tags = job.get("tags") or []
    return "trigger" in job or any("gpu" in str(t).lower() or "self-hosted" in str(t).lower() for t in tags)


def audit_gitlab_ci(doc: dict[str, Any], file: str) -> list[Finding]:
    findings: list[Finding] = []
    for name, job in doc.items():
        if not isinstance(job, dict) or name.startswith(".") or name in ("default", "variables", "workflow"):
            continue
        if not _gitlab_gpu_job(job):
            continue
        rules = job.get("rules")
        if rules is None:
            if job.get("when") != "manual" and "only" not in job:
                findings.append(Finding(file, name, "CI1", "GPU/trigger job without rules runs for merge requests"))
            continue
        for rule in rules:
            condition = str(rule.get("if", "")) if isinstance(rule, dict) else ""
            manual = isinstance(rule, dict) and rule.get("when") in ("manual", "never")
            if ("merge_request" in condition or not condition) and not manual:
                findings.append(
                    Finding(
                        file,
                        name,
                        "CI1",
                        "GPU/trigger job can run for merge-request code "
                        f"(rule {condition or 'always'!r}) without a manual gate",
                    )
                )
        if "secrets" in job:
            findings.append(Finding(file, name, "CI3", "a GPU job must not receive secrets"))
    return findings


def audit_repository(root: Path) -> list[Finding]:
    findings: list[Finding] = []
    workflows = root / ".github" / "workflows"
    for path in sorted([*workflows.glob("*.yml"), *workflows.glob("*.yaml")]) if workflows.is_dir() else []:
        findings += audit_file(path, root)
    gitlab = root / ".gitlab-ci.yml"
    if gitlab.is_file():
        findings += audit_file(gitlab, root)
    return findings


def audit_file(path: Path, root: Path) -> list[Finding]:
    name = path.relative_to(root).as_posix() if path.is_relative_to(root) else path.as_posix()
    loaded = parse_yaml(path.read_text(encoding="utf-8"), name, path)
    if not isinstance(loaded.data, dict):
        return [Finding(name, "-", "CI0", "cannot be read: " + "; ".join(p.message for p in loaded.problems))]
    if path.name.startswith(".gitlab-ci") or "gitlab" in path.name:
        return audit_gitlab_ci(loaded.data, name)
    return audit_github_workflow(loaded.data, name)
