"""Exactly one process runs the jobs: `onestop serve` starts the scheduler once, also under
Flask's reloader (which runs the server in a child process), and never with --no-scheduler."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from booking import ROOT

from support.smtp import free_port

STARTED = "scheduler started in-process"
pytestmark = pytest.mark.slow


def serve(tmp_path: Path, sqlite_template: Path, *flags: str) -> str:
    """Run `onestop serve` until it answers, then stop it; return everything it logged."""
    shutil.copy(sqlite_template, tmp_path / "onestop.db")
    script = tmp_path / "run_onestop.py"  # a file, so that the reloader can run it again
    script.write_text(
        "import logging, sys\n"
        f"sys.path.insert(0, {str(ROOT)!r})\n"
        "logging.basicConfig(level=logging.INFO)\n"
        "from booking.cli import main\n"
        "main()\n"
    )
    port = free_port()
    env = dict(os.environ, ONESTOP_INSTANCE=str(tmp_path), ONESTOP_SECRET_KEY="test",
               ONESTOP_DATABASE_URL=f"sqlite:///{tmp_path / 'onestop.db'}")
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, str(script), "serve", "--port", str(port), *flags], cwd=tmp_path,
                                env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            deadline = time.monotonic() + 40
            while True:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=2) as response:
                        assert response.status == 200
                    break
                except OSError:
                    assert proc.poll() is None and time.monotonic() < deadline, log.read_text()
                    time.sleep(0.2)
            time.sleep(1.0)  # a second scheduler would have said so by now
        finally:
            os.killpg(proc.pid, signal.SIGTERM)  # the server and, under the reloader, its child
            proc.wait(timeout=10)
    return log.read_text(errors="replace")


def test_reloader_runs_the_scheduler_once(tmp_path, sqlite_template):
    output = serve(tmp_path, sqlite_template, "--debug")
    assert "Debugger is active" in output or "Restarting with" in output  # the reloader was on
    assert output.count(STARTED) == 1


def test_no_scheduler_flag_runs_none(tmp_path, sqlite_template):
    assert STARTED not in serve(tmp_path, sqlite_template, "--no-scheduler")
