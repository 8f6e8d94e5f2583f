"""The build's caches under `.cache/` (catalog/cache.py) are used only when this machine's key
signed them: a forged entry, or one signed elsewhere (a restored CI cache), is rebuilt from the
source. Each forgery is also signed with the right key once, to show that the signature is the only
thing keeping it out (so the tests can fail)."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import marshal
import os
import pickle
import re
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import jinja2
import pytest

from catalog.cache import ParsedRecords, cache_key
from catalog.loader import PARSER_VERSION
from catalog.validate import load_catalog

from .conftest import FIXTURES, REPO, build, copy_site_fixture
from .test_site_build import html_pages

pytestmark = pytest.mark.slow


@pytest.fixture
def own_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> bytes:
    """A cache key of this test only (builds run as subprocesses and inherit the variable)."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "home-cache"))
    return cache_key()


def site_text(site: Path) -> str:
    return "\n".join(page.read_text(encoding="utf-8") for page in html_pages(site))


def signed(key: bytes, payload: str) -> bytes:
    """An entry as `cache.write_entry` stores it: the hex MAC, then the payload."""
    return hmac.new(key, payload.encode(), hashlib.sha256).hexdigest().encode() + payload.encode()


def entry_of(path: Path) -> dict:
    return json.loads(path.read_bytes()[64:])


def test_forged_parsed_records_are_parsed_again(tmp_path: Path, own_key: bytes) -> None:
    root = tmp_path / "kb"
    config = copy_site_fixture(root)
    assert build(config, root / "site").returncode == 0
    parsed = root / ".cache" / "kb-records" / "parsed.json"
    entry = entry_of(parsed)
    digest = ParsedRecords.digest((root / "datasets" / "jets.yaml").read_text(encoding="utf-8"))
    assert entry["parser"] == PARSER_VERSION and digest in entry["records"]
    forged_record = {**json.loads(entry["records"][digest]), "title": "FORGED-TITLE"}
    forged = json.dumps({**entry, "records": {**entry["records"], digest: json.dumps(forged_record)}})

    for key in (b"\0" * 32, secrets.token_bytes(32)):  # a made-up MAC, another machine's key
        parsed.write_bytes(signed(key, forged))
        done = build(config, root / "site")
        assert done.returncode == 0, done.stdout + done.stderr
        text = site_text(root / "site")
        assert "FORGED-TITLE" not in text and "Simulated jets" in text

    parsed.write_bytes(signed(own_key, forged))
    assert build(config, root / "site").returncode == 0
    assert "FORGED-TITLE" in site_text(root / "site")  # signed with this machine's key: used


def test_a_record_with_a_problem_is_parsed_and_reported_on_every_build(tmp_path: Path, own_key: bytes) -> None:
    root = tmp_path / "kb"
    copy_site_fixture(root)
    record = root / "datasets" / "jets.yaml"
    record.write_text(record.read_text() + "title: Simulated jets again\n")  # a duplicate key: KB003
    cache = root / ".cache" / "kb-records"
    first, second = load_catalog(root, cache=cache), load_catalog(root, cache=cache)
    assert first.problems == second.problems
    assert any(p.code == "KB003" and p.file == "datasets/jets.yaml" and p.line for p in second.problems)
    entry = entry_of(cache / "parsed.json")
    assert ParsedRecords.digest(record.read_text()) not in entry["records"]
    assert len(entry["records"]) == sum(len(records) for records in first.records.values()) - 1


def test_cached_parses_give_the_same_catalog_as_parsing(tmp_path: Path, own_key: bytes) -> None:
    """Over the shipped catalog: every record's data and every problem, parsed vs from the cache."""
    cache = tmp_path / "kb-records"
    parsed = load_catalog(REPO)
    load_catalog(REPO, cache=cache)  # fills the cache
    cached = load_catalog(REPO, cache=cache)
    assert sum(len(records) for records in cached.records.values()) > 20
    for kind, records in parsed.records.items():
        assert {i: r.data for i, r in records.items()} == {i: r.data for i, r in cached.records[kind].items()}
        assert {i: r.value for i, r in records.items()} == {i: r.value for i, r in cached.records[kind].items()}
    assert parsed.problems == cached.problems


