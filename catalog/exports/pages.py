"""`catalog export pages DIR`: the whole site as plain files that any MkDocs-compatible engine builds.

The `kb` plugin renders every record, listing, tag, reference and notebook page in memory during a
MkDocs 1.x build (the default engine and the fast path). Engines without MkDocs' plugin events
(Zensical, which ignores `hooks:` and MkDocs plugins; MkDocs 2.0, which has no plugin system)
build from a docs folder instead. This writes that folder from the same rendering
(`site_plugin.load_state` + `site_plugin.generated_site`, as the plugin's `on_config`/`on_files`):

    DIR/mkdocs.yml   the site's configuration without the `kb` plugin and `hooks:`; docs_dir: docs
    DIR/docs/        the hand-written docs (copied), every generated page and every notebook
                     rendered to HTML as `<url>/index.md` (`urls.index_page`: the URL the plugin's
                     build serves it at), the committed notebooks byte for byte, data files,
                     schemas and stylesheets
    DIR/overrides/   the theme's `custom_dir`, when the site has one

Why `<url>/index.md`: a page's relative links are written relative to its URL. MkDocs leaves links
in raw HTML alone; Zensical resolves them against the source file (adding `../` on a page that is
not an index page). A folder's index page has its URL as its folder, so both engines agree. The
nav and the hand-written pages' Markdown links to generated pages follow them (`point_nav`,
`point_links`).

A generated page is already-cleaned HTML (`render/sanitise.py` is the one cleaning boundary): it is
written as front matter (the title, which engines read) and one raw HTML block, which Markdown
engines copy through unchanged. The few characters that Python-Markdown rewrites before it looks at
HTML (tabs, carriage returns, whitespace-only lines, STX/ETX) and the blank lines that end a
CommonMark HTML block are written as character references, which a browser reads as the same
characters (`passthrough`).

The export is written into a temporary folder beside DIR and renamed into place only when complete:
a failed run leaves nothing, and an earlier export is never touched (a DIR that exists and is not
empty is refused). Symbolic links are never followed: a link as DIR is refused, a link among the
files copied is a problem (KB010).
"""

from __future__ import annotations

import os
import posixpath
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

import yaml

from ..errors import UsageError
from ..permissions import dir_mode
from ..problems import format_text
from ..render.document import Document
from ..render.site import GeneratedSite
from ..tree import symlink_problems
from ..urls import NAV_PAGES, index_page

# mkdocs.yml keys that only make sense with the source tree or the `kb` plugin
DROPPED_KEYS = ("hooks", "watch", "site_dir", "docs_dir", "INHERIT")
PLUGIN = "kb"
WRAPPER_OPEN = '<div class="kb-page">\n'
WRAPPER_CLOSE = "</div>\n"

_BLANK_LINES = re.compile(r"\n(?=[ ]*\n)")
_SPACES_ONLY_LINE = re.compile(r"(?<=\n)[ ]+(?=\n)")


class ExportError(Exception):
    """The site cannot be rendered (catalog problems, an unreadable results store …): exit 1."""


def passthrough(html: str) -> str:
    """`html` as one block that Python-Markdown and CommonMark engines copy unchanged, and that a
    browser reads as the same document.

    Python-Markdown's first step (`NormalizeWhitespace`) removes STX/ETX, turns CR into LF, expands
    tabs and empties whitespace-only lines; a blank line ends a CommonMark HTML block. Each of these
    characters is written as the character reference a browser decodes back (CR becomes LF first,
    as a browser's own input step does). Generated pages hold such characters only in text and
    attribute values (the cleaner re-serialises every tag), and never in a `<script>` (JSON-LD is
    written without raw control characters), where references would not be decoded.
    """
    text = html.replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\t", "&#9;").replace("\x02", "&#2;").replace("\x03", "&#3;")
    text = _SPACES_ONLY_LINE.sub(lambda m: "&#32;" * len(m.group(0)), text)
    return _BLANK_LINES.sub("&#10;", text)


def page_text(doc: Document) -> str:
    """A generated page as a Markdown file: front matter, then its HTML as one raw block."""
    body = doc.body if doc.body.endswith("\n") else doc.body + "\n"
    return doc.front_matter() + "\n" + passthrough(WRAPPER_OPEN + body) + WRAPPER_CLOSE


_MD_LINK = re.compile(r"(\]\(\s*<?|^[ ]{0,3}\[[^\]\n]+\]:[ \t]*<?)([^\s()<>#?]+\.md)(?=[#?>)\s])", re.MULTILINE)


def point_links(text: str, uri: str, moved: dict[str, str]) -> str:
    """A hand-written Markdown page's links to generated pages, pointed at where they are written
    (inline links and link definitions; other links are left as written)."""
    folder = posixpath.dirname(uri)

    def repoint(match: re.Match[str]) -> str:
        target = posixpath.normpath(posixpath.join(folder, match.group(2)))
        if target not in moved:
            return match.group(0)
        return match.group(1) + posixpath.relpath(moved[target], folder or ".")

    return _MD_LINK.sub(repoint, text)


def point_nav(nav: Any, moved: dict[str, str]) -> Any:
    """mkdocs.yml's nav with entries for generated pages pointed at where they are written."""
    if isinstance(nav, list):
        return [point_nav(item, moved) for item in nav]
    if isinstance(nav, dict):
        return {key: point_nav(value, moved) for key, value in nav.items()}
    return moved.get(nav, nav) if isinstance(nav, str) else nav


def check_destination(dest: Path) -> None:
    """Refuse a DIR that is a link, not a folder, or a folder with anything in it (exit 2)."""
    if dest.is_symlink():
        raise UsageError(f"{dest} is a symbolic link; give a new or empty folder")
    if dest.exists():
        if not dest.is_dir():
            raise UsageError(f"{dest} exists and is not a folder; give a new or empty folder")
        if any(dest.iterdir()):
            raise UsageError(f"{dest} exists and is not empty; give a new or empty folder")


