"""What every command module shares: the catalog root, writing a report, the exit code of problems."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import UsageError
from ..problems import FORMATTERS, Problem, has_errors

if TYPE_CHECKING:
    Subparsers = argparse._SubParsersAction[argparse.ArgumentParser]


def catalog_root(value: str | None) -> Path:
    root = Path(value or ".").resolve()
    if not any((root / name).is_dir() for name in ("usecases", "datasets", "seminars", "events")):
        raise UsageError(f"{root} is not a catalog root (no usecases/, datasets/ or seminars/); use --root")
    return root


def emit(text: str, output: str | None) -> None:
    if output:
        Path(output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)


def report(problems: list[Problem], fmt: str, output: str | None, strict: bool = False) -> int:
    """Print problems with one of the shared formatters; 1 when any fails the run, else 0."""
    emit(FORMATTERS[fmt](problems), output)
    return 1 if has_errors(problems, strict=strict) else 0
