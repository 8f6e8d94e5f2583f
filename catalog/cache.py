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

Entries are written atomically and read only if they are regular files (a symbolic link, a FIFO
or a device in their place is ignored); the MAC is checked on the raw bytes before anything parses
them. Any symbolic link under `.cache/` is the KB011 error (`tree.cache_problems`), which stops the
build before it writes a cache. (A link made *while* a build runs is written through: whoever can
write `.cache` during a build can already replace the site it writes; the next build refuses it.)
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import secrets
import stat
import tempfile
from pathlib import Path
from typing import Any

from .atomic_write import write_bytes

_MAC_BYTES = 64  # hex digits of an HMAC-SHA256


def cache_key() -> bytes:
    """The secret that authenticates cache entries: per user and machine, outside the repository
    (`$XDG_CACHE_HOME/mlinfn-catalog/cache.key`, 64 hex digits, a file of this user that nobody
    else may read or write, in a folder nobody else may write). A cache copied from elsewhere
    (another branch, a CI cache) does not verify, so it is rebuilt instead of trusted.

    `KB_CACHE_KEY` (64 hex digits) replaces the file where builds on fresh machines share a cache:
    a trusted deploy job gets it from a CI secret, which pull-request jobs never see. The key file
    appears whole or not at all (written aside, then linked into place), so no reader sees an empty
    key; a damaged one is replaced. Where no key can be kept safely (a read-only home, a folder
    another user controls), a key of this process is used: nothing cached is reused."""
    given = os.environ.get("KB_CACHE_KEY", "").strip()
    if given:
        return _parse_key(given.encode()) or _PROCESS_KEY
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "mlinfn-catalog"
    path = base / "cache.key"
    try:
        base.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not _private(os.lstat(base), folder=True):
            return _PROCESS_KEY
        key = _stored_key(path)
        if key is not None:
            return key
        handle, tmp = tempfile.mkstemp(prefix=".cache.key.", dir=base)  # mode 600
        try:
            with os.fdopen(handle, "w", encoding="ascii") as out:
                out.write(secrets.token_hex(KEY_BYTES))
            try:
                os.link(tmp, path)  # fails if another process stored its key first: that one is used
            except FileExistsError:
                if _stored_key(path) is None:
                    os.replace(tmp, path)  # a damaged key (empty, not hex, cut short, not private)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    except OSError:
        return _PROCESS_KEY
    return _stored_key(path) or _PROCESS_KEY


KEY_BYTES = 32
_PROCESS_KEY = secrets.token_bytes(KEY_BYTES)
MAX_ENTRY_BYTES = 256 * 1024 * 1024  # an entry larger than this is not read (parsed.json: ~3 kB a record)


def _private(info: os.stat_result, *, folder: bool = False) -> bool:
    """Owned by this user; a folder nobody else may write, a file nobody else may read or write."""
    others = 0o022 if folder else 0o077
    return info.st_uid == os.geteuid() and not info.st_mode & others


def _stored_key(path: Path) -> bytes | None:
    data = read_regular_file(path, 1024, private=True)
    return _parse_key(data) if data is not None else None


def _parse_key(text: bytes) -> bytes | None:
    text = text.strip()
    if len(text) != 2 * KEY_BYTES:
        return None
    try:
        return bytes.fromhex(text.decode("ascii"))
    except ValueError:
        return None


def read_regular_file(path: Path, limit: int = MAX_ENTRY_BYTES, *, private: bool = False) -> bytes | None:
    """The bytes of `path` if it is a regular file of at most `limit` bytes (and, with `private`,
    this user's and closed to others), else None: a link is not followed, and a FIFO or device is
    not opened for reading (it could block the build)."""
    try:
        handle = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        info = os.fstat(handle)
        if not stat.S_ISREG(info.st_mode) or info.st_size > limit or (private and not _private(info)):
            return None
        with os.fdopen(os.dup(handle), "rb") as source:
            data = source.read(limit + 1)
        return data if len(data) <= limit else None
    except OSError:
        return None
    finally:
        os.close(handle)


def mac(key: bytes, payload: bytes) -> str:
    return hmac.new(key, payload, hashlib.sha256).hexdigest()


def read_blob(path: Path, key: bytes) -> bytes | None:
    """Bytes written by `write_blob` with the same key, or None. The MAC is checked on the raw
    bytes before anything parses them."""
    data = read_regular_file(path)
    if data is None:
        return None
    tag, payload = data[:_MAC_BYTES], data[_MAC_BYTES:]
    return payload if hmac.compare_digest(tag, mac(key, payload).encode()) else None


def write_blob(path: Path, key: bytes, payload: bytes) -> None:
    """Store `payload` signed; a cache that cannot be written (read-only checkout, full disk, a
    file in the way) is simply not kept."""
    with contextlib.suppress(OSError):
        write_bytes(path, mac(key, payload).encode() + payload)


def read_entry(path: Path, key: bytes) -> dict[str, Any] | None:
    """A JSON entry written by `write_entry` with the same key, or None."""
    payload = read_blob(path, key)
    if payload is None:
        return None
    try:
        entry = json.loads(payload)
    except (ValueError, RecursionError):
        return None
    return entry if isinstance(entry, dict) else None


def write_entry(path: Path, key: bytes, entry: dict[str, Any]) -> None:
    write_blob(path, key, json.dumps(entry, ensure_ascii=False).encode())


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
