"""`catalog reproduce` on an unchanged catalog vs its first run: kernels started and time.

python benchmarks/bench_reproduce.py [--usecases 6]
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine
from synth import make_catalog


def reproduce(root: Path) -> tuple[float, int, str]:
    started = time.perf_counter()
    done = subprocess.run(
        [
            str(Path(sys.executable).parent / "catalog"),
            "reproduce",
            "--root",
            str(root),
            "--results",
            str(root / "results.json"),
            "--gpu",
            "yes",
        ],
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - started
    match = re.search(r"(\d+) notebook\(s\) executed", done.stdout)
    if done.returncode != 0 or not match:
        raise RuntimeError(done.stdout + done.stderr)
    return elapsed, int(match.group(1)), done.stdout


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--usecases", type=int, default=6)
    parser.add_argument("--work", type=Path, default=Path("/tmp/kb-bench-reproduce"))
    args = parser.parse_args()
    print(f"machine: {machine()}")
    make_catalog(args.work, args.usecases * 5)  # 20% of records are use cases, one notebook each
    first, kernels_first, _ = reproduce(args.work)
    second, kernels_second, _ = reproduce(args.work)
    print(f"\nfirst run:  {first:6.2f} s, {kernels_first} notebook(s) executed (one kernel each)")
    print(f"second run: {second:6.2f} s, {kernels_second} notebook(s) executed")
    print(f"unchanged run costs {100 * second / first:.1f} % of the first run")
    (args.work / "bench_reproduce.json").write_text(
        json.dumps(
            {"first_s": first, "second_s": second, "kernels_first": kernels_first, "kernels_second": kernels_second}
        )
    )
    return 0 if kernels_second == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
