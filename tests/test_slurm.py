"""`catalog dispatch --engine slurm` on a real one-node Slurm (munged, slurmctld and slurmd started
here in a temporary folder, stopped by their pid files). Skipped, saying why, where Slurm is
missing; with KB_REQUIRE_SLURM=1 (as .ci/run sets) a missing Slurm is a failure instead."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from catalog.reproduce.dispatch import parse_scontrol

from .conftest import FIXTURES, REPO, snapshot
from .slurm_cluster import Cluster, local_cluster, missing

pytestmark = pytest.mark.slow
WHY_NOT = missing()


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    if WHY_NOT:
        if os.environ.get("KB_REQUIRE_SLURM"):
            pytest.fail(f"KB_REQUIRE_SLURM is set but {WHY_NOT}")
        pytest.skip(WHY_NOT)
    with local_cluster() as running:
        yield running


def dispatch(cluster: Cluster, root: Path, *extra: str, wait: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["catalog", "dispatch", "--engine", "slurm", "--root", str(root), "--poll", "0.5", *extra],
        env=cluster.env,
        capture_output=True,
        text=True,
        timeout=wait,
    )


def verdicts(path: Path) -> dict[str, dict]:
    doc = json.loads(path.read_text())
    return {key: entry["history"][-1] for key, entry in doc["notebooks"].items()}


def test_shipped_use_cases_through_slurm_equal_a_local_run(cluster, tmp_path) -> None:
    root = tmp_path / "kb"
    for folder in ("usecases", "datasets", "seminars"):
        shutil.copytree(REPO / folder, root / folder)
    work = tmp_path / "work"
    done = dispatch(cluster, root, "--results", str(root / "slurm.json"), "--gpu", "no", "--work-dir", str(work))
    assert "Traceback" not in done.stderr, done.stderr
    local = subprocess.run(
        ["catalog", "reproduce", "--root", str(root), "--results", str(root / "local.json"), "--gpu", "no"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == local.returncode, done.stdout + done.stderr
    remote, here = verdicts(root / "slurm.json"), verdicts(root / "local.json")
    assert {k: r["verdict"] for k, r in remote.items()} == {k: r["verdict"] for k, r in here.items()}
    assert len(remote) == sum(1 for _ in root.glob("usecases/*/notebooks/*.ipynb"))
    assert {k: r["content_hash"] for k, r in remote.items()} == {k: r["content_hash"] for k, r in here.items()}
    for run in remote.values():  # where each verdict ran
        assert run["placement"]["engine"] == "slurm" and run["placement"]["node"] == "localhost"
        assert run["placement"]["job"].count("_") == 1
    assert all(r["placement"]["engine"] == "local" for r in here.values())
    jobs = json.loads((work / "jobs.json").read_text())
    shards = sorted((work / "shards").glob("*.json"))
    assert len(shards) == sum(len(j["tasks"]) for j in jobs) == len(remote)  # one shard per task
    assert all(t["state"] == "COMPLETED" for j in jobs for t in j["tasks"])
    assert f"merged {len(shards)} shard(s)" in done.stdout


def test_a_use_cases_notebooks_share_one_array_task_in_their_order(cluster, tmp_path) -> None:
    """Issue 20: each use case is one array task; its notebooks run there in declared order in one
    working folder, so the reader passes after the writer, and the wrong order is named."""
    root, work, results = tmp_path / "kb", tmp_path / "work", tmp_path / "slurm.json"
    shutil.copytree(FIXTURES / "order", root)
    before = snapshot(root)
    done = dispatch(cluster, root, "--results", str(results), "--gpu", "no", "--work-dir", str(work))
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stdout + done.stderr  # failures on purpose
    tasks = [t for job in json.loads((work / "jobs.json").read_text()) for t in job["tasks"]]
    assert sorted(t["usecases"] for t in tasks) == [["in-order"], ["writer-fails"], ["wrong-order"]]
    runs = verdicts(results)
    write, read = runs["in-order/notebooks/write.ipynb"], runs["in-order/notebooks/read.ipynb"]
    assert write["verdict"] == read["verdict"] == "passed", read.get("reason")
    assert read["order"]["before"] == [{"notebook": "notebooks/write.ipynb", "verdict": "passed"}]
    assert write["placement"]["job"] == read["placement"]["job"]  # the same array task
    wrong = runs["wrong-order/notebooks/read.ipynb"]
    assert wrong["verdict"] == "error"
    assert "is written by notebooks/write.ipynb, which is declared after" in wrong["reason"]
    assert snapshot(root) == before  # nothing written into the repository


def _job_of(work: Path, usecase: str, seconds: float = 60) -> str:
    """`<array job>_<index>` of the task that runs `usecase`, once dispatch has submitted it."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            jobs = json.loads((work / "jobs.json").read_text())
        except (OSError, ValueError):
            jobs = []
        for job in jobs:
            for task in job["tasks"]:
                if usecase in task["usecases"] and job["job_id"]:
                    return f"{job['job_id']}_{task['index']}"
        time.sleep(0.2)
    raise AssertionError("dispatch did not submit in time")


