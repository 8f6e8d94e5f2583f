"""A use case's notebooks run in their declared order in one working folder (issue 20): real
`catalog reproduce`, real nbval, each use case in its own real uv environment."""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from catalog.render.launch import SiteSettings
from catalog.render.notebook_header import notebook_header
from catalog.render.pages import usecase_page
from catalog.reproduce.plan import plan_runs
from catalog.reproduce.store import ResultsStore, load_statuses, read_store
from catalog.validate import load_catalog

from .conftest import FIXTURES, snapshot

pytestmark = pytest.mark.slow
ORDER = FIXTURES / "order"
WRITE, READ = "notebooks/write.ipynb", "notebooks/read.ipynb"


def reproduce(root: Path, results: Path, scratch: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    """`catalog reproduce` with its temporary folder (where working folders are made) in `scratch`."""
    scratch.mkdir(parents=True, exist_ok=True)
    return subprocess.run(
        ["catalog", "reproduce", "--root", str(root), "--results", str(results), "--gpu", "no", *extra],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "TMPDIR": str(scratch)},
    )


def runs(results: Path) -> dict[tuple[str, str], dict]:
    store = read_store(results)  # checks the store against its schema
    return {(e["usecase"], e["notebook"]): e["history"][-1] for e in store.notebooks.values()}


@pytest.fixture(scope="module")
def first(tmp_path_factory: pytest.TempPathFactory) -> dict:
    base = tmp_path_factory.mktemp("order")
    root = base / "kb"
    shutil.copytree(ORDER, root)
    before = snapshot(root)
    done = reproduce(root, base / "results.json", base / "scratch")
    return {"base": base, "root": root, "results": base / "results.json", "done": done, "before": before}


def test_the_reader_passes_after_the_writer_in_one_working_folder(first) -> None:
    done = first["done"]
    assert "Traceback" not in done.stderr, done.stderr
    assert "6 notebook(s) executed" in done.stdout, done.stdout
    found = runs(first["results"])
    write, read = found[("in-order", WRITE)], found[("in-order", READ)]
    assert write["verdict"] == "passed" and read["verdict"] == "passed", read.get("reason")
    assert read["checked"]["outputs"] == 1  # the reader printed the sum of what the writer stored
    assert read["kernel"].startswith("mlinfn-") and "toolz" in read["environment"]["packages"]
    assert write["order"] == {
        "folder": "scratch-copy",
        "position": 1,
        "of": 2,
        "prerequisite": False,
        "before": [],
        "wrote": ["notebooks/squares.csv"],
    }
    assert read["order"] == {
        "folder": "scratch-copy",
        "position": 2,
        "of": 2,
        "prerequisite": False,
        "before": [{"notebook": WRITE, "verdict": "passed"}],
    }
    lines = [line for line in done.stdout.splitlines() if line.startswith("in-order/")]
    assert [line.split()[0] for line in lines] == [f"in-order/{WRITE}", f"in-order/{READ}"]  # declared order


def test_nothing_is_written_into_the_repository_and_no_folder_is_left(first) -> None:
    assert snapshot(first["root"]) == first["before"]
    assert not list(first["root"].rglob("squares.csv"))
    left = [p.name for p in (first["base"] / "scratch").iterdir() if p.name.startswith("kb-workdir-")]
    assert left == []  # every working folder was removed (uv keeps its own lock files there)


def test_declared_in_the_wrong_order_names_the_missing_file_and_its_writer(first) -> None:
    assert first["done"].returncode == 1
    found = runs(first["results"])
    read, write = found[("wrong-order", READ)], found[("wrong-order", WRITE)]
    assert read["verdict"] == "error" and read["order"]["position"] == 1
    assert "FileNotFoundError" in read["reason"] and "'squares.csv'" in read["reason"]
    assert read["reason"].endswith(
        "; notebooks/squares.csv is written by notebooks/write.ipynb, which is declared after this notebook: "
        "list notebooks/write.ipynb before notebooks/read.ipynb in the record's notebooks"
    )
    assert "list notebooks/write.ipynb before notebooks/read.ipynb" in read["failure"]["report"]
    assert write["verdict"] == "passed" and write["order"]["before"] == [{"notebook": READ, "verdict": "error"}]


def test_a_notebook_after_a_failed_one_names_it(first) -> None:
    found = runs(first["results"])
    write, read = found[("writer-fails", WRITE)], found[("writer-fails", READ)]
    assert write["verdict"] == "error" and "the data source is down" in write["reason"]
    assert read["verdict"] == "error"
    assert read["reason"].endswith(" (earlier in the same working folder: notebooks/write.ipynb error)")
    assert read["order"]["before"] == [{"notebook": WRITE, "verdict": "error"}]