def export_config(
    raw: dict[str, Any], moved: dict[str, str], default_nav: list[Any], overrides: bool
) -> dict[str, Any]:
    """The site's mkdocs.yml for the exported docs folder: no `kb` plugin, no hooks, no
    `extra.catalog` (its settings are already in the pages); nav entries follow moved pages."""
    config = {key: value for key, value in raw.items() if key not in DROPPED_KEYS}
    config["docs_dir"] = "docs"
    if "plugins" in config:
        config["plugins"] = [entry for entry in config["plugins"] if not _is_kb(entry)]
    theme = config.get("theme")
    if isinstance(theme, dict):
        theme = {key: value for key, value in theme.items() if key != "custom_dir"}
        if overrides:
            theme["custom_dir"] = "overrides"
        config["theme"] = theme
    extra = config.get("extra")
    if isinstance(extra, dict):
        extra = {key: value for key, value in extra.items() if key != "catalog"}
        if extra:
            config["extra"] = extra
        else:
            del config["extra"]
    config["nav"] = point_nav(config["nav"], moved) if "nav" in config else default_nav
    # record, tag and notebook pages are reached through the listings, as in the plugin's build
    config.setdefault("not_in_nav", "/**/*.md")
    return config


def _is_kb(entry: object) -> bool:
    if isinstance(entry, dict):
        return PLUGIN in entry
    return entry == PLUGIN


def _files_of(source: Path) -> list[str]:
    """Every regular file under `source`, as a POSIX path relative to it (links are not followed,
    and were refused before)."""
    found = []
    for base, dirs, files in os.walk(source, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not Path(base, d).is_symlink())
        for name in sorted(files):
            path = Path(base, name)
            if path.is_file() and not path.is_symlink():
                found.append(path.relative_to(source).as_posix())
    return found


def _write(target: Path, data: str | bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        target.write_text(data, encoding="utf-8", newline="")
    else:
        target.write_bytes(data)


def site_files(site: GeneratedSite, docs: Path) -> tuple[dict[str, str | bytes], dict[str, str]]:
    """Every file of the exported docs folder (by path) and where each generated page went.

    A hand-written file wins over a generated one of the same name, as in the plugin's build; a
    hand-written Markdown page's links to generated pages follow them to their new place."""
    hand_written = _files_of(docs)
    pages = {uri: doc for uri, doc in site.pages.items() if uri not in hand_written}
    moved = {uri: index_page(uri) for uri in [*pages, *site.notebooks]}
    out: dict[str, str | bytes] = {}
    for uri in hand_written:
        raw = (docs / uri).read_bytes()
        try:
            out[uri] = point_links(raw.decode("utf-8"), uri, moved) if uri.endswith(".md") else raw
        except UnicodeDecodeError:
            out[uri] = raw  # copied as it is; the engine reports it
    for uri, doc in [*pages.items(), *site.notebooks.items()]:
        out.setdefault(moved[uri], page_text(doc))
    for uri, data in site.files.items():
        out.setdefault(uri, data)
    return out, moved


def export_pages(config_file: Path, dest: Path) -> int:
    """Write the export of the site configured by `config_file` to `dest`; the number of files."""
    from mkdocs.config import load_config
    from mkdocs.exceptions import ConfigurationError, PluginError
    from mkdocs.utils.yaml import yaml_load

    from ..site_plugin import generated_site, load_state

    dest = Path(os.path.abspath(dest))
    check_destination(dest)
    if not config_file.is_file():
        raise UsageError(f"no MkDocs configuration at {config_file}")
    try:
        config = load_config(str(config_file))
    except ConfigurationError as exc:
        raise UsageError(f"{config_file}: {exc}") from exc
    try:
        state = load_state(config)
    except PluginError as exc:
        raise ExportError(str(exc)) from exc
    docs = Path(config.docs_dir)
    custom_dir = Path(config.theme.custom_dir) if config.theme.custom_dir else None
    links = symlink_problems(state.root, tuple(folder for folder in (docs, custom_dir) if folder))
    if links:
        raise ExportError("symbolic links among the files to copy:\n" + format_text(links))
    site = generated_site(state)
    docs_files, moved = site_files(site, docs)
    files = {f"docs/{uri}": data for uri, data in docs_files.items()}
    if custom_dir:
        files.update({f"overrides/{uri}": (custom_dir / uri).read_bytes() for uri in _files_of(custom_dir)})
    with config_file.open("rb") as handle:  # as written (MkDocs' validation rewrites what it loaded)
        raw = yaml_load(handle)
    default_nav = [{site.pages[uri].title: moved.get(uri, uri)} for uri in NAV_PAGES if uri in site.pages]
    text = yaml.safe_dump(export_config(raw, moved, default_nav, bool(custom_dir)), sort_keys=False, allow_unicode=True)
    files["mkdocs.yml"] = "# Written by `catalog export pages`: the site without the kb plugin.\n" + text

    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{dest.name}.export-", dir=dest.parent))
    try:
        staging.chmod(dir_mode())  # mkdtemp's 0700 would hide the export from other users
        for uri, data in files.items():
            try:
                _write(staging / uri, data)
            except OSError as exc:  # e.g. a hand-written folder where a generated file goes
                raise ExportError(f"cannot write {uri}: {exc.strerror or exc}; nothing was written to {dest}") from exc
        try:
            if dest.exists():
                dest.rmdir()  # empty (checked above); a folder that filled up since makes this fail
            staging.rename(dest)
        except OSError as exc:
            raise ExportError(f"cannot move the export into {dest}: {exc.strerror or exc}") from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return len(files)
