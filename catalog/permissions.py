"""Modes for what the tool writes: what the process's umask gives a plain `open` or `mkdir`.

`tempfile.mkstemp` and `mkdtemp` create 0600 files and 0700 folders whatever the umask, so a
site or store written through them would be unreadable to a web server running as another user.
"""

from __future__ import annotations

import os


def umask() -> int:
    mask = os.umask(0o022)  # reading the umask means setting it; put it straight back
    os.umask(mask)
    return mask


def file_mode() -> int:
    """0644 under umask 022."""
    return 0o666 & ~umask()


def dir_mode() -> int:
    """0755 under umask 022."""
    return 0o777 & ~umask()
