"""Audit CI definitions so that untrusted pull-request code never reaches a GPU / self-hosted runner.

zizmor (run by the test suite and on pull requests) audits the GitHub workflows generically:
pinning, permissions, template injection, credentials, dangerous triggers. This audit keeps to
what zizmor cannot know:

- which runners are privileged: GPU or self-hosted runner labels and GitLab tags, from the
  site's `.ci/runners.yaml` (plus built-in patterns such as "gpu", "cuda", "self-hosted");
- the jobs that `uses:` (a local reusable workflow) and `extends:` (a GitLab template) bring in;
- whether a job's gate really holds: `if:` and `rules: if:` are parsed (`ci_expr`), so a
  negated label test (`!contains(..., 'skip-ci')`) or a gate under `||` is no gate.

GitHub: a privileged job in a workflow that a fork can trigger needs a maintainer gate (an
approval environment, a same-repository check, a positive label condition or an event-name
condition excluding the fork events); privileged jobs get `permissions: {}` and no secrets;
`pull_request_target` / `workflow_run` never check out the pull request's code. GitLab: every
rule that lets a GPU or trigger job run requires `$CI_COMMIT_REF_PROTECTED == "true"`.

Codes: CI1 ungated privileged job, CI2 pull request code checked out with privileges, CI3
secrets/permissions of a privileged job, CI4 a reusable workflow that cannot be followed.
"""

from __future__ import annotations

import copy
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .ci_expr import Node, ParseError, expressions_in, parse_github, parse_gitlab, refs, strip_braces
from .loader import parse_yaml

FORK_TRIGGERS = {
    "pull_request",
    "pull_request_target",
    "workflow_run",
    "issue_comment",
    "pull_request_review",
    "pull_request_review_comment",
}
PRIVILEGED_TRIGGERS = {"pull_request_target", "workflow_run", "issue_comment"}  # base-repo token and secrets
# context paths that name the pull request's own code
HEAD_REFS = (
    "github.event.pull_request.head.",
    "github.event.pull_request.merge_commit_sha",
    "github.event.pull_request.number",
    "github.event.number",
    "github.head_ref",
    "github.event.workflow_run.head_",
    "github.event.workflow_run.pull_requests",
    "github.event.issue.number",
)
LABEL_ARRAYS = ("github.event.pull_request.labels.*.name", "github.event.issue.labels.*.name")
BUILTIN_PRIVILEGED = ("self-hosted", "gpu", "cuda", "nvidia", "rocm")
RUNNERS_CONFIG = Path(".ci") / "runners.yaml"


@dataclass(frozen=True)
class Finding:
    file: str
    job: str
    code: str  # CI1 ungated runner, CI2 pwn request, CI3 secrets/permissions, CI4 cannot follow
    message: str

    def as_text(self) -> str:
        return f"{self.file}: job {self.job!r}: {self.code} {self.message}"


@dataclass(frozen=True)
class Site:
    """What the site calls its privileged runners: exact labels/tags and substrings."""

    labels: frozenset[str] = frozenset()
    patterns: tuple[str, ...] = BUILTIN_PRIVILEGED

    def privileged(self, label: str) -> bool:
        low = label.strip().lower()
        return low in self.labels or any(p in low for p in self.patterns)


def load_site(root: Path) -> Site:
    """`.ci/runners.yaml` of `root` (labels: [...], patterns: [...]); built-in patterns without it."""
    path = root / RUNNERS_CONFIG
    if not path.is_file():
        return Site()
    data = parse_yaml(path.read_text(encoding="utf-8"), RUNNERS_CONFIG.as_posix(), path).data
    data = data if isinstance(data, dict) else {}
    labels = frozenset(str(x).lower() for x in data.get("labels") or [])
    patterns = tuple(dict.fromkeys([*BUILTIN_PRIVILEGED, *(str(x).lower() for x in data.get("patterns") or [])]))
    return Site(labels, patterns)


# --- GitHub -------------------------------------------------------------------------------


def _triggers(doc: dict[str, Any]) -> set[str]:
    on = doc.get("on", doc.get(True))  # type: ignore[call-overload]
    if isinstance(on, str):
        return {on}
    if isinstance(on, list):
        return {str(x) for x in on}
    return {str(x) for x in (on or {})}


