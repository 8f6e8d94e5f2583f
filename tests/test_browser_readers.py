"""The shipped catalog's site as readers meet it, in Debian's Chromium served from 127.0.0.1:
search by year, surname and DOI suffix, notebook pages that lead back, no console errors, and
axe-core (vendored from npm under tests/vendor/axe-core) with no serious or critical violation."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from . import test_browser as shared
from .conftest import FIXTURES, REPO, build

pytestmark = [pytest.mark.browser, pytest.mark.slow]
sync_api = pytest.importorskip("playwright.sync_api")
chromium = shared.browser  # the same headless Debian Chromium fixture, under this module's name
AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"

# home, listing, use case, dataset, seminar and notebook pages
AXE_PAGES = [
    "",
    "usecases/",
    "datasets/",
    "usecases/parametric-nn-hepmass/",
    "datasets/uci-higgs/",
    "seminars/undated/improving-parametric-neural-networks/",
    "usecases/digits-mlp-classifier/notebooks/digits/",
    "usecases/parametric-nn-hepmass/notebooks/pnn_training/",
]


@pytest.fixture(scope="module")
def shipped_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    site = tmp_path_factory.mktemp("shipped") / "site"
    done = build(REPO / "mkdocs.yml", site)
    assert done.returncode == 0, done.stdout + done.stderr
    with shared.serve_folder(site) as url:
        yield url


@pytest.fixture
def tab(chromium, shipped_server: str):
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    context.route(
        "**/*", lambda route: route.continue_() if route.request.url.startswith(shipped_server) else route.abort()
    )
    page = context.new_page()
    page.errors = []
    page.on("console", lambda msg: page.errors.append(msg.text) if msg.type in ("error", "warning") else None)
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    yield page
    context.close()


def first_result(tab, server: str, query: str) -> str:
    tab.goto(f"{server}/")
    tab.locator("label.md-search__icon, .md-search__input").first.click()
    tab.locator("input.md-search__input").press_sequentially(query, delay=40)
    # results come while typing ("1", "19", ...): wait for those of the whole query, whose links
    # carry it as Material's highlight parameter
    tab.wait_for_function(
        "q => { const a = document.querySelector('.md-search-result__item a');"
        " return a && new URL(a.href).searchParams.get('h') === q }",
        arg=query.lower(),
        timeout=10_000,
    )
    return tab.locator(".md-search-result__item a").first.get_attribute("href") or ""


@pytest.mark.parametrize(
    ("query", "record"),
    [
        ("1995", "datasets/uci-breast-cancer-wisconsin-diagnostic/"),  # a digit first: lunr's token set
        ("Anzalone", "usecases/parametric-nn-hepmass/"),  # a person: the record, not the field reference
        ("C5V312", "datasets/uci-higgs/"),  # a DOI suffix (10.24432/C5V312)
    ],
)
def test_search_reaches_the_right_record_first(tab, shipped_server: str, query: str, record: str) -> None:
    href = first_result(tab, shipped_server, query)
    assert href.split("?")[0] == f"{shipped_server}/{record}", href
    assert tab.errors == []


def test_notebook_page_leads_back_and_shows_its_verdict(tab, shipped_server: str) -> None:
    tab.goto(f"{shipped_server}/usecases/parametric-nn-hepmass/notebooks/pnn_training/")
    crumbs = tab.locator("nav.kb-breadcrumb a")
    assert crumbs.all_inner_texts() == ["Use cases", "Signal-background classification with Parametric Neural Networks"]
    crumbs.nth(1).click()
    tab.wait_for_url(f"{shipped_server}/usecases/parametric-nn-hepmass/")
    tab.go_back()
    header = tab.locator(".kb-notebook-header")
    assert header.locator(".kb-badge").inner_text() in ("passed", "failed", "skipped", "never run", "error", "stale")
    assert header.locator("a[download]").count() == 1
    assert tab.locator('link[rel="alternate"][type="application/atom+xml"]').count() == 1
    # code is wrapped to the page's width: nothing scrolls sideways, nothing is clipped
    overflow = tab.evaluate(
        "() => [...document.querySelectorAll('.highlight-ipynb, .highlight-ipynb pre')]"
        ".filter(e => e.scrollWidth > e.clientWidth + 1).length"
    )
    assert overflow == 0
    assert tab.errors == []


@pytest.mark.parametrize("path", AXE_PAGES)
def test_axe_finds_no_serious_or_critical_violation(tab, shipped_server: str, path: str) -> None:
    tab.goto(f"{shipped_server}/{path}")
    tab.wait_for_timeout(200)
    tab.evaluate(AXE.read_text(encoding="utf-8"))
    result = tab.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    bad = [
        f"{v['impact']} {v['id']}: {v['help']} at {[n['target'] for n in v['nodes'][:3]]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert bad == [], f"/{path}"
    assert tab.errors == []


SEARCH_IN_WORKER = """async ({url, index, query}) => {
  const worker = new Worker(url)
  const ask = message => new Promise(resolve => {
    worker.onmessage = event => resolve(event.data)
    worker.postMessage(message)
  })
  await ask({type: 0, data: {...index, options: {suggest: false}}})
  const answer = await ask({type: 2, data: query})
  worker.terminate()
  return answer.data.items.length
}"""


def test_search_worker_fix_on_an_index_that_breaks_lunr(tab, shipped_server: str) -> None:
    """The index main built before the fix (tests/fixtures/search): with Material's worker as it
    ships, "1995" hits lunr's token-set key collision and finds nothing; through kb-search.js it
    finds the record."""
    index = json.loads((FIXTURES / "search" / "lunr-digit-collision.json").read_text(encoding="utf-8"))
    tab.goto(f"{shipped_server}/")
    configured = tab.evaluate(
        "() => new URL(JSON.parse(document.querySelector('#__config').textContent).search, location.href).href"
    )
    assert "/kb-search.js?worker=search." in configured
    plain = configured.split("kb-search.js?worker=")[0] + configured.split("kb-search.js?worker=")[1]
    fixed = tab.evaluate(SEARCH_IN_WORKER, {"url": configured, "index": index, "query": "1995"})
    assert fixed >= 1
    if tab.evaluate(SEARCH_IN_WORKER, {"url": plain, "index": index, "query": "1995"}) != 0:
        pytest.skip("the installed Material's lunr no longer shows the collision on this index")
