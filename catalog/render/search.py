"""Search entries for HTML documents, in the shape Material's search index uses.

Material's search plugin finds a page's sections by parsing its HTML with Python's `HTMLParser`,
which costs more per record page than everything else we do for it. A `Document` already knows
its sections, so the entries are computed here (a pure function, checked against Material's own
parser in the tests) and `hooks/kb_site.py` adds them to `search/search_index.json`.

Like Material: one entry per heading; the title is the heading's text; the text keeps only
`p, code, pre, li, ol, ul, sub, sup` (without attributes), drops scripts and styles, and folds
line breaks outside `<pre>` into spaces.
"""

from __future__ import annotations

import html
import re

from .document import Document

KEEP = frozenset({"p", "code", "pre", "li", "ol", "ul", "sub", "sup"})
SKIP = frozenset({"script", "style", "object"})
_TOKENS = re.compile(r"(<[^>]*>)")
_TAG = re.compile(r"<(/?)([a-zA-Z0-9]+)")
_SPACES = re.compile(r"\s+")


def index_text(fragment: str) -> str:
    out: list[str] = []
    skipping, in_pre = None, 0
    for token in _TOKENS.split(fragment):
        if not token:
            continue
        tag = _TAG.match(token) if token.startswith("<") else None
        if tag:
            closing, name = tag.group(1) == "/", tag.group(2).lower()
            if skipping:
                skipping = None if closing and name == skipping else skipping
            elif name in SKIP and not closing:
                skipping = name
            elif name in KEEP:
                in_pre += (-1 if closing else 1) if name == "pre" else 0
                if not closing:
                    out.append(f"<{name}>")
                    continue
                start = len(out) - 1 - out[::-1].index(f"<{name}>") if f"<{name}>" in out else len(out)
                if all(chunk.isspace() for chunk in out[start + 1:]):
                    del out[start:]  # an empty element (or only whitespace) is dropped
                else:
                    out.append(f"</{name}>")
            continue
        if skipping or token.startswith("<"):
            continue
        text = html.escape(html.unescape(token), quote=False)
        if not in_pre:
            text = " " if text.isspace() else text.replace("\n", " ")
            if text == " " and out and out[-1].isspace():
                continue
        out.append(text)
    return "".join(out).strip()


def search_entries(doc: Document, url: str) -> list[dict[str, str]]:
    """One entry per section: location (page URL + anchor), title, text."""
    entries: list[dict[str, str]] = []
    for section in doc.sections:
        heading = section.heading
        if heading is None:
            if not "".join(section.parts).strip():
                continue
            title, location = html.escape(doc.title, quote=False), url
        else:
            title = html.escape(html.unescape(heading.text), quote=False)
            location = url if heading.level == 1 and not entries else f"{url}#{heading.id}"
        entries.append({"location": location, "title": _SPACES.sub(" ", title).strip(),
                        "text": index_text("".join(section.parts))})
    return entries