def _runs_on_labels(job: dict[str, Any]) -> list[str]:
    runs_on = job.get("runs-on", [])
    if isinstance(runs_on, dict):
        runs_on = [*(runs_on.get("labels") or []), runs_on.get("group", "")]
    return [runs_on] if isinstance(runs_on, str) else [str(r) for r in runs_on]


def is_privileged_runner(job: dict[str, Any], site: Site | None = None) -> bool:
    site = site or Site()
    labels = _runs_on_labels(job)
    if any("${{" in label for label in labels):
        return True  # chosen at run time: treat as possibly privileged
    return any(site.privileged(label) for label in labels if label)


def _is_gate_atom(node: Node, fork_events: set[str]) -> bool:
    """A positive condition only a maintainer (or the base repository) can make true."""
    kind = node[0]
    if kind == "call" and node[1] == "contains" and len(node[2]) == 2:
        array, value = node[2]  # contains(github.event.pull_request.labels.*.name, 'safe-to-test')
        return array[0] == "ref" and array[1] in LABEL_ARRAYS and value[0] == "lit" and isinstance(value[1], str)
    if kind == "cmp" and node[1] in ("==", "!="):
        sides = {node[2], node[3]}
        paths = {n[1] for n in sides if n[0] == "ref"}
        literals = [n[1] for n in sides if n[0] == "lit"]
        if node[1] == "==" and paths == {"github.event.pull_request.head.repo.full_name", "github.repository"}:
            return True
        if paths == {"github.event.pull_request.head.repo.fork"} and literals:
            return (node[1] == "==" and literals[0] is False) or (node[1] == "!=" and literals[0] is True)
        if paths == {"github.event.label.name"} and node[1] == "==" and literals:
            return isinstance(literals[0], str)
        if paths == {"github.event_name"} and literals and isinstance(literals[0], str):
            # event == 'schedule' excludes the fork events; event != 'pull_request' excludes one
            if node[1] == "==":
                return literals[0] not in fork_events
            return fork_events <= {literals[0]}
    return False


def gated(node: Node, fork_events: set[str], negated: bool = False) -> bool:
    """Whether the condition holds only behind a maintainer gate, for every way it can be true."""
    kind = node[0]
    if kind == "not":
        return gated(node[1], fork_events, not negated)
    if kind in ("and", "or"):
        either = (kind == "and") != negated  # De Morgan: !(a || b) is !a && !b
        left, right = gated(node[1], fork_events, negated), gated(node[2], fork_events, negated)
        return left or right if either else left and right
    if negated:
        if node[0] == "ref" and node[1] == "github.event.pull_request.head.repo.fork":
            return True  # !github.event.pull_request.head.repo.fork
        if kind == "cmp" and node[1] in ("==", "!="):
            flipped = ("cmp", "!=" if node[1] == "==" else "==", node[2], node[3])
            return _is_gate_atom(flipped, fork_events)
        return False
    return _is_gate_atom(node, fork_events)


def is_gated(job: dict[str, Any], fork_events: set[str] | None = None, caller_if: str | None = None) -> bool:
    if job.get("environment"):
        return True  # an approval environment (required reviewers are set on the repository)
    events = FORK_TRIGGERS if fork_events is None else fork_events
    for condition in (job.get("if"), caller_if):
        if condition is None or condition == "":
            continue
        try:
            if gated(parse_github(str(condition)), events):
                return True
        except ParseError:
            continue
    return False


def _expression_refs(value: Any) -> set[str]:
    """Context paths referred to by every `${{ }}` inside `value` (walked recursively)."""
    found: set[str] = set()
    if isinstance(value, dict):
        for sub in value.values():
            found |= _expression_refs(sub)
    elif isinstance(value, list):
        for sub in value:
            found |= _expression_refs(sub)
    elif isinstance(value, str):
        for text in expressions_in(value):
            try:
                found |= refs(parse_github(text))
            except ParseError:
                found.add(text.strip())
    return found


def _names_head(paths: set[str]) -> bool:
    return any(path.startswith(HEAD_REFS) for path in paths)


def _head_env(*scopes: dict[str, Any]) -> set[str]:
    """Names of env variables set from the pull request's ref/sha."""
    names = set()
    for scope in scopes:
        for name, value in (scope.get("env") or {}).items() if isinstance(scope.get("env"), dict) else []:
            if _names_head(_expression_refs(value)):
                names.add(str(name))
    return names


