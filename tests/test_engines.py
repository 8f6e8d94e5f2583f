"""Batch-engine outputs of `catalog matrix`: Slurm job arrays and Kubernetes Jobs for Kueue,
validated by real validators (kubernetes-validate strict, bash -n, check-jsonschema's vendored
CI schemas), plus the GitLab merge and where a verdict ran."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from catalog.reproduce.engines import EngineConfigError, EngineSettings, smallest_mig
from catalog.reproduce.placement import describe_placement, placement_label
from catalog.reproduce.store import hardware_label

from .conftest import FIXTURES

ENGINES = FIXTURES / "engines"
KUBERNETES_VERSION = "1.31.0"  # the cluster version the manifests are validated against


@pytest.fixture(scope="module")
def engines_catalog(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the engines fixture in a git repository (so manifests carry an exact commit)."""
    root = tmp_path_factory.mktemp("engines") / "kb"
    shutil.copytree(ENGINES, root)
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", "-C", str(root)]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "fixture"], check=True)
    return root


def commit_of(root: Path) -> str:
    return subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()


def matrix(run_cli, root: Path, fmt: str, *extra: str) -> str:
    results = str(root / "none.json")
    code, out, err = run_cli("matrix", "--root", str(root), "--results", results, "--format", fmt, *extra)
    assert code == 0, err
    return out


# --- Slurm ---------------------------------------------------------------------------------


def arrays(script: str) -> dict[str, str]:
    """The sbatch scripts inside the submit script, by job name."""
    bodies = re.findall(r"<<'KB_SLURM_ARRAY'\n(.*?)\nKB_SLURM_ARRAY\n", script, re.S)
    return {re.search(r"--job-name=kb-reproduce-(\S+)", b).group(1): b for b in bodies}  # type: ignore[union-attr]


def directives(body: str) -> dict[str, str]:
    return dict(re.findall(r"^#SBATCH --([\w-]+)=(\S+)$", body, re.M))


def units_of(body: str) -> list[str]:
    return [line.strip() for line in re.search(r"units=\(\n(.*?)\n\)", body, re.S).group(1).split("\n")]  # type: ignore[union-attr]


def test_slurm_arrays_follow_the_records(engines_catalog, run_cli) -> None:
    script = matrix(run_cli, engines_catalog, "slurm")
    assert subprocess.run(["bash", "-n"], input=script, text=True).returncode == 0
    found = arrays(script)
    assert set(found) == {"cpu", "cpu-mem12gb", "gpu", "gpu-16gb"}
    for body in found.values():
        assert subprocess.run(["bash", "-n"], input=body, text=True).returncode == 0
        d = directives(body)
        assert d["array"].startswith("0-") and d["array"].endswith("%4")  # max_parallel from the config
        assert d["account"] == "ml-infn" and d["cpus-per-task"] == "1"
        assert "catalog reproduce ${units[$SLURM_ARRAY_TASK_ID]}" in body
        assert '--results "$shard"' in body and "${SLURM_ARRAY_TASK_ID}.json" in body  # one shard per task
        assert f'[ "$head" = {commit_of(engines_catalog)} ]' in body  # the repository at the exact commit
    cpu, big, gpu, t4 = found["cpu"], found["cpu-mem12gb"], found["gpu"], found["gpu-16gb"]
    assert directives(cpu)["partition"] == "cpu" and "gres" not in directives(cpu)
    assert directives(cpu)["mem"] == "2048M"  # default_memory_gb from the config
    assert directives(big)["mem"] == "12288M" and units_of(big) == ["cpu-big-memory"]
    # --time: every code cell to its limit (2 cells x 600 s) + 120 s start-up + 5 min set-up + 1 min
    assert directives(big)["time"] == "0-00:28:00"
    assert directives(cpu)["time"] == "0-00:09:00"  # 2 x 30 s + 120 s + 300 s + 60 s
    assert units_of(gpu) == ["gpu-any", "gpu-huge"] and directives(gpu)["gres"] == "gpu:1"
    assert directives(gpu)["partition"] == "gpu"
    assert units_of(t4) == ["gpu-mid", "gpu-optional", "gpu-small"] and directives(t4)["gres"] == "gpu:t4:1"


