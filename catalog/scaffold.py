"""`catalog new`: records that validate as they are, with the editor schema line and next steps."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .model import Catalog
from .rules import PLACEHOLDER
from .schema_check import load_schema

SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,79}$")
DATED = re.compile(r"^(\d{4})-(\d{2})-(\d{2})-")


class ScaffoldError(Exception):
    """The request cannot be honoured; nothing was written."""


@dataclass(frozen=True)
class Scaffold:
    files: dict[Path, str]
    next_steps: list[str]


def schema_line(kind: str, target: Path, root: Path) -> str:
    local = root / "catalog" / "schemas" / f"{kind}.schema.json"
    ref = os.path.relpath(local, target.parent) if local.is_file() else load_schema(kind)["$id"]
    return f"# yaml-language-server: $schema={Path(ref).as_posix() if local.is_file() else ref}\n"


def author_name(root: Path) -> str:
    try:
        name = subprocess.run(
            ["git", "config", "user.name"], cwd=root, capture_output=True, text=True, timeout=5
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        name = ""
    return name if re.fullmatch(r"[^\n\r<>]{2,120}", name) else "Your Name"


def notebook_template(title: str) -> str:
    cells: list[dict[str, Any]] = [
        {
            "cell_type": "markdown",
            "id": "about",
            "metadata": {},
            "source": [f"# {title}\n", "\n", "What this notebook shows, in two sentences."],
        },
        {
            "cell_type": "code",
            "id": "seed",
            "metadata": {},
            "execution_count": None,
            "outputs": [],
            "source": [
                "# Seed every source of randomness so that CI reproduces the outputs.\n",
                "import random\n",
                "\n",
                "import numpy as np\n",
                "\n",
                "SEED = 12345\n",
                "random.seed(SEED)\n",
                "rng = np.random.default_rng(SEED)",
            ],
        },
        {
            "cell_type": "code",
            "id": "data",
            "metadata": {},
            "execution_count": None,
            "outputs": [],
            "source": [
                "# Get data through the catalog so it is verified and cached:\n",
                "# from mlinfn_data import fetch\n",
                '# path = fetch("<dataset-id>", "<file name>")',
            ],
        },
        {
            "cell_type": "code",
            "id": "check",
            "metadata": {},
            "execution_count": 1,
            "outputs": [{"output_type": "stream", "name": "stdout", "text": ["3\n"]}],
            "source": [
                "# NBVAL_CHECK_OUTPUT  <- nbval compares this cell's output with the stored one\n",
                "print(1 + 2)",
            ],
        },
    ]
    return json.dumps(python_notebook(cells), indent=1) + "\n"


def python_notebook(cells: list[dict[str, Any]]) -> dict[str, Any]:
    """An nbformat 4.5 notebook with a Python 3 kernel around the given cells."""
    return {
        "cells": cells,
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            "language_info": {"name": "python"},
        },
    }


def new_usecase(catalog: Catalog, ident: str, dataset: str | None) -> Scaffold:
    root = catalog.root
    if dataset is not None and dataset not in catalog.datasets:
        raise ScaffoldError(f"no dataset {dataset!r} (catalog new dataset ID adds one)")
    # never a real dataset picked for the contributor: an empty list fails validation (KB205) until
    # they name theirs, or declare that the notebook generates its data
    datasets = f"[{dataset}]" if dataset else "[]"
    folder = root / "usecases" / ident
    record = folder / "usecase.yaml"
    today = dt.date.today().isoformat()
    text = (
        schema_line("usecase", record, root)
        + f"""id: {ident}
title: "{PLACEHOLDER} the use case's title"
summary: "{PLACEHOLDER} one or two plain sentences saying what the use case does and on which data"
description: |
  {PLACEHOLDER} what problem it solves, which method it uses, and what the notebooks show.
domain: other  # one of: {", ".join(load_schema("usecase")["properties"]["domain"]["enum"])}
techniques: [other]  # see the field reference for the vocabulary
authors:
  - name: {author_name(root)}
    affiliation: INFN
datasets: {datasets}  # ids of dataset records; at least one open or registration
# data: {{generated_by: notebook}}  # instead, when the notebooks generate their own data
notebooks:
  - path: notebooks/{ident.replace("-", "_")}.ipynb
    title: Main notebook
    nbval: lax
    cell_timeout: 300
    gpu: none  # none | optional | required