def _shell_checks_out_head(script: str, head_vars: set[str]) -> bool:
    """`gh pr checkout`, or git fetch/checkout/switch/reset/pull of a pull ref or the head sha."""
    for line in script.replace("\\\n", " ").splitlines():
        for command in line.replace("&&", ";").replace("||", ";").split(";"):
            try:
                words = shlex.split(command, comments=True)
            except ValueError:
                words = command.split()
            if words[:3] == ["gh", "pr", "checkout"] or words[:3] == ["hub", "pr", "checkout"]:
                return True
            if len(words) >= 2 and words[0] == "git" and words[1] in ("fetch", "checkout", "switch", "reset", "pull"):
                for arg in words[2:]:
                    if "pull/" in arg or ("FETCH_HEAD" in arg and words[1] != "fetch"):
                        return True
                    if _names_head(_expression_refs(arg)):
                        return True
                    if any(f"${v}" in arg or f"${{{v}}}" in arg for v in head_vars):
                        return True
    return False


def _checks_out_head(step: dict[str, Any], head_vars: set[str]) -> bool:
    uses = str(step.get("uses", ""))
    if uses.split("@")[0] == "actions/checkout":
        options = step.get("with") or {}
        paths = _expression_refs({k: options.get(k) for k in ("ref", "repository")})
        literal = str(options.get("ref", ""))
        step_vars = head_vars | _head_env(step)
        return _names_head(paths) or literal.startswith("refs/pull/") or any(f"env.{v}" in paths for v in step_vars)
    if "run" in step:
        return _shell_checks_out_head(str(step["run"]), head_vars | _head_env(step))
    return False


@dataclass
class _Context:
    root: Path
    site: Site
    file: str
    seen: set[Path] = field(default_factory=set)


def audit_github_workflow(
    doc: dict[str, Any], file: str, root: Path | None = None, site: Site | None = None
) -> list[Finding]:
    ctx = _Context(root or Path("."), site or Site(), file)
    return _audit_jobs(doc, _triggers(doc), ctx, prefix="", caller_if=None, depth=0)


def _audit_jobs(
    doc: dict[str, Any], triggers: set[str], ctx: _Context, prefix: str, caller_if: str | None, depth: int
) -> list[Finding]:
    findings: list[Finding] = []
    fork_reachable = triggers & FORK_TRIGGERS
    privileged_events = triggers & PRIVILEGED_TRIGGERS
    jobs = doc.get("jobs") or {}
    for raw_name, job in jobs.items():
        if not isinstance(job, dict):
            continue
        name = f"{prefix}{raw_name}"
        if privileged_events:
            head_vars = _head_env(doc, job)
            for step in job.get("steps", []) or []:
                if isinstance(step, dict) and _checks_out_head(step, head_vars):
                    findings.append(
                        Finding(
                            ctx.file,
                            name,
                            "CI2",
                            f"{', '.join(sorted(privileged_events))} checks out the pull request's code: "
                            "untrusted code runs with the base repository's token and secrets",
                        )
                    )
                    break
        if "uses" in job:
            findings += _follow_reusable(job, name, triggers, ctx, caller_if, depth)
            continue
        if not is_privileged_runner(job, ctx.site):
            continue
        if fork_reachable and not is_gated(job, fork_reachable, caller_if):
            findings.append(
                Finding(
                    ctx.file,
                    name,
                    "CI1",
                    f"runs on a self-hosted/GPU runner and is triggered by "
                    f"{', '.join(sorted(fork_reachable))} without a maintainer "
                    "gate (environment approval, same-repo check or label)",
                )
            )
        permissions = job.get("permissions", doc.get("permissions"))
        if permissions not in ({}, "{}"):
            findings.append(Finding(ctx.file, name, "CI3", "a self-hosted/GPU job must declare `permissions: {}`"))
        if any(path.startswith("secrets.") or path == "secrets" for path in _expression_refs(job)):
            findings.append(Finding(ctx.file, name, "CI3", "a self-hosted/GPU job must not use secrets"))
    return findings


