"""`catalog reproduce` runs real notebooks with real nbval; only the GPU probe is ever replaced."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest
import yaml

from catalog.reproduce import hardware
from catalog.reproduce.store import HISTORY_LIMIT, ResultsStore, read_store, write_store

from .conftest import FIXTURES, REPO, latest

pytestmark = pytest.mark.slow
REPRO = FIXTURES / "reproduce"


@pytest.fixture(scope="module")
def first_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, subprocess.CompletedProcess[str]]:
    root = tmp_path_factory.mktemp("repro") / "kb"
    shutil.copytree(REPRO, root)
    results = root / "results.json"
    done = subprocess.run(
        ["catalog", "reproduce", "--root", str(root), "--results", str(results), "--gpu", "no"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    return root, results, done


def test_exit_code_and_summary(first_run) -> None:
    _, _, done = first_run
    assert done.returncode == 1  # some notebooks fail on purpose
    assert "[1/8]" in done.stdout and "7 notebook(s) executed" in done.stdout
    assert "Traceback" not in done.stderr


def test_passing_notebook(first_run) -> None:
    run = latest(first_run[1])["passing"]
    assert run["verdict"] == "passed" and run["cells"] == {"passed": 2}
    assert run["duration_s"] > 0 and run["peak_memory_mb"] > 10
    assert run["hardware"]["cpu"] and run["python"] and "nbval" in run["packages"]
    assert run["content_hash"].startswith("sha256:")


def test_failing_notebook_names_the_cell(first_run) -> None:
    run = latest(first_run[1])["failing"]
    assert run["verdict"] == "failed" and run["failing_cell"] == 1
    assert "Cell outputs differ" in run["error_excerpt"] and "\x1b[" not in run["error_excerpt"]


def test_raising_notebook(first_run) -> None:
    run = latest(first_run[1])["raising"]
    assert run["verdict"] == "error" and run["failing_cell"] == 2
    assert "ValueError" in run["error_excerpt"]


def test_hanging_notebook_stops_at_its_limit(first_run) -> None:
    """THREATS 13: `while True: pass` is stopped at the record's 3 s limit and the cell is named."""
    run = latest(first_run[1])["hanging"]
    assert run["verdict"] == "timeout" and run["failing_cell"] == 1
    assert "Timeout of 3 seconds" in run["error_excerpt"]
    assert run["duration_s"] < 30
    assert run["cells"].get("failed") == 1  # the cells after it are not counted as failures


def test_sanitised_notebook_passes_and_changed_value_fails(first_run) -> None:
    """THREATS 12: addresses, timestamps, durations and stderr differ run to run and still pass;
    a genuinely different value fails."""
    runs = latest(first_run[1])
    assert runs["sanitised"]["verdict"] == "passed" and runs["sanitised"]["nbval"] == "strict"
    assert runs["changed-value"]["verdict"] == "failed"


def test_wrong_kernelspec_uses_the_pinned_kernel(first_run) -> None:
    run = latest(first_run[1])["evil-kernel"]
    assert run["verdict"] == "passed" and run["kernel"] == "current-env"


def test_gpu_notebook_is_skipped_without_a_gpu(first_run) -> None:
    run = latest(first_run[1])["needs-gpu"]
    assert run["verdict"] == "skipped" and run["reason"] == "needs GPU"


def test_second_run_skips_everything_that_passed(first_run, run_cli) -> None:
    root, results, _ = first_run
    code, out, _ = run_cli(
        "reproduce",
        "--root",
        str(root),
        "--results",
        str(results),
        "--gpu",
        "no",
        "passing",
        "sanitised",
        "evil-kernel",
    )
    assert code == 0 and "0 notebook(s) executed" in out and "3 unchanged" in out


def test_gpu_notebook_runs_when_the_probe_finds_one(first_run, run_cli, monkeypatch, tmp_path) -> None:
    fake = [{"name": "NVIDIA H100 80GB HBM3", "memory_mb": 81559.0, "driver": "550.54.15"}]
    monkeypatch.setattr(hardware, "detect_gpus", lambda: fake)
    root, _, _ = first_run
    results = tmp_path / "gpu.json"
    code, _, _ = run_cli("reproduce", "--root", str(root), "--results", str(results), "needs-gpu")
    run = latest(results)["needs-gpu"]
    assert code == 0 and run["verdict"] == "passed"
    assert run["hardware"]["gpus"] == fake


