"""Contributor tools: `catalog new` and `catalog validate --changed` on a real git repository."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from .conftest import BASE_CATALOG, snapshot


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "kb"
    shutil.copytree(BASE_CATALOG, root)
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.email", "t@example.org")
    git(root, "config", "user.name", "Test Person")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "base")
    return root


@pytest.mark.parametrize(
    "kind,ident",
    [
        ("usecase", "fresh-usecase"),
        ("dataset", "fresh-data"),
        ("seminar", "2099-02-03-fresh-talk"),
        ("seminar", "2021-02-03-old-talk"),
    ],
)
def test_scaffolds_fail_validation_until_their_placeholders_are_filled(
    repo: Path, run_cli, kind: str, ident: str
) -> None:
    code, out, _ = run_cli("new", kind, ident, "--root", str(repo))
    assert code == 0 and "next steps:" in out
    created = [repo / line.split(" ", 1)[1] for line in out.splitlines() if line.startswith("created ")]
    for path in created:
        assert path.suffix != ".yaml" or path.read_text().startswith("# yaml-language-server: $schema=")
    code, out, _ = run_cli("validate", "--root", str(repo), "--strict")
    assert code == 1 and "KB250" in out and "(hint: replace it:" in out, out
    for path in created:
        if path.suffix == ".yaml":
            text = re.sub(r'"?FILL IN: ([^"\n]*)"?', lambda m: m.group(1).capitalize() or "Text", path.read_text())
            path.write_text(text.replace("datasets: []", "datasets: [open-data]"))
    code, out, _ = run_cli("validate", "--root", str(repo), "--strict")
    assert code == 0, out


def test_scaffolded_usecase_has_notebook_and_requirements(repo: Path, run_cli) -> None:
    run_cli("new", "usecase", "fresh-usecase", "--root", str(repo))
    folder = repo / "usecases" / "fresh-usecase"
    assert (folder / "requirements.txt").is_file()
    notebook = (folder / "notebooks" / "fresh_usecase.ipynb").read_text()
    assert "SEED" in notebook and "NBVAL_CHECK_OUTPUT" in notebook
    assert "Test Person" in (folder / "usecase.yaml").read_text()


def test_second_new_with_same_id_changes_nothing(repo: Path, run_cli) -> None:
    assert run_cli("new", "dataset", "fresh-data", "--root", str(repo))[0] == 0
    (repo / "datasets" / "fresh-data.yaml").write_text((repo / "datasets" / "fresh-data.yaml").read_text() + "# mine\n")
    before = snapshot(repo)
    code, _, err = run_cli("new", "dataset", "fresh-data", "--root", str(repo))
    assert code == 1 and "already exists" in err
    assert snapshot(repo) == before


def test_new_refuses_bad_ids(repo: Path, run_cli) -> None:
    assert run_cli("new", "usecase", "Bad_ID", "--root", str(repo))[0] == 1
    assert run_cli("new", "seminar", "no-date-talk", "--root", str(repo))[0] == 1
    assert run_cli("new", "seminar", "2024-02-30-no-such-day", "--root", str(repo))[0] == 1
    assert run_cli("new", "usecase", "demo-usecase", "--root", str(repo))[0] == 1


def test_changed_reports_added_and_modified_files_only(repo: Path, run_cli) -> None:
    (repo / "datasets" / "added.yaml").write_text("id: added\ntitle: Added\n")  # two fields missing
    seminar = repo / "seminars" / "2024" / "2024-03-12-demo-seminar.yaml"
    seminar.write_text(seminar.read_text().replace('time: "16:00"', "time: four"))
    (repo / "datasets" / "untouched-bad.yaml").write_text("id: untouched-bad\n")
    git(repo, "add", "datasets/untouched-bad.yaml")
    git(repo, "commit", "-qm", "an old problem on main")
    git(repo, "checkout", "-q", "-b", "feature")
    code, out, _ = run_cli("validate", "--root", str(repo), "--changed", "main")
    files = {line.split(":", 1)[0] for line in out.splitlines() if ": error " in line}
    assert code == 1 and files == {"datasets/added.yaml", "seminars/2024/2024-03-12-demo-seminar.yaml"}


def test_changed_catches_a_deleted_dataset_still_referenced(repo: Path, run_cli) -> None:
    git(repo, "checkout", "-q", "-b", "feature")
    git(repo, "rm", "-q", "datasets/open-data.yaml")
    git(repo, "commit", "-qm", "remove a dataset")
    code, out, _ = run_cli("validate", "--root", str(repo), "--changed", "main")
    assert code == 1
    assert "usecases/demo-usecase/usecase.yaml" in out and "KB203" in out and "'open-data' does not exist" in out


def test_changed_with_nothing_changed_is_clean(repo: Path, run_cli) -> None:
    (repo / "datasets" / "untouched-bad.yaml").write_text("id: untouched-bad\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "bad on main")
    code, out, _ = run_cli("validate", "--root", str(repo), "--changed", "HEAD")
    assert code == 0 and out.strip() == "0 error(s), 0 warning(s)"


def test_changed_with_unknown_base_is_a_usage_error(repo: Path, run_cli) -> None:
    code, _, err = run_cli("validate", "--root", str(repo), "--changed", "no-such-branch")
    assert code == 2 and "git" in err


def test_generated_data_usecase_needs_no_dataset_record(repo: Path, run_cli) -> None:
    run_cli("new", "usecase", "pinn-burgers", "--root", str(repo))
    record = repo / "usecases" / "pinn-burgers" / "usecase.yaml"
    text = re.sub(r'"?FILL IN: ([^"\n]*)"?', lambda m: m.group(1).capitalize(), record.read_text())
    record.write_text(text)
    code, out, _ = run_cli("validate", "--root", str(repo))
    assert code == 1 and "KB205" in out and "generated_by: notebook" in out  # the hint names the way out
    record.write_text(
        text.replace("# data: {generated_by: notebook}", "data: {type: synthetic, generated_by: notebook}")
    )
    code, out, _ = run_cli("validate", "--root", str(repo))
    assert code == 0, out
