"""What a pull request touched: files changed against a git base, and the records their rules involve."""

from __future__ import annotations

import subprocess
from pathlib import Path, PurePosixPath

from .errors import UsageError
from .model import REFERENCE_FIELDS, Catalog


def _git(root: Path, *args: str) -> list[str]:
    try:
        done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=True)
    except FileNotFoundError as exc:
        raise UsageError("git is not installed") from exc
    except subprocess.CalledProcessError as exc:
        raise UsageError(f"git {' '.join(args)} failed: {exc.stderr.strip()}") from exc
    return [line for line in done.stdout.splitlines() if line]


def changed_files(root: Path, base: str) -> set[str]:
    """Paths (relative to `root`) added, modified or deleted since the merge base with `base`,
    including uncommitted and untracked files."""
    top = Path(_git(root, "rev-parse", "--show-toplevel")[0])
    merge_base = _git(root, "merge-base", base, "HEAD")[0]
    names = set(_git(root, "diff", "--name-only", merge_base))
    names |= set(_git(root, "ls-files", "--others", "--exclude-standard", "--full-name"))
    prefix = root.resolve().relative_to(top.resolve())
    out = set()
    for name in names:
        path = PurePosixPath(name)
        if prefix != Path(".") and not path.is_relative_to(prefix.as_posix()):
            continue
        out.add(path.relative_to(prefix.as_posix()).as_posix() if prefix != Path(".") else name)
    return out


def record_key(relative: str) -> tuple[str, str] | None:
    """(kind, id) that a catalog file belongs to, from its path alone (works for deleted files)."""
    parts = PurePosixPath(relative).parts
    if len(parts) >= 2 and parts[0] == "usecases":
        return ("usecase", parts[1])
    if len(parts) == 2 and parts[0] == "datasets" and parts[1].endswith(".yaml"):
        return ("dataset", parts[1][: -len(".yaml")])
    if len(parts) == 3 and parts[0] == "seminars" and parts[2].endswith(".yaml"):
        return ("seminar", parts[2][: -len(".yaml")])
    if len(parts) == 2 and parts[0] == "events" and parts[1].endswith(".yaml"):
        return ("event", parts[1][: -len(".yaml")])
    return None


def referrers_of_changed(catalog: Catalog, changed: set[str]) -> set[str]:
    """Record files whose checks a change can affect: the changed records (a notebook's change
    counts for its use case) and every record that references a changed or deleted one."""
    keys = {key for key in map(record_key, changed) if key}
    files = set()
    for record in catalog.all_records():
        if (record.kind, record.id) in keys:
            files.add(record.file)
            continue
        for field_name, kind in REFERENCE_FIELDS[record.kind].items():
            targets = record.data.get(field_name)
            if isinstance(targets, list) and any((kind, t) in keys for t in targets if isinstance(t, str)):
                files.add(record.file)
    return files
