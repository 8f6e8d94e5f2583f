"""Making record text safe for a page: plain fields escaped, Markdown fields sanitised; links.

Plain fields become text that neither Markdown nor HTML can interpret (entities for every
character with a meaning). Markdown fields are GitHub-flavoured Markdown — what contributors see
in their pull requests — rendered by cmark-gfm (`cmarkgfm`, C, ~20x faster than Python-Markdown on
record fields) and then cleaned at the one sanitising boundary (`catalog.render.sanitise`). TeX math becomes
MathML before cmark sees it (`catalog.render.math`).
"""

from __future__ import annotations

import html
from functools import lru_cache

import cmarkgfm
from cmarkgfm.cmark import Options

from ..urls import url_of
from .math import markdown_with_mathml
from .sanitise import SAFE_SCHEMES, clean_fragment

# characters that mean something to Markdown, attr_list or HTML, as numeric entities
_PLAIN = str.maketrans({c: f"&#{ord(c)};" for c in "&<>\"'\\`*_{}[]()#!|"})


def plain(text: object) -> str:
    """A plain field as HTML text (also inert inside Markdown: every meaningful character is an entity)."""
    return " ".join(str(text).split()).translate(_PLAIN)


def attr(text: object) -> str:
    """A value for a double-quoted HTML attribute."""
    return html.escape(str(text), quote=True)


def page_title(text: object) -> str:
    """A title for MkDocs' `title:` front matter.

    Themes print page titles unescaped and even *unescape* them for `<title>` (`striptags`), so
    no angle bracket may survive in any form: they become look-alike quotes.
    """
    cleaned = " ".join(str(text).split()).replace("<", "‹").replace(">", "›")
    return html.escape(cleaned, quote=True)


@lru_cache(maxsize=20_000)
def markdown_html(text: str) -> str:
    """A Markdown field as sanitised HTML (memoised: the same minutes appear on the seminar page
    and in the compiled minutes). Raw HTML is let through cmark so that nh3, the one sanitiser,
    decides what survives — as it did for every field before."""
    rendered = cmarkgfm.github_flavored_markdown_to_html(markdown_with_mathml(text), options=Options.CMARK_OPT_UNSAFE)
    return clean_fragment(rendered)


@lru_cache(maxsize=20_000)
def markdown_inline(text: str) -> str:
    """A short Markdown field (one suggestion, one line) without the wrapping paragraph."""
    block = markdown_html(text).strip()
    if block.startswith("<p>") and block.endswith("</p>") and block.count("<p>") == 1:
        block = block[3:-4]
    return block


def safe_url(url: str) -> str:
    """An https/http/mailto URL with characters that could end a Markdown link percent-encoded."""
    scheme = url.split(":", 1)[0].lower()
    if scheme not in SAFE_SCHEMES:
        raise ValueError(f"refusing to link to {url!r}")
    for char, code in (
        ("(", "%28"),
        (")", "%29"),
        ("<", "%3C"),
        (">", "%3E"),
        ('"', "%22"),
        (" ", "%20"),
        ("[", "%5B"),
        ("]", "%5D"),
        ("`", "%60"),
    ):
        url = url.replace(char, code)
    return url


def external_a(label: object, url: str) -> str:
    """An external link as HTML."""
    return f'<a href="{attr(safe_url(url))}">{plain(label)}</a>'


def href(from_uri: str, to_uri: str, anchor: str = "") -> str:
    """The link from one page to another (source URIs) between the URLs they are served at."""
    base, target = url_of(from_uri).split("/")[:-1], url_of(to_uri).split("/")[:-1]
    common = 0
    while common < min(len(base), len(target)) and base[common] == target[common]:
        common += 1
    path = "../" * (len(base) - common) + "".join(part + "/" for part in target[common:])
    return (path or "./") + (f"#{anchor}" if anchor else "")


def file_href(from_uri: str, path: str) -> str:
    """The link from a page to a plain file of the site (not a page), such as `feed.xml`."""
    return "../" * url_of(from_uri).count("/") + path


def a(from_uri: str, to_uri: str, label_html: str, anchor: str = "") -> str:
    """An internal link as HTML; `label_html` is already safe."""
    return f'<a href="{attr(href(from_uri, to_uri, anchor))}">{label_html}</a>'


def table(header: list[str], rows: list[list[str]]) -> str:
    """An HTML table from already-safe cells (one per line: the search index keeps no cell borders)."""
    if not rows:
        return ""
    head = "\n".join(f"<th>{cell}</th>" for cell in header)
    body = "".join("<tr>" + "\n".join(f"<td>{cell}</td>" for cell in row) + "</tr>\n" for row in rows)
    return f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}</tbody>\n</table>\n"