def _wait_running(cluster: Cluster, job: str, seconds: float = 120) -> None:
    array, index = job.split("_")
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        command = ["scontrol", "show", "job", "-o", array]
        shown = subprocess.run(command, env=cluster.env, capture_output=True, text=True)
        state = parse_scontrol(shown.stdout).get(int(index))
        if state and state.state == "RUNNING":
            return
        time.sleep(0.3)
    raise AssertionError(f"{job} never started")


def test_scancel_gives_an_error_with_the_reason_and_keeps_the_rest(cluster, tmp_path) -> None:
    root = tmp_path / "kb"
    shutil.copytree(FIXTURES / "dispatch", root)
    work, results = tmp_path / "work", root / "results.json"
    command = ["catalog", "dispatch", "--engine", "slurm", "--root", str(root), "--results", str(results)]
    with subprocess.Popen(
        [*command, "--gpu", "no", "--work-dir", str(work), "--poll", "0.5"],
        env=cluster.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as proc:
        job = _job_of(work, "sleeper")
        _wait_running(cluster, job)
        time.sleep(2)  # the kernel is inside time.sleep now
        subprocess.run(["scancel", job], env=cluster.env, check=True)
        out, err = proc.communicate(timeout=300)
    assert proc.returncode == 1 and "Traceback" not in err, out + err
    runs = verdicts(results)
    sleeper = runs["sleeper/notebooks/nb.ipynb"]
    assert sleeper["verdict"] == "error" and f"Slurm task {job} ended CANCELLED" in sleeper["reason"]
    assert sleeper["placement"] == {"engine": "slurm", "node": "localhost", "job": job}
    assert "CANCELLED" in sleeper.get("error_excerpt", "")  # slurmstepd's line from the task's log
    assert runs["passing/notebooks/nb.ipynb"]["verdict"] == "passed"  # nothing else is lost
    assert runs["failing/notebooks/nb.ipynb"]["verdict"] == "failed"
    assert runs["failing/notebooks/nb.ipynb"]["failing_cell"] == 1
    assert "sleeper/notebooks/nb.ipynb: error — Slurm task" in out


def test_the_wait_bound_cancels_and_reports(cluster, tmp_path) -> None:
    root = tmp_path / "kb"
    shutil.copytree(FIXTURES / "dispatch", root)
    results = root / "results.json"
    started = time.monotonic()
    done = dispatch(cluster, root, "sleeper", "--results", str(results), "--gpu", "no", "--wait", "4", wait=120)
    assert done.returncode == 1 and time.monotonic() - started < 60
    run = verdicts(results)["sleeper/notebooks/nb.ipynb"]
    assert run["verdict"] == "error" and "not finished within the dispatch bound of 4 s" in run["reason"]
    assert set(verdicts(results)) == {"sleeper/notebooks/nb.ipynb"}
    queue, until = "?", time.monotonic() + 30  # a cancelled task may show as completing (CG) for a moment
    while queue and time.monotonic() < until:
        queue = subprocess.run(["squeue", "-h"], env=cluster.env, capture_output=True, text=True).stdout.strip()
        time.sleep(0.5 if queue else 0)
    assert queue == ""  # nothing left behind on the cluster


def test_parse_scontrol_ranges_and_states() -> None:
    text = (
        "JobId=9 ArrayJobId=7 ArrayTaskId=2-4%2 JobState=PENDING Reason=JobArrayTaskLimit ExitCode=0:0 "
        "NodeList=(null)\n"
        "JobId=8 ArrayJobId=7 ArrayTaskId=1 JobState=CANCELLED Reason=None ExitCode=0:15 NodeList=cn01\n"
        "JobId=7 ArrayJobId=7 ArrayTaskId=0 JobState=TIMEOUT Reason=TimeLimit ExitCode=0:1 NodeList=cn02\n"
    )
    states = parse_scontrol(text)
    assert sorted(states) == [0, 1, 2, 3, 4]
    assert states[3].state == "PENDING" and not states[3].finished and states[3].job == "7_3"
    assert states[1].finished and states[1].reason == "" and states[1].node == "cn01"
    assert states[0].state == "TIMEOUT" and states[0].reason == "TimeLimit"
