"""A generated page written as HTML: title, meta, body and the table of contents.

Record and tag pages — thousands in a grown catalog — are built as HTML, not Markdown, so MkDocs
has nothing left to convert: the `kb` plugin (`catalog/site_plugin.py`) hands it the body and the table of contents.
`Document.source()` (front matter + the same HTML) is still a valid Markdown page, which is what
the file holds and what a plain MkDocs build of it shows.

Every heading gets an id and a permalink exactly like Python-Markdown's `toc` extension makes them
(`<a class="headerlink">`), so themes style them and links to `#anchors` keep working.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from .markup import attr, page_title

_ENTITY = re.compile(r"&#?\w+;")
_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def slug(text: str) -> str:
    """A heading id from its visible text (entities removed), as `toc` would make it."""
    return _NOT_SLUG.sub("-", _ENTITY.sub("", text).lower()).strip("-") or "section"


@dataclass
class Heading:
    level: int
    id: str
    text: str  # safe HTML text, as printed in the page and the table of contents
    children: list[Heading] = field(default_factory=list)

    def token(self) -> dict[str, Any]:
        """The shape of Python-Markdown's toc tokens, which `mkdocs.structure.toc.get_toc` reads."""
        return {
            "level": self.level,
            "id": self.id,
            "name": self.text,
            "html": self.text,
            "children": [child.token() for child in self.children],
        }


@dataclass
class Section:
    """A heading (None: text before the first one) and the searchable HTML that follows it."""

    heading: Heading | None
    parts: list[str] = field(default_factory=list)


@dataclass
class Document:
    title: str
    meta: dict[str, Any] = field(default_factory=dict)
    parts: list[str] = field(default_factory=list)
    headings: list[Heading] = field(default_factory=list)  # top level (h1) with nested children
    sections: list[Section] = field(default_factory=lambda: [Section(None)])
    _ids: set[str] = field(default_factory=set)

    def heading(self, level: int, text: str, anchor: str | None = None, inner: str | None = None) -> None:
        """Add `<hN>`: `text` is safe HTML (the toc entry); `inner` replaces it in the page (e.g. a link)."""
        base = anchor or slug(text)
        ident, n = base, 0
        while ident in self._ids:
            n += 1
            ident = f"{base}_{n}"
        self.parts.append(
            f'<h{level} id="{attr(ident)}">{inner or text}<a class="headerlink" '
            f'href="#{attr(ident)}" title="Permanent link">&para;</a></h{level}>\n'
        )
        self.add_heading(level, ident, text)

    def add_heading(self, level: int, ident: str, text: str) -> None:
        """Record a heading that is already in the body (table of contents, sections, anchors)."""
        self._ids.add(ident)
        node = Heading(level, ident, text)
        siblings = self.headings
        while siblings and siblings[-1].level < level:
            siblings = siblings[-1].children
        siblings.append(node)
        self.sections.append(Section(node))

    def add(self, *html: str, searchable: bool = True) -> None:
        parts = [part for part in html if part]
        self.parts.extend(parts)
        if searchable:
            self.sections[-1].parts.extend(parts)

    def add_search_text(self, html: str) -> None:
        """Searchable HTML for the current section that is not itself part of the body."""
        if html:
            self.sections[-1].parts.append(html)

    @property
    def body(self) -> str:
        return "".join(self.parts)

    @property
    def page_meta(self) -> dict[str, Any]:
        return {"title": page_title(self.title), **self.meta}

    @property
    def anchor_ids(self) -> frozenset[str]:
        return frozenset(self._ids)

    def toc_tokens(self) -> list[dict[str, Any]]:
        return [heading.token() for heading in self.headings]

    def front_matter(self) -> str:
        """The page's meta as YAML front matter (title first), ending with its closing `---` line."""
        lines = [f"{key}: {json.dumps(value, ensure_ascii=False)}" for key, value in self.page_meta.items()]
        return "\n".join(["---", *lines, "---", ""])

    def source(self) -> str:
        """Front matter and body: the page as a file MkDocs (or anyone) can read on its own."""
        return self.front_matter() + "\n" + self.body
