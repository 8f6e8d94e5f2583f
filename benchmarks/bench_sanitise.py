"""What the notebook-safety boundary costs a build: the final-HTML cleaning of every notebook page
(nh3) and the authentication of cache entries, against the whole build, in one run.

    python benchmarks/bench_sanitise.py [--records 1000] [--work /tmp/kb-bench-sanitise]

Four in-process `mkdocs build`s of one synthetic catalog, timed by phase:

1. cold, as shipped: every notebook converted, its HTML cleaned (the cleaning's own time measured);
2. cold, cleaning replaced by the identity: the same build without the boundary (side by side);
3. warm, as shipped: every notebook page read from the cache, its entry authenticated and the
   stylesheet's content hash checked, and the parsed-records and compiled-template caches read and
   authenticated (all timed);
4. warm again (the figure a maintainer's and CI's cached builds see).

The ratio reported is (1) / (2) and the cleaning's share of (1); for warm builds, the share of the
authentication. Both builds in a pair use the same catalog, so only the boundary differs.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine
from synth import make_catalog, write_site_config


class Timer:
    def __init__(self) -> None:
        self.seconds = 0.0
        self.calls = 0

    def wrap(self, function: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - started
                self.calls += 1

        return timed


@contextlib.contextmanager
def patched(module: Any, name: str, replacement: Callable[..., Any]) -> Iterator[None]:
    original = getattr(module, name)
    setattr(module, name, replacement)
    try:
        yield
    finally:
        setattr(module, name, original)


def build(config: Path) -> float:
    from mkdocs.commands.build import build as mkdocs_build
    from mkdocs.config import load_config

    started = time.perf_counter()
    mkdocs_build(load_config(str(config), site_dir=str(config.parent / "site")))
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=1000)
    parser.add_argument("--work", type=Path, default=Path("/tmp/kb-bench-sanitise"))
    args = parser.parse_args()
    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
    os.environ["XDG_CACHE_HOME"] = str(args.work / "home-cache")  # the cache key of this run only
    import logging

    logging.getLogger("mkdocs").setLevel(logging.WARNING)
    import catalog.cache as caches
    import catalog.render.notebooks as notebooks
    import catalog.site_plugin as site_plugin

    root = args.work / f"catalog-{args.records}"
    if not (root / "mkdocs.yml").exists():
        make_catalog(root, args.records)
    config = write_site_config(root, hooks=True)
    cache = root / ".cache" / "kb-notebooks"
    print(f"machine: {machine()}")

    shutil.rmtree(cache, ignore_errors=True)
    build(config)  # warm-up: imports, the display copies, the stylesheet; not counted

    cleaning = Timer()
    shutil.rmtree(cache / "pages", ignore_errors=True)
    with patched(notebooks, "clean_notebook", cleaning.wrap(notebooks.clean_notebook)):
        cold = build(config)
    shutil.rmtree(cache / "pages", ignore_errors=True)
    with patched(notebooks, "clean_notebook", lambda html: html):
        cold_unclean = build(config)
    shutil.rmtree(cache / "pages", ignore_errors=True)
    build(config)  # the cache as shipped again

    checking = Timer()  # the entries' MACs (notebook pages, parsed records, templates), the stylesheet's hash
    with (
        patched(notebooks, "read_entry", checking.wrap(notebooks.read_entry)),
        patched(caches, "read_entry", checking.wrap(caches.read_entry)),
        patched(site_plugin, "read_blob", checking.wrap(site_plugin.read_blob)),
        patched(notebooks, "_read_stylesheet", checking.wrap(notebooks._read_stylesheet)),
    ):
        warm = build(config)
    warm_again = build(config)

    print(f"\n{args.records} records, {cleaning.calls} notebook pages cleaned:")
    print(
        f"  cold build   with cleaning {cold:6.1f} s   without {cold_unclean:6.1f} s   "
        f"ratio {cold / cold_unclean:.3f}   cleaning itself {cleaning.seconds:.2f} s "
        f"({100 * cleaning.seconds / cold:.1f} % of the build, "
        f"{1000 * cleaning.seconds / max(1, cleaning.calls):.2f} ms a page)"
    )
    print(
        f"  warm build   {warm:6.1f} s (again {warm_again:.1f} s)   cache authentication {checking.seconds:.3f} s "
        f"({100 * checking.seconds / warm:.2f} % of the build, {checking.calls} entries, stylesheets and templates)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
