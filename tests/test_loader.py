"""The one loader: strict YAML, positions for every value, no silent conversions."""

from __future__ import annotations

from catalog.loader import parse_yaml


def test_implicit_typing_is_not_applied() -> None:
    loaded = parse_yaml("country: NO\nflag: yes\nmode: 0777\nwhen: 2024-03-12\nat: 12:30:00\non: x\n", "f.yaml")
    assert loaded.data == {
        "country": "NO",
        "flag": "yes",
        "mode": "0777",
        "when": "2024-03-12",
        "at": "12:30:00",
        "on": "x",
    }
    assert loaded.problems == []


def test_json_types_still_work() -> None:
    loaded = parse_yaml("a: true\nb: 3\nc: 1.5\nd: null\ne: ~\nf: [1, x]\n", "f.yaml")
    assert loaded.data == {"a": True, "b": 3, "c": 1.5, "d": None, "e": None, "f": [1, "x"]}


def test_positions_are_recorded_for_every_value() -> None:
    text = "id: x\nnotebooks:\n  - path: a.ipynb\n    title: A\n"
    loaded = parse_yaml(text, "f.yaml")
    assert loaded.lines.locate(("notebooks", 0, "title")) == (4, 12)
    assert loaded.lines.locate(("notebooks", 0, "title"), key=True) == (4, 5)
    assert loaded.lines.locate(("notebooks", 0, "missing")) == (3, 5)


def test_duplicate_key_names_both_lines() -> None:
    loaded = parse_yaml("title: a\nid: x\ntitle: b\n", "f.yaml")
    [problem] = loaded.problems
    assert problem.code == "KB003" and (problem.line, problem.column) == (3, 1)
    assert "first on line 1, again on line 3" in problem.message
    assert loaded.data == {"title": "a", "id": "x"}


def test_merge_keys_and_tags_are_refused() -> None:
    merged = parse_yaml("a: {x: 1}\nb:\n  <<: {x: 1}\n", "f.yaml")
    assert merged.data == {"a": {"x": 1}, "b": {"<<": {"x": 1}}}  # no merging: '<<' is a plain (unknown) key
    assert parse_yaml("a: !custom x\n", "f.yaml").problems[0].code == "KB004"
    assert parse_yaml("a: !!set {x}\n", "f.yaml").problems[0].code == "KB004"
