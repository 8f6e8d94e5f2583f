"""Kubernetes `batch/v1` Indexed Jobs queued through Kueue (AI_INFN): one Job per kind of
request (CPU, a whole GPU, a MIG profile, an image), one index per unit of use cases.

Each pod clones the repository at the exact commit, builds nothing but the catalog itself (the
use cases' environments are built by `catalog reproduce`), runs its use cases and writes its
results shard to a declared volume path. Non-root, no secrets, no service-account token."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml

from .engines import EngineSettings, KubernetesSettings, Unit, smallest_mig

QUEUE_LABEL = "kueue.x-k8s.io/queue-name"
GPU_RESOURCE = "nvidia.com/gpu"
WORKSPACE = "/workspace"


@dataclass(frozen=True)
class Request:
    name: str  # cpu | gpu | mig-1g5gb: part of the Job name and of the shard names
    queue: str
    image: str
    gpu_resource: str = ""  # nvidia.com/gpu or nvidia.com/mig-<profile>
    mig_profile: str = ""


def request_for(unit: Unit, cfg: KubernetesSettings) -> Request:
    """The GPU (or MIG slice) and queue a unit's records imply, and the image it runs in."""
    if not unit.gpu:
        return Request("cpu", cfg.queue, unit.image or cfg.image)
    image = unit.image or cfg.gpu_image or cfg.image
    profile = smallest_mig(cfg.mig_profiles, unit.gpu_memory_gb) if cfg.use_mig and unit.gpu_memory_gb else None
    if profile:
        return Request(
            "mig-" + re.sub(r"[^a-z0-9]", "", profile),
            cfg.mig_queue or cfg.gpu_queue,
            image,
            f"nvidia.com/mig-{profile}",
            profile,
        )
    return Request("gpu", cfg.gpu_queue, image, GPU_RESOURCE)


def _dns(text: str, limit: int = 63) -> str:
    return re.sub(r"-+", "-", re.sub(r"[^a-z0-9-]", "-", text.lower())).strip("-")[:limit].rstrip("-")


