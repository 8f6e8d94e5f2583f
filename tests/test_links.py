"""The link checker against a real HTTP server on 127.0.0.1 (THREATS 14)."""

from __future__ import annotations

import json
import shutil
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests.adapters

from catalog import load_catalog, netguard
from catalog.http import HttpPolicy
from catalog.links import LinkCheck, check_urls, record_urls, update_history, verdict
from catalog.problems import CODES

from .conftest import FIXTURES
from .httpfixture import self_signed, serve

POLICY = HttpPolicy(connect_timeout=1, read_timeout=1, retries=2, backoff=0.05, max_retry_after=60, budget=6)


def test_states_of_a_misbehaving_web_within_budget() -> None:
    with serve() as (base, log):
        paths = ["/ok", "/limited", "/slow", "/loop/0", "/forbidden", "/missing", "/no-head", "/flaky"]
        started = time.monotonic()
        checks = {c.url.removeprefix(base): c for c in check_urls([base + p for p in paths], POLICY)}
        elapsed = time.monotonic() - started
    assert elapsed < 15  # a Retry-After of a day does not hold the run
    assert checks["/ok"].state == "ok" and checks["/ok"].status == 200
    assert checks["/limited"].state == "rate-limited" and "86400" in checks["/limited"].detail
    assert checks["/slow"].state == "timeout"
    assert checks["/loop/0"].state == "redirect-loop"
    assert checks["/forbidden"].state == "blocked"
    assert checks["/missing"].state == "broken" and checks["/missing"].status == 404
    assert checks["/no-head"].state == "ok"  # HEAD refused, GET used
    assert checks["/flaky"].state == "broken"
    assert sum(1 for line in log if line.endswith("/flaky")) >= 3  # retried with backoff first
    assert not any(line.startswith("GET /loop/12") for line in log)  # redirects are bounded


def test_broken_only_after_repeated_failures() -> None:
    url = "https://example.invalid/x"

    def run(state: str, day: int) -> LinkCheck:
        return LinkCheck(url, state, None, "", 0.1, f"2026-11-{day:02d}T00:00:00Z")

    history: dict = {}
    history = update_history(history, [run("broken", 1)])
    assert verdict(history[url]).startswith("failing")
    history = update_history(history, [run("timeout", 2)])
    assert verdict(history[url]).startswith("failing")
    history = update_history(history, [run("broken", 3)])
    assert verdict(history[url]) == "broken"
    history = update_history(history, [run("ok", 4)])
    assert verdict(history[url]) == "ok"
    for day in range(5, 9):
        history = update_history(history, [run("rate-limited", day)])
    assert verdict(history[url]) == "rate-limited"  # never broken for being rate-limited


def test_every_url_of_a_record_is_collected() -> None:
    catalog = load_catalog(FIXTURES / "site")
    urls = {u.url: u.path for u in record_urls(catalog.datasets["jets"])}
    assert urls == {
        "https://doi.org/10.5281/zenodo.0000001": "$.doi",
        "https://example.org/jets": "$.landing_page",
        "https://example.org/jets/train.h5": "$.files[0].url",
    }
    gnn = {u.url for u in record_urls(catalog.usecases["jet-gnn"])}
    assert "https://arxiv.org/abs/1810.05165" in gnn and "https://doi.org/10.1007/JHEP01(2019)121" in gnn


def test_links_list_command(run_cli) -> None:
    code, out, _ = run_cli("links", "--root", str(FIXTURES / "site"), "--list")
    assert code == 0 and "https://example.org/jets/train.h5  (datasets/jets.yaml $.files[0].url)" in out


def test_verify_files_skips_what_it_cannot_check(tmp_path) -> None:
    from catalog.links import verify_files

    catalog = load_catalog(FIXTURES / "site")
    checks = verify_files(catalog, tmp_path, max_bytes=1000, policy=POLICY)
    by_name = {(c.dataset, c.name): c for c in checks}
    assert by_name[("jets", "train.h5")].state == "skipped"  # 2048 bytes > cap: no request made
    assert by_name[("xss-data", "evil.csv")].state == "skipped"  # no URL, no checksum


# --- link results are Problems (KB3xx), printed by the shared formatters -------------------------

LINKED = FIXTURES / "links"
FILES, INSIDE = "files.example.org", "inside.example.org"  # both resolve to 127.0.0.1 in these tests


@dataclass
class Web:
    files: str  # https://files.example.org:PORT, served on 127.0.0.1 (TLS, trusted for the test)
    inside: str  # https://inside.example.org:PORT, a loopback port the outbound guard refuses
    log: list[str]
    inside_log: list[str]


@pytest.fixture
def web(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Web]:
    """Two servers on 127.0.0.1 behind public-looking names; any other name does not resolve, so
    nothing but 127.0.0.1 is ever contacted."""
    tls = self_signed(tmp_path, FILES, INSIDE)

    def resolve(host: str, port: int, *args: Any, **kwargs: Any) -> list[Any]:
        if host not in (FILES, INSIDE):
            raise socket.gaierror(f"{host} does not resolve in this test")
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]

    monkeypatch.setattr(netguard, "getaddrinfo", resolve)
    monkeypatch.setattr(requests.adapters, "DEFAULT_CA_BUNDLE_PATH", str(tls[0]))  # trust the test's certificate
    with serve(tls=tls) as (base, log), serve(allowed=False, tls=tls) as (inside, inside_log):
        yield Web(f"https://{FILES}:{port_of(base)}", f"https://{INSIDE}:{port_of(inside)}", log, inside_log)


