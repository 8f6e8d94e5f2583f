"""What the tool writes gets the umask's permissions (a web server running as another user can read
the site), and `catalog serve` is the server process itself: stopping it by its PID frees the port."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import stat
import subprocess
import time
from pathlib import Path

import pytest

from .conftest import FIXTURES, copy_site_fixture

pytestmark = pytest.mark.slow


def with_umask(mask: int):
    return lambda: os.umask(mask)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_build_and_reproduce_write_with_the_umask(tmp_path: Path) -> None:
    config = copy_site_fixture(tmp_path / "kb")
    done = subprocess.run(
        ["catalog", "build", "-f", str(config), "-d", str(tmp_path / "kb" / "site")],
        capture_output=True,
        text=True,
        preexec_fn=with_umask(0o022),
    )
    assert done.returncode == 0, done.stderr
    site = tmp_path / "kb" / "site"
    assert mode(site) == 0o755
    assert mode(site / "index.html") == 0o644
    assert mode(site / "search" / "search_index.json") == 0o644
    assert "warning: no site URL" in done.stderr  # the fixture sets no site_url

    root = tmp_path / "repro"
    shutil.copytree(FIXTURES / "reproduce", root)
    results = root / "results" / "results.json"
    done = subprocess.run(
        ["catalog", "reproduce", "--root", str(root), "--results", str(results), "--gpu", "no", "passing"],
        capture_output=True,
        text=True,
        preexec_fn=with_umask(0o022),
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert mode(results) == 0o644
    # a stricter umask is respected too
    os.chmod(results, 0o600)
    done = subprocess.run(
        ["catalog", "reproduce", "--root", str(root), "--results", str(results), "--gpu", "no", "--force", "passing"],
        capture_output=True,
        text=True,
        preexec_fn=with_umask(0o077),
    )
    assert done.returncode == 0 and mode(results) == 0o600


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def answers(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def test_stopping_catalog_serve_by_its_pid_frees_the_port(tmp_path: Path) -> None:
    config = copy_site_fixture(tmp_path / "kb")
    port = free_port()
    proc = subprocess.Popen(
        ["catalog", "serve", "-f", str(config), "-a", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=tmp_path / "kb",
    )
    try:
        deadline = time.monotonic() + 120
        while not answers(port):
            assert proc.poll() is None, "catalog serve exited"
            assert time.monotonic() < deadline, "catalog serve never answered"
            time.sleep(0.3)
        os.kill(proc.pid, signal.SIGTERM)  # the PID a user or a process manager knows
        proc.wait(timeout=30)
        deadline = time.monotonic() + 10
        while answers(port):
            assert time.monotonic() < deadline, "the port still answers after catalog serve was stopped"
            time.sleep(0.2)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