def job_manifest(
    request: Request,
    members: list[Unit],
    settings: EngineSettings,
    revision: str,
    suffix: str = "",
) -> dict[str, Any]:
    cfg = settings.kubernetes
    pod_seconds = max(u.seconds(cfg.setup_minutes) for u in members)
    memory_mb = max(round(u.memory_gb(settings.default_memory_gb) * 1024) for u in members)
    run_id = _dns(revision[:12] or "head", 12)
    name = _dns(f"kb-reproduce-{request.name}-{run_id}{suffix}", 52)  # pods add -<index>-<random>
    resources: dict[str, Any] = {
        "requests": {"cpu": "1", "memory": f"{memory_mb}Mi"},
        "limits": {"memory": f"{memory_mb}Mi"},
    }
    if request.gpu_resource:
        resources["requests"][request.gpu_resource] = "1"
        resources["limits"][request.gpu_resource] = "1"
    reproduce = " ".join(
        ["python -m catalog reproduce", '"$@"', "--gpu auto", '--results "$shard"'],
    )
    extra = " ".join((*settings.reproduce_args, *cfg.reproduce_args))
    script = "\n".join(
        [
            "set -eu",
            f"cd {WORKSPACE}/repo",
            'set -- $(printf "%s\\n" "$KB_UNITS" | sed -n "$((JOB_COMPLETION_INDEX + 1))p")',
            f'shard="$KB_SHARD_DIR/{request.name}-$JOB_COMPLETION_INDEX.json"',
            'mkdir -p "$KB_SHARD_DIR"',
            f"python -m venv {WORKSPACE}/venv && . {WORKSPACE}/venv/bin/activate",
            "pip install --quiet --no-cache-dir -e .",
            "status=0",
            f"{reproduce}{(' ' + extra) if extra else ''} || status=$?",
            "# 1: notebooks failed and their verdicts are in the shard; anything else fails the pod",
            'if [ "$status" -eq 1 ]; then exit 0; fi',
            'exit "$status"',
        ]
    )
    clone = "\n".join(
        [
            "set -eu",
            f"git init --quiet {WORKSPACE}/repo && cd {WORKSPACE}/repo",
            'git fetch --quiet --depth 1 "$KB_REPOSITORY" "$KB_REVISION"',
            "git checkout --quiet --detach FETCH_HEAD",
        ]
    )
    hardened = {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "runAsNonRoot": True,
        "capabilities": {"drop": ["ALL"]},
    }
    env = [
        {"name": "HOME", "value": f"{WORKSPACE}/home"},
        {"name": "TMPDIR", "value": "/tmp"},
        {"name": "KB_ENGINE", "value": "kubernetes"},
        {"name": "KB_UNITS", "value": "\n".join(" ".join(u.usecases) for u in members)},
        {"name": "KB_SHARD_DIR", "value": f"{cfg.results_path.rstrip('/')}/{run_id}"},
        {"name": "KB_NODE_NAME", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}},
        {"name": "KB_POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
    ]
    if request.mig_profile:
        env.append({"name": "KB_MIG_PROFILE", "value": request.mig_profile})
    labels = {
        QUEUE_LABEL: request.queue,
        "app.kubernetes.io/name": "mlinfn-catalog",
        "app.kubernetes.io/component": "reproduce",
    }
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": name,
            "namespace": cfg.namespace,
            "labels": labels,
            "annotations": {"ml-infn.infn.it/revision": revision or settings.branch},
        },
        "spec": {
            "completionMode": "Indexed",
            "completions": len(members),
            "parallelism": len(members),
            "backoffLimit": cfg.backoff_limit,
            "activeDeadlineSeconds": pod_seconds * (cfg.backoff_limit + 1),
            "ttlSecondsAfterFinished": 7 * 24 * 3600,
            "template": {
                "metadata": {"labels": {k: v for k, v in labels.items() if k != QUEUE_LABEL}},
                "spec": {
                    "restartPolicy": "Never",
                    "activeDeadlineSeconds": pod_seconds,
                    "automountServiceAccountToken": False,
                    "enableServiceLinks": False,
                    "securityContext": {
                        "runAsNonRoot": True,
                        "runAsUser": cfg.run_as_user,
                        "runAsGroup": cfg.run_as_user,
                        "fsGroup": cfg.run_as_user,
                        "seccompProfile": {"type": "RuntimeDefault"},
                    },
                    "initContainers": [
                        {
                            "name": "checkout",
                            "image": request.image,
                            "command": ["sh", "-c", clone],
                            "env": [
                                {"name": "HOME", "value": f"{WORKSPACE}/home"},
                                {"name": "KB_REPOSITORY", "value": settings.repository},
                                {"name": "KB_REVISION", "value": revision or settings.branch},
                            ],
                            "securityContext": hardened,
                            "resources": {"requests": {"cpu": "1", "memory": "512Mi"}, "limits": {"memory": "512Mi"}},
                            "volumeMounts": [{"name": "workspace", "mountPath": WORKSPACE}],
                        }
                    ],
                    "containers": [
                        {
                            "name": "reproduce",
                            "image": request.image,
                            "command": ["sh", "-c", script],
                            "env": env,
                            "securityContext": hardened,
                            "resources": resources,
                            "volumeMounts": [
                                {"name": "workspace", "mountPath": WORKSPACE},
                                {"name": "tmp", "mountPath": "/tmp"},
                                {"name": "results", "mountPath": cfg.results_path},
                            ],
                        }
                    ],
                    "volumes": [
                        {"name": "workspace", "emptyDir": {}},
                        {"name": "tmp", "emptyDir": {}},
                        {"name": "results", "persistentVolumeClaim": {"claimName": cfg.results_claim}},
                    ],
                },
            },
        },
    }


def manifests(units: list[Unit], settings: EngineSettings, revision: str) -> list[dict[str, Any]]:
    groups: dict[Request, list[Unit]] = {}
    for unit in units:
        groups.setdefault(request_for(unit, settings.kubernetes), []).append(unit)
    names: dict[str, int] = {}
    out = []
    for request, members in sorted(groups.items(), key=lambda kv: (kv[0].name, kv[0].image)):
        seen = names.get(request.name, 0)
        names[request.name] = seen + 1
        out.append(job_manifest(request, members, settings, revision, f"-{seen + 1}" if seen else ""))
    return out


class _Dumper(yaml.SafeDumper):
    """No anchors or aliases (each container gets its own copy), multi-line scripts as blocks."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def manifests_yaml(units: list[Unit], settings: EngineSettings, revision: str) -> str:
    docs = manifests(units, settings, revision)
    if not docs:
        return "# catalog: every notebook is up to date; no Job to apply\n"
    header = (
        "# Generated by `catalog matrix --format kubernetes`. Apply with `kubectl apply -f FILE`;\n"
        "# the shards land in the results volume; merge them with\n"
        "# `catalog results merge results/results.json SHARDS/*.json` (see docs/contributing.md).\n"
    )
    return header + yaml.dump_all(docs, Dumper=_Dumper, sort_keys=False, explicit_start=True, width=1000)
