"""A real one-node Slurm cluster in a temporary folder: munged, slurmctld and slurmd with their own
socket, ports, state and pid files, stopped by those pid files. Used by the dispatch tests and
the dispatch benchmark; never mocks anything."""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

DAEMONS = ("munged", "slurmctld", "slurmd")
CLIENTS = ("sbatch", "squeue", "scontrol", "scancel")


def missing() -> str:
    """Why a local cluster cannot be started here ('' when it can)."""
    absent = [name for name in (*DAEMONS, *CLIENTS) if not _which(name)]
    if absent:
        return f"Slurm/munge not installed ({', '.join(absent)} missing; apt-get install slurm-wlm munge)"
    if os.geteuid() != 0:
        return "a local Slurm cluster needs root (slurmd runs jobs as their owner)"
    try:
        pwd.getpwnam("munge")
    except KeyError:
        return "no 'munge' user (the munge package creates it)"
    return ""


def _which(name: str) -> str | None:
    return shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _memory_mb() -> int:
    with open("/proc/meminfo", encoding="ascii") as info:
        for line in info:
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) // 1024
    return 1024


@dataclass
class Cluster:
    folder: Path
    conf: Path
    cpus: int

    @property
    def env(self) -> dict[str, str]:
        """Environment for the Slurm clients (sbatch, squeue, ...) to talk to this cluster."""
        return {**os.environ, "SLURM_CONF": str(self.conf)}


def _wait_for(check: Callable[[], bool], seconds: float, what: str, log: Path) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    tail = log.read_text(errors="replace")[-3000:] if log.is_file() else "(no log)"
    raise RuntimeError(f"{what} did not come up within {seconds:.0f} s; log tail:\n{tail}")


def _stop(pid_file: Path) -> None:
    try:
        pid = int(pid_file.read_text().strip())
    except (OSError, ValueError):
        return
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    for _ in range(50):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    with suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


@contextmanager
def local_cluster(cpus: int | None = None) -> Iterator[Cluster]:
    """Start munged, slurmctld and slurmd for one node named localhost; stop them afterwards."""
    cpus = cpus or os.cpu_count() or 1
    folder = Path(tempfile.mkdtemp(prefix="kb-slurm-"))
    folder.chmod(0o755)
    munge = pwd.getpwnam("munge")
    mdir = folder / "munge"
    mdir.mkdir()
    mdir.chmod(0o711)  # munged wants the socket folder searchable by all, writable by it alone
    key = mdir / "munge.key"
    key.write_bytes(os.urandom(1024))
    key.chmod(0o600)
    for path in (mdir, key):
        os.chown(path, munge.pw_uid, munge.pw_gid)
    for name in ("state", "spool", "log", "run"):
        (folder / name).mkdir()
    sock = mdir / "munge.socket"
    conf = folder / "slurm.conf"
    conf.write_text(
        "\n".join(
            [
                "ClusterName=kbtest",
                "SlurmctldHost=localhost",
                f"SlurmctldPort={_free_port()}",
                f"SlurmdPort={_free_port()}",
                "SlurmUser=root",
                "AuthType=auth/munge",
                "CredType=cred/munge",
                f"AuthInfo=socket={sock}",
                f"StateSaveLocation={folder / 'state'}",
                f"SlurmdSpoolDir={folder / 'spool'}",
                f"SlurmctldPidFile={folder / 'run' / 'slurmctld.pid'}",
                f"SlurmdPidFile={folder / 'run' / 'slurmd.pid'}",
                f"SlurmctldLogFile={folder / 'log' / 'slurmctld.log'}",
                f"SlurmdLogFile={folder / 'log' / 'slurmd.log'}",
                "ProctrackType=proctrack/linuxproc",
                "TaskPlugin=task/none",
                "JobAcctGatherType=jobacct_gather/none",
                "SelectType=select/cons_tres",
                "SelectTypeParameters=CR_Core_Memory",
                "ReturnToService=2",
                "MinJobAge=3600",
                "MaxArraySize=10001",
                "SchedulerParameters=sched_interval=1",
                "SlurmctldTimeout=30",
                "SlurmdTimeout=30",
                "InactiveLimit=0",
                "KillWait=2",
                f"NodeName=localhost CPUs={cpus} RealMemory={max(256, _memory_mb() - 512)} State=UNKNOWN",
                "PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP",
                "",
            ]
        )
    )
    cluster = Cluster(folder, conf, cpus)
    env = cluster.env
    started: list[Path] = []
    try:
        subprocess.run(
            [
                _which("munged") or "munged",
                f"--socket={sock}",
                f"--key-file={key}",
                f"--pid-file={mdir / 'munged.pid'}",
                f"--log-file={mdir / 'munged.log'}",
                f"--seed-file={mdir / 'munged.seed'}",
            ],
            check=True,
            user=munge.pw_uid,
            group=munge.pw_gid,
            capture_output=True,
            timeout=30,
        )
        started.append(mdir / "munged.pid")
        _wait_for(sock.exists, 10, "munged", mdir / "munged.log")
        subprocess.run([_which("slurmctld") or "slurmctld", "-f", str(conf)], env=env, check=True, timeout=30)
        started.append(folder / "run" / "slurmctld.pid")
        slurmd = [_which("slurmd") or "slurmd", "-f", str(conf), "-N", "localhost"]
        subprocess.run(slurmd, env=env, check=True, timeout=30)
        started.append(folder / "run" / "slurmd.pid")

        def idle() -> bool:
            done = subprocess.run(
                ["sinfo", "-h", "-N", "-o", "%T"], env=env, capture_output=True, text=True, timeout=10, check=False
            )
            return done.stdout.strip().rstrip("*") in ("idle", "mixed", "allocated")

        _wait_for(idle, 30, "slurmd (node idle)", folder / "log" / "slurmctld.log")
        yield cluster
    finally:
        for pid_file in reversed(started):
            _stop(pid_file)
        shutil.rmtree(folder, ignore_errors=True)
