"""Every file under tests/bad_records/ is one defective record with its expected problems in
`# expect:` lines. Adding a case is adding a file."""

from __future__ import annotations

import json
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from .conftest import FIXTURES, REPO, TESTS, snapshot

BAD = TESTS / "bad_records"
EXPECT = re.compile(r"^# expect: (KB\d{3}) (\d+):(\d+)(?: (\$\S*))?(?: (.*))?$")


@dataclass
class Expected:
    code: str
    line: int
    column: int
    path: str | None
    fragment: str


@dataclass
class Case:
    source: Path
    kind: str
    expected: list[Expected]
    place: str | None
    notebook: str | None
    severity: str

    @property
    def id(self) -> str:
        return f"{self.kind}/{self.source.stem}"


def read_case(path: Path) -> Case:
    expected, place, notebook, severity = [], None, None, "error"
    for line in path.read_text().splitlines():
        if match := EXPECT.match(line):
            code, ln, col, jpath, fragment = match.groups()
            expected.append(Expected(code, int(ln), int(col), jpath, (fragment or "").strip()))
        elif line.startswith("# place: "):
            place = line.split(": ", 1)[1].strip()
        elif line.startswith("# notebook: "):
            notebook = line.split(": ", 1)[1].strip()
        elif line.startswith("# severity: "):
            severity = line.split(": ", 1)[1].strip()
    assert expected, f"{path} has no '# expect:' line"
    return Case(path, path.parent.name, expected, place, notebook, severity)


CASES = [read_case(p) for p in sorted(BAD.glob("*/*.yaml"))]


def install(case: Case, root: Path) -> str:
    """Put the bad record where its kind lives in a copy of the base catalog; return its relative name."""
    stem = case.source.stem
    if case.kind == "usecases":
        folder = root / "usecases" / stem
        (folder / "notebooks").mkdir(parents=True)
        notebook = FIXTURES / "notebooks" / (case.notebook or "ok.ipynb")
        shutil.copy(notebook, folder / "notebooks" / "ok.ipynb")
        target = folder / "usecase.yaml"
    elif case.kind == "seminars":
        target = root / (case.place or "seminars/undated") / f"{stem}.yaml"
        target.parent.mkdir(parents=True, exist_ok=True)
    elif case.kind == "events":
        target = root / "events" / f"{stem}.yaml"
        target.parent.mkdir(parents=True, exist_ok=True)
    else:
        target = root / "datasets" / f"{stem}.yaml"
    shutil.copy(case.source, target)
    return target.relative_to(root).as_posix()


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_bad_record_is_reported_precisely(case: Case, base_catalog: Path, run_cli) -> None:
    name = install(case, base_catalog)
    before = snapshot(base_catalog)
    code, out, err = run_cli("validate", "--root", str(base_catalog), "--format", "json")
    problems = [p for p in json.loads(out) if p["file"] == name]
    assert code == (0 if case.severity == "warning" else 1), out
    assert "Traceback" not in err
    for want in case.expected:
        matches = [
            p
            for p in problems
            if p["code"] == want.code
            and (p["line"], p["column"]) == (want.line, want.column)
            and (want.path is None or p["path"] == want.path)
            and want.fragment in f"{p['message']} (hint: {p['hint']})"
        ]
        assert matches, f"expected {want} in {json.dumps(problems, indent=1)}"
    # one defect per file: nothing else is reported for it, and no other file is affected
    assert len(problems) == len(case.expected), json.dumps(problems, indent=1)
    assert all(p["file"] == name for p in json.loads(out)), out
    assert snapshot(base_catalog) == before, "validate must not write into the catalog"
    code, out, _ = run_cli("validate", "--root", str(base_catalog), "--format", "github")
    annotations = [line for line in out.splitlines() if f"file={name}," in line]
    assert len(annotations) == len(case.expected)
    for want in case.expected:
        level = "warning" if case.severity == "warning" else "error"
        assert any(
            line.startswith(f"::{level} file={name},line={want.line},col={want.column},title={want.code}::")
            for line in annotations
        ), annotations


def test_warning_fails_with_strict(base_catalog: Path, run_cli) -> None:
    install(read_case(BAD / "seminars" / "2020-05-05-past-without-minutes.yaml"), base_catalog)
    assert run_cli("validate", "--root", str(base_catalog))[0] == 0
    code, out, _ = run_cli("validate", "--root", str(base_catalog), "--strict")
    assert code == 1 and "warning KB209" in out


