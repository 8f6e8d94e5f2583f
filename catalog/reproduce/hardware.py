"""What machine a run happens on. `detect_gpus` is the one probe tests replace."""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
from functools import cache
from typing import Any


def detect_gpus() -> list[dict[str, Any]]:
    """NVIDIA GPUs as nvidia-smi reports them (empty without a driver or a GPU)."""
    if shutil.which("nvidia-smi") is None:
        return []
    try:
        done = subprocess.run(
            ["nvidia-smi", "--query-gpu=name,memory.total,driver_version", "--format=csv,noheader,nounits"],
            capture_output=True,
            text=True,
            timeout=20,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return []
    gpus = []
    for line in done.stdout.splitlines():
        parts = [p.strip() for p in line.split(",")]
        if len(parts) == 3:
            memory = float(parts[1]) if parts[1].replace(".", "", 1).isdigit() else 0.0
            gpus.append({"name": parts[0], "memory_mb": memory, "driver": parts[2]})
    return gpus


@cache
def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def describe_hardware(gpus: list[dict[str, Any]]) -> dict[str, Any]:
    return {"cpu": cpu_model(), "cores": os.cpu_count() or 1, "gpus": gpus}