def test_the_use_case_page_says_where_each_run_stood(first) -> None:
    catalog = load_catalog(first["root"])
    statuses, _ = load_statuses(catalog, first["results"])
    body = usecase_page(catalog.usecases["in-order"], catalog, SiteSettings.from_mapping({}), statuses).body
    assert [html.unescape(note) for note in re.findall(r'<p class="kb-order">(.*?)</p>', body)] == [
        "Ran as notebook 1 of 2 of this use case, in one working folder they share.",
        "Ran as notebook 2 of 2 of this use case, in one working folder they share, "
        "after notebooks/write.ipynb (passed).",
    ]
    usecase = catalog.usecases["in-order"]
    header = notebook_header(usecase, usecase.value.notebooks[1], SiteSettings.from_mapping({}), statuses)
    assert "Ran as notebook 2 of 2 of this use case" in header  # and on the notebook's own page


@pytest.fixture
def after_first(first, tmp_path: Path) -> tuple[Path, Path]:
    """A copy of the catalog and its results as the first run left them."""
    root, results = tmp_path / "kb", tmp_path / "results.json"
    shutil.copytree(first["root"], root)
    shutil.copy(first["results"], results)
    return root, results


def touch(notebook: Path) -> None:
    data = json.loads(notebook.read_text())
    cell = next(c for c in data["cells"] if c["cell_type"] == "code")
    cell["source"] = "".join(cell["source"]) + "\n# touched"
    notebook.write_text(json.dumps(data, indent=1))


def test_a_due_later_notebook_reruns_the_earlier_one_first_as_its_prerequisite(after_first, tmp_path, run_cli) -> None:
    root, results = after_first
    touch(root / "usecases/in-order" / READ)
    code, out, _ = run_cli("reproduce", "--root", str(root), "--results", str(results), "--dry-run", "in-order")
    assert code == 0 and out.splitlines() == [
        f"run        in-order/{WRITE} (1 of 2, before a later notebook that is due; gpu: none)",
        f"run        in-order/{READ} (2 of 2; gpu: none)",
    ]
    done = reproduce(root, results, tmp_path / "scratch", "in-order")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 notebook(s) executed" in done.stdout
    assert f"in-order/{WRITE}: running (prerequisite of a later notebook, 1 of 2;" in done.stdout
    found = runs(results)
    write, read = found[("in-order", WRITE)], found[("in-order", READ)]
    assert write["verdict"] == "passed" and write["order"]["prerequisite"] is True
    assert read["verdict"] == "passed" and read["order"]["before"] == [{"notebook": WRITE, "verdict": "passed"}]
    assert len(read_store(results).history("in-order", WRITE)) == 2  # the prerequisite's run is recorded


def test_an_earlier_notebook_that_cannot_run_here_is_named(after_first, tmp_path) -> None:
    """The writer needs a GPU this run lacks: it is skipped, and the reader's failure says it did
    not run before it in the working folder."""
    root, results = after_first
    record = root / "usecases/in-order/usecase.yaml"
    record.write_text(record.read_text().replace("gpu: none", "gpu: required", 1))
    done = reproduce(root, results, tmp_path / "scratch", "in-order")
    assert done.returncode == 1, done.stdout + done.stderr
    found = runs(results)
    write, read = found[("in-order", WRITE)], found[("in-order", READ)]
    assert write["verdict"] == "skipped" and write["reason"] == "needs GPU" and "order" not in write
    assert read["verdict"] == "error" and "'squares.csv'" in read["reason"]
    assert read["reason"].endswith(" (earlier in the same working folder: notebooks/write.ipynb did not run)")
    assert read["order"]["before"] == [{"notebook": WRITE, "verdict": "not run"}]


def test_changing_an_earlier_notebook_makes_the_later_ones_due(after_first, run_cli) -> None:
    root, results = after_first
    code, out, _ = run_cli("reproduce", "--root", str(root), "--results", str(results), "--dry-run", "in-order")
    assert code == 0 and re.findall(r"^(\S+) +in-order/(\S+)", out, re.M) == [("unchanged", WRITE), ("unchanged", READ)]
    touch(root / "usecases/in-order" / WRITE)
    code, out, _ = run_cli("reproduce", "--root", str(root), "--results", str(results), "--dry-run", "in-order")
    assert code == 0 and re.findall(r"^(\S+) +in-order/(\S+)", out, re.M) == [("run", WRITE), ("run", READ)]


