"""TeX in Markdown text as MathML, before any Markdown renderer sees it.

Physics notebooks and record descriptions write math as `$…$`, `$$…$$`, `\\[…\\]` and
`\\begin{align}…\\end{align}`. Markdown renderers mangle it (`_` becomes emphasis, `\\,` loses
its backslash), and a client-side engine would be a script and a third-party request. So math is
converted on the server by latex2mathml into MathML, which current browsers render natively, and
the original TeX travels with it as `<annotation encoding="application/x-tex">` (what copy and
paste, screen readers and search engines read). Code spans and fenced or indented code blocks are
left alone. What latex2mathml cannot convert stays as the TeX text.

The MathML is written as inline HTML in which no character means anything to Markdown, so the
renderer passes it through unchanged; the site's sanitiser then keeps the MathML elements.
"""

from __future__ import annotations

import html
import re
from functools import lru_cache

# characters Markdown (CommonMark, GFM, mistune) gives a meaning to inside text
_MARKDOWN_INERT = str.maketrans({c: f"&#{ord(c)};" for c in "\\`*_{}[]()#!|$~<>&\"'"})

_DISPLAY = re.compile(
    r"\$\$(?P<dollars>.+?)\$\$"
    r"|\\\[(?P<brackets>.+?)\\\]"
    r"|(?P<env>\\begin\{(?P<name>align\*?|equation\*?|gather\*?|multline\*?|eqnarray\*?)\}.+?\\end\{(?P=name)\})",
    re.DOTALL,
)
# inline: $x$ with no space just inside the dollars and no digit right after the closing one
# (so "costs $5 and $6" stays text), or \( x \)
_INLINE = re.compile(r"(?<![\\$])\$(?P<dollar>[^\s$](?:[^$\n]*?[^\s\\$])?)\$(?![$\d])|\\\((?P<paren>.+?)\\\)")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_CODE_SPAN = re.compile(r"(`+)(?:.+?)(?<!`)\1(?!`)", re.DOTALL)


def markdown_with_mathml(text: str) -> str:
    """The Markdown text with its math replaced by inert MathML (code left alone)."""
    if "$" not in text and "\\" not in text:
        return text
    out: list[str] = []
    prose: list[str] = []
    fence: str | None = None
    for line in text.splitlines(keepends=True):
        opener = _FENCE.match(line)
        if fence is None and opener:
            out.append(_convert_prose("".join(prose)))
            prose = []
            fence = opener.group(1)[0] * len(opener.group(1))
            out.append(line)
        elif fence is not None:
            out.append(line)
            if line.strip().startswith(fence):
                fence = None
        elif line.startswith(("    ", "\t")) and (not prose or prose[-1].strip() == ""):
            out.append(_convert_prose("".join(prose)))
            prose = []
            out.append(line)  # an indented code block
        else:
            prose.append(line)
    out.append(_convert_prose("".join(prose)))
    return "".join(out)


def _convert_prose(text: str) -> str:
    if not text:
        return text
    parts, position = [], 0
    for span in _CODE_SPAN.finditer(text):
        parts.append(_convert_math(text[position : span.start()]))
        parts.append(span.group())
        position = span.end()
    parts.append(_convert_math(text[position:]))
    return "".join(parts)


def _convert_math(text: str) -> str:
    def display(match: re.Match[str]) -> str:
        tex = match.group("dollars") or match.group("brackets") or match.group("env")
        return mathml(tex.strip(), display=True) or match.group()

    def inline(match: re.Match[str]) -> str:
        tex = match.group("dollar") or match.group("paren")
        return mathml(tex.strip(), display=False) or match.group()

    return _INLINE.sub(inline, _DISPLAY.sub(display, text))


@lru_cache(maxsize=4096)
def mathml(tex: str, *, display: bool) -> str | None:
    """`<math>` for one formula, with its TeX as an annotation; None where it cannot be converted."""
    from latex2mathml.converter import convert

    try:
        converted = convert(tex, display="block" if display else "inline")
    except Exception:  # latex2mathml raises many kinds for TeX it does not know
        return None
    if "\\" in re.sub(r"<[^>]*>", "", converted):
        return None  # an unknown command came through as text: better shown as the author wrote it
    head, _, rest = converted.partition(">")
    body = rest.removesuffix("</math>")
    annotation = html.escape(tex, quote=False)
    mathml_text = (
        f'{head} class="kb-math"><semantics>{body}'
        f'<annotation encoding="application/x-tex">{annotation}</annotation></semantics></math>'
    )
    return _inert(mathml_text)


_TEXT = re.compile(r">([^<]+)<")


def _inert(markup: str) -> str:
    """Text between tags with every Markdown-significant character as an entity (tags stay tags)."""
    return _TEXT.sub(lambda m: ">" + html.unescape(m.group(1)).translate(_MARKDOWN_INERT) + "<", markup)