def _both(first: Any, second: Any) -> str | None:
    """Two `if:` conditions as one expression (a job runs only when both hold)."""
    parts = []
    for condition in (first, second):
        if condition is None or condition == "":
            continue
        try:
            parts.append(f"({strip_braces(str(condition))})")
        except ParseError:
            parts.append("(true)")  # a string mixed with ${{ }} is always true
    return " && ".join(parts) or None


def _follow_reusable(
    job: dict[str, Any], name: str, triggers: set[str], ctx: _Context, caller_if: str | None, depth: int
) -> list[Finding]:
    """The jobs of a called workflow, audited under the caller's triggers and gate."""
    uses = str(job["uses"])
    combined_text = _both(caller_if, job.get("if"))
    fork_reachable = triggers & FORK_TRIGGERS
    if not uses.startswith("./"):
        gate_ok = combined_text is not None and is_gated({"if": combined_text}, fork_reachable)
        if fork_reachable and not gate_ok:
            return [
                Finding(
                    ctx.file,
                    name,
                    "CI4",
                    f"calls {uses}, which cannot be audited here, from a workflow {', '.join(sorted(fork_reachable))} "
                    "triggers, without a maintainer gate",
                )
            ]
        return []
    path = (ctx.root / uses[2:].split("@")[0]).resolve()
    if depth > 4 or path in ctx.seen or not path.is_file():
        reason = "is missing" if not path.is_file() else "is called recursively"
        return [Finding(ctx.file, name, "CI4", f"reusable workflow {uses} {reason}")]
    loaded = parse_yaml(path.read_text(encoding="utf-8"), uses, path).data
    if not isinstance(loaded, dict):
        return [Finding(ctx.file, name, "CI4", f"reusable workflow {uses} cannot be read")]
    findings = []
    if job.get("secrets") == "inherit" and fork_reachable:
        findings.append(Finding(ctx.file, name, "CI3", f"passes every secret to {uses} (`secrets: inherit`)"))
    ctx.seen.add(path)
    findings += _audit_jobs(loaded, triggers, ctx, prefix=f"{name} → ", caller_if=combined_text, depth=depth + 1)
    ctx.seen.discard(path)
    return findings


# --- GitLab -------------------------------------------------------------------------------

