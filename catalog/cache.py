"""Build caches that are never trusted: every entry carries a MAC made with a secret key kept
outside the repository, and an entry whose MAC does not verify (forged, committed, restored from
another machine's CI cache, truncated) is ignored and rebuilt from the source.

What is cached, all under the site's `.cache/` folder (ignored by git; a committed one is the
KB011 error):

- `kb-notebooks/`: converted notebook pages (`render/notebooks.py`);
- `kb-records/`: the parsed YAML of record files, by the hash of their text (`ParsedRecords`);
  schema, rules and rendering still run on every build;
- `kb-templates/`: the theme's compiled Jinja templates (`site_plugin.TemplateBytecode`); Jinja
  itself also checks each entry against its template's source.

Entries are written atomically; a symbolic link in place of an entry is never read.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import secrets
from pathlib import Path
from typing import Any

from .atomic_write import write_bytes, write_text

_MAC_BYTES = 64  # hex digits of an HMAC-SHA256


def cache_key() -> bytes:
    """The secret that authenticates cache entries: per user and machine, outside the repository
    (`$XDG_CACHE_HOME/mlinfn-catalog/cache.key`, mode 600). A cache copied from elsewhere (another
    branch, a CI cache) does not verify, so it is rebuilt instead of trusted. Where the key cannot
    be stored (a read-only home), a key of this process is used: nothing cached is reused."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "mlinfn-catalog"
    path = base / "cache.key"
    try:
        return bytes.fromhex(path.read_text(encoding="ascii").strip())
    except (OSError, ValueError):
        pass
    key = secrets.token_hex(32)
    try:
        base.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return bytes.fromhex(path.read_text(encoding="ascii").strip())
    except OSError:
        return _PROCESS_KEY
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key)
    return bytes.fromhex(key)


_PROCESS_KEY = secrets.token_bytes(32)


def mac(key: bytes, payload: bytes) -> str:
    return hmac.new(key, payload, hashlib.sha256).hexdigest()


def read_entry(path: Path, key: bytes) -> dict[str, Any] | None:
    """A JSON entry written by `write_entry` with the same key, or None."""
    try:
        if path.is_symlink():
            return None
        wrapper = json.loads(path.read_text(encoding="utf-8"))
        payload = wrapper["payload"]
        if not isinstance(payload, str) or not hmac.compare_digest(mac(key, payload.encode()), str(wrapper["mac"])):
            return None
        entry = json.loads(payload)
        return entry if isinstance(entry, dict) else None
    except (OSError, ValueError, KeyError, TypeError):
        return None


def write_entry(path: Path, key: bytes, entry: dict[str, Any]) -> None:
    """Store `entry` signed; a cache that cannot be written (read-only checkout, full disk) is
    simply not kept."""
    payload = json.dumps(entry, ensure_ascii=False)
    with contextlib.suppress(OSError):
        write_text(path, json.dumps({"mac": mac(key, payload.encode()), "payload": payload}, ensure_ascii=False))


def read_blob(path: Path, key: bytes) -> bytes | None:
    """Bytes written by `write_blob` with the same key, or None."""
    try:
        if path.is_symlink():
            return None
        data = path.read_bytes()
    except OSError:
        return None
    tag, payload = data[:_MAC_BYTES], data[_MAC_BYTES:]
    return payload if hmac.compare_digest(tag, mac(key, payload).encode()) else None


def write_blob(path: Path, key: bytes, payload: bytes) -> None:
    """Store `payload` signed, if the cache can be written (see `write_entry`)."""
    with contextlib.suppress(OSError):
        write_bytes(path, mac(key, payload).encode() + payload)


def linkless_folder(root: Path, folder: Path) -> bool:
    """Whether `folder` is under `root` with no symbolic link on the way (a linked `.cache` would
    send the cache's reads and writes elsewhere)."""
    try:
        parts = folder.relative_to(root).parts
    except ValueError:
        return False
    current = root
    for part in parts:
        current = current / part
        if current.is_symlink():
            return False
    return True


class ParsedRecords:
    """Parsed record YAML by the SHA-256 of the file's text, for one parser version: one
    authenticated file, read once per build and written back only when its set of entries changed.

    Only files that parsed without any problem are kept, so a file with a problem is parsed (and
    its problem reported with its position) on every build. Each entry is kept as its own JSON
    text, so what a build later does with the data it was given never reaches the cache."""

    def __init__(self, folder: Path, parser: str) -> None:
        self.path = folder / "parsed.json"
        self.key = cache_key()
        self.parser = parser
        entry = read_entry(self.path, self.key)
        records = entry.get("records") if entry is not None and entry.get("parser") == parser else None
        self._old: dict[str, str] = records if isinstance(records, dict) else {}
        self._new: dict[str, str] = {}

    @staticmethod
    def digest(text: str) -> str:
        return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()

    def get(self, digest: str) -> Any:
        """A fresh copy of the data parsed from text with this digest, or None."""
        text = self._old.get(digest)
        if not isinstance(text, str):
            return None
        self._new[digest] = text  # still in use: kept for the next build
        return json.loads(text)

    def put(self, digest: str, data: Any) -> None:
        self._new[digest] = json.dumps(data, ensure_ascii=False)

    def save(self) -> None:
        """Write this build's entries (files that are gone are forgotten), if the set changed."""
        if self._new.keys() != self._old.keys():
            write_entry(self.path, self.key, {"parser": self.parser, "records": self._new})
            self._old = dict(self._new)
