"""Where one `mkdocs build` spends its time, by phase and page kind (not a benchmark: a profile
that is cheaper to read than cProfile's).

    python benchmarks/phases.py [-f mkdocs.yml] [-d SITE_DIR]

Prints seconds spent in: loading the config, each plugin event, populating pages (reading and
rendering content), building pages (template + search + writing), Jinja alone and file writes,
split into notebook pages (`:nb`) and all other pages (`:doc`).
"""

from __future__ import annotations

import argparse
import collections
import sys
import time
from collections.abc import Callable
from typing import Any

import jinja2
import mkdocs.commands.build as build_module
from mkdocs.__main__ import cli
from mkdocs.plugins import PluginCollection

SECONDS: collections.defaultdict[str, float] = collections.defaultdict(float)
current_page: list[Any] = [None]


def kind(page: Any) -> str:
    if page is None:
        return ""
    return ":nb" if page.file.src_uri.endswith(".ipynb") else ":doc"


def timed(owner: Any, name: str, key: Callable[..., str], track_page: bool = False) -> None:
    original = getattr(owner, name)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if track_page:
            current_page[0] = args[0]
        start = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            SECONDS[key(*args, **kwargs)] += time.perf_counter() - start

    setattr(owner, name, wrapper)


def event_key(_self: Any, name: str, *args: Any, **kwargs: Any) -> str:
    page = kwargs.get("page") or (current_page[0] if "page" in name else None)
    return f"event:{name}{kind(page)}"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("-f", "--config-file", default="mkdocs.yml")
    parser.add_argument("-d", "--site-dir", default="/tmp/kb-phases-site")
    args = parser.parse_args()
    timed(PluginCollection, "run_event", event_key)
    timed(build_module, "_populate_page", lambda page, *a, **k: "populate" + kind(page), track_page=True)
    timed(build_module, "_build_page", lambda page, *a, **k: "build page" + kind(page), track_page=True)
    timed(jinja2.Template, "render", lambda *a, **k: "jinja" + kind(current_page[0]))
    timed(build_module.utils, "write_file", lambda content, path: "write file")
    timed(build_module, "build", lambda *a, **k: "build (total)")
    try:
        cli(["build", "-q", "-f", args.config_file, "-d", args.site_dir])
    except SystemExit as exit_:
        if exit_.code:
            return int(exit_.code)
    for key, seconds in sorted(SECONDS.items()):
        if seconds >= 0.05:
            print(f"{key:28s} {seconds:7.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