GITLAB_KEYWORDS = {"default", "variables", "workflow", "stages", "include", "image", "services", "cache"}
GITLAB_PROTECTED = ("cmp", "==", ("var", "CI_COMMIT_REF_PROTECTED"), ("lit", "true"))


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """GitLab's `extends:` merge: mappings deep-merged, everything else (lists too) replaced."""
    out = copy.deepcopy(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def resolve_extends(doc: dict[str, Any], name: str, depth: int = 0) -> dict[str, Any]:
    """Job `name` with every template it `extends:` merged in (GitLab allows 11 levels)."""
    job = doc.get(name)
    if not isinstance(job, dict):
        return {}
    parents = job.get("extends") or []
    parents = [parents] if isinstance(parents, str) else list(parents)
    merged: dict[str, Any] = {}
    if depth < 11:
        for parent in parents:
            merged = _merge(merged, resolve_extends(doc, str(parent), depth + 1))
    return _merge(merged, {k: v for k, v in job.items() if k != "extends"})


def _local_includes(doc: dict[str, Any], root: Path) -> dict[str, Any]:
    """Templates from `include: local:` files, so `extends:` can reach them."""
    includes = doc.get("include") or []
    includes = [includes] if isinstance(includes, (str, dict)) else includes
    found: dict[str, Any] = {}
    for item in includes:
        local = item if isinstance(item, str) else (item.get("local") if isinstance(item, dict) else None)
        if not isinstance(local, str) or "://" in local:
            continue
        path = root / local.lstrip("/")
        if path.is_file():
            data = parse_yaml(path.read_text(encoding="utf-8"), local, path).data
            if isinstance(data, dict):
                found.update(data)
    return found


def _gitlab_privileged(job: dict[str, Any], site: Site) -> bool:
    tags = job.get("tags") or []
    tags = [tags] if isinstance(tags, str) else tags
    return "trigger" in job or any(site.privileged(str(t)) for t in tags)


def requires_protected(node: Node) -> bool:
    """Whether the GitLab condition can only be true on a protected ref."""
    kind = node[0]
    if kind == "and":
        return requires_protected(node[1]) or requires_protected(node[2])
    if kind == "or":
        return requires_protected(node[1]) and requires_protected(node[2])
    if kind == "cmp" and node[1] == "==":
        return {node[2], node[3]} == {GITLAB_PROTECTED[2], GITLAB_PROTECTED[3]}
    return False


def _excludes_unprotected(node: Node) -> bool:
    """A `when: never` rule that stops every unprotected pipeline: `$CI_COMMIT_REF_PROTECTED != "true"`."""
    if node[0] == "or":
        return _excludes_unprotected(node[1]) or _excludes_unprotected(node[2])
    if node[0] == "cmp":
        sides = {node[2], node[3]}
        var = ("var", "CI_COMMIT_REF_PROTECTED")
        return var in sides and (
            (node[1] == "!=" and ("lit", "true") in sides) or (node[1] == "==" and ("lit", "false") in sides)
        )
    return False


def audit_gitlab_ci(
    doc: dict[str, Any], file: str, root: Path | None = None, site: Site | None = None
) -> list[Finding]:
    site = site or Site()
    templates = {**_local_includes(doc, root or Path(".")), **doc}
    findings: list[Finding] = []
    for name, raw in doc.items():
        if not isinstance(raw, dict) or str(name).startswith(".") or name in GITLAB_KEYWORDS:
            continue
        job = resolve_extends(templates, str(name))
        if not _gitlab_privileged(job, site):
            continue
        findings += _gitlab_rules(job, str(name), file)
        if "secrets" in job:
            findings.append(Finding(file, str(name), "CI3", "a GPU job must not receive secrets"))
    return findings


def _gitlab_rules(job: dict[str, Any], name: str, file: str) -> list[Finding]:
    rules = job.get("rules")
    if rules is None:
        if job.get("when") == "never":
            return []
        how = "`only:`/`except:`" if ("only" in job or "except" in job) else "no rules"
        return [
            Finding(
                file,
                name,
                "CI1",
                f"GPU/trigger job with {how} can run on any ref; add rules requiring "
                '$CI_COMMIT_REF_PROTECTED == "true"',
            )
        ]
    findings = []
    protected_only = False  # set once a `when: never` rule has stopped every unprotected ref
    for rule in rules if isinstance(rules, list) else []:
        if not isinstance(rule, dict):
            continue
        condition = rule.get("if")
        try:
            tree = parse_gitlab(str(condition)) if condition is not None else None
        except ParseError:
            tree = None
            if rule.get("when") != "never":
                findings.append(Finding(file, name, "CI1", f"rule {condition!r} cannot be parsed; it is no gate"))
                continue
        if rule.get("when") == "never":
            if tree is not None and _excludes_unprotected(tree):
                protected_only = True
            continue
        if protected_only or (tree is not None and requires_protected(tree)):
            continue
        findings.append(
            Finding(
                file,
                name,
                "CI1",
                f"GPU/trigger job can run on an unprotected ref (rule {condition or 'always'!r} does not "
                'require $CI_COMMIT_REF_PROTECTED == "true")',
            )
        )
    return findings


# --- files --------------------------------------------------------------------------------


def audit_repository(root: Path, site: Site | None = None) -> list[Finding]:
    site = site or load_site(root)
    findings: list[Finding] = []
    workflows = root / ".github" / "workflows"
    for path in sorted([*workflows.glob("*.yml"), *workflows.glob("*.yaml")]) if workflows.is_dir() else []:
        findings += audit_file(path, root, site)
    gitlab = root / ".gitlab-ci.yml"
    if gitlab.is_file():
        findings += audit_file(gitlab, root, site)
    return findings


def audit_file(path: Path, root: Path, site: Site | None = None) -> list[Finding]:
    site = site or load_site(root)
    name = path.relative_to(root).as_posix() if path.is_relative_to(root) else path.as_posix()
    loaded = parse_yaml(path.read_text(encoding="utf-8"), name, path)
    if not isinstance(loaded.data, dict):
        return [Finding(name, "-", "CI0", "cannot be read: " + "; ".join(p.message for p in loaded.problems))]
    if path.name.startswith(".gitlab-ci") or "gitlab" in path.name:
        return audit_gitlab_ci(loaded.data, name, root, site)
    return audit_github_workflow(loaded.data, name, root, site)
