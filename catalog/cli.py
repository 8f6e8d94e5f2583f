"""`catalog` command line: only wiring; every stage lives in its own module.

Exit codes: 0 clean, 1 problems found (or a notebook failed), 2 usage error.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from .errors import UsageError
from .problems import FORMATTERS, Problem, has_errors, relative_name

__all__ = ["UsageError", "main"]


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


def report(problems: list[Problem], fmt: str, output: str | None, strict: bool) -> int:
    emit(FORMATTERS[fmt](problems), output)
    return 1 if has_errors(problems, strict=strict) else 0


def cmd_validate(args: argparse.Namespace) -> int:
    from .changed import changed_files, referrers_of_changed
    from .tree import cache_problems
    from .validate import load_catalog

    root = catalog_root(args.root)
    catalog = load_catalog(root, today=args.today)
    only: set[str] | None = None
    if args.paths:
        only = set()
        for raw in args.paths:
            path = Path(raw)
            if not path.exists():
                raise UsageError(f"no such file or folder: {raw}")
            targets = [p for p in path.rglob("*") if p.is_file()] if path.is_dir() else [path]
            only.update(relative_name(p, root) for p in targets)
        only |= referrers_of_changed(catalog, only)  # a notebook's problems are reported on its record
    extra: list[Problem] = []
    if args.changed is not None:
        changed = changed_files(root, args.changed)
        only = changed if only is None else only & changed
        only |= referrers_of_changed(catalog, changed)
        committed = {p.file for p in catalog.problems if p.code == "KB011"}
        extra = [p for p in cache_problems(root, changed) if p.file not in committed and (root / p.file).exists()]
    problems = catalog.problems if only is None else [p for p in catalog.problems if p.file in only]
    problems = sorted(problems + extra, key=Problem.sort_key)
    return report(problems, args.format, args.output, args.strict)


def _iso_date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date (YYYY-MM-DD)") from exc


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="catalog", description="ML_INFN knowledge base tools")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("validate", help="check records against the schemas and catalog rules")
    p.add_argument("paths", nargs="*", help="report only on these files or folders (rules still see everything)")
    p.add_argument("--root", help="catalog root (default: current folder)")
    p.add_argument("--format", choices=sorted(FORMATTERS), default="text")
    p.add_argument("--output", help="write the report here instead of standard output")
    p.add_argument("--strict", action="store_true", help="warnings fail too")
    p.add_argument(
        "--changed",
        nargs="?",
        const="origin/main",
        metavar="BASE",
        help="only files changed against a git base (default origin/main) and records they touch",
    )
    p.add_argument("--today", type=_iso_date, help="judge seminar dates as of this day, YYYY-MM-DD (default: today)")
    p.set_defaults(func=cmd_validate)

    for register in _REGISTRARS:
        register(sub)
    return parser


_REGISTRARS: list[Callable[[argparse._SubParsersAction], None]] = []  # type: ignore[type-arg]


def subcommand(register: Callable[[argparse._SubParsersAction], None]) -> Callable[..., None]:  # type: ignore[type-arg]
    """Modules add their own subcommands (build, reproduce, fetch, ...) through this."""
    _REGISTRARS.append(register)
    return register


def main(argv: Sequence[str] | None = None) -> int:
    from . import commands, dispatch_commands, env_commands, indico_cli  # noqa: F401  (register the other subcommands)

    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except UsageError as exc:
        print(f"catalog: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into `head` and the like
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - stop Python's own flush from failing at exit
        return 0
    except KeyboardInterrupt:
        print("catalog: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
