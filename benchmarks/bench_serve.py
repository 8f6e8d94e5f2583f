"""One-record rebuild under `mkdocs serve` vs a full build, read from MkDocs' own timings.

python benchmarks/bench_serve.py [--records 1000]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine
from synth import make_catalog, write_site_config

BUILT = re.compile(r"Documentation built in ([0-9.]+) seconds")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=1000)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--work", type=Path, default=Path("/tmp/kb-bench-serve"))
    args = parser.parse_args()
    print(f"machine: {machine()}")
    make_catalog(args.work, args.records)
    config = write_site_config(args.work, hooks=True)
    subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "-q", "-f", str(config), "-d", str(args.work / "s")],
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        check=True,
        cwd=args.work,
    )  # warm the caches
    server = subprocess.Popen(
        [sys.executable, "-m", "mkdocs", "serve", "-f", str(config), "-a", f"127.0.0.1:{args.port}"],
        cwd=args.work,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    times: list[float] = []

    def read() -> None:
        assert server.stdout is not None
        for line in server.stdout:
            if match := BUILT.search(line):
                times.append(float(match.group(1)))

    threading.Thread(target=read, daemon=True).start()
    try:
        deadline = time.monotonic() + 900
        while not times and time.monotonic() < deadline:
            if server.poll() is not None:
                raise RuntimeError("mkdocs serve stopped (is the port free?)")
            time.sleep(0.5)
        time.sleep(2)
        record = next(iter(sorted((args.work / "datasets").glob("*.yaml"))))
        record.write_text(record.read_text().replace("summary: ", "summary: Edited. ", 1))
        while len(times) < 2 and time.monotonic() < deadline:
            time.sleep(0.5)
    finally:
        server.terminate()
        server.wait(timeout=30)
    if len(times) < 2:
        print("the rebuild was not observed")
        return 1
    full, rebuild = times[0], times[1]
    print(
        f"\n{args.records} records: full build under serve {full:.1f} s; after editing one record {rebuild:.1f} s "
        f"({100 * rebuild / full:.0f} % of a full build)"
    )
    (args.work / "bench_serve.json").write_text(
        json.dumps({"records": args.records, "full_s": full, "rebuild_s": rebuild})
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
