"""`catalog new minutes`: the block lands in a past seminar's record, validates, keeps the
maintainer's text, and shows on the compiled-minutes page."""

from __future__ import annotations

from pathlib import Path

from catalog import load_catalog
from catalog.render.home import compiled_minutes_page

from .conftest import snapshot

PAST = "seminars/2023/2023-05-04-past-talk.yaml"
FUTURE = "seminars/2099/2099-01-01-future-talk.yaml"


def add_seminars(root: Path) -> None:
    (root / "seminars/2023").mkdir(parents=True)
    (root / PAST).write_text(
        "# kept: a maintainer's comment\nid: 2023-05-04-past-talk\ntitle: Past talk\ndate: '2023-05-04'\n"
        "techniques: [gnn]\n"
    )
    (root / "seminars/2099").mkdir(parents=True)
    (root / FUTURE).write_text("id: 2099-01-01-future-talk\ntitle: Future talk\ndate: '2099-01-01'\n")


def test_new_minutes_on_a_past_seminar(base_catalog: Path, run_cli) -> None:
    add_seminars(base_catalog)
    assert "KB209" in {p.code for p in load_catalog(base_catalog).problems}  # no minutes yet: a warning
    code, out, err = run_cli(
        "new", "minutes", "2023-05-04-past-talk", "--root", str(base_catalog),
        "--summary", "Graph networks for *tracking*.", "--discussion", "Questions on latency.",
        "--suggestion", "Compare with a BDT baseline", "--suggestion", "Publish the dataset",
        "--reference", "Improving PNNs", "https://arxiv.org/abs/2202.00424", "--attendance", "31",
    )  # fmt: skip
    assert code == 0, err
    assert "added minutes to seminars/2023/2023-05-04-past-talk.yaml" in out
    text = (base_catalog / PAST).read_text()
    assert text.startswith("# kept: a maintainer's comment\n")
    code, out, _ = run_cli("validate", "--root", str(base_catalog), "--strict")
    assert code == 0, out
    catalog = load_catalog(base_catalog)
    minutes = catalog.seminars["2023-05-04-past-talk"].data["minutes"]
    assert minutes["suggestions"] == ["Compare with a BDT baseline", "Publish the dataset"]
    assert minutes["references"] == [{"title": "Improving PNNs", "url": "https://arxiv.org/abs/2202.00424"}]
    page = compiled_minutes_page(catalog).body
    assert "No minutes have been recorded yet" not in page
    by_seminar, by_topic = page.split('id="by-topic"')
    assert "Compare with a BDT baseline" in by_seminar and "Past talk" in by_seminar
    assert 'id="topic-gnn"' in by_topic and "Publish the dataset" in by_topic


def test_new_minutes_refuses_and_writes_nothing(base_catalog: Path, run_cli) -> None:
    add_seminars(base_catalog)
    before = snapshot(base_catalog)
    for seminar, message in (
        ("2099-01-01-future-talk", "has not happened yet"),
        ("2024-03-12-demo-seminar", "already has minutes"),
        ("2023-05-04-past-tak", "did you mean '2023-05-04-past-talk'"),
    ):
        code, _, err = run_cli("new", "minutes", seminar, "--root", str(base_catalog))
        assert code == 1 and message in err and "Traceback" not in err
    code, _, err = run_cli(
        "new", "minutes", "2023-05-04-past-talk", "--root", str(base_catalog), "--summary", "x" * 30000
    )
    assert code == 1 and "would not validate" in err
    code, _, err = run_cli(
        "new", "minutes", "2023-05-04-past-talk", "--root", str(base_catalog), "--reference", "t", "http://x.org"
    )
    assert code == 2 and "https://" in err
    assert snapshot(base_catalog) == before


def test_new_minutes_placeholders_fail_until_replaced(base_catalog: Path, run_cli) -> None:
    add_seminars(base_catalog)
    code, out, _ = run_cli("new", "minutes", "2023-05-04-past-talk", "--root", str(base_catalog), "--summary", "S.")
    assert code == 0 and "replace the FILL IN: lines" in out
    found = [(p.code, p.path) for p in load_catalog(base_catalog).problems if p.file == PAST]
    assert found == [("KB250", "$.minutes.discussion"), ("KB250", "$.minutes.suggestions[0]")]