def test_three_defects_in_one_run_text_format(base_catalog: Path, run_cli) -> None:
    name = install(read_case(BAD / "datasets" / "ds-three-defects.yaml"), base_catalog)
    code, out, _ = run_cli("validate", "--root", str(base_catalog))
    lines = [line for line in out.splitlines() if line.startswith(name)]
    assert code == 1 and len(lines) == 3
    for line in lines:
        assert re.match(rf"^{re.escape(name)}:\d+:\d+: error KB\d{{3}} .+ \(hint: .+\)$", line), line


def test_alias_bomb_is_rejected_fast(base_catalog: Path, run_cli) -> None:
    source = BAD / "datasets" / "ds-alias-bomb.yaml"
    assert source.stat().st_size < 400
    install(read_case(source), base_catalog)
    started = time.perf_counter()
    code, out, _ = run_cli("validate", "--root", str(base_catalog))
    assert time.perf_counter() - started < 1.0
    assert code == 1 and "anchors/aliases are not allowed" in out


def test_yaml_tag_executes_nothing(base_catalog: Path, run_cli) -> None:
    marker = Path("/tmp/kb-pwned")
    marker.unlink(missing_ok=True)
    install(read_case(BAD / "datasets" / "ds-python-tag.yaml"), base_catalog)
    assert run_cli("validate", "--root", str(base_catalog))[0] == 1
    assert not marker.exists()


def test_oversized_file_is_refused(base_catalog: Path, run_cli) -> None:
    big = base_catalog / "datasets" / "huge.yaml"
    big.write_text("id: huge\ndescription: |\n" + ("  padding line of text\n" * 60_000))
    code, out, _ = run_cli("validate", "--root", str(base_catalog))
    assert code == 1 and "datasets/huge.yaml:1:1: error KB001" in out


def test_github_format_annotations(base_catalog: Path, run_cli) -> None:
    name = install(read_case(BAD / "datasets" / "ds-http-url.yaml"), base_catalog)
    code, out, _ = run_cli("validate", "--root", str(base_catalog), "--format", "github")
    assert code == 1
    assert out.startswith(f"::error file={name},line=8,col=15,title=KB105::")


def test_gitlab_code_quality_report(base_catalog: Path, run_cli, tmp_path: Path) -> None:
    install(read_case(BAD / "datasets" / "ds-three-defects.yaml"), base_catalog)
    report = tmp_path / "gl-code-quality.json"
    code, _, _ = run_cli("validate", "--root", str(base_catalog), "--format", "gitlab", "--output", str(report))
    issues = json.loads(report.read_text())
    assert code == 1 and len(issues) == 3
    assert {i["location"]["lines"]["begin"] for i in issues} == {4, 6, 9}
    assert len({i["fingerprint"] for i in issues}) == 3 and all(i["severity"] == "major" for i in issues)


def test_every_code_is_documented_and_exercised() -> None:
    from catalog.problems import CODES

    expected = {want.code for case in CASES for want in case.expected}
    assert expected <= set(CODES)
    # KB001 is exercised by test_oversized_file_is_refused, KB109 is the schema catch-all, KB010 and
    # KB011 (links, committed caches) by tests/test_notebook_safety.py, KB214 (a stale binder/
    # folder, not a record) by tests/test_binder.py, KB301–KB312 (`catalog links` against a real
    # server) by tests/test_links.py, which checks it saw each of them
    links = {code for code in CODES if code.startswith("KB3")}
    assert set(CODES) - expected - links <= {"KB001", "KB109", "KB010", "KB011", "KB214"}
    # documented: each code in docs/contributing.md's tables, alone or in a range (KB001–KB007)
    documented: set[str] = set()
    guide = (REPO / "docs" / "contributing.md").read_text(encoding="utf-8")
    for cell in re.findall(r"^\| (KB[^|]*) \|", guide, re.M):
        for first, last in re.findall(r"KB(\d{3})(?:–KB(\d{3}))?", cell):
            documented |= {f"KB{n:03d}" for n in range(int(first), int(last or first) + 1)}
    assert set(CODES) - documented == set()
