"""Measuring commands the same way for ours and the baselines: wall time, CPU time (user + system)
and peak memory of the whole process tree, in a fresh child process per measurement. CPU time is
the figure to compare on a machine that other jobs share: wall time stretches with their load."""

from __future__ import annotations

import contextlib
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

_PROBE = r"""
import json, resource, subprocess, sys, time
start = time.perf_counter()
done = subprocess.run(sys.argv[2:], cwd=sys.argv[1], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"seconds": time.perf_counter() - start, "returncode": done.returncode,
                  "cpu_seconds": usage.ru_utime + usage.ru_stime, "user_seconds": usage.ru_utime,
                  "peak_mb": usage.ru_maxrss / 1024,
                  "stderr": done.stderr[-2000:]}))
"""


def measure(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, str(cwd), *command],
        capture_output=True,
        text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1", **(env or {})},
        check=True,
    )
    result = json.loads(done.stdout)
    if result["returncode"] != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{result['stderr']}")
    return result


def folder_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def machine() -> str:
    cpu = platform.processor()
    with contextlib.suppress(OSError, StopIteration), open("/proc/cpuinfo") as info:
        cpu = next(line.split(":", 1)[1].strip() for line in info if line.startswith("model name"))
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}"


def ratio(ours: float, base: float) -> str:
    return f"{ours / base:.2f}x" if base else "n/a"