environment:
  python: "3.11"
  requirements: requirements.txt
license: Apache-2.0
created: "{today}"
"""
    )
    files = {
        record: text,
        folder / "notebooks" / f"{ident.replace('-', '_')}.ipynb": notebook_template(ident),
        folder / "requirements.txt": "numpy\n",
    }
    steps = [
        f"edit {record.relative_to(root)} (title, summary, domain, techniques, authors, datasets)",
        f"write the notebook in {folder.relative_to(root)}/notebooks/ and save it with its outputs",
        f"catalog validate {record.relative_to(root)}",
        f"catalog reproduce {ident}   # runs it with nbval as CI will",
    ]
    return Scaffold(files, steps)


def new_dataset(catalog: Catalog, ident: str) -> Scaffold:
    target = catalog.root / "datasets" / f"{ident}.yaml"
    text = (
        schema_line("dataset", target, catalog.root)
        + f"""id: {ident}
title: {ident.replace("-", " ").capitalize()}
summary: "{PLACEHOLDER} one or two plain sentences on what the data are"
domain: other
license: unknown  # an SPDX id such as CC-BY-4.0 once known
access: open  # open | registration | restricted
# landing_page: https://...
# doi: 10.xxxx/...
# files:
#   - name: train.h5
#     url: https://...
#     size_bytes: 123
#     sha256: <64 hex digits>
"""
    )
    return Scaffold(
        {target: text},
        [
            f"fill in {target.relative_to(catalog.root)} from the publisher's page",
            f"catalog validate {target.relative_to(catalog.root)}",
        ],
    )


def new_seminar(catalog: Catalog, ident: str) -> Scaffold:
    match = DATED.match(ident)
    if not match:
        raise ScaffoldError("a seminar id starts with its date: YYYY-MM-DD-short-title")
    try:
        date = dt.date(*map(int, match.groups()))
    except ValueError as exc:
        raise ScaffoldError(f"{ident[:10]} is not a date: {exc}") from exc
    target = catalog.root / "seminars" / f"{date.year}" / f"{ident}.yaml"
    minutes = ""
    if date < dt.date.today():
        minutes = f"""minutes:
  topic_summary: "{PLACEHOLDER} summary of the topic presented"
  discussion: "{PLACEHOLDER} summary of the discussion"
  suggestions:
    - "{PLACEHOLDER} one suggestion from the audience per item"
"""
    text = (
        schema_line("seminar", target, catalog.root)
        + f"""id: {ident}
title: "{PLACEHOLDER} the seminar's title"
date: "{date.isoformat()}"
time: "16:00"
timezone: Europe/Rome
duration_minutes: 60
# speakers:
#   - name: ...
#     affiliation: ...
# abstract: |
#   ...
{minutes}"""
    )
    return Scaffold(
        {target: text},
        [
            f"fill in {target.relative_to(catalog.root)}; add minutes after the seminar",
            f"catalog validate {target.relative_to(catalog.root)}",
        ],
    )


def scaffold(catalog: Catalog, kind: str, ident: str, dataset: str | None = None) -> Scaffold:
    if not SLUG.match(ident):
        raise ScaffoldError(f"{ident!r} is not a valid id: lower-case letters, digits and single hyphens, 3-80")
    if ident in catalog.records[kind]:
        raise ScaffoldError(f"a {kind} with id {ident!r} already exists ({catalog.records[kind][ident].file})")
    made = {
        "usecase": lambda: new_usecase(catalog, ident, dataset),
        "dataset": lambda: new_dataset(catalog, ident),
        "seminar": lambda: new_seminar(catalog, ident),
    }[kind]()
    existing = [p for p in made.files if p.exists()]
    if existing or (kind == "usecase" and (catalog.root / "usecases" / ident).exists()):
        shown = existing[0] if existing else catalog.root / "usecases" / ident
        raise ScaffoldError(f"{shown.relative_to(catalog.root)} already exists; nothing was written")
    return made


def write_scaffold(made: Scaffold) -> list[Path]:
    """Create the files, never overwriting (exclusive create)."""
    written = []
    try:
        for path, text in made.files.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("x", encoding="utf-8") as out:
                out.write(text)
            written.append(path)
    except FileExistsError as exc:
        for path in written:
            path.unlink()
        raise ScaffoldError(f"{exc.filename} appeared meanwhile; nothing was written") from exc
    return written
