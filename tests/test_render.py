"""Rendering without MkDocs: golden pages, launch links, escaping and sanitising."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from catalog import load_catalog
from catalog.render.launch import SiteSettings, binder_url, colab_url, launch_links, launch_notes, nbgitpuller_url
from catalog.render.markup import markdown_html, page_title, plain, safe_url
from catalog.render.notebooks import display_notebook, mark_outputs_unsearchable
from catalog.render.pages import dataset_page, seminar_page, usecase_page
from catalog.results import NotebookStatus

from .conftest import FIXTURES, TESTS, check_golden

GOLDEN = TESTS / "golden"
SETTINGS = SiteSettings.from_mapping(
    {"repository": "https://github.com/example-org/kb-demo", "branch": "main", "hub": "https://hub.example.org"}
)


@pytest.fixture(scope="module")
def site_catalog():
    return load_catalog(FIXTURES / "site")


def test_golden_usecase_page(site_catalog) -> None:
    status = {
        ("jet-gnn", "notebooks/train.ipynb"): NotebookStatus(
            "skipped", started="2026-11-20T10:00:00Z", duration_s=0.0, hardware="Intel Xeon", reason="needs GPU"
        )
    }
    page = usecase_page(site_catalog.usecases["jet-gnn"], site_catalog, SETTINGS, status)
    check_golden("usecase-jet-gnn.md", page.source())


def test_golden_dataset_page(site_catalog) -> None:
    check_golden("dataset-jets.md", dataset_page(site_catalog.datasets["jets"], site_catalog).source())


def test_golden_seminar_page(site_catalog) -> None:
    check_golden(
        "seminar-graph-networks.md",
        seminar_page(site_catalog.seminars["2024-03-12-graph-networks"], site_catalog).source(),
    )


def test_nbgitpuller_link_matches_documented_example() -> None:
    # the example built by nbgitpuller's own link generator, as recorded in facts
    expected = (
        "https://hub.example.com/hub/user-redirect/git-pull?repo=https%3A%2F%2Fgithub.com%2Fmy-user%2F"
        "my-repository&urlpath=lab%2Ftree%2Fmy-repository%2Findex.ipynb&branch=main"
    )
    assert (
        nbgitpuller_url("https://hub.example.com", "https://github.com/my-user/my-repository", "main", "index.ipynb")
        == expected
    )


def test_nbgitpuller_encodes_awkward_paths() -> None:
    url = nbgitpuller_url(
        "https://hub.example.org/", "https://gitlab.example.org/g/kb.git", "dev/x", "usecases/a b/notebooks/c&d.ipynb"
    )
    query = parse_qs(urlsplit(url).query)
    assert query == {
        "repo": ["https://gitlab.example.org/g/kb.git"],
        "branch": ["dev/x"],
        "urlpath": ["lab/tree/kb/usecases/a b/notebooks/c&d.ipynb"],
    }


def test_binder_and_colab_formats() -> None:
    assert (
        binder_url("binder-examples", "jupyterlab", "master", "index.ipynb")
        == "https://mybinder.org/v2/gh/binder-examples/jupyterlab/master?urlpath=lab/tree/index.ipynb"
    )
    assert (
        colab_url("googlecolab", "colabtools", "main", "notebooks/colab-github-demo.ipynb")
        == "https://colab.research.google.com/github/googlecolab/colabtools/blob/main/notebooks/colab-github-demo.ipynb"
    )


def test_no_dead_buttons_for_services_that_cannot_serve_the_host() -> None:
    gitlab = SiteSettings.from_mapping({"repository": "https://baltig.infn.it/ml-infn/kb", "hub": "https://hub.x.org"})
    assert [link.service for link in launch_links(gitlab, "a.ipynb")] == ["jupyterhub"]
    no_hub = SiteSettings.from_mapping({"repository": "https://github.com/o/r"})
    assert [link.service for link in launch_links(no_hub, "a.ipynb")] == ["binder", "colab"]
    off = SiteSettings.from_mapping(
        {"repository": "https://github.com/o/r", "hub": "https://h.org", "launch": {"binder": False, "colab": False}}
    )
    assert [link.service for link in launch_links(off, "a.ipynb")] == ["jupyterhub"]
    assert launch_links(SiteSettings.from_mapping({}), "a.ipynb") == []


def test_gpu_notebooks_get_no_binder_button_and_gitlab_gets_binders_gl_form() -> None:
    github = SiteSettings.from_mapping({"repository": "https://github.com/o/r"})
    assert [link.service for link in launch_links(github, "a.ipynb", "required")] == ["colab"]
    assert launch_notes(github, "required") == ["No Binder button: this notebook needs a GPU and Binder has none."]
    assert [link.service for link in launch_links(github, "a.ipynb", "optional")] == ["binder", "colab"]
    assert launch_notes(github, "optional") == []
    gitlab = SiteSettings.from_mapping({"repository": "https://gitlab.com/ml-infn/sub/kb.git", "branch": "dev"})
    (link,) = launch_links(gitlab, "usecases/x/nb.ipynb")
    assert link.url == "https://mybinder.org/v2/gl/ml-infn%2Fsub%2Fkb/dev?urlpath=lab/tree/usecases/x/nb.ipynb"
    assert launch_links(gitlab, "usecases/x/nb.ipynb", "required") == []


def test_plain_text_cannot_become_markup() -> None:
    text = plain("<script>x</script> [a](javascript:b) {: onclick=c} *d* `e` | f")
    for char in "<>[](){}*`|":
        assert char not in text
    assert "<" not in page_title("</title><script>") and ">" not in page_title("</title><script>")


@pytest.mark.parametrize(
    "payload",
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "[x](JaVaScRiPt:alert(1))",
        "[x](data:text/html;base64,AAAA)",
        "<a href='vbscript:x'>v</a>",
        "<iframe src='https://e.org'></iframe>",
        "<svg onload=alert(1)>",
        "<div style='background:url(javascript:x)'>s</div>",
    ],
)
def test_markdown_fields_are_sanitised(payload: str) -> None:
    html = markdown_html(payload).lower()
    for bad in ("<script", "onerror", "onload", "javascript:", "data:text", "vbscript:", "<iframe", "<svg", "style="):
        assert bad not in html


def test_markdown_keeps_safe_content() -> None:
    html = markdown_html("**bold** [site](https://infn.it) <mailto:a@b.org>\n\n| a | b |\n|---|---|\n| 1 | 2 |")
    assert "<strong>bold</strong>" in html and 'href="https://infn.it"' in html and "<table>" in html


def test_safe_url_refuses_other_schemes() -> None:
    with pytest.raises(ValueError):
        safe_url("javascript:alert(1)")
    assert safe_url("https://doi.org/10.1007/JHEP01(2019)121") == "https://doi.org/10.1007/JHEP01%282019%29121"


def test_notebook_outputs_are_sanitised() -> None:
    nb = {
        "cells": [
            {"cell_type": "raw", "source": "<script>1</script>", "metadata": {}},
            {"cell_type": "markdown", "source": "<img src=x onerror=alert(1)> ok", "metadata": {}},
            {"cell_type": "markdown", "source": "# Plain *markdown* $x_1$", "metadata": {}},
            {
                "cell_type": "code",
                "source": "x",
                "metadata": {},
                "execution_count": 1,
                "outputs": [
                    {"output_type": "display_data", "metadata": {}, "data": {"application/javascript": "alert(1)"}},
                    {"output_type": "display_data", "metadata": {}, "data": {"image/svg+xml": "<svg onload=x>"}},
                    {
                        "output_type": "execute_result",
                        "metadata": {},
                        "execution_count": 1,
                        "data": {"text/html": "<b onclick='x'>b</b><script>y</script>", "text/plain": "b"},
                    },
                    {"output_type": "stream", "name": "stdout", "text": "hello"},
                ],
            },
        ],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    from catalog.notebook import Notebook

    shown = display_notebook(Notebook(Path("x.ipynb"), json.dumps(nb).encode(), nb, ()))
    assert [c["cell_type"] for c in shown["cells"]] == ["markdown", "markdown", "code"]
    assert "ok" in shown["cells"][0]["source"]  # Markdown is kept: the page's HTML is cleaned after conversion
    assert "<math" in shown["cells"][1]["source"] and "*markdown*" in shown["cells"][1]["source"]
    outputs = shown["cells"][2]["outputs"]
    assert len(outputs) == 4
    assert "Interactive output not shown" in outputs[0]["data"]["text/html"]  # javascript
    assert outputs[1]["data"]["text/html"].startswith('<img src="data:image/svg+xml;base64,')  # SVG as an image
    assert "Interactive output not shown" in outputs[2]["data"]["text/html"]  # HTML with a script
    assert outputs[3]["text"] == "hello"
    assert nb["cells"][0]["cell_type"] == "raw"  # the input is not modified


def test_outputs_marked_unsearchable() -> None:
    html = '<div class="jp-Cell-outputWrapper"><div class="jp-OutputArea jp-Cell-outputArea"><pre>x</pre></div></div>'
    marked = mark_outputs_unsearchable(html)
    assert marked.count("data-search-exclude") == 2


def test_page_scanner_catches_what_it_must() -> None:
    """The XSS scanner used on built sites fails on the things it is there to find."""
    from .test_site_build import PageScan

    scan = PageScan()
    scan.feed('<p onclick="x">a</p><a href="javascript:y">b</a><script>alert(1)</script>')
    assert scan.handlers and scan.urls == ["javascript:y"] and scan.scripts == ["alert(1)"]


def test_golden_files_exist() -> None:
    assert sorted(p.name for p in Path(GOLDEN).glob("*.md")) == [
        "dataset-jets.md",
        "seminar-graph-networks.md",
        "usecase-jet-gnn.md",
    ]


def test_dataset_page_shows_link_states(site_catalog) -> None:
    history = {
        "https://example.org/jets": [
            {
                "url": "https://example.org/jets",
                "state": "rate-limited",
                "status": 429,
                "detail": "",
                "seconds": 0.1,
                "checked": "2026-11-20T08:00:00Z",
            }
        ]
    }
    page = dataset_page(site_catalog.datasets["jets"], site_catalog, history).body
    assert (
        '<li><a href="https://example.org/jets">https://example.org/jets</a> — <strong>rate-limited</strong>, '
        "checked 2026-11-20</li>"
    ) in page
    # a URL never checked is not shown as if its state were content
    assert "never checked" not in page and "unchecked" not in page
    assert "https://example.org/jets/train.h5</a> —" not in page


def test_converter_styles_are_collected() -> None:
    from catalog.render.notebooks import styles_of

    assert styles_of('<style type="text/css">.a{}</style><p>x</p><style>.b{}</style><p>y</p>') == ".a{}\n.b{}"
    assert styles_of("<p>no style</p>") == ""
