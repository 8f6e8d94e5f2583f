"""Verdicts that explain themselves: failure reports (golden text), declared metrics with
tolerances, proof required, verdicts that follow the content, and a store that neither loses nor
accepts forged runs. Real notebooks under real nbval; nothing is mocked."""

from __future__ import annotations

import datetime as dt
import html
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from catalog import load_catalog
from catalog.render.dashboard import dashboard_page
from catalog.reproduce.store import ResultsStore, load_statuses, read_store, write_store

from .conftest import FIXTURES, REPO, TESTS, build, latest

pytestmark = pytest.mark.slow
VERDICTS = FIXTURES / "verdicts"
GOLDEN = TESTS / "golden" / "failures"


def reproduce(root: Path, results: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["catalog", "reproduce", "--root", str(root), "--results", str(results), "--gpu", "no", *args],
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def first_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, subprocess.CompletedProcess[str]]:
    root = tmp_path_factory.mktemp("verdicts") / "kb"
    shutil.copytree(VERDICTS, root)
    results = root / "results.json"
    return root, results, reproduce(root, results)


@pytest.mark.parametrize("usecase", ["changed-output", "exception", "timeout", "metric-outside"])
def test_failure_report_is_golden(first_run, usecase: str) -> None:
    """Each failure kind's report, as stored and as printed in the run summary."""
    _, results, done = first_run
    report = latest(results)[usecase]["failure"]["report"]
    golden = (GOLDEN / f"{usecase}.txt").read_text().rstrip("\n")
    assert report == golden
    assert "\x1b[" not in report
    printed = done.stdout.split(f"\n{usecase}/notebooks/nb.ipynb: ", 1)[1]
    assert "\n".join(line.removeprefix("  ") for line in printed.splitlines()[1:]).startswith(golden)


def test_cells_are_numbered_as_jupyter_shows_them(first_run) -> None:
    """The changed cell is notebook cell 3 (Markdown counted) but Jupyter's In [2], code cell 2 of 2."""
    _, results, done = first_run
    failure = latest(results)["changed-output"]["failure"]
    assert failure["cell"] == {
        "cell": 3,
        "code_cell": 2,
        "code_cells": 2,
        "execution_count": 2,
        "first_line": 'print("accuracy", round(accuracy, 3))',
    }
    assert failure["kind"] == "mismatch" and "-accuracy 0.8\n+accuracy 0.778" in failure["diff"]
    row = next(line for line in done.stdout.splitlines() if line.startswith("changed-output/"))
    assert "In [2]" in row and "output differs" in row
    assert done.returncode == 1 and "Traceback" not in done.stderr


def test_exception_names_type_and_message(first_run) -> None:
    run = latest(first_run[1])["exception"]
    assert run["verdict"] == "error"
    assert run["failure"]["exception"] == {"type": "ZeroDivisionError", "message": "division by zero"}
    assert run["reason"] == "In [3] (code cell 3 of 3) raised ZeroDivisionError: division by zero"
    assert "return sum(values) / len(values)" in run["failure"]["traceback"]


def test_metric_outside_its_tolerance_fails_naming_everything(first_run) -> None:
    run = latest(first_run[1])["metric-outside"]
    assert run["verdict"] == "failed" and run["failure"]["kind"] == "metric"
    assert run["metrics"] == [
        {"name": "accuracy", "expected": 0.8, "abs_tol": 0.01, "measured": 0.778, "passed": False}
    ]
    assert run["reason"] == "metric accuracy: expected 0.8 ± 0.01, measured 0.778"


def test_metric_jitter_within_tolerance_passes_every_time(first_run) -> None:
    """A value that differs run to run (unseeded on purpose) passes both times; so does the bound."""
    root, results, _ = first_run
    first = latest(results)["metric-jitter"]
    done = reproduce(root, results, "--force", "metric-jitter")
    second = latest(results)["metric-jitter"]
    assert done.returncode == 0, done.stdout
    assert first["verdict"] == second["verdict"] == "passed"
    assert first["checked"] == {"outputs": 0, "metrics": 3}
    values = [{m["name"]: m["measured"] for m in run["metrics"]} for run in (first, second)]
    assert values[0] != values[1]
    for measured in values:
        assert abs(measured["accuracy"] - 0.9) <= 0.01 and measured["roc_auc"] >= 0.9
        assert abs(measured["loss"] - 0.3) <= 0.3 * 0.05


