"""Site build with our hooks vs plain `mkdocs build` of the same pages as Markdown files
(same theme, plugins and navigation.prune), at 1,000 and 5,000 records, in one run.

    python benchmarks/bench_build.py [--sizes 1000 5000] [--work /tmp/kb-bench]

Both sites get one warm-up build first (notebook conversions are cached across builds, as in a
maintainer's or CI's cached build); then the two sites are built alternately `--repeat` times and
the median of each is reported (this machine's disk makes single builds vary by ±20 %).

Our package is byte-compiled first, as an install (or the warm-up build, where Python may write
bytecode) leaves it: this machine sets PYTHONDONTWRITEBYTECODE=1, so an editable checkout would
otherwise compile every `catalog` module on every build (~0.05 s), which the baseline's installed
packages never do.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import folder_bytes, machine, measure, ratio
from synth import counts as synth_counts
from synth import make_catalog, write_markdown_site, write_site_config


def build(config: Path, site: Path) -> dict[str, float]:
    shutil.rmtree(site, ignore_errors=True)
    result = measure([sys.executable, "-m", "mkdocs", "build", "-q", "-f", str(config), "-d", str(site)], config.parent)
    index = site / "search" / "search_index.json"
    result.update(
        site_mb=folder_bytes(site) / 1e6,
        index_bytes=index.stat().st_size,
        index_entries=len(json.loads(index.read_text())["docs"]),
    )
    return result


def compile_package() -> None:
    """Bytecode for `catalog` and `mlinfn_data` (written explicitly: PYTHONDONTWRITEBYTECODE only
    stops the interpreter from writing it on import)."""
    import compileall

    import mlinfn_data

    import catalog

    for package in (catalog, mlinfn_data):
        compileall.compile_dir(str(Path(package.__file__).parent), quiet=1)


def median_run(runs: list[dict[str, float]]) -> dict[str, float]:
    """The run with the median build time (its memory and sizes come with it)."""
    middle = statistics.median_low([r["seconds"] for r in runs])
    return next(r for r in runs if r["seconds"] == middle)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("--work", type=Path, default=Path("/tmp/kb-bench-build"))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep a synthetic catalog of the same size from an earlier run (and its caches)",
    )
    args = parser.parse_args()
    print(f"machine: {machine()}")
    compile_package()
    rows = []
    for size in args.sizes:
        ours_root, base_root = args.work / f"ours-{size}", args.work / f"plain-{size}"
        if args.reuse and (ours_root / "mkdocs.yml").exists():
            counts = synth_counts(size)
        else:
            counts = make_catalog(ours_root, size)
        ours_config = write_site_config(ours_root, hooks=True)
        base_config = write_markdown_site(ours_root, base_root)
        for config, root in ((ours_config, ours_root), (base_config, base_root)):
            build(config, root / "site")  # warm-up: fills the notebook conversion caches
        runs: dict[str, list[dict[str, float]]] = {"ours": [], "plain": []}
        load_before = os.getloadavg()[0]
        for _ in range(args.repeat):
            runs["ours"].append(build(ours_config, ours_root / "site"))
            runs["plain"].append(build(base_config, base_root / "site"))
        ours, base = (median_run(runs[name]) for name in ("ours", "plain"))
        row = {"records": size, **{f"n_{k}": v for k, v in counts.items()}, "ours": ours, "plain": base, "runs": runs}
        rows.append(row)
        print(f"\n{size} records ({counts}), load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after:")
        print(
            f"  build time   ours {ours['seconds']:7.1f} s   plain {base['seconds']:7.1f} s   "
            f"ratio {ratio(ours['seconds'], base['seconds'])}   (median of {args.repeat}; ours "
            f"{min(r['seconds'] for r in runs['ours']):.1f}–{max(r['seconds'] for r in runs['ours']):.1f} s, plain "
            f"{min(r['seconds'] for r in runs['plain']):.1f}–{max(r['seconds'] for r in runs['plain']):.1f} s)"
        )
        cpu = {name: statistics.median(r["cpu_seconds"] for r in runs[name]) for name in ("ours", "plain")}
        print(
            f"  CPU time     ours {cpu['ours']:7.1f} s   plain {cpu['plain']:7.1f} s   "
            f"ratio {ratio(cpu['ours'], cpu['plain'])}   (median of {args.repeat}; user + system)"
        )
        print(
            f"  peak memory  ours {ours['peak_mb']:7.0f} MB  plain {base['peak_mb']:7.0f} MB  "
            f"ratio {ratio(ours['peak_mb'], base['peak_mb'])}"
        )
        print(
            f"  site size    ours {ours['site_mb']:7.1f} MB  plain {base['site_mb']:7.1f} MB  "
            f"ratio {ratio(ours['site_mb'], base['site_mb'])}"
        )
        print(
            f"  search index ours {ours['index_bytes'] / size:7.0f} B/record  plain "
            f"{base['index_bytes'] / size:7.0f} B/record"
        )
    (args.work / "bench_build.json").write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
