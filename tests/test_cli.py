"""The `onestop` command line: exit status 0/1/2 and one-line messages, never a traceback."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from booking.extensions import db
from booking.models import User


@pytest.fixture
def onestop(database_url, tmp_path):
    env = {**os.environ, "ONESTOP_DATABASE_URL": database_url, "ONESTOP_INSTANCE": str(tmp_path / "inst")}

    def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "booking", *args], input=stdin, env=env,
                              capture_output=True, text=True, timeout=120)

    return run


def test_users_create(onestop, app):
    result = onestop("users", "create", "--email", "Boss@Example.com", "--password-stdin", "--role", "admin",
                     stdin="a-long-password\n")
    assert result.returncode == 0, result.stderr
    db.session.expire_all()
    user = db.session.query(User).one()
    assert user.email == "boss@example.com" and user.role == "admin" and user.check_password("a-long-password")


def test_users_create_user_errors_exit_1(onestop):
    short = onestop("users", "create", "--email", "a@example.com", "--password-stdin", stdin="short\n")
    assert short.returncode == 1
    assert short.stderr.strip().count("\n") == 0 and "10 characters" in short.stderr
    staff = onestop("users", "create", "--email", "s@example.com", "--password-stdin", "--role", "staff",
                    stdin="a-long-password\n")
    assert staff.returncode == 1 and "platform" in staff.stderr and "Traceback" not in staff.stderr


def test_usage_errors_exit_2(onestop):
    result = onestop("users", "create", "--role", "king")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert onestop("no-such-command").returncode == 2


def test_missing_file_exits_1_with_one_line(onestop):
    result = onestop("import", "/nonexistent/feed.jsonl")
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