def test_restore_after_failure_shows_passed(first_run, tmp_path) -> None:
    """pass → change (fails) → restore: nothing re-runs, and the verdict shown is the passing one."""
    root, _, _ = first_run
    results = tmp_path / "restore.json"
    notebook = root / "usecases/restored/notebooks/nb.ipynb"
    original = notebook.read_text()
    assert reproduce(root, results, "restored").returncode == 0
    changed = json.loads(original)
    changed["cells"][0]["source"] = ["# NBVAL_CHECK_OUTPUT\n", "print(6 * 9)"]
    notebook.write_text(json.dumps(changed))
    try:
        assert reproduce(root, results, "restored").returncode == 1
        catalog = load_catalog(root)
        statuses, _ = load_statuses(catalog, results)
        assert statuses[("restored", "notebooks/nb.ipynb")].label == "failed"
    finally:
        notebook.write_text(original)
    done = reproduce(root, results, "restored")
    assert done.returncode == 0 and "0 notebook(s) executed" in done.stdout
    statuses, history = load_statuses(load_catalog(root), results)
    status = statuses[("restored", "notebooks/nb.ipynb")]
    assert (status.verdict, status.stale, status.label, status.report) == ("passed", False, "passed", "")
    assert [r["verdict"] for r in history[("restored", "notebooks/nb.ipynb")]] == ["passed", "failed"]


def test_cleared_checked_output_is_a_kb_error(first_run, tmp_path, run_cli) -> None:
    root = tmp_path / "kb"
    shutil.copytree(VERDICTS, root)
    notebook = root / "usecases/restored/notebooks/nb.ipynb"
    data = json.loads(notebook.read_text())
    for cell in data["cells"]:
        cell["outputs"], cell["execution_count"] = [], None
    notebook.write_text(json.dumps(data))
    code, out, _ = run_cli("validate", "--root", str(root))
    assert code == 1 and "error KB220" in out and "code cell 1 of 1 is checked but has no stored output" in out
    done = reproduce(root, tmp_path / "r.json", "restored")
    assert done.returncode == 1 and "KB220" in done.stderr and not (tmp_path / "r.json").exists()


def test_nothing_checked_is_a_warning_and_no_green_badge(tmp_path, run_cli) -> None:
    root = tmp_path / "kb"
    shutil.copytree(VERDICTS, root, ignore=shutil.ignore_patterns("changed-output", "exception", "timeout", "metric-*"))
    notebook = root / "usecases/restored/notebooks/nb.ipynb"
    data = json.loads(notebook.read_text())
    data["cells"][0]["source"] = ["print(6 * 7)"]
    notebook.write_text(json.dumps(data))
    code, out, _ = run_cli("validate", "--root", str(root))
    assert code == 0 and "warning KB221" in out
    assert run_cli("validate", "--root", str(root), "--strict")[0] == 1
    results = tmp_path / "r.json"
    done = reproduce(root, results)
    assert done.returncode == 0 and "passed, but nothing was checked" in done.stdout
    status = load_statuses(load_catalog(root), results)[0][("restored", "notebooks/nb.ipynb")]
    assert status.label == "ran, nothing checked" and status.facet == "unchecked"


def test_dashboard_shows_reports_metrics_and_history(first_run) -> None:
    root, results, _ = first_run
    catalog = load_catalog(root)
    statuses, history = load_statuses(catalog, results)
    body = html.unescape(dashboard_page(catalog, statuses, history).body)
    assert '<details class="kb-failure"><summary>Why it failed</summary>' in body
    assert "-accuracy 0.8\n+accuracy 0.778" in body
    assert "ZeroDivisionError: division by zero" in body
    assert "0.8 ± 0.01" in body and "0.778" in body and "≥ 0.9" in body and "0.3 ± 5% (relative)" in body
    assert body.count('<svg class="kb-metric-plot"') == 4 and "<script" not in body


# --- the results store ---------------------------------------------------------------------------

WRITER = """
import sys
from pathlib import Path
from catalog.reproduce.store import ResultsStore, write_store
path, who = Path(sys.argv[1]), sys.argv[2]
for i in range(150):
    one = ResultsStore()
    run = {"verdict": "passed", "started": f"2026-01-01T00:{i // 60:02d}:{i % 60:02d}Z", "duration_s": 1.0,
           "content_hash": "sha256:" + "0" * 64}
    one.add(f"{who}-{i}", "notebooks/nb.ipynb", run)
    write_store(path, one)
"""


def test_two_writers_lose_nothing(tmp_path) -> None:
    """THREATS 25: two processes writing 150 runs each to one store keep all 300."""
    store = tmp_path / "results.json"
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, str(store), who]) for who in ("a", "b")]
    assert [w.wait(timeout=300) for w in writers] == [0, 0]
    assert len(read_store(store).notebooks) == 300


def _run(started: str, verdict: str = "passed", **extra) -> dict:
    return {"verdict": verdict, "started": started, "duration_s": 1.0, "content_hash": "sha256:" + "0" * 64, **extra}