def test_slurm_constraint_for_a_big_gpu(engines_catalog, tmp_path, run_cli) -> None:
    config = tmp_path / "mkdocs.yml"
    doc = yaml.safe_load((engines_catalog / "mkdocs.yml").read_text())
    doc["extra"]["catalog"]["engines"]["slurm"]["gpus"] = [{"memory_gb": 40, "constraint": "a100"}]
    config.write_text(yaml.safe_dump(doc))
    found = arrays(matrix(run_cli, engines_catalog, "slurm", "--config", str(config)))
    big = found["gpu-40gb"]
    assert directives(big)["gres"] == "gpu:1" and directives(big)["constraint"] == "a100"
    assert units_of(big) == ["gpu-mid", "gpu-optional", "gpu-small"]


def test_slurm_with_nothing_due_submits_nothing(engines_catalog, tmp_path, run_cli) -> None:
    code, out, _ = run_cli("matrix", "--root", str(engines_catalog), "--format", "slurm", "--changed", "HEAD")
    assert code == 0 and "sbatch --parsable" not in out and "nothing submitted" in out


# --- Kubernetes ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def k8s(engines_catalog, tmp_path_factory) -> tuple[Path, list[dict]]:
    from catalog.cli import main

    out = tmp_path_factory.mktemp("k8s") / "jobs.yaml"
    assert main(["matrix", "--root", str(engines_catalog), "--results", "none.json", "--format", "kubernetes",
                 "--output", str(out)]) == 0  # fmt: skip
    return out, list(yaml.safe_load_all(out.read_text()))


def kubernetes_validate(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kubernetes_validate", "--strict", "-k", KUBERNETES_VERSION, str(path)],
        capture_output=True,
        text=True,
    )


def test_manifests_validate_strictly_offline(k8s, tmp_path) -> None:
    path, docs = k8s
    done = kubernetes_validate(path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("passed") == len(docs) == 6
    # strict mode does fail on what Kubernetes would not accept (the validator is not a no-op)
    bad = json.loads(json.dumps(docs[0]))
    bad["spec"]["template"]["spec"]["containers"][0]["securityContxt"] = {}
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump(bad))
    assert kubernetes_validate(tmp_path / "bad.yaml").returncode != 0


def by_units(docs: list[dict]) -> dict[str, dict]:
    """Each use case's Job (the one whose index list holds it)."""
    out = {}
    for doc in docs:
        env = {e["name"]: e.get("value") for e in doc["spec"]["template"]["spec"]["containers"][0]["env"]}
        for line in env["KB_UNITS"].split("\n"):
            out[line] = doc
    return out


