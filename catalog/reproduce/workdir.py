"""The one working folder a use case's notebooks share while `catalog reproduce` runs them.

Policy (`scratch-copy`): before the first notebook of a use case runs, its folder is copied to a
new temporary folder outside the repository (`$TMPDIR/kb-workdir-<id>-*/<folder name>`). The
notebooks then run there one after the other, in their declared order, each with its own folder
in the copy as working directory, so a later notebook reads what an earlier one wrote and nothing
is written into the repository (`pip.log`, CSV files, checkpoints). The copy is removed when the
use case is done, whatever the verdicts; each verdict keeps what is needed to understand a failure
instead (its place in the order, what ran before it, which files each notebook wrote).

Symbolic links are not copied (validation refuses them anyway, KB010): a link would let a
notebook read or write through it, outside the copy. Each notebook is written into the copy from
the very bytes the runner read (`Notebook.raw`), so what runs is what was fingerprinted.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

POLICY = "scratch-copy"
LITTER = {"__pycache__", ".ipynb_checkpoints", ".pytest_cache"}
MAX_LISTED = 10_000  # files looked at when telling what a notebook wrote

Listing = dict[str, tuple[int, int]]  # relative path → (size, mtime in ns)


def _not_copied(folder: str, names: list[str]) -> set[str]:
    return {name for name in names if name in LITTER or os.path.islink(os.path.join(folder, name))}


@dataclass
class WorkingFolder:
    path: Path  # the copy of the use case folder: notebooks run in its subfolders
    base: Path  # the temporary folder that holds it (what `remove` deletes)

    @classmethod
    def create(cls, usecase_id: str, source: Path) -> WorkingFolder:
        base = Path(tempfile.mkdtemp(prefix=f"kb-workdir-{usecase_id}-"))
        target = base / source.name
        try:
            shutil.copytree(source, target, symlinks=True, ignore=_not_copied)
        except BaseException:
            shutil.rmtree(base, ignore_errors=True)
            raise
        return cls(target, base)

    def place(self, relative: str, raw: bytes) -> Path:
        """The notebook at `relative` in the copy, written from the bytes the runner read."""
        notebook = self.path / relative
        if not (notebook.is_file() and not notebook.is_symlink() and notebook.read_bytes() == raw):
            notebook.unlink(missing_ok=True)
            notebook.parent.mkdir(parents=True, exist_ok=True)
            notebook.write_bytes(raw)
        return notebook

    def listing(self) -> Listing:
        found: Listing = {}
        for folder, dirs, files in os.walk(self.path, followlinks=False):
            dirs[:] = sorted(d for d in dirs if d not in LITTER)
            for name in sorted(files):
                full = os.path.join(folder, name)
                try:
                    info = os.lstat(full)
                except OSError:
                    continue
                found[Path(full).relative_to(self.path).as_posix()] = (info.st_size, info.st_mtime_ns)
                if len(found) >= MAX_LISTED:
                    return found
        return found

    def remove(self) -> None:
        shutil.rmtree(self.base, ignore_errors=True)


def written(before: Listing, after: Listing) -> list[str]:
    """Files created or changed between two listings (relative to the use case folder)."""
    return sorted(name for name, state in after.items() if before.get(name) != state)
