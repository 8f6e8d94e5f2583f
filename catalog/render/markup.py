"""Making record text safe for a Markdown page: plain fields escaped, Markdown fields sanitised.

Plain fields become text that neither Markdown nor HTML can interpret (entities for every
character with a meaning). Markdown fields are rendered by Python-Markdown *without* raw-HTML
extensions and then cleaned by nh3 (Rust's ammonia): no scripts, no event attributes, and only
http/https/mailto links survive. The result is a raw HTML block the page embeds as is.
"""

from __future__ import annotations

import html
import posixpath
from functools import cache, lru_cache

import markdown
import nh3

SAFE_SCHEMES = frozenset({"http", "https", "mailto"})
# characters that mean something to Markdown, attr_list or HTML, as numeric entities
_PLAIN = str.maketrans({c: f"&#{ord(c)};" for c in "&<>\"'\\`*_{}[]()#!|"})
# nh3's defaults plus table alignment and code-language classes
_ATTRIBUTES = {tag: set(attrs) for tag, attrs in nh3.ALLOWED_ATTRIBUTES.items()}
for _tag, _extra in {"td": {"align"}, "th": {"align"}, "code": {"class"}, "ol": {"start"}}.items():
    _ATTRIBUTES.setdefault(_tag, set()).update(_extra)


def plain(text: object) -> str:
    """A plain field, safe anywhere in a Markdown page (inline)."""
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


@cache
def _markdown_converter() -> markdown.Markdown:
    return markdown.Markdown(extensions=["tables", "fenced_code", "sane_lists"], output_format="html")


def sanitise_html(fragment: str) -> str:
    return nh3.clean(
        fragment,
        url_schemes=set(SAFE_SCHEMES),
        link_rel="noopener noreferrer nofollow",
        attributes=_ATTRIBUTES,
        strip_comments=True,
    )


@lru_cache(maxsize=20_000)
def markdown_block(text: str) -> str:
    """A Markdown field as a sanitised raw-HTML block, separated by blank lines (memoised: the
    same minutes appear on the seminar page and in the compiled minutes)."""
    converter = _markdown_converter()
    converter.reset()
    cleaned = sanitise_html(converter.convert(text))
    # Python-Markdown passes a block that starts with a block-level tag through untouched
    return f'\n<div class="kb-prose" markdown="0">\n{cleaned}\n</div>\n'


@lru_cache(maxsize=20_000)
def markdown_inline(text: str) -> str:
    """A short Markdown field (one suggestion, one line) without the wrapping paragraph."""
    block = sanitise_html(_markdown_converter().reset().convert(text))
    if block.startswith("<p>") and block.endswith("</p>") and block.count("<p>") == 1:
        block = block[3:-4]
    return block


def safe_url(url: str) -> str:
    """An https/http/mailto URL with characters that could end a Markdown link percent-encoded."""
    scheme = url.split(":", 1)[0].lower()
    if scheme not in SAFE_SCHEMES:
        raise ValueError(f"refusing to link to {url!r}")
    for char, code in (("(", "%28"), (")", "%29"), ("<", "%3C"), (">", "%3E"), ('"', "%22"), (" ", "%20"),
                       ("[", "%5B"), ("]", "%5D"), ("`", "%60")):
        url = url.replace(char, code)
    return url


def external_link(label: object, url: str) -> str:
    return f"[{plain(label)}]({safe_url(url)})"


def relative(from_uri: str, to_uri: str) -> str:
    """Relative link from one source file to another (MkDocs validates and rewrites it)."""
    return posixpath.relpath(to_uri, posixpath.dirname(from_uri) or ".")


def url_of(uri: str) -> str:
    """The directory URL MkDocs serves a page at (use_directory_urls)."""
    stem = uri.removesuffix(".md").removesuffix(".ipynb")
    if stem == "index" or stem.endswith("/index"):
        return stem.removesuffix("index")
    return stem + "/"


def front_matter(title: str, **extra: object) -> str:
    import json

    lines = ["---", f"title: {json.dumps(page_title(title), ensure_ascii=False)}"]
    lines += [f"{key}: {json.dumps(value, ensure_ascii=False)}" for key, value in extra.items()]
    return "\n".join([*lines, "---", ""]) + "\n"


def table(header: list[str], rows: list[list[str]]) -> str:
    """A Markdown table from already-safe cells."""
    if not rows:
        return ""
    out = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    out += ["| " + " | ".join(cell.replace("\n", " ") for cell in row) + " |" for row in rows]
    return "\n".join(out) + "\n"
