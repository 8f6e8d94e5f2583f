"""`catalog export`: catalog.json, seminars.ics, feed.xml and citations without a site build;
`catalog export pages DIR`: the whole site as plain files for other engines (`exports/pages.py`)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from .common import catalog_root
from .site import warn_without_site_url

if TYPE_CHECKING:
    from .common import Subparsers


def cmd_export(args: argparse.Namespace) -> int:
    import datetime as dt

    from ..exports.citation import bibtex_entry, citation_cff
    from ..render.launch import SiteSettings
    from ..render.site import render_site
    from ..reproduce.store import load_statuses
    from ..validate import load_catalog

    root = catalog_root(args.root)
    catalog = load_catalog(root)
    if catalog.has_errors:
        from ..problems import format_text

        sys.stderr.write(format_text([p for p in catalog.problems if p.is_error]))
        return 1
    statuses, history = load_statuses(catalog, root / args.results)
    warn_without_site_url(args.site_url)
    settings = SiteSettings.from_mapping({"repository": args.repository, "branch": args.branch}, args.site_url)
    site = render_site(catalog, settings, statuses, dt.date.today(), history)
    out = Path(args.output)
    files = {name: data for name, data in site.files.items() if not name.startswith("schemas/")}
    for record in catalog.usecases.values():
        files[f"citations/{record.id}.bib"] = bibtex_entry(record, settings).encode()
        files[f"citations/{record.id}.cff"] = citation_cff(record, settings).encode()
    for name, data in files.items():
        target = out / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    print(f"catalog: wrote {len(files)} files to {out}")
    return 0


def register(sub: Subparsers) -> None:
    p = sub.add_parser("export", help="write catalog.json, seminars.ics, feed.xml and citations without a site build")
    p.add_argument("--root", help="catalog root (default: current folder)")
    p.add_argument("-o", "--output", default="export")
    p.add_argument("--results", default="results/results.json")
    p.add_argument("--repository", default="")
    p.add_argument("--branch", default="main")
    p.add_argument("--site-url", default="")
    p.set_defaults(func=cmd_export)
    what = p.add_subparsers(dest="export_what", metavar="pages")
    pages = what.add_parser(
        "pages", help="write every page, rendered notebook and asset as a docs folder + mkdocs.yml for other engines"
    )
    pages.add_argument("dir", help="a new or empty folder (an existing export is never overwritten)")
    pages.add_argument("-f", "--config-file", default="mkdocs.yml")
    pages.set_defaults(func=cmd_export_pages)


def cmd_export_pages(args: argparse.Namespace) -> int:
    from ..exports.pages import ExportError, export_pages

    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")  # Material's notice on loading the configuration
    try:
        count = export_pages(Path(args.config_file), Path(args.dir))
    except ExportError as exc:
        print(f"catalog: {exc}", file=sys.stderr)
        return 1
    print(f"catalog: wrote {count} files to {args.dir} (build them with the mkdocs.yml there)")
    return 0
