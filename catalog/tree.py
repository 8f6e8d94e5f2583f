"""What the site may read from the repository: no symbolic links, no committed caches.

A link under `docs/` or a record folder would publish whatever it points at (`/proc/self/environ`,
a key file); a committed `.cache/` could plant build output. Both are problems for `catalog
validate` (so pull requests fail on them) and stop the build, which loads the catalog first.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from .problems import Problem, relative_name

PUBLISHED_FOLDERS = ("docs", "usecases", "datasets", "seminars", "events", "overrides")
CACHE_FOLDER = ".cache"


def symlink_problems(root: Path, folders: tuple[Path, ...] | None = None) -> list[Problem]:
    """Every symbolic link (to a file or a folder) under the folders the site reads: the catalog's,
    or those given (such as a site's `docs_dir` kept outside the catalog)."""
    problems = []
    for top in [root / folder for folder in PUBLISHED_FOLDERS] if folders is None else folders:
        if top.is_symlink():
            problems.append(_link(top, root))
            continue
        for base, dirs, files in os.walk(top, followlinks=False):
            for name in sorted(dirs + files):
                path = Path(base, name)
                if path.is_symlink():
                    problems.append(_link(path, root))
    return problems


def _link(path: Path, root: Path) -> Problem:
    return Problem(
        "KB010",
        "symbolic links are not allowed where the site reads files (it would publish what the link points at)",
        relative_name(path, root),
        hint="commit the file itself, or remove the link",
    )


def cache_problems(root: Path, files: set[str] | None = None) -> list[Problem]:
    """Files under `.cache/` that are committed (or, with `files`, among those given), and any
    symbolic link in `.cache` or under it (the build would read and write its caches where it
    points; a restored CI cache can bring one)."""
    if files is None:
        links = _links_under(root / CACHE_FOLDER)
        if links:
            return [
                Problem(
                    "KB011",
                    "a symbolic link in the build cache: the build would read and write its caches where it points",
                    relative_name(link, root),
                    hint=f"delete the cache (rm -r {CACHE_FOLDER}); the build makes it again",
                )
                for link in links
            ]
        # a committed file is checked out: without the folder there is nothing to ask git about
        files = set(_tracked(root, CACHE_FOLDER)) if (root / CACHE_FOLDER).exists() else set()
    return [
        Problem(
            "KB011",
            "build caches must not be committed: the build would read them",
            name,
            hint=f"git rm --cached {name} (the {CACHE_FOLDER}/ folder is ignored on purpose)",
        )
        for name in sorted(files)
        if name == CACHE_FOLDER or name.startswith(CACHE_FOLDER + "/")
    ]


def _links_under(top: Path) -> list[Path]:
    """Symbolic links at or under `top` (one `scandir` per folder: the cache holds a file per notebook)."""
    if top.is_symlink():
        return [top]
    found, folders = [], [top]
    while folders:
        try:
            entries = list(os.scandir(folders.pop()))
        except OSError:
            continue
        for entry in entries:
            if entry.is_symlink():
                found.append(Path(entry.path))
            elif entry.is_dir(follow_symlinks=False):
                folders.append(Path(entry.path))
    return sorted(found)


def _tracked(root: Path, folder: str) -> list[str]:
    try:
        done = subprocess.run(
            ["git", "ls-files", "-z", "--", folder], cwd=root, capture_output=True, text=True, check=False
        )
    except OSError:
        return []
    return [name for name in done.stdout.split("\0") if name] if done.returncode == 0 else []