def port_of(base: str) -> str:
    return base.rsplit(":", 1)[1]


def linked_catalog(tmp_path: Path, web: Web) -> tuple[Path, dict[str, list[str]]]:
    """A copy of tests/fixtures/links with the servers' addresses; and each template's lines."""
    root = tmp_path / "kb"
    shutil.copytree(LINKED, root)
    templates = {}
    for record in sorted((root / "datasets").glob("*.yaml")):
        template = record.read_text(encoding="utf-8")
        record.write_text(template.replace("FILES", web.files).replace("INSIDE", web.inside), encoding="utf-8")
        templates[record.stem] = template.splitlines()
    return root, templates


def line_of(template: list[str], fragment: str) -> tuple[int, int]:
    """(line, column) of the URL value that `fragment` names in a fixture record."""
    number = next(i for i, line in enumerate(template, 1) if fragment in line)
    return number, template[number - 1].index(": ") + 3


def test_every_link_failure_is_a_problem_at_its_field(tmp_path: Path, web: Web) -> None:
    from catalog.links import catalog_urls, link_problems

    root, templates = linked_catalog(tmp_path, web)
    catalog = load_catalog(root)
    assert [p for p in catalog.problems if p.file == "datasets/linked.yaml"] == []  # a valid record
    uses = catalog_urls(catalog)
    checks = check_urls(uses, POLICY)
    problems = link_problems(catalog, uses, checks, update_history({}, checks))
    linked, hostile = templates["linked"], templates["hostile"]
    assert {(p.code, p.file, p.line, p.column, p.path) for p in problems} == {
        ("KB301", "datasets/linked.yaml", *line_of(linked, "FILES/missing"), "$.landing_page"),
        ("KB306", "datasets/linked.yaml", *line_of(linked, "FILES/forbidden"), "$.files[0].url"),
        ("KB303", "datasets/linked.yaml", *line_of(linked, "FILES/loop/0"), "$.files[1].url"),
        ("KB305", "datasets/linked.yaml", *line_of(linked, "FILES/limited"), "$.files[2].url"),
        ("KB304", "datasets/linked.yaml", *line_of(linked, "FILES/slow"), "$.files[3].url"),
        ("KB302", "datasets/linked.yaml", *line_of(linked, "INSIDE/"), "$.files[4].url"),
        ("KB301", "datasets/linked.yaml", *line_of(linked, "FILES/absent.bin"), "$.files[6].url"),
        ("KB301", "datasets/hostile.yaml", *line_of(hostile, "FILES/missing"), "$.landing_page"),
    }
    assert all(not p.is_error and p.hint for p in problems)  # one failing run is no verdict yet
    assert web.inside_log == []  # refused before anything was sent


def test_links_command_reports_through_the_formatters(tmp_path: Path, web: Web, run_cli) -> None:
    """`catalog links` twice: first every failure a warning (one run is no verdict), then, with
    two earlier failing runs in the history, the broken ones errors (exit 1); GitHub annotations
    escaped by the one formatter, however hostile the URL; `--verify-files` outcomes alike."""
    from catalog.links import read_history, write_history

    root, templates = linked_catalog(tmp_path, web)
    code, out, err = run_cli("links", "--root", str(root), "--format", "json", "--budget", "5")
    first = json.loads(out)
    assert code == 0 and first and {p["severity"] for p in first} == {"warning"}, out
    assert "link(s) checked" in err
    history_path = root / "results" / "links.json"
    history = read_history(history_path)
    write_history(history_path, {url: runs * 3 for url, runs in history.items()})  # as after 3 runs
    code, out, _ = run_cli("links", "--root", str(root), "--format", "github", "--budget", "5", "--verify-files")
    assert web.inside_log == []
    annotations = out.splitlines()
    assert code == 1 and all(line.startswith(("::error ", "::warning ")) for line in annotations), out
    by_code: dict[str, list[str]] = {}
    for line in annotations:
        by_code.setdefault(line.split("title=", 1)[1].split("::", 1)[0], []).append(line)
    linked = templates["linked"]
    line, column = line_of(linked, "FILES/missing")
    assert f"::error file=datasets/linked.yaml,line={line},col={column},title=KB301::" in out
    assert all(line.startswith("::error ") for code in ("KB301", "KB302", "KB303") for line in by_code[code])
    assert all(line.startswith("::warning ") for code in ("KB305", "KB306") for line in by_code[code])
    # the hostile URL's line break and "::" stay inside its one annotation
    (hostile,) = [line for line in by_code["KB301"] if "evil.py" in line]
    assert hostile.startswith("::error file=datasets/hostile.yaml,") and "%250A%0A::error file=evil.py" in hostile
    # --verify-files: a wrong checksum is an error, a file that cannot be had or checked a warning
    (checksum,) = by_code["KB310"]
    line, column = line_of(linked, "FILES/wrong.bin")
    assert checksum.startswith(f"::error file=datasets/linked.yaml,line={line},col={column},")
    (absent,) = by_code["KB311"]
    line, column = line_of(linked, "FILES/absent.bin")
    assert absent.startswith(f"::warning file=datasets/linked.yaml,line={line},col={column},")
    assert any("forbidden.bin" in line for line in by_code["KB312"])  # no checksum: not verified
    seen = set(by_code) | {p["code"] for p in first}
    assert seen | {"KB304"} == {code for code in CODES if code.startswith("KB3")}  # KB304: the test above