def test_real_gpu_probe_on_this_machine() -> None:
    gpus = hardware.detect_gpus()
    if not gpus:
        pytest.skip("no NVIDIA GPU on this machine (nvidia-smi absent or reports none)")
    assert all(g["name"] and g["memory_mb"] > 0 for g in gpus)


def test_corrupt_store_is_refused_and_left_alone(first_run, run_cli, tmp_path) -> None:
    root, _, _ = first_run
    bad = tmp_path / "bad.json"
    bad.write_text('{"format_version": 1, "notebooks": {"x": ')
    code, _, err = run_cli("reproduce", "--root", str(root), "--results", str(bad), "passing")
    assert code == 2 and "cannot read results store" in err
    assert bad.read_text() == '{"format_version": 1, "notebooks": {"x": '


def test_killed_run_keeps_the_store(first_run, tmp_path) -> None:
    """THREATS 16: a reproduce killed midway leaves a valid store with every earlier entry."""
    root, results, _ = first_run
    store = tmp_path / "store.json"
    shutil.copy(results, store)
    before = read_store(store).notebooks
    proc = subprocess.Popen(
        ["catalog", "reproduce", "--root", str(root), "--results", str(store), "--force", "hanging", "passing"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(4)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    after = read_store(store).notebooks
    for key, entry in before.items():
        assert entry["history"] == after[key]["history"][: len(entry["history"])]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".store.json.")]


def _run(started: str, verdict: str = "passed", digest: str = "0" * 64) -> dict:
    return {"verdict": verdict, "started": started, "duration_s": 1.0, "content_hash": f"sha256:{digest}"}


def test_merge_loses_nothing_and_newest_wins(tmp_path, run_cli) -> None:
    a, b, out = tmp_path / "a.json", tmp_path / "b.json", tmp_path / "out.json"
    first, second = ResultsStore(), ResultsStore()
    first.add("u1", "notebooks/a.ipynb", _run("2026-01-01T00:00:00Z", "failed"))
    first.add("u2", "notebooks/b.ipynb", _run("2026-01-02T00:00:00Z"))
    second.add("u1", "notebooks/a.ipynb", _run("2026-01-03T00:00:00Z", "passed", "1" * 64))
    second.add("u3", "notebooks/c.ipynb", _run("2026-01-04T00:00:00Z", "skipped"))
    write_store(a, first)
    write_store(b, second)
    write_store(
        out,
        ResultsStore(
            {
                "u0/notebooks/z.ipynb": {
                    "usecase": "u0",
                    "notebook": "notebooks/z.ipynb",
                    "history": [_run("2025-12-31T00:00:00Z")],
                }
            }
        ),
    )
    code, _, _ = run_cli("results", "merge", str(out), str(a), str(b))
    merged = read_store(out)
    assert code == 0 and set(merged.notebooks) == {
        "u0/notebooks/z.ipynb",
        "u1/notebooks/a.ipynb",
        "u2/notebooks/b.ipynb",
        "u3/notebooks/c.ipynb",
    }
    assert [r["verdict"] for r in merged.history("u1", "notebooks/a.ipynb")] == ["failed", "passed"]
    assert merged.latest("u1", "notebooks/a.ipynb")["verdict"] == "passed"
    code, _, _ = run_cli("results", "merge", str(out), str(a), str(b))  # merging again adds nothing
    assert read_store(out).notebooks == merged.notebooks


def test_history_is_bounded() -> None:
    store = ResultsStore()
    for i in range(HISTORY_LIMIT + 5):
        store.add("u", "n.ipynb", _run(f"2026-01-01T00:00:{i:02d}Z"))
    history = store.history("u", "n.ipynb")
    assert len(history) == HISTORY_LIMIT and history[-1]["started"] == f"2026-01-01T00:00:{HISTORY_LIMIT + 4:02d}Z"