def _forged_template(payload: bytes) -> bytes:
    """Jinja bytecode that passes Jinja's own checks (magic, the source's checksum) for the
    template `payload` was compiled from, but renders FORGED-TEMPLATE."""
    stream = io.BytesIO(payload)
    assert stream.read(len(jinja2.bccache.bc_magic)) == jinja2.bccache.bc_magic
    checksum = pickle.load(stream)
    code = jinja2.Environment().compile("FORGED-TEMPLATE", "forged.html")
    out = io.BytesIO()
    out.write(jinja2.bccache.bc_magic)
    pickle.dump(checksum, out, 2)
    marshal.dump(code, out)
    return out.getvalue()


def test_forged_compiled_templates_are_not_loaded(tmp_path: Path, own_key: bytes) -> None:
    root = tmp_path / "kb"
    config = copy_site_fixture(root, FIXTURES / "site")
    assert build(config, root / "site").returncode == 0
    entries = list((root / ".cache" / "kb-templates").glob("*.bin"))
    assert len(entries) > 10  # Material's templates and partials

    def forge(key: bytes) -> None:
        for entry in entries:
            forged = _forged_template(entry.read_bytes()[64:])
            entry.write_bytes(hmac.new(key, forged, hashlib.sha256).hexdigest().encode() + forged)

    forge(secrets.token_bytes(32))
    done = build(config, root / "site")
    assert done.returncode == 0, done.stdout + done.stderr
    text = site_text(root / "site")
    assert "FORGED-TEMPLATE" not in text and "Simulated jets" in text

    forge(own_key)
    assert build(config, root / "site").returncode == 0
    assert "FORGED-TEMPLATE" in site_text(root / "site")  # signed with this machine's key: loaded


def test_a_cache_that_cannot_be_written_is_not_kept(tmp_path: Path, own_key: bytes) -> None:
    root = tmp_path / "kb"
    shutil.copytree(FIXTURES / "site", root)
    blocked = root / ".cache"
    blocked.write_text("not a folder")
    catalog = load_catalog(root, cache=blocked / "kb-records")  # reading and mkdir fail: no traceback
    assert catalog.records["dataset"]["jets"].value.title == "Simulated jets"
    assert blocked.read_text() == "not a folder"


def test_a_linked_cache_folder_stops_the_build_and_nothing_is_written_where_it_points(
    tmp_path: Path, own_key: bytes
) -> None:
    root = tmp_path / "kb"
    config = copy_site_fixture(root)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (root / ".cache").symlink_to(elsewhere)
    done = build(config, root / "site")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert ".cache" in done.stdout + done.stderr and "KB011" in done.stdout + done.stderr
    assert list(elsewhere.iterdir()) == []
    catalog = load_catalog(root, cache=root / ".cache" / "kb-records")  # the loader alone, too
    assert any(p.code == "KB011" and p.file == ".cache" for p in catalog.problems)
    assert list(elsewhere.iterdir()) == []


def test_garbage_fifos_and_links_in_the_cache_neither_crash_nor_hang_the_build(tmp_path: Path, own_key: bytes) -> None:
    """Unsigned entries are not parsed (a deeply nested one crashed the JSON reader); a FIFO is
    not opened (reading it blocked the build); a link anywhere under .cache is KB011."""
    root = tmp_path / "kb"
    config = copy_site_fixture(root)
    assert build(config, root / "site").returncode == 0
    cache = root / ".cache"
    (cache / "kb-records" / "parsed.json").write_text("[" * 100_000)
    for page in (cache / "kb-notebooks" / "pages").glob("*.json"):
        page.write_text('{"a":' * 100_000)
    template = next((cache / "kb-templates").glob("*.bin"))
    template.unlink()
    os.mkfifo(template)
    done = build(config, root / "site")  # subprocess: a hang would fail the suite's timeout
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    assert "Simulated jets" in site_text(root / "site")
    (cache / "kb-records" / "parsed.json").unlink()
    os.mkfifo(cache / "kb-records" / "parsed.json")
    assert build(config, root / "site").returncode == 0

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    shutil.rmtree(cache / "kb-templates")
    (cache / "kb-templates").symlink_to(elsewhere)
    done = build(config, root / "site")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert ".cache/kb-templates" in done.stdout + done.stderr and "KB011" in done.stdout + done.stderr
    assert list(elsewhere.iterdir()) == []