@pytest.mark.parametrize(
    ("usecase", "queue", "gpu_resource", "mig", "image"),
    [
        ("cpu-plain", "cpu-queue", None, None, "python:3.11"),
        ("cpu-big-memory", "cpu-queue", None, None, "python:3.11"),
        ("cpu-own-image", "cpu-queue", None, None, "harbor.cloud.infn.it/ml-infn/sklearn:1.5"),
        ("gpu-any", "gpu-queue", "nvidia.com/gpu", None, "harbor.cloud.infn.it/ml-infn/torch:2.5"),
        ("gpu-huge", "gpu-queue", "nvidia.com/gpu", None, "harbor.cloud.infn.it/ml-infn/torch:2.5"),
        ("gpu-small", "mig-queue", "nvidia.com/mig-1g.5gb", "1g.5gb", "harbor.cloud.infn.it/ml-infn/torch:2.5"),
        ("gpu-optional", "mig-queue", "nvidia.com/mig-1g.10gb", "1g.10gb", "harbor.cloud.infn.it/ml-infn/torch:2.5"),
        ("gpu-mid", "mig-queue", "nvidia.com/mig-2g.20gb", "2g.20gb", "harbor.cloud.infn.it/ml-infn/torch:2.5"),
    ],
)
def test_job_per_gpu_declaration(k8s, engines_catalog, usecase, queue, gpu_resource, mig, image) -> None:
    _, docs = k8s
    job = by_units(docs)[usecase]
    spec = job["spec"]
    pod = spec["template"]["spec"]
    container = pod["containers"][0]
    assert job["apiVersion"] == "batch/v1" and job["kind"] == "Job"
    assert job["metadata"]["labels"]["kueue.x-k8s.io/queue-name"] == queue
    assert job["metadata"]["namespace"] == "kb-tests"
    assert spec["completionMode"] == "Indexed" and spec["completions"] == len(container["env"][3]["value"].split("\n"))
    assert spec["backoffLimit"] == 2
    assert 0 < pod["activeDeadlineSeconds"] <= spec["activeDeadlineSeconds"]
    limits = container["resources"]["limits"]
    gpu_keys = {k for k in limits if k.startswith("nvidia.com/")}
    assert gpu_keys == ({gpu_resource} if gpu_resource else set())
    if gpu_resource:
        assert limits[gpu_resource] == container["resources"]["requests"][gpu_resource] == "1"
    env = {e["name"]: e for e in container["env"]}
    assert env.get("KB_MIG_PROFILE", {}).get("value") == mig
    assert container["image"] == pod["initContainers"][0]["image"] == image
    memory = 12 * 1024 if usecase == "cpu-big-memory" else 2048
    if usecase in ("cpu-plain", "cpu-big-memory"):  # one Job, sized for its largest member
        assert container["resources"]["requests"]["memory"] == f"{12 * 1024}Mi"
    else:
        assert container["resources"]["requests"]["memory"] == f"{memory}Mi"
    # the repository at the exact commit, the shard on the declared volume
    init = {e["name"]: e["value"] for e in pod["initContainers"][0]["env"]}
    assert init["KB_REVISION"] == commit_of(engines_catalog) and init["KB_REPOSITORY"].startswith("https://")
    assert "git checkout --quiet --detach FETCH_HEAD" in pod["initContainers"][0]["command"][2]
    assert env["KB_SHARD_DIR"]["value"].startswith("/shards/")
    mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    claims = {v["name"]: v.get("persistentVolumeClaim", {}).get("claimName") for v in pod["volumes"]}
    assert mounts["results"] == "/shards" and claims["results"] == "kb-shards"
    assert "catalog reproduce" in container["command"][2] and '--results "$shard"' in container["command"][2]
    # non-root, no token, no secrets
    assert pod["automountServiceAccountToken"] is False
    assert pod["securityContext"]["runAsNonRoot"] is True and pod["securityContext"]["runAsUser"] != 0
    for c in [*pod["containers"], *pod["initContainers"]]:
        assert c["securityContext"]["allowPrivilegeEscalation"] is False
        assert c["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    text = json.dumps(job).lower()
    assert "secret" not in text and "imagepullsecrets" not in text and "serviceaccountname" not in text


def test_smallest_mig_profile_table() -> None:
    profiles = EngineSettings().kubernetes.mig_profiles
    assert smallest_mig(profiles, 0.5) == "1g.5gb"
    assert smallest_mig(profiles, 5) == "1g.5gb"
    assert smallest_mig(profiles, 6) == "1g.10gb"  # 10 GB with one compute slice before 2g.10gb
    assert smallest_mig(profiles, 30) == "3g.40gb"
    assert smallest_mig(profiles, 80) == "7g.80gb"
    assert smallest_mig(profiles, 81) is None
    assert smallest_mig({"2g.10gb": 10, "1g.5gb": 5}, 7) == "2g.10gb"  # a site's own table


def test_engine_config_errors_are_usage_errors(engines_catalog, tmp_path, run_cli) -> None:
    with pytest.raises(EngineConfigError, match="unexpected keyword"):
        EngineSettings.from_mapping({"engines": {"slurm": {"partitoin": "x"}}})
    config = tmp_path / "mkdocs.yml"
    config.write_text("extra:\n  catalog:\n    engines:\n      kubernetes: {queu: x}\n")
    code, _, err = run_cli("matrix", "--root", str(engines_catalog), "--format", "kubernetes", "--config", str(config))
    assert code == 2 and "queu" in err and "Traceback" not in err
    config.write_text("extra:\n  catalog:\n    engines: {}\n")  # no repository for the pods to clone
    code, _, err = run_cli("matrix", "--root", str(engines_catalog), "--format", "kubernetes", "--config", str(config))
    assert code == 2 and "extra.catalog.repository" in err


def test_shipped_config_is_read(run_cli) -> None:
    from catalog.reproduce.engines import load_settings

    from .conftest import REPO

    settings = load_settings(REPO / "mkdocs.yml")
    assert settings.kubernetes.queue and settings.kubernetes.mig_profiles["1g.5gb"] == 5
    assert settings.repository.startswith("https://")


# --- GitLab / GitHub -----------------------------------------------------------------------


def check_jsonschema(schema: str, path: Path) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("check-jsonschema") or str(Path(sys.executable).with_name("check-jsonschema"))
    return subprocess.run([exe, "--builtin-schema", schema, str(path)], capture_output=True, text=True)


def test_gitlab_child_pipeline_merges_its_own_shards(engines_catalog, tmp_path, run_cli) -> None:
    pipeline_text = matrix(run_cli, engines_catalog, "gitlab", "--batch", "3")
    pipeline = yaml.safe_load(pipeline_text)
    assert pipeline["stages"] == ["reproduce", "merge"]
    merge = pipeline["merge-results"]
    reproduce = [name for name in pipeline if name.startswith("reproduce:")]
    assert merge["when"] == "always" and {n["job"] for n in merge["needs"]} == set(reproduce)
    assert all(n["artifacts"] is True for n in merge["needs"])
    assert "catalog results merge results/results.json results/shards/*.json" in merge["script"]
    shards = {pipeline[name]["artifacts"]["paths"][0] for name in reproduce}
    assert all(s.startswith("results/shards/") and s.endswith(".json") for s in shards)
    (tmp_path / "child.yml").write_text(pipeline_text)
    done = check_jsonschema("vendor.gitlab-ci", tmp_path / "child.yml")
    assert done.returncode == 0, done.stdout + done.stderr


def test_shipped_pipelines_match_the_vendored_schemas() -> None:
    from .conftest import REPO

    done = check_jsonschema("vendor.gitlab-ci", REPO / ".gitlab-ci.yml")
    assert done.returncode == 0, done.stdout
    done = check_jsonschema("vendor.github-workflows", REPO / ".github/workflows/reproduce.yml")
    assert done.returncode == 0, done.stdout
    doc = yaml.safe_load((REPO / ".gitlab-ci.yml").read_text())
    assert "merge-results" not in doc  # the parent cannot see the child's artifacts


def test_merging_zero_shards_is_an_error(tmp_path, run_cli) -> None:
    """An unmatched glob reaches `catalog results merge` as the literal pattern."""
    code, out, err = run_cli("results", "merge", str(tmp_path / "out.json"), str(tmp_path / "shards" / "*.json"))
    assert code == 1 and "no such shard file" in err and "merged" not in out
    assert not (tmp_path / "out.json").exists()


# --- where a verdict ran -------------------------------------------------------------------


def test_placement_from_the_engines_variables() -> None:
    slurm = {"SLURM_JOB_ID": "14", "SLURM_ARRAY_JOB_ID": "12", "SLURM_ARRAY_TASK_ID": "2", "SLURMD_NODENAME": "cn07"}
    gpu = [{"name": "NVIDIA A100-SXM4-80GB"}]
    place = describe_placement(gpu, {**slurm, "KB_MIG_PROFILE": "3g.40gb"})
    assert place == {
        "engine": "slurm",
        "node": "cn07",
        "job": "12_2",
        "gpu_model": "NVIDIA A100-SXM4-80GB",
        "mig_profile": "3g.40gb",
    }
    pod = describe_placement([], {"KB_ENGINE": "kubernetes", "KB_NODE_NAME": "gpu-3", "KB_POD_NAME": "kb-0-x"})
    assert pod == {"engine": "kubernetes", "node": "gpu-3", "job": "kb-0-x"}
    assert describe_placement([], {})["engine"] == "local"
    run = {"placement": place, "hardware": {"cpu": "AMD EPYC", "gpus": gpu}}
    assert hardware_label(run) == "slurm on cn07 (job 12_2) · MIG 3g.40gb · AMD EPYC + NVIDIA A100-SXM4-80GB"
    assert placement_label({}) == ""


def test_dashboard_shows_where_a_verdict_ran(tmp_path) -> None:
    from catalog.render.dashboard import dashboard_page
    from catalog.reproduce.fingerprint import notebook_fingerprint
    from catalog.reproduce.store import ResultsStore, load_statuses, write_store
    from catalog.validate import load_catalog

    catalog = load_catalog(ENGINES)
    record = catalog.usecases["gpu-small"]
    run = {
        "verdict": "passed",
        "started": "2026-11-28T04:00:00Z",
        "duration_s": 12.5,
        "content_hash": notebook_fingerprint(record, record.data["notebooks"][0]),
        "hardware": {"cpu": "AMD EPYC", "cores": 8, "gpus": [{"name": "NVIDIA A100-SXM4-40GB"}]},
        "placement": {"engine": "kubernetes", "node": "gpu-node-3", "job": "kb-0-abc",
                      "gpu_model": "NVIDIA A100-SXM4-40GB", "mig_profile": "1g.5gb"},
    }  # fmt: skip
    store = ResultsStore()
    store.add("gpu-small", "notebooks/nb.ipynb", run)
    write_store(tmp_path / "results.json", store)
    statuses, history = load_statuses(catalog, tmp_path / "results.json")
    body = dashboard_page(catalog, statuses, history).body
    assert "kubernetes on gpu-node-3 (job kb-0-abc) · MIG 1g.5gb · AMD EPYC + NVIDIA A100-SXM4-40GB" in body
