"""`catalog` command line: only wiring; every stage lives in its own module.

One module per command group, each with a `register(sub)` that adds its subcommands; the parser
is assembled here from explicit imports. Command modules import their stages inside the command
functions, so `catalog --help` loads none of them. Nothing outside this package imports it.

Exit codes: 0 clean, 1 problems found (or a notebook failed), 2 usage error.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from ..errors import UsageError
from . import dispatch, env, export, fetch, indico, links, new, reproduce, site, validate

__all__ = ["UsageError", "build_parser", "main"]

# in the order `catalog --help` lists them
GROUPS = (validate, site, export, reproduce, fetch, links, new, dispatch, env, indico)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="catalog", description="ML_INFN knowledge base tools")
    sub = parser.add_subparsers(dest="command", required=True)
    for group in GROUPS:
        group.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
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