def test_a_cache_folder_that_is_a_file_still_builds(tmp_path: Path, own_key: bytes) -> None:
    root = tmp_path / "kb"
    config = copy_site_fixture(root)
    (root / ".cache").write_text("not a folder")  # nothing can be cached: the build converts aside
    done = build(config, root / "site")
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    assert "Simulated jets" in site_text(root / "site")
    assert len(list((root / "site" / "usecases").rglob("notebooks/*/index.html"))) >= 2


@pytest.mark.parametrize("stored", ["", "zz", "ab" * 16])
def test_a_damaged_key_file_is_replaced_not_used(stored: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An empty key (a crash between creating and writing the file) would let anyone sign entries."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "home-cache"))
    path = tmp_path / "home-cache" / "mlinfn-catalog" / "cache.key"
    path.parent.mkdir(parents=True)
    path.write_text(stored)
    key = cache_key()
    assert len(key) == 32 and path.read_text().strip() == key.hex() and cache_key() == key


def test_an_integer_too_long_for_python_is_a_problem(tmp_path: Path, run_cli) -> None:
    root = tmp_path / "kb"
    shutil.copytree(FIXTURES / "site", root)
    record = root / "datasets" / "jets.yaml"
    record.write_text(record.read_text() + "big_number: " + "9" * 5000 + "\n")
    code, out, err = run_cli("validate", "--root", str(root))
    assert code == 1 and "Traceback" not in err
    assert "datasets/jets.yaml:" in out and "KB012" in out and "5,000 digits" in out


def test_the_calendar_does_not_depend_on_hash_order(tmp_path: Path) -> None:
    """Several time zones: their VTIMEZONEs come in one order whatever PYTHONHASHSEED is."""
    script = (
        "import datetime as dt, sys; from catalog import load_catalog; from catalog.exports.ical import seminars_ics; "
        "now = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc); "
        f"sys.stdout.buffer.write(seminars_ics(load_catalog({str(FIXTURES / 'site')!r}), now=now))"
    )
    outputs = set()
    for seed in ("1", "2", "3", "4", "5", "6"):
        done = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, env={**os.environ, "PYTHONHASHSEED": seed}, check=True
        )
        outputs.add(done.stdout)
    assert len(outputs) == 1
    assert len(set(re.findall(rb"TZID:([^\r]+)", outputs.pop()))) >= 2


def test_a_planted_display_copy_is_neither_decoded_nor_read_whole(tmp_path: Path, own_key: bytes) -> None:
    """The converter's input copies are compared as bounded bytes: a non-UTF-8 one gave a
    traceback, a huge sparse one was read whole into memory."""
    root = tmp_path / "kb"
    config = copy_site_fixture(root)
    assert build(config, root / "site").returncode == 0
    copies = sorted((root / ".cache" / "kb-notebooks" / "display").rglob("*.ipynb"))
    assert len(copies) >= 2
    copies[0].write_bytes(b"\xff\xfe not UTF-8")
    with copies[1].open("wb") as sparse:
        sparse.truncate(4 * 1024**3)  # 4 GiB, no disk used
    done = build(config, root / "site")
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    assert copies[1].stat().st_size < 1024**2 and copies[0].read_bytes().startswith(b"{")


def test_a_key_another_user_could_know_is_not_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "home-cache"))
    folder = tmp_path / "home-cache" / "mlinfn-catalog"
    folder.mkdir(parents=True)
    known = "cd" * 32
    (folder / "cache.key").write_text(known)
    (folder / "cache.key").chmod(0o644)  # readable by others: replaced
    assert cache_key().hex() != known and (folder / "cache.key").stat().st_mode & 0o077 == 0
    (folder / "cache.key").write_text(known)
    (folder / "cache.key").chmod(0o600)
    assert cache_key().hex() == known
    folder.chmod(0o777)  # a folder others may write: they could swap the key; not used
    assert cache_key().hex() != known and cache_key() == cache_key()
    folder.chmod(0o700)
    monkeypatch.setenv("KB_CACHE_KEY", "ef" * 32)  # a CI secret shared by the trusted job's runners
    assert cache_key() == bytes.fromhex("ef" * 32)
    monkeypatch.setenv("KB_CACHE_KEY", "not a key")
    assert cache_key() not in (bytes.fromhex("ef" * 32), bytes.fromhex(known))
