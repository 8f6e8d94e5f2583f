"""The one sanitising boundary: every piece of contributed HTML is cleaned here, by nh3 (ammonia).

Two allow-lists, one policy:

- `clean_fragment` — a record's Markdown field after cmark-gfm.
- `clean_notebook` — the final HTML of a notebook page after mkdocs-jupyter's converter, before it
  becomes the page's content. Nothing is parsed as Markdown after it.

Common to both: no `on*` attributes; no script, style, iframe, object, embed, form, input, base or
meta elements (unknown elements are dropped, their text kept; script and style lose their text
too); link targets http, https, mailto or relative; `data:` only as the `src` of an `<img>`, and
only PNG, JPEG, GIF, WebP or SVG (browsers run no script inside an image); images from other
hosts are not loaded (the site makes no third-party request: their alt text stays). URL checks
run on the decoded attribute value, so entity or backslash tricks (`java&#115;cript:`) do not pass.
MathML (from `catalog.render.math`) is kept. Notebook pages also keep `class` and `id` (the
notebook layout and heading anchors; never the theme's `md-` classes or `__` ids) and a few
meaningful table styles (`color`, `background-color`, `text-align`, `font-weight`).
"""

from __future__ import annotations

import re

import nh3

SAFE_SCHEMES = frozenset({"http", "https", "mailto"})
IMAGE_DATA = re.compile(r"data:image/(png|jpeg|gif|webp|svg\+xml);base64,[A-Za-z0-9+/=\s]*", re.IGNORECASE)
URL_ATTRIBUTES = frozenset({"href", "src", "cite", "action", "formaction", "poster", "background", "xlink:href"})
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.\-]*):")
# what browsers strip from URLs before reading the scheme (C0 controls, space, tab, newlines)
_URL_NOISE = re.compile(r"[\x00-\x20\x7f]+")

MATHML_TAGS = frozenset(
    [
        "math",
        "semantics",
        "annotation",
        "mrow",
        "mi",
        "mo",
        "mn",
        "ms",
        "mtext",
        "mspace",
        "msup",
        "msub",
        "msubsup",
        "mfrac",
        "msqrt",
        "mroot",
        "mover",
        "munder",
        "munderover",
        "mtable",
        "mtr",
        "mtd",
        "mstyle",
        "mpadded",
        "mphantom",
        "menclose",
        "merror",
    ]
)
MATHML_ATTRIBUTES: dict[str, set[str]] = {
    "math": {"display", "xmlns", "class"},
    "annotation": {"encoding"},
    "mo": {"stretchy", "fence", "separator", "lspace", "rspace", "form", "largeop", "movablelimits"},
    "mi": {"mathvariant"},
    "mspace": {"width", "height", "depth"},
    "mstyle": {"displaystyle", "scriptlevel", "mathvariant"},
    "mtable": {"columnalign", "rowspacing", "columnspacing", "displaystyle", "columnlines", "rowlines"},
    "mtd": {"columnalign", "columnspan", "rowspan"},
    "mtr": {"columnalign"},
    "mfrac": {"linethickness"},
    "mpadded": {"width", "height", "depth", "lspace", "voffset"},
    "menclose": {"notation"},
    "mover": {"accent"},
    "munder": {"accentunder"},
    "munderover": {"accent", "accentunder"},
}


def _url_allowed(tag: str, attribute: str, value: str) -> bool:
    compact = _URL_NOISE.sub("", value)
    scheme = _SCHEME.match(compact)
    if scheme is None:
        return not compact.startswith("//")  # relative; a protocol-relative URL is another host
    name = scheme.group(1).lower()
    if name == "data":
        return tag == "img" and attribute == "src" and IMAGE_DATA.fullmatch(compact) is not None
    if tag == "img" and attribute == "src":
        return False  # an image from another host: a third-party request on every page view
    return name in SAFE_SCHEMES


def _fragment_filter(tag: str, attribute: str, value: str) -> str | None:
    if attribute in URL_ATTRIBUTES and not _url_allowed(tag, attribute, value):
        return None
    return value


def _notebook_filter(tag: str, attribute: str, value: str) -> str | None:
    if attribute in URL_ATTRIBUTES:
        return value if _url_allowed(tag, attribute, value) else None
    if attribute == "class":
        kept = [name for name in value.split() if not name.startswith("md-")]
        return " ".join(kept) or None
    if attribute == "id":
        return None if value.startswith("__") else value
    return value


def _fragment_attributes() -> dict[str, set[str]]:
    attributes = {tag: set(attrs) for tag, attrs in nh3.ALLOWED_ATTRIBUTES.items()}
    for tag, extra in {"td": {"align"}, "th": {"align"}, "code": {"class"}, "ol": {"start"}}.items():
        attributes.setdefault(tag, set()).update(extra)
    for tag, extra in MATHML_ATTRIBUTES.items():
        attributes.setdefault(tag, set()).update(extra)
    return attributes


# built once: configuring ammonia on every call cost three times the cleaning itself
_FRAGMENT = nh3.Cleaner(
    tags=set(nh3.ALLOWED_TAGS) | MATHML_TAGS,
    attributes=_fragment_attributes(),
    attribute_filter=_fragment_filter,
    url_schemes=set(SAFE_SCHEMES) | {"data"},
    link_rel="noopener noreferrer nofollow",
    strip_comments=True,
)

_NOTEBOOK_TAGS = set(nh3.ALLOWED_TAGS) | MATHML_TAGS | {"div", "span", "pre", "figure", "figcaption", "section"}
_NOTEBOOK_ATTRIBUTES = _fragment_attributes()
_NOTEBOOK_ATTRIBUTES["*"] = set(_NOTEBOOK_ATTRIBUTES.get("*", set())) | {"class", "id", "title", "lang", "dir", "style"}
_NOTEBOOK_ATTRIBUTES["td"] |= {"colspan", "rowspan"}
_NOTEBOOK_ATTRIBUTES["th"] |= {"colspan", "rowspan", "scope"}
_NOTEBOOK_ATTRIBUTES["img"] = {"src", "alt", "width", "height", "title"}

_NOTEBOOK = nh3.Cleaner(
    tags=_NOTEBOOK_TAGS,
    clean_content_tags={"script", "style", "clipboard-copy", "template", "textarea", "noscript", "iframe"},
    attributes=_NOTEBOOK_ATTRIBUTES,
    attribute_filter=_notebook_filter,
    url_schemes=set(SAFE_SCHEMES) | {"data"},
    link_rel="noopener noreferrer nofollow",
    strip_comments=True,
    filter_style_properties={"color", "background-color", "text-align", "font-weight"},
)


def clean_fragment(fragment: str) -> str:
    """A record field's HTML (from Markdown) as safe HTML."""
    return _FRAGMENT.clean(fragment)


def clean_notebook(page_html: str) -> str:
    """A converted notebook's HTML as safe page content."""
    return _NOTEBOOK.clean(page_html)
