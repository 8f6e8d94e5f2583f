"""`catalog dispatch --engine slurm` against the ideal on a real local Slurm (started here, as the
tests start it): N synthetic CPU use cases whose notebook sleeps S seconds.

    python benchmarks/bench_dispatch.py [--usecases 50] [--sleep 2]

Ideal: the sum of the notebooks' runtimes (each verdict's duration_s, measured inside the task)
divided by the node's CPUs. Reported: the wall time of the whole dispatch (submit, wait, collect,
merge), the ratio wall / ideal, and the overhead wall − ideal (also per task).
Needs root, slurm-wlm and munge (as .ci/run installs them).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))
from common import machine  # noqa: E402

from tests.slurm_cluster import local_cluster, missing  # noqa: E402

FIXTURE = HERE.parent / "tests" / "fixtures" / "reproduce"


def notebook(seconds: float) -> str:
    cells = [
        {"cell_type": "code", "execution_count": None, "id": "a1", "metadata": {}, "outputs": [],
         "source": ["import time\n", f"time.sleep({seconds})"]},
        {"cell_type": "code", "execution_count": 1, "id": "a2", "metadata": {},
         "outputs": [{"name": "stdout", "output_type": "stream", "text": ["2\n"]}],
         "source": ["# NBVAL_CHECK_OUTPUT\n", "print(1 + 1)"]},
    ]  # fmt: skip
    doc = {"cells": cells, "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python",
           "name": "python3"}}, "nbformat": 4, "nbformat_minor": 5}  # fmt: skip
    return json.dumps(doc, indent=1) + "\n"


def make_catalog(root: Path, count: int, seconds: float) -> None:
    shutil.copytree(FIXTURE / "datasets", root / "datasets")
    for i in range(count):
        uid = f"synthetic-{i:03d}"
        folder = root / "usecases" / uid
        (folder / "notebooks").mkdir(parents=True)
        (folder / "notebooks" / "nb.ipynb").write_text(notebook(seconds))
        (folder / "usecase.yaml").write_text(
            f"id: {uid}\ntitle: Synthetic {i}\nsummary: A synthetic use case whose notebook sleeps {seconds} s.\n"
            "domain: other\ntechniques: [other]\nauthors:\n  - name: Bench\ndatasets: [toy]\nnotebooks:\n"
            "  - path: notebooks/nb.ipynb\n    title: sleep\n    nbval: lax\n    cell_timeout: 60\n    gpu: none\n"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--usecases", type=int, default=50)
    parser.add_argument("--sleep", type=float, default=2.0, help="seconds each notebook sleeps")
    parser.add_argument("--batch", type=int, default=1, help="use cases per array task")
    args = parser.parse_args()
    why = missing()
    if why:
        print(f"bench_dispatch: cannot run: {why}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="kb-bench-dispatch-") as scratch, local_cluster() as cluster:
        root = Path(scratch) / "kb"
        make_catalog(root, args.usecases, args.sleep)
        results = root / "results.json"
        started = time.perf_counter()
        done = subprocess.run(
            [str(Path(sys.executable).parent / "catalog"), "dispatch", "--engine", "slurm", "--root", str(root),
             "--results", str(results), "--gpu", "no", "--poll", "0.5", "--work-dir", str(root / "work"),
             "--batch", str(args.batch)],
            env={**cluster.env, "PYTHONDONTWRITEBYTECODE": "1"},
            capture_output=True,
            text=True,
        )  # fmt: skip
        wall = time.perf_counter() - started
        if done.returncode not in (0, 1) or not results.is_file():  # 1: some notebook did not pass
            print(done.stdout[-3000:], done.stderr[-3000:], file=sys.stderr)
            return 1
        runs = [e["history"][-1] for e in json.loads(results.read_text())["notebooks"].values()]
        verdicts: dict[str, int] = {}
        for run in runs:
            verdicts[run["verdict"]] = verdicts.get(run["verdict"], 0) + 1
        busy = sum(r["duration_s"] for r in runs)
        ideal = busy / cluster.cpus
        print(json.dumps({"machine": machine(), "cpus": cluster.cpus, "load_average": os.getloadavg()}))
        shown = ", ".join(f"{n} {v}" for v, n in sorted(verdicts.items()))
        print(f"use cases: {len(runs)} ({shown}), notebook sleeps {args.sleep:g} s, batch {args.batch}")
        print(f"sum of runtimes: {busy:.1f} s; ideal on {cluster.cpus} CPUs: {ideal:.1f} s")
        print(f"dispatch wall time: {wall:.1f} s; ratio {wall / ideal:.2f}; overhead {wall - ideal:.1f} s")
        tasks = -(-len(runs) // args.batch)
        print(f"overhead per task: {(wall - ideal) * cluster.cpus / tasks:.2f} s of a CPU ({tasks} tasks)")
        print(f"within 1.2 x ideal + overhead: overhead beyond 1.2 x ideal = {wall - 1.2 * ideal:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