def test_matrix_github_and_gitlab(first_run, run_cli) -> None:
    root, _, _ = first_run
    code, out, _ = run_cli("matrix", "--root", str(root), "--results", str(root / "none.json"), "--format", "github")
    matrix = json.loads(out)
    assert code == 0 and set(matrix) == {"include"}
    jobs = {job["name"]: job for job in matrix["include"]}
    assert len(jobs) == 8 and jobs["needs-gpu"]["runs-on"] == ["self-hosted", "gpu"]
    assert jobs["passing"]["runs-on"] == ["ubuntu-latest"] and jobs["passing"]["gpu"] is False
    assert len({job["results"] for job in jobs.values()}) == 8  # shards never write the same file
    code, out, _ = run_cli(
        "matrix", "--root", str(root), "--results", str(root / "none.json"), "--format", "gitlab", "--batch", "4"
    )
    pipeline = yaml.safe_load(out)
    jobs = {k: v for k, v in pipeline.items() if k.startswith("reproduce:")}
    assert pipeline["stages"] == ["reproduce", "merge"] and len(jobs) == 3  # 7 CPU use cases in 2 batches, 1 GPU
    gpu_jobs = [j for j in jobs.values() if "tags" in j]
    assert len(gpu_jobs) == 1 and gpu_jobs[0]["tags"] == ["gpu"]
    from catalog.ci_audit import audit_gitlab_ci

    assert audit_gitlab_ci(pipeline, "gpu-pipeline.yml") == []  # GPU jobs on protected refs only
    for job in jobs.values():
        assert job["stage"] == "reproduce" and job["artifacts"]["paths"][0].startswith("results/shards/")
        assert any(line.startswith("catalog reproduce ") for line in job["script"])


def test_matrix_only_lists_due_use_cases(first_run, run_cli) -> None:
    root, results, _ = first_run
    _, out, _ = run_cli("matrix", "--root", str(root), "--results", str(results))
    names = {job["name"] for job in json.loads(out)["include"]}
    assert "passing" not in names and "failing" in names


def test_shipped_catalog_reproduces(tmp_path, run_cli) -> None:
    """Invariants over whatever the catalog ships: every CPU notebook passes and proves something
    (a checked output or a declared metric), every GPU-only one is skipped here; a second run
    executes nothing; touching one notebook re-runs only it."""
    from catalog import load_catalog

    root = tmp_path / "kb"
    for folder in ("usecases", "datasets", "seminars"):
        shutil.copytree(REPO / folder, root / folder)
    results = root / "results.json"
    code, out, _ = run_cli("reproduce", "--root", str(root), "--results", str(results), "--gpu", "no")
    assert code == 0, out
    store = read_store(results)
    catalog = load_catalog(root)
    notebooks = [(u, nb) for u in sorted(catalog.usecases.values(), key=lambda u: u.id) for nb in u.data["notebooks"]]
    for usecase, nb in notebooks:
        run = store.latest(usecase.id, nb["path"])
        if nb.get("gpu", "none") == "required":
            assert run["verdict"] == "skipped", (usecase.id, run)
        else:
            assert run["verdict"] == "passed", (usecase.id, run)
            assert run["checked"]["outputs"] or run["checked"]["metrics"], (usecase.id, run["checked"])
            assert all(m["passed"] for m in run.get("metrics", []))
    code, out, _ = run_cli("reproduce", "--root", str(root), "--results", str(results), "--gpu", "no")
    assert code == 0 and "0 notebook(s) executed" in out
    usecase, entry = next((u, nb) for u, nb in notebooks if nb.get("gpu", "none") != "required")
    notebook = usecase.folder / entry["path"]
    data = json.loads(notebook.read_text())
    cell = next(c for c in data["cells"] if c["cell_type"] == "code")
    cell["source"] = "".join(cell["source"]) + "\n# touched"
    notebook.write_text(json.dumps(data, indent=1))
    code, out, _ = run_cli("reproduce", "--root", str(root), "--results", str(results), "--gpu", "no")
    assert code == 0 and "1 notebook(s) executed" in out and f"{usecase.id}/{entry['path']}" in out
    assert len(read_store(results).history(usecase.id, entry["path"])) == 2
