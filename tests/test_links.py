"""The link checker against a real HTTP server on 127.0.0.1 (THREATS 14)."""

from __future__ import annotations

import time

from catalog import load_catalog
from catalog.http import HttpPolicy
from catalog.links import LinkCheck, check_urls, record_urls, update_history, verdict

from .conftest import FIXTURES
from .httpfixture import serve

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
