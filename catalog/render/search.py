"""Search entries for HTML documents, in the shape Material's search index uses.

Material's search plugin finds a page's sections by parsing its HTML with Python's `HTMLParser`,
which costs more per record page than everything else we do for it. A `Document` already knows
its sections, so the entries are computed here (a pure function, checked against Material's own
parser in the tests) and the `kb` plugin (`catalog/site_plugin.py`) adds them to `search/search_index.json`.

Like Material: one entry per heading; the title is the heading's text; the text keeps only
`p, code, pre, li, ol, ul, sub, sup` (without attributes), drops scripts, styles and elements
marked `data-search-exclude` (up to the first closing tag of the same name, as Material does), and
folds line breaks outside `<pre>` into spaces.
"""

from __future__ import annotations

import html
import re
from typing import Any

from .document import Document

KEEP = frozenset({"p", "code", "pre", "li", "ol", "ul", "sub", "sup"})
SKIP = frozenset({"script", "style", "object"})
_TAGS = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)([^>]*)>")
_SPACES = re.compile(r"\s+")


def _text(data: str) -> str:
    return html.escape(html.unescape(data), quote=False) if "&" in data or ">" in data else data


def index_text(fragment: str) -> str:
    """The text Material indexes for a fragment of HTML (see the module's docstring)."""
    out: list[str] = []
    skipping, in_pre = "", 0
    pieces = _TAGS.split(fragment)  # text, "/" or "", tag name, attributes, text, ...
    for i in range(0, len(pieces), 4):
        data = pieces[i]
        if data and not skipping:
            if in_pre:
                out.append(_text(data))
            elif not data.isspace():
                out.append(_text(data).replace("\n", " "))
            elif not out or not out[-1].isspace():
                out.append(" ")
        if i + 3 >= len(pieces):
            break
        closing, name = pieces[i + 1] == "/", pieces[i + 2].lower()
        if skipping:
            skipping = "" if closing and name == skipping else skipping  # up to the first such closing tag
        elif not closing and (name in SKIP or "data-search-exclude" in pieces[i + 3]):
            skipping = name
        elif name in KEEP:
            if name == "pre":
                in_pre += -1 if closing else 1
            if not closing:
                out.append(f"<{name}>")
                continue
            opening = f"<{name}>"
            start = len(out) - 1
            while start >= 0 and out[start] != opening:
                start -= 1
            if start >= 0 and all(chunk.isspace() for chunk in out[start + 1 :]):
                del out[start:]  # an empty element (or only whitespace) is dropped
            else:
                out.append(f"</{name}>")
    return "".join(out).strip()


def search_entries(doc: Document, url: str) -> list[dict[str, Any]]:
    """One entry per section: location (page URL + anchor), title, text."""
    entries: list[dict[str, Any]] = []
    for section in doc.sections:
        heading = section.heading
        if heading is None:
            if not "".join(section.parts).strip():
                continue
            title, location = html.escape(doc.title, quote=False), url
        else:
            title = html.escape(html.unescape(heading.text), quote=False)
            location = url if heading.level == 1 and not entries else f"{url}#{heading.id}"
        entries.append(
            {"location": location, "title": _SPACES.sub(" ", title).strip(), "text": index_text("".join(section.parts))}
        )
    return ranked(entries, doc.meta)


def ranked(entries: list[dict[str, Any]], meta: dict[str, Any]) -> list[dict[str, Any]]:
    """A record's people and identifiers become its first entry's `tags` (the field Material boosts
    most); a page's `search: {boost: N}` meta becomes each entry's `boost`, as Material's plugin does."""
    if entries and meta.get("kb_search_terms"):
        entries[0]["tags"] = list(meta["kb_search_terms"])
    boost = (meta.get("search") or {}).get("boost")
    if boost is not None:
        for entry in entries:
            entry["boost"] = boost
    return entries
