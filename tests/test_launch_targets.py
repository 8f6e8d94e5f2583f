"""Every CPU notebook runs where the site's buttons send it: a bare JupyterHub folder pulled by
nbgitpuller, the environment Binder builds from binder/, and Colab with the notebook alone.

Real tools only: nbgitpuller's own GitPuller, jupyter-repo2docker, pip, nbval; the repository
and the site are served from 127.0.0.1 and found through the documented environment variables.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from catalog.reproduce.binder import needs_gpu
from catalog.urls import notebook_uri
from catalog.validate import load_catalog

from .conftest import REPO
from .launch_support import add_kernel, failures, make_venv, run_nbval, source_repository, static_server

pytestmark = pytest.mark.slow
CATALOG = load_catalog(REPO)
CPU_NOTEBOOKS = sorted(
    notebook_uri(u.id, n["path"])
    for u in CATALOG.usecases.values()
    if not needs_gpu(u)
    for n in u.data.get("notebooks", [])
)
HELPER_IN = "mlinfn-data @ git+{url}#subdirectory=packages/mlinfn-data"


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return source_repository(tmp_path_factory.mktemp("origin") / "kb")


def test_there_are_cpu_notebooks() -> None:
    assert len(CPU_NOTEBOOKS) >= 3


def test_bare_hub_pulls_with_nbgitpuller_and_runs_every_cpu_notebook(source: Path, tmp_path: Path) -> None:
    python = make_venv(tmp_path / "hub-env", ["jupyter-server", "nbgitpuller", "ipykernel"])
    for absent in ("numpy", "sklearn", "mlinfn_data"):  # a bare hub: Jupyter, nothing of the use cases
        done = subprocess.run([str(python), "-c", f"import {absent}"], capture_output=True)
        assert done.returncode != 0, absent
    home = tmp_path / "home"
    home.mkdir()
    pull = (
        "import sys\nfrom nbgitpuller.pull import GitPuller\n"
        "for line in GitPuller(sys.argv[1], sys.argv[2], branch='main').pull():\n    print(line, end='')\n"
    )
    url = f"file://{source}"
    done = subprocess.run(
        [str(python), "-c", pull, url, str(home / "kb")], cwd=home, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout + done.stderr
    jupyter_path = add_kernel(python, "hub")
    env = {"HOME": str(home), "MLINFN_DATA_HELPER": HELPER_IN.format(url=url), "MLINFN_DATA_CACHE": str(tmp_path / "c")}
    env.pop("MLINFN_CATALOG_ROOT", None)
    for index, notebook in enumerate(CPU_NOTEBOOKS):
        report = run_nbval(home / "kb" / notebook, "hub", jupyter_path, env, tmp_path / f"r{index}.json")
        assert report["collected"] > 0 and failures(report) == [], (notebook, failures(report))


def test_repo2docker_builds_from_binder_and_that_environment_runs_every_cpu_notebook(
    source: Path, tmp_path: Path
) -> None:
    r2d = make_venv(tmp_path / "r2d", ["jupyter-repo2docker"], pip=False).parent / "jupyter-repo2docker"
    done = subprocess.run([str(r2d), "--no-build", "--debug", str(source)], capture_output=True, text=True, timeout=300)
    dockerfile = done.stdout + done.stderr
    assert done.returncode == 0, dockerfile[-2000:]
    assert 'pip install --no-cache-dir -r "binder/requirements.txt"' in dockerfile
    assert "./binder/postBuild" in dockerfile and "python=3.11" in dockerfile  # runtime.txt
    assert "pip install ." not in dockerfile  # not the site tool's pyproject.toml
    # the Python buildpack: pip into the kernel environment from binder/, then postBuild
    python = make_venv(tmp_path / "binder-env", ["ipykernel"])
    subprocess.run([str(python), "-m", "pip", "install", "-q", "-r", "binder/requirements.txt"], cwd=source, check=True)
    path = f"{python.parent}{os.pathsep}{os.environ['PATH']}"
    subprocess.run(["bash", "binder/postBuild"], cwd=source, check=True, env={**os.environ, "PATH": path})
    jupyter_path = add_kernel(python, "binder")
    env = {"MLINFN_SETUP_INSTALL": "0", "MLINFN_DATA_CACHE": str(tmp_path / "c")}  # nothing may be missing
    for index, notebook in enumerate(CPU_NOTEBOOKS):
        report = run_nbval(source / notebook, "binder", jupyter_path, env, tmp_path / f"r{index}.json")
        assert report["collected"] > 0 and failures(report) == [], (notebook, failures(report))


def test_colab_each_cpu_notebook_alone_in_a_fresh_environment(source: Path, tmp_path: Path, run_cli) -> None:
    served = tmp_path / "served"
    subprocess.run(["git", "clone", "-q", "--bare", str(source), str(served / "kb.git")], check=True)
    subprocess.run(["git", "-C", str(served / "kb.git"), "update-server-info"], check=True)
    code, _, err = run_cli("export", "--root", str(source), "-o", str(served / "site"))
    assert code == 0, err
    shutil.copytree(source / "datasets", served / "raw" / "datasets")  # the repository's raw files
    with static_server(served) as base:
        for index, notebook in enumerate(CPU_NOTEBOOKS):
            python = make_venv(tmp_path / f"colab-env{index}", ["ipykernel"])
            jupyter_path = add_kernel(python, "colab")
            alone = tmp_path / f"content{index}"
            alone.mkdir()
            shutil.copy2(source / notebook, alone)
            env = {
                "MLINFN_DATA_HELPER": HELPER_IN.format(url=f"{base}/kb.git"),
                "MLINFN_DATA_CACHE": str(tmp_path / f"cache{index}"),
            }
            if index % 2:  # the record from the repository's raw files
                env["MLINFN_RECORDS_URL"] = f"{base}/raw/"
            else:  # the record from the published site's catalog.json
                env["MLINFN_CATALOG_JSON_URL"] = f"{base}/site/catalog.json"
                env["MLINFN_RECORDS_URL"] = f"{base}/no-such-folder/"
            os.environ.pop("MLINFN_CATALOG_ROOT", None)
            target = alone / Path(notebook).name
            report = run_nbval(target, "colab", jupyter_path, env, tmp_path / f"r{index}.json")
            assert report["collected"] > 0 and failures(report) == [], (notebook, failures(report))
            assert sorted(p.name for p in alone.iterdir()) == [target.name]  # nothing but the notebook
