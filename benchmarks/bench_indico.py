"""`catalog import indico` on a synthetic category export: first import (every record created),
second import (nothing to change) and the baseline in the same run — `catalog validate` of the
catalog the import produced, i.e. reading every record once.

    python benchmarks/bench_indico.py --talks 200 1000
"""

from __future__ import annotations

import argparse
import copy
import json
import shutil
import sys
import tempfile
from pathlib import Path

from common import machine, measure, ratio

REPO = Path(__file__).resolve().parents[1]
FIXTURE = REPO / "tests" / "fixtures" / "indico" / "categ-1467.json"
CATALOG = [sys.executable, "-c", "import sys; from catalog.cli import main; sys.exit(main())"]


def synthetic_export(talks: int) -> dict:
    """`talks` one-talk meetings, cloned from the fixture's meeting with new ids, days and titles."""
    document = json.loads(FIXTURE.read_text())
    meeting = document["results"][1]
    results = []
    for i in range(talks):
        event = copy.deepcopy(meeting)
        ident = 20000 + i
        day = f"{2020 + i // 300}-{1 + i // 25 % 12:02d}-{1 + i % 25:02d}"
        event["id"], event["url"] = str(ident), f"https://indico.example.org/event/{ident}/"
        event["startDate"]["date"] = event["endDate"]["date"] = day
        contrib = event["contributions"][0]
        contrib["title"] = f"Synthetic seminar number {i} on machine learning"
        contrib["url"] = f"https://indico.example.org/event/{ident}/contributions/1/"
        contrib["startDate"]["date"] = contrib["endDate"]["date"] = day
        results.append(event)
    document["results"], document["count"] = results, len(results)
    return document


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--talks", type=int, nargs="+", default=[200, 1000])
    args = parser.parse_args()
    print(machine())
    print(f"{'talks':>6} {'first import':>13} {'second import':>14} {'validate (baseline)':>20} {'2nd/baseline':>13}")
    for n in args.talks:
        work = Path(tempfile.mkdtemp(prefix="kb-bench-indico-"))
        try:
            root = work / "kb"
            (root / "seminars").mkdir(parents=True)
            export = work / "export.json"
            export.write_text(json.dumps(synthetic_export(n)))
            command = [*CATALOG, "import", "indico", str(export), "--root", str(root)]
            first = measure(command, REPO)
            second = measure(command, REPO)
            baseline = measure([*CATALOG, "validate", "--root", str(root)], REPO)
            print(
                f"{n:>6} {first['seconds']:>12.2f}s {second['seconds']:>13.2f}s {baseline['seconds']:>19.2f}s "
                f"{ratio(second['seconds'], baseline['seconds']):>13}"
            )
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