def test_the_record_order_is_part_of_the_verdicts_hash(tmp_path) -> None:
    """Swapping two notebooks in the record changes both hashes: their verdicts no longer hold."""
    root = tmp_path / "kb"
    shutil.copytree(ORDER, root)
    before = {(t.usecase.id, t.notebook["path"]): t.fingerprint for t in plan_runs(load_catalog(root), ResultsStore())}
    record = root / "usecases/in-order/usecase.yaml"
    data = yaml.safe_load(record.read_text())
    data["notebooks"].reverse()
    record.write_text(yaml.safe_dump(data, sort_keys=False))
    after = {(t.usecase.id, t.notebook["path"]): t.fingerprint for t in plan_runs(load_catalog(root), ResultsStore())}
    assert after[("in-order", WRITE)] != before[("in-order", WRITE)]
    assert after[("in-order", READ)] != before[("in-order", READ)]
    assert after[("wrong-order", READ)] == before[("wrong-order", READ)]


# --- every engine keeps a use case's notebooks together, in order ---------------------------


def test_shards_split_use_cases_never_their_notebooks() -> None:
    catalog = load_catalog(ORDER)
    everything = plan_runs(catalog, ResultsStore())
    seen = []
    for index in (1, 2):
        tasks = plan_runs(catalog, ResultsStore(), shard=(index, 2))
        for usecase in {t.usecase.id for t in tasks}:
            assert [(t.notebook["path"], t.position) for t in tasks if t.usecase.id == usecase] == [
                (e["path"], n) for n, e in enumerate(catalog.usecases[usecase].data["notebooks"], start=1)
            ]
        seen += [t.key for t in tasks]
    assert sorted(seen) == sorted(t.key for t in everything)


def test_ci_matrices_slurm_arrays_and_kueue_jobs_give_each_use_case_one_task(tmp_path, run_cli) -> None:
    root = tmp_path / "kb"
    shutil.copytree(ORDER, root)
    config = tmp_path / "mkdocs.yml"
    config.write_text("extra:\n  catalog:\n    repository: https://example.org/kb.git\n")
    common = ["--root", str(root), "--results", str(tmp_path / "none.json"), "--config", str(config)]
    code, out, _ = run_cli("matrix", *common, "--format", "github")
    assert code == 0 and sorted(j["usecases"] for j in json.loads(out)["include"]) == [
        "in-order",
        "writer-fails",
        "wrong-order",
    ]
    code, out, _ = run_cli("matrix", *common, "--format", "gitlab")
    scripts = [line for job in yaml.safe_load(out).values() if isinstance(job, dict) for line in job.get("script", [])]
    assert sorted(s.split()[2] for s in scripts if s.startswith("catalog reproduce ")) == [
        "in-order",
        "writer-fails",
        "wrong-order",
    ]
    code, out, _ = run_cli("matrix", *common, "--format", "slurm")
    units = re.search(r"units=\(\n(.*?)\n\)", out, re.S).group(1).split("\n")  # type: ignore[union-attr]
    assert code == 0 and [u.strip() for u in units] == ["in-order", "writer-fails", "wrong-order"]
    # the array's time covers both notebooks of a unit (each: 60 s x 1 code cell + 120 s)
    assert "#SBATCH --time=0-00:18:00" in out  # writer-fails: 240 s + 180 s + 10 min set-up + 1 min
    code, out, _ = run_cli("matrix", *common, "--format", "kubernetes", "--batch", "3")
    (job,) = [doc for doc in yaml.safe_load_all(out) if doc]
    env = {e["name"]: e.get("value") for e in job["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert code == 0 and env["KB_UNITS"] == "in-order writer-fails wrong-order"


def test_the_missing_file_is_named_relative_to_the_use_case_folder(tmp_path) -> None:
    from catalog.reproduce.order import missing_file

    said = "[Errno 2] No such file or directory: '{}'"
    assert missing_file(said.format("squares.csv"), READ, tmp_path) == "notebooks/squares.csv"
    assert missing_file(said.format("../data/a.csv"), READ, tmp_path) == "data/a.csv"
    assert missing_file(said.format(tmp_path / "notebooks/b.csv"), READ, tmp_path) == "notebooks/b.csv"
    assert missing_file(said.format("/etc/elsewhere.csv"), READ, tmp_path) is None  # not in the working folder
    assert missing_file("No module named 'toolz'", READ, tmp_path) is None