def _stamp(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def test_future_dated_shard_is_refused_and_the_real_failure_shows(tmp_path, run_cli) -> None:
    """THREATS 25: a run dated 2999 (forged hardware and all) cannot stay "newest"."""
    now = dt.datetime.now(dt.timezone.utc)
    store, forged, genuine = tmp_path / "results.json", tmp_path / "forged.json", tmp_path / "genuine.json"
    write_store(store, _store("u", _run(_stamp(now - dt.timedelta(days=2)))))
    fake = {"cpu": "Forged CPU", "cores": 512, "gpus": [{"name": "NVIDIA H100", "memory_mb": 81559.0}]}
    write_store(forged, _store("u", _run("2999-01-01T00:00:00Z", hardware=fake)))
    write_store(genuine, _store("u", _run(_stamp(now - dt.timedelta(minutes=1)), "failed", reason="cell 2")))
    code, _, err = run_cli("results", "merge", str(store), str(forged), str(genuine))
    assert code == 1
    assert "forged.json: u/notebooks/nb.ipynb: run refused: it starts 2999-01-01T00:00:00Z, in the future" in err
    assert "allowed clock skew 10 min" in err and "Traceback" not in err
    merged = read_store(store)
    assert [r["verdict"] for r in merged.history("u", "notebooks/nb.ipynb")] == ["passed", "failed"]
    assert merged.latest("u", "notebooks/nb.ipynb")["reason"] == "cell 2"


def test_small_clock_skew_is_allowed(tmp_path, run_cli) -> None:
    shard, out = tmp_path / "s.json", tmp_path / "out.json"
    ahead = _stamp(dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=5))
    write_store(shard, _store("u", _run(ahead)))
    assert run_cli("results", "merge", str(out), str(shard))[0] == 0
    assert read_store(out).latest("u", "notebooks/nb.ipynb")["started"] == ahead


def test_shard_outside_its_assignment_is_refused(tmp_path, run_cli) -> None:
    """A job given use case `a` that wrote results for `b` (its code ran, so it could) is refused whole."""
    shards = tmp_path / "results" / "shards"
    shards.mkdir(parents=True)
    matrix = tmp_path / "matrix.json"
    jobs = [{"name": n, "usecases": n, "results": f"results/shards/{n}.json"} for n in ("a", "b")]
    matrix.write_text(json.dumps({"include": jobs}))
    honest, rogue = ResultsStore(), ResultsStore()
    honest.add("b", "notebooks/nb.ipynb", _run("2026-01-02T00:00:00Z"))
    rogue.add("a", "notebooks/nb.ipynb", _run("2026-01-02T00:00:00Z"))
    rogue.add("b", "notebooks/nb.ipynb", _run("2026-01-03T00:00:00Z", "passed", reason="forged"))
    write_store(shards / "b.json", honest)
    write_store(shards / "a.json", rogue)
    out = tmp_path / "results.json"
    code, _, err = run_cli(
        "results", "merge", str(out), str(shards / "a.json"), str(shards / "b.json"), "--matrix", str(matrix)
    )
    assert code == 1 and "a.json: refused: it carries use case(s) outside its job's assignment: b" in err
    merged = read_store(out)
    assert set(merged.notebooks) == {"b/notebooks/nb.ipynb"}
    assert "reason" not in merged.latest("b", "notebooks/nb.ipynb")


def test_store_refuses_unparseable_times(tmp_path) -> None:
    path = tmp_path / "results.json"
    doc = json.loads(_store("u", _run("2026-01-01T00:00:00Z")).to_json())
    doc["notebooks"]["u/notebooks/nb.ipynb"]["history"][0]["started"] = "zzz"
    path.write_text(json.dumps(doc))
    with pytest.raises(Exception, match="does not match its schema"):
        read_store(path)


def _store(usecase: str, run: dict) -> ResultsStore:
    one = ResultsStore()
    one.add(usecase, "notebooks/nb.ipynb", run)
    return one


def test_built_site_shows_reports_and_plots(first_run, tmp_path) -> None:
    """Through the real MkDocs build (and whatever cleans its final HTML): the report collapsed on
    the use case page, expected vs measured and the history plot on the dashboard, no script."""
    root, _, _ = first_run
    config = root / "mkdocs.yml"
    config.write_text((FIXTURES / "site" / "mkdocs.yml").read_text().replace("../../../", f"{REPO}/"))
    site = tmp_path / "site"
    done = build(config, site)
    assert done.returncode == 0, done.stdout + done.stderr
    page = (site / "usecases/changed-output/index.html").read_text()
    assert '<details class="kb-failure">' in page and "+accuracy 0.778" in page
    dashboard = (site / "reproducibility/index.html").read_text()
    assert '<svg class="kb-metric-plot"' in dashboard and "<circle" in dashboard
    shown = html.unescape(dashboard)
    assert "expected 0.8 ± 0.01, measured 0.778" in shown  # the report
    assert "<td>0.8 ± 0.01</td>\n<td>0.778</td>" in shown  # the metrics table
    page = html.unescape((site / "usecases/metric-jitter/index.html").read_text())
    assert "<td><code>roc_auc</code></td>\n<td>≥ 0.9</td>" in page
