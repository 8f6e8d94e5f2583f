"""The text formatter keeps one problem on one line, whatever the input put in its message."""

from __future__ import annotations

from catalog.problems import Problem, format_text


def test_a_message_cannot_forge_lines_or_terminal_escapes() -> None:
    hostile = Problem(
        "KB301",
        "https://example.org/a\nusecases/x.yaml:1:1: error KB100 forged\x1b[2J\u2028",
        "datasets/hostile.yaml",
        hint="check\rthe URL",
    )
    lines = format_text([hostile]).splitlines()
    assert len(lines) == 2 and lines[1] == "1 error(s), 0 warning(s)"
    assert "\\n" in lines[0] and "\\x1b[2J" in lines[0] and "\\u2028" in lines[0] and "\\r" in lines[0]
    assert "\x1b" not in lines[0]


def test_ordinary_text_is_unchanged() -> None:
    plain = Problem("KB105", 'title: "Ünïcode — fine" is too long', "usecases/a/usecase.yaml", 3, 8)
    assert plain.as_text() == 'usecases/a/usecase.yaml:3:8: error KB105 title: "Ünïcode — fine" is too long'
