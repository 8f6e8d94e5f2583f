"""Replacing a file so that readers see the old content or the new, never a half-written one."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .permissions import file_mode


def write_text(path: Path, text: str, *, durable: bool = False) -> None:
    """Write `text` (UTF-8) to a unique temporary file beside `path`, then rename it over `path`.
    `durable`: flush it to disk first (for stores whose loss would lose history)."""
    write_bytes(path, text.encode("utf-8"), durable=durable)


def write_bytes(path: Path, data: bytes, *, durable: bool = False) -> None:
    """`write_text` for bytes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        os.fchmod(handle, file_mode())  # mkstemp's 0600 would hide the file from other users
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            if durable:
                out.flush()
                os.fsync(out.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
