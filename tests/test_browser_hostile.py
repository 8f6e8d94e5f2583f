"""Hostile notebook pages in real headless Chromium: no dialog on load or on any click, and no
request to any host but the site's own (the pages work offline)."""

from __future__ import annotations

from pathlib import Path

import pytest

from .chromium import chromium, require_chromium, serve

require_chromium()
sync_api = pytest.importorskip("playwright.sync_api")
pytestmark = [pytest.mark.browser, pytest.mark.slow]

NOTEBOOKS = ["metadata", "markdown_links", "reparse", "outputs", "real_constructs"]


# the notebook's own links; the page header's (breadcrumb, launch, download) are the site's own
NOTEBOOK_LINKS = "article a:not(.kb-notebook-header a)"


def test_no_dialog_and_no_foreign_request_on_any_hostile_page(hostile_site: Path) -> None:
    with serve(hostile_site) as base, chromium() as browser:
        context = browser.new_context()
        foreign: list[str] = []  # requests a page makes by itself, while it loads
        dialogs: list[str] = []
        loading = [True]

        def route(request_route) -> None:
            url = request_route.request.url
            if url.startswith(base) or url.startswith(("data:", "blob:", "about:")):
                request_route.continue_()
            else:
                if loading[0]:
                    foreign.append(url)
                request_route.abort()

        context.route("**/*", route)
        tab = context.new_page()
        tab.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        clicked = 0
        for name in NOTEBOOKS:
            url = f"{base}/usecases/hostile-notebooks/notebooks/{name}/"
            loading[0] = True
            tab.goto(url)
            tab.wait_for_load_state("networkidle")
            loading[0] = False
            assert tab.locator("article").count() == 1, name
            links = tab.locator(NOTEBOOK_LINKS)
            for index in range(links.count()):
                if tab.url.split("#")[0] != url:
                    tab.goto(url)  # a click left the page (a link of the site or one that was refused)
                link = tab.locator(NOTEBOOK_LINKS).nth(index)
                if not link.is_visible():
                    continue
                try:
                    link.click(timeout=10_000, no_wait_after=True)
                except sync_api.TimeoutError:
                    continue  # not clickable (covered, detached by a navigation): nothing ran either
                clicked += 1
                tab.wait_for_timeout(50)
            for image in tab.locator("article img").all():
                image.hover(timeout=10_000) if image.is_visible() else None
        for other in ("", "usecases/", "usecases/hostile-notebooks/", "datasets/open-data/", "seminars/"):
            loading[0] = True
            tab.goto(f"{base}/{other}")  # the rest of the site works offline too
            tab.wait_for_load_state("networkidle")
        context.close()
    assert clicked >= 20, clicked  # every link of the five pages that a reader can click
    assert dialogs == []
    assert foreign == []


def test_real_notebook_layout_and_math(hostile_site: Path) -> None:
    with serve(hostile_site) as base, chromium() as browser:
        tab = browser.new_page(viewport={"width": 1280, "height": 900})
        tab.route("**/*", lambda r: r.continue_() if r.request.url.startswith(base) else r.abort())
        tab.goto(f"{base}/usecases/hostile-notebooks/notebooks/real_constructs/")
        sizes = tab.evaluate(
            """() => ({
                article: document.querySelector('article').getBoundingClientRect().width,
                code: document.querySelector('.jp-InputArea-editor').getBoundingClientRect().width,
                output: document.querySelector('.jp-OutputArea-output').getBoundingClientRect().width,
                math: [...document.querySelectorAll('article math')].map(m => m.getBoundingClientRect().height),
                h1: document.querySelectorAll('article h1').length,
            })"""
        )
    assert sizes["code"] >= 0.9 * sizes["article"] and sizes["output"] >= 0.9 * sizes["article"], sizes
    assert len(sizes["math"]) >= 4 and all(height > 5 for height in sizes["math"]), sizes  # typeset, not raw TeX
    assert sizes["h1"] == 1
