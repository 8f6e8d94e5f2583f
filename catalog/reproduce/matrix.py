"""CI fan-out without a home-made scheduler: one job per due use case (or batch), on a runner
chosen from the notebooks' GPU need and memory. Each job writes its own results file; the
`catalog results merge` step combines them."""

from __future__ import annotations

import json
import math
from typing import Any

import yaml

from .plan import Task


def runner_labels(tasks: list[Task]) -> dict[str, Any]:
    needs = {t.gpu for t in tasks}
    memory = max((float(t.notebook.get("gpu_memory_gb", 0)) for t in tasks), default=0.0)
    if "required" in needs or "optional" in needs:
        labels = ["self-hosted", "gpu"] + ([f"gpu-mem-{math.ceil(memory)}gb"] if memory else [])
        return {"gpu": True, "labels": labels}
    return {"gpu": False, "labels": ["ubuntu-latest"]}


def jobs(tasks: list[Task], batch: int = 1) -> list[dict[str, Any]]:
    """Due use cases grouped by runner kind, `batch` use cases per job."""
    by_usecase: dict[str, list[Task]] = {}
    for task in tasks:
        if task.action != "unchanged":
            by_usecase.setdefault(task.usecase.id, []).append(task)
    groups: dict[bool, list[tuple[str, list[Task]]]] = {False: [], True: []}
    for usecase, owned in sorted(by_usecase.items()):
        groups[runner_labels(owned)["gpu"]].append((usecase, owned))
    out = []
    for gpu, members in groups.items():
        for start in range(0, len(members), batch):
            chunk = members[start : start + batch]
            owned = [t for _, ts in chunk for t in ts]
            names = [u for u, _ in chunk]
            runner = runner_labels(owned)
            out.append(
                {
                    "name": "+".join(names),
                    "usecases": " ".join(names),
                    "gpu": gpu,
                    "runs-on": runner["labels"],
                    "results": f"results/shards/{'+'.join(names)}.json",
                }
            )
    return out


def github_matrix(tasks: list[Task], batch: int = 1) -> str:
    """`{"include": [...]}` for `strategy.matrix: ${{ fromJSON(needs.plan.outputs.matrix) }}`."""
    return json.dumps({"include": jobs(tasks, batch)}, separators=(",", ":"))


def gitlab_pipeline(tasks: list[Task], batch: int = 1, image: str = "python:3.11") -> str:
    """A child pipeline: one job per batch, GPU jobs on protected runners tagged by need."""
    pipeline: dict[str, Any] = {"stages": ["reproduce"], "default": {"image": image}}
    found = jobs(tasks, batch)
    for job in found:
        tags = [label for label in job["runs-on"] if label != "self-hosted"] if job["gpu"] else []
        pipeline[f"reproduce:{job['name']}"] = {
            "stage": "reproduce",
            **({"tags": tags} if tags else {}),
            # protected refs only, as in the parent pipeline (catalog/ci_audit.py checks both)
            **({"rules": [{"if": '$CI_COMMIT_REF_PROTECTED == "true"'}]} if tags else {}),
            "script": [
                "pip install -e .",  # catalog reproduce builds each use case's environment
                f"catalog reproduce {job['usecases']} --gpu auto --results {job['results']}",
            ],
            "artifacts": {"when": "always", "paths": [job["results"]]},
        }
    if not found:
        pipeline["nothing-due"] = {"stage": "reproduce", "script": ["echo every notebook is up to date"]}
    else:
        # The shards are artifacts of this child pipeline's jobs: only a job of the same pipeline
        # can `need` them, so the merge happens here (a parent job never sees them). A glob that
        # matches nothing is passed on as it is and `catalog results merge` fails on it.
        pipeline["stages"].append("merge")
        pipeline["merge-results"] = {
            "stage": "merge",
            "when": "always",
            # optional: a GPU job is absent where its protected-ref rule leaves it out
            "needs": [{"job": f"reproduce:{job['name']}", "artifacts": True, "optional": True} for job in found],
            "script": [
                "pip install -e .",
                "catalog results merge results/results.json results/shards/*.json",
            ],
            "artifacts": {"paths": ["results/results.json"]},
        }
    return yaml.safe_dump(pipeline, sort_keys=False)
