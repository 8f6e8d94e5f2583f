"""Which environment each due notebook runs in, for `catalog reproduce --env isolated`.

Planning needs each use case's environment fingerprint. It is read from the built environment
when there is one; otherwise from the last passing run whose declaration equals today's (so an
unchanged use case is not rebuilt just to be skipped). Only use cases with notebooks to run get
their environment built; their tasks' hashes are then recomputed from what was built.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..model import Catalog
from .envs import Declaration, EnvError, Environment, declaration_of, ensure, existing
from .fingerprint import notebook_fingerprint
from .plan import Task
from .store import ResultsStore


@dataclass
class Isolation:
    """Per use case: its declaration, its environment once ready, or why it could not be had."""

    declarations: dict[str, Declaration] = field(default_factory=dict)
    environments: dict[str, Environment] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    created: list[str] = field(default_factory=list)  # environments built in this run (folders)


def declarations(catalog: Catalog, selection: list[str] | None) -> Isolation:
    isolation = Isolation()
    for usecase in catalog.usecases.values():
        if selection and usecase.id not in selection:
            continue
        try:
            declaration = declaration_of(usecase, catalog.root)
        except EnvError as exc:
            isolation.errors[usecase.id] = str(exc)
            continue
        if declaration is not None:
            isolation.declarations[usecase.id] = declaration
    return isolation


def planning_fingerprints(
    isolation: Isolation, store: ResultsStore, catalog: Catalog, base: Path | None
) -> dict[str, str]:
    """Use case id → the environment fingerprint to plan with (built one, else last recorded)."""
    found: dict[str, str] = {}
    for usecase_id, declaration in isolation.declarations.items():
        built = existing(declaration, base)
        if built is not None:
            isolation.environments[usecase_id] = built
            found[usecase_id] = built.fingerprint
            continue
        for entry in catalog.usecases[usecase_id].data.get("notebooks", []):
            run = store.last_passing(usecase_id, entry["path"]) or {}
            recorded = run.get("environment") or {}
            if recorded.get("declared") == declaration.key:
                found[usecase_id] = recorded["fingerprint"]
                break
    return found


def prepare(
    tasks: list[Task],
    isolation: Isolation,
    root: Path,
    base: Path | None = None,
    say: Callable[[str], None] = print,
) -> list[Task]:
    """Build the environments the due tasks need; return the tasks with their final hashes."""
    needed = sorted({t.usecase.id for t in tasks if t.action == "run" and t.usecase.id in isolation.declarations})
    by_key: dict[str, Environment | str] = {}
    for usecase_id in needed:
        declaration = isolation.declarations[usecase_id]
        if declaration.key not in by_key:
            had = isolation.environments.get(usecase_id)
            if had is not None and had.declaration.key == declaration.key:
                by_key[declaration.key] = had
            else:
                clock = time.perf_counter()
                say(f"environment for {', '.join(declaration.sources)}: building with uv (Python {declaration.python})")
                try:
                    built = ensure(declaration, root, base)
                    by_key[declaration.key] = built
                    if built.created:
                        isolation.created.append(str(built.folder))
                        say(f"environment {built.folder} ready in {time.perf_counter() - clock:.1f} s")
                except EnvError as exc:
                    by_key[declaration.key] = str(exc)
                    say(f"environment for {usecase_id}: {exc}")
        got = by_key[declaration.key]
        if isinstance(got, str):
            isolation.errors[usecase_id] = got
        else:
            isolation.environments[usecase_id] = got
    final = []
    for task in tasks:
        environment = isolation.environments.get(task.usecase.id)
        if task.action == "run" and environment is not None:
            fingerprint = notebook_fingerprint(task.usecase, task.notebook, environment.fingerprint)
            task = dataclasses.replace(task, fingerprint=fingerprint)
        final.append(task)
    return final
