"""Per-use-case environments: creation cold vs reuse warm, and the shipped CPU use cases run with
isolated environments vs `--env active`, side by side in one run.

python benchmarks/bench_envs.py [--repeat 3] [--cold-cache]

"cold": the environment does not exist yet (uv's package cache is this machine's, warm unless
--cold-cache gives uv an empty one, which downloads every wheel). "warm": it exists; reuse reads
its env.json. Times are wall clock; the reproduce runs use --force so every notebook runs.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine

REPO = Path(__file__).resolve().parents[1]
CATALOG = str(Path(sys.executable).parent / "catalog")


def shipped_copy(target: Path) -> Path:
    for name in ("usecases", "datasets", "seminars", "events"):
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, target / name)
    return target


def timed(command: list[str], env: dict[str, str]) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - started
    if done.returncode not in (0, 1):
        raise RuntimeError(done.stdout + done.stderr)
    return elapsed, done.stdout


def ensure_times(root: Path, envs: Path, usecase: str, repeat: int) -> tuple[float, list[float]]:
    """(cold creation, warm reuses) of one use case's environment, in-process (no interpreter start)."""
    sys.path.insert(0, str(REPO))
    from catalog.reproduce.envs import declaration_of, ensure
    from catalog.validate import load_catalog

    record = load_catalog(root).usecases[usecase]
    declaration = declaration_of(record, root)
    assert declaration is not None
    started = time.perf_counter()
    built = ensure(declaration, root, envs)
    cold = time.perf_counter() - started
    assert built.created
    warm = []
    for _ in range(repeat):
        started = time.perf_counter()
        again = ensure(declaration, root, envs)
        warm.append(time.perf_counter() - started)
        assert not again.created
    return cold, warm


def kernel_start(name: str, jupyter_path: str | None) -> float:
    """Seconds from starting kernel `name` until it answers (what nbval waits for per notebook)."""
    from jupyter_client.manager import start_new_kernel

    if jupyter_path:
        os.environ["JUPYTER_PATH"] = jupyter_path
    else:
        os.environ.pop("JUPYTER_PATH", None)
    started = time.perf_counter()
    manager, client = start_new_kernel(kernel_name=name, startup_timeout=120)
    elapsed = time.perf_counter() - started
    client.stop_channels()
    manager.shutdown_kernel(now=True)
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--cold-cache", action="store_true", help="give uv an empty package cache (downloads)")
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "kb-bench-envs")
    args = parser.parse_args()
    shutil.rmtree(args.work, ignore_errors=True)
    root = shipped_copy(args.work / "kb")
    env = {**os.environ, "MLINFN_ENVS_DIR": str(args.work / "envs")}
    if args.cold_cache:
        env["UV_CACHE_DIR"] = str(args.work / "uv-cache")
        os.environ["UV_CACHE_DIR"] = env["UV_CACHE_DIR"]
    print(f"machine: {machine()}")
    sys.path.insert(0, str(REPO))
    from catalog.reproduce.binder import needs_gpu
    from catalog.validate import load_catalog

    cpu = sorted(u.id for u in load_catalog(root).usecases.values() if not needs_gpu(u))
    rows = []
    for usecase in cpu:  # each in an environment folder of its own, so each is built cold
        cold, warm = ensure_times(root, args.work / f"envs-{usecase}", usecase, args.repeat)
        cli_env = {**env, "MLINFN_ENVS_DIR": str(args.work / f"envs-{usecase}")}
        cli = [timed([CATALOG, "env", "build", usecase, "--root", str(root)], cli_env)[0] for _ in range(args.repeat)]
        rows.append((usecase, cold, statistics.median(warm), statistics.median(cli)))
    print("\nuse case | create (cold) | reuse (warm, in-process) | `catalog env build` warm (whole command)")
    for usecase, cold, warm, cli in rows:
        print(f"{usecase} | {cold:.2f} s | {warm * 1000:.1f} ms | {cli:.2f} s")

    # the per-notebook difference isolation makes: whose kernel starts (alternated, same load)
    sys.path.insert(0, str(REPO))
    from catalog.reproduce.envs import declaration_of, existing

    record = load_catalog(root).usecases[cpu[0]]
    isolated_env = existing(declaration_of(record, root), args.work / f"envs-{cpu[0]}")  # type: ignore[arg-type]
    assert isolated_env is not None
    starts: dict[str, list[float]] = {"active": [], "isolated": []}
    for _ in range(max(5, args.repeat)):
        starts["active"].append(kernel_start("python3", None))
        starts["isolated"].append(kernel_start(isolated_env.kernel_name, str(isolated_env.jupyter_path)))
    print("\nkernel start until it answers, median of", len(starts["active"]), "alternated:")
    print(f"active environment's kernel:   {statistics.median(starts['active']):.2f} s")
    print(f"isolated environment's kernel: {statistics.median(starts['isolated']):.2f} s")

    results = str(args.work / "results.json")
    base = [CATALOG, "reproduce", *cpu, "--root", str(root), "--results", results, "--gpu", "no", "--force"]
    first_isolated, _ = timed([*base, "--env", "isolated"], env)  # builds the shared environment
    runs: dict[str, list[float]] = {"active": [], "isolated": []}
    for _ in range(args.repeat):  # alternated, so both see the same machine load
        for mode in ("active", "isolated"):
            runs[mode].append(timed([*base, "--env", mode], env)[0])
    unchanged, out = timed([*base[:-1], "--env", "isolated"], env)  # no --force: nothing is due
    assert "0 notebook(s) executed" in out, out
    planning = {"active": [], "isolated": []}  # nothing due: what choosing and reusing costs per run
    timed([*base[:-1], "--env", "active"], env)  # records active-mode passes, so both runs have nothing due
    for _ in range(args.repeat):
        for mode in ("active", "isolated"):
            took, out = timed([*base[:-1], "--env", mode], env)
            assert "0 notebook(s) executed" in out, out
            planning[mode].append(took)
    print(
        f"unchanged run, nothing due: active {statistics.median(planning['active']):.2f} s, "
        f"isolated {statistics.median(planning['isolated']):.2f} s"
    )
    active, isolated = statistics.median(runs["active"]), statistics.median(runs["isolated"])
    print(f"\n{len(cpu)} CPU use cases, every notebook run (--force), median of {args.repeat}:")
    print(f"--env active:            {active:.2f} s")
    print(f"--env isolated (warm):   {isolated:.2f} s ({isolated - active:+.2f} s, {isolated / active:.2f}x)")
    print(f"warm overhead per use case: {(isolated - active) / len(cpu):+.2f} s")
    print(f"--env isolated (cold):   {first_isolated:.2f} s (environment built in the run)")
    print(f"unchanged, isolated:     {unchanged:.2f} s (0 kernels)")
    (args.work / "bench_envs.json").write_text(
        json.dumps(
            {
                "create": {u: {"cold_s": c, "warm_s": w, "cli_warm_s": k} for u, c, w, k in rows},
                "reproduce": {"active_s": active, "isolated_warm_s": isolated, "isolated_cold_s": first_isolated},
                "unchanged_s": unchanged,
                "unchanged_median_s": {m: statistics.median(v) for m, v in planning.items()},
                "kernel_start_s": {m: statistics.median(v) for m, v in starts.items()},
            },
            indent=1,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
