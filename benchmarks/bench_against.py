"""The build ratio (ours / plain MkDocs) of the checked-out code next to another revision's, in one
interleaved run: the question "is the build still as fast, relative to plain MkDocs, as it was at
REV?" answered on one machine at one time, so load and disk cache hit both sides alike.

    python benchmarks/bench_against.py --rev a57870f [--size 1000] [--repeat 5]

Each side builds its own synthetic catalog and plain baseline with its own `bench_build.py` (a
`git worktree` of REV, put first on PYTHONPATH, so REV's `catalog` package is the one imported).
Then the four builds (REV ours, REV plain, HEAD ours, HEAD plain) run in turn `--repeat` times; the
medians of wall time, CPU time (user + system of the build's process tree) and user CPU time alone
(the system time is mostly the disk's, writing the same site on both sides, and varies the most)
give each side's ratio.
"""

from __future__ import annotations

import argparse
import compileall
import os
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine, measure

HERE = Path(__file__).resolve().parents[1]


def worktree(rev: str, work: Path) -> Path:
    sha = subprocess.run(["git", "rev-parse", rev], cwd=HERE, capture_output=True, text=True, check=True).stdout.strip()
    tree = work / f"tree-{sha[:12]}"
    if not (tree / "catalog").is_dir():
        subprocess.run(["git", "worktree", "add", "-f", "--detach", str(tree), sha], cwd=HERE, check=True)
    return tree


def prepare(code: Path, work: Path, size: int) -> None:
    """The side's own catalogs and plain site, made by its own bench_build.py (one measured build
    each, not used here)."""
    for package in ("catalog", "mlinfn_data"):
        if (code / package).is_dir():
            compileall.compile_dir(str(code / package), quiet=1)
    if not (work / f"ours-{size}" / "mkdocs.yml").exists():
        env = {**os.environ, "PYTHONPATH": str(code), "NO_MKDOCS_2_WARNING": "1"}
        command = [sys.executable, str(code / "benchmarks" / "bench_build.py"), "--sizes", str(size)]
        subprocess.run([*command, "--work", str(work), "--repeat", "1"], cwd=code, env=env, check=True)


def build(code: Path, root: Path, site: Path) -> dict[str, float]:
    shutil.rmtree(site, ignore_errors=True)
    command = [sys.executable, "-m", "mkdocs", "build", "-q", "-f", str(root / "mkdocs.yml"), "-d", str(site)]
    return measure(command, root, env={"PYTHONPATH": str(code)})


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rev", required=True, help="the revision to compare with (e.g. a57870f)")
    parser.add_argument("--size", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--work", type=Path, default=Path("/tmp/kb-bench-against"))
    parser.add_argument(
        "--site-dir",
        type=Path,
        help="where the sites are built (default: in --work); a RAM disk such as /dev/shm/kb-site takes "
        "the disk's noise out of the system time",
    )
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    sides = {args.rev: worktree(args.rev, args.work), "HEAD": HERE}
    for name, code in sides.items():
        prepare(code, args.work / name.replace("/", "_"), args.size)
    print(f"machine: {machine()}; {args.size} records; load average {os.getloadavg()[0]:.1f}")
    times: dict[tuple[str, str], list[dict[str, float]]] = {}
    for _ in range(args.repeat):
        for name, code in sides.items():
            for kind in ("ours", "plain"):
                root = args.work / name.replace("/", "_") / f"{kind}-{args.size}"
                site = args.site_dir or args.work / "site"
                times.setdefault((name, kind), []).append(build(code, root, site))
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    ratios = {}
    for name in sides:
        wall = {k: statistics.median(r["seconds"] for r in times[(name, k)]) for k in ("ours", "plain")}
        cpu = {k: statistics.median(r["cpu_seconds"] for r in times[(name, k)]) for k in ("ours", "plain")}
        user = {k: statistics.median(r["user_seconds"] for r in times[(name, k)]) for k in ("ours", "plain")}
        ratios[name] = (wall["ours"] / wall["plain"], cpu["ours"] / cpu["plain"], user["ours"] / user["plain"])
        print(
            f"{name:>10}: wall {wall['ours']:.2f} s / {wall['plain']:.2f} s = {ratios[name][0]:.3f}x   "
            f"CPU {cpu['ours']:.2f} s / {cpu['plain']:.2f} s = {ratios[name][1]:.3f}x   "
            f"user CPU {user['ours']:.2f} s / {user['plain']:.2f} s = {ratios[name][2]:.3f}x"
        )
    old, new = ratios[args.rev], ratios["HEAD"]
    print(f"(medians of {args.repeat}) HEAD's ratio / {args.rev}'s:")
    print(
        f"  wall {new[0] / old[0]:.3f}, CPU {new[1] / old[1]:.3f}, user CPU {new[2] / old[2]:.3f} (1.05 = 5 % slower)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
