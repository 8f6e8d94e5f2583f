"""Limits on contributed input, in one place (documented on the contributing page).

Every limit is checked before the input is handed to code that could be slow or recursive on it,
and a breach is one KB problem, never an exception.
"""

from __future__ import annotations

MAX_RECORD_BYTES = 1_000_000  # a YAML record file
MAX_NESTING_DEPTH = 64  # lists/mappings inside each other, in YAML records and notebook JSON
MAX_NOTEBOOK_BYTES = 10_000_000  # a notebook file as committed
MAX_NOTEBOOK_CELLS = 2_000
MAX_CELL_OUTPUT_BYTES = 2_000_000  # the outputs of one code cell, as stored in the file
MAX_QUOTED_CHARS = 200  # how much of a source line a hint quotes
MAX_PROBLEMS_PER_NOTEBOOK = 10  # further defects of one notebook are counted, not listed


def quote(text: str) -> str:
    """A source excerpt short enough for a one-line hint."""
    text = text.strip()
    if len(text) <= MAX_QUOTED_CHARS:
        return repr(text)
    return repr(text[:MAX_QUOTED_CHARS]) + f" … ({len(text) - MAX_QUOTED_CHARS} more characters)"
