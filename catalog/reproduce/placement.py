"""Where a run happened: which engine scheduled it, on which node, on which GPU and MIG slice.
Read from the variables the engines set in every task; recorded with each verdict."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
from collections.abc import Mapping
from typing import Any

MIG_LINE = re.compile(r"^\s*MIG\s+(\S+)\s+Device\s+\d+:", re.M)


def mig_profiles() -> list[str]:
    """MIG slices visible to this process, as `nvidia-smi -L` lists them (e.g. ['1g.5gb'])."""
    if shutil.which("nvidia-smi") is None:
        return []
    try:
        done = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True, timeout=20, check=True)
    except (OSError, subprocess.SubprocessError):
        return []
    return MIG_LINE.findall(done.stdout)


def describe_placement(gpus: list[dict[str, Any]], env: Mapping[str, str] | None = None) -> dict[str, str]:
    """{engine, node, job, cluster, gpu_model, mig_profile}, leaving out what is unknown."""
    env = os.environ if env is None else env
    if env.get("SLURM_JOB_ID"):
        array = env.get("SLURM_ARRAY_JOB_ID")
        job = f"{array}_{env.get('SLURM_ARRAY_TASK_ID', '')}" if array else env["SLURM_JOB_ID"]
        place = {
            "engine": "slurm",
            "node": env.get("SLURMD_NODENAME", ""),
            "job": job,
            "cluster": env.get("SLURM_CLUSTER_NAME", ""),
        }
    elif env.get("KB_ENGINE") == "kubernetes" or env.get("KUBERNETES_SERVICE_HOST"):
        index = env.get("JOB_COMPLETION_INDEX")
        place = {
            "engine": "kubernetes",
            "node": env.get("KB_NODE_NAME", ""),
            "job": env.get("KB_POD_NAME", "") or (f"index {index}" if index else ""),
        }
    elif env.get("GITHUB_ACTIONS") == "true":
        place = {"engine": "github-actions", "node": env.get("RUNNER_NAME", ""), "job": env.get("GITHUB_RUN_ID", "")}
    elif env.get("GITLAB_CI") == "true":
        place = {"engine": "gitlab-ci", "node": env.get("CI_RUNNER_DESCRIPTION", ""), "job": env.get("CI_JOB_ID", "")}
    else:
        place = {"engine": "local", "node": socket.gethostname()}
    if gpus:
        place["gpu_model"] = str(gpus[0].get("name", ""))
        mig = env.get("KB_MIG_PROFILE") or ",".join(mig_profiles())
        if mig:
            place["mig_profile"] = mig
    return {k: v for k, v in place.items() if v}


def placement_label(place: Mapping[str, Any]) -> str:
    """'slurm on node01 (job 12_3)', 'kubernetes on gpu-7 · MIG 1g.5gb', ...; '' when unknown."""
    if not place.get("engine"):
        return ""
    text = str(place["engine"])
    if place.get("node"):
        text += f" on {place['node']}"
    if place.get("job"):
        text += f" (job {place['job']})"
    if place.get("mig_profile"):
        text += f" · MIG {place['mig_profile']}"
    return text
