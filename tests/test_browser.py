"""The built fixture site in real headless Chromium (Debian's), served from 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from catalog.render.launch import nbgitpuller_url

from .chromium import chromium, require_chromium, serve

pytestmark = [pytest.mark.browser, pytest.mark.slow]
require_chromium()
sync_api = pytest.importorskip("playwright.sync_api")
serve_folder = serve  # a built site on 127.0.0.1 (other browser modules use it under this name)


@pytest.fixture(scope="module")
def server(fixture_site: Path) -> Iterator[str]:
    with serve_folder(fixture_site) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with chromium() as instance:
        yield instance


@pytest.fixture
def page(browser, server: str):
    context = browser.new_context()
    context.route(
        "**/*", lambda route: route.continue_() if route.request.url.startswith(server) else route.abort()
    )  # nothing leaves 127.0.0.1
    tab = context.new_page()
    tab.errors = []
    tab.on("console", lambda msg: tab.errors.append(msg.text) if msg.type == "error" else None)
    tab.on("pageerror", lambda exc: tab.errors.append(str(exc)))
    yield tab
    context.close()


def test_usecase_page_has_exact_nbgitpuller_link_and_no_console_error(page, server: str) -> None:
    page.goto(f"{server}/usecases/jet-gnn/")
    link = page.locator("a.kb-launch-jupyterhub").first
    expected = nbgitpuller_url(
        "https://hub.example.org",
        "https://github.com/example-org/kb-demo",
        "main",
        "usecases/jet-gnn/notebooks/train.ipynb",
    )
    assert link.get_attribute("href") == expected
    query = parse_qs(urlsplit(expected).query)
    assert query == {
        "repo": ["https://github.com/example-org/kb-demo"],
        "urlpath": ["lab/tree/kb-demo/usecases/jet-gnn/notebooks/train.ipynb"],
        "branch": ["main"],
    }
    assert page.locator("h1").first.inner_text().rstrip("¶") == "Jet tagging with graph networks"
    page.wait_for_timeout(300)
    assert page.errors == []


def test_search_by_author_reaches_the_record(page, server: str) -> None:
    page.goto(f"{server}/")
    page.locator("label.md-search__icon, .md-search__input").first.click()
    box = page.locator("input.md-search__input")
    box.press_sequentially("Hopper", delay=60)
    result = page.locator(".md-search-result__item a[href*='usecases/jet-gnn']").first
    result.wait_for(timeout=10_000)
    result.click()
    page.wait_for_url("**/usecases/jet-gnn/**")
    assert page.locator("h1").first.inner_text().rstrip("¶") == "Jet tagging with graph networks"
    assert page.errors == []


def visible_titles(page) -> list[str]:
    return page.locator("[data-kb-item]:visible > a").all_inner_texts()


def test_facet_filters_counts_and_url_round_trip(page, server: str) -> None:
    page.goto(f"{server}/usecases/")
    assert len(visible_titles(page)) == 3
    page.locator("[data-kb-facet='domain'] input[value='hep']").check()
    assert visible_titles(page) == ["Jet tagging with graph networks"]
    assert page.locator("[data-kb-shown]").inner_text() == "1"
    assert "domain=hep" in page.url
    # counts of the other facets follow the filter
    assert page.locator("[data-kb-facet='technique'] input[value='gnn'] ~ [data-kb-count]").inner_text() == "1"
    assert page.locator("[data-kb-facet='technique'] input[value='bdt'] ~ [data-kb-count]").inner_text() == "0"
    page.reload()
    assert page.locator("[data-kb-facet='domain'] input[value='hep']").is_checked()
    assert visible_titles(page) == ["Jet tagging with graph networks"]
    page.goto(f"{server}/usecases/?gpu=none&q=trees")
    assert visible_titles(page) == ["Boosted trees on tabular data"]
    assert page.errors == []


def test_listing_is_complete_without_javascript(browser, server: str) -> None:
    context = browser.new_context(java_script_enabled=False)
    tab = context.new_page()
    tab.goto(f"{server}/datasets/")
    assert tab.locator("[data-kb-item]").count() == 2
    assert not tab.locator("[data-kb-facets]").is_visible()  # controls appear only when they work
    context.close()


def test_notebook_page_renders_without_running_injected_code(page, server: str) -> None:
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    for path in (
        "usecases/xss-demo/",
        "usecases/xss-demo/notebooks/evil/",
        "datasets/xss-data/",
        "seminars/undated/xss-seminar/",
    ):
        page.goto(f"{server}/{path}")
        page.mouse.move(200, 300)
        page.wait_for_timeout(200)
    assert dialogs == []
