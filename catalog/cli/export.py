"""`catalog export`: catalog.json, seminars.ics, feed.xml and citations without a site build."""

from __future__ import annotations

import argparse
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
