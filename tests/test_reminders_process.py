"""The real scheduler process (`python -m booking scheduler`) against a real SMTP server.

Bookings are made in the test process (the engine writes the reminder rows in the booking's
transaction); one or two scheduler subprocesses dispatch them. Offsets are seconds, so every test
waits a few seconds at most, always polling against a deadline.
"""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from booking import ROOT
from booking.engine import cancel_reservation
from booking.extensions import db
from booking.models import Reminder, Reservation, utcnow

from support.smtp import SmtpSink, move

pytestmark = pytest.mark.slow
READY = "scheduler running"


class Scheduler:
    """One `python -m booking scheduler` process, its output in a log file."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.log = log
        self.out = log.open("wb")
        self.proc = subprocess.Popen([sys.executable, "-m", "booking", "scheduler"], cwd=ROOT, env=env,
                                     stdout=self.out, stderr=subprocess.STDOUT, start_new_session=True)

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while READY not in self.output():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"scheduler did not start:\n{self.output()}")
            time.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL: no clean-up, no chance to finish anything."""
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()
        self.out.close()


@pytest.fixture
def start_scheduler(database_url: str, smtp_server: SmtpSink, tmp_path: Path) -> Iterator[Callable[..., Scheduler]]:
    env = dict(os.environ)
    env.update(
        ONESTOP_DATABASE_URL=database_url,
        ONESTOP_MAIL_URL=smtp_server.url,
        ONESTOP_INSTANCE=str(tmp_path / "scheduler-instance"),
        ONESTOP_SECRET_KEY="test",
        ONESTOP_REMINDER_OFFSETS="10s",
        ONESTOP_MAIL_RETRY_SECONDS="0.5",
        ONESTOP_MAIL_MAX_ATTEMPTS="10",
        ONESTOP_BASE_URL="https://onestop.example.org",
    )
    started: list[Scheduler] = []

    def start(**settings: str) -> Scheduler:
        scheduler = Scheduler(dict(env, **settings), tmp_path / f"scheduler-{len(started) + 1}.log")
        started.append(scheduler)
        return scheduler

    try:
        yield start
    finally:
        for scheduler in started:
            scheduler.kill()  # the test is over: no need to wait for a job to finish
            scheduler.out.close()


@pytest.fixture
def soon(mail_app, book, make_user, make_resource) -> Callable[..., Reservation]:
    """A booking starting `in_seconds` from now, reminded `offset` seconds before."""
    users = []

    def factory(in_seconds: float, offset: int = 10, **params) -> Reservation:
        mail_app.config["ONESTOP_REMINDER_OFFSETS"] = [timedelta(seconds=offset)]
        if "user" not in params:
            users[:] = users or [make_user(language="en")]
            params["user"] = users[0]
        params.setdefault("resource", make_resource())
        return book(start=utcnow() + timedelta(seconds=in_seconds), minutes=30, **params)

    return factory


def reminder_mails(sink: SmtpSink) -> list:
    return [m for m in sink.messages() if m.subject.startswith("Reminder")]


def settle(sink: SmtpSink, seconds: float = 1.5) -> None:
    """Give a would-be duplicate the time of a dispatcher cycle or so to show up."""
    time.sleep(seconds)


def test_killed_scheduler_restarted_sends_each_reminder_once(smtp_server, start_scheduler, soon):
    first = start_scheduler()                  # starting up while the bookings are made
    kept = soon(13)                            # reminder due in 3 s (10 s before the start)
    cancelled = soon(13)
    cancel_reservation(cancelled.user, cancelled)
    db.session.commit()
    moved = soon(13)
    new_start = moved.start + timedelta(seconds=2)
    move(moved, new_start)                     # its reminder now due in 5 s
    first.wait_ready()
    # the five booking mails go out first (3 confirmations, a cancellation, a change): killed in
    # the middle of sending one, a scheduler leaves it for the stuck-row sweep minutes later
    smtp_server.wait_for(5, timeout=30, where=lambda m: not m.subject.startswith("Reminder"))
    first.kill()                               # after the bookings, before any reminder is due
    second = start_scheduler()
    second.wait_ready()

    mails = smtp_server.wait_for(2, timeout=30, where=lambda m: m.subject.startswith("Reminder"))
    settle(smtp_server)
    assert smtp_server.duplicates() == {}
    db.session.expire_all()
    rows = {r.reservation_id: r for r in db.session.scalars(select(Reminder))}
    assert sorted(m.message_id for m in reminder_mails(smtp_server)) == sorted(
        [rows[kept.id].message_id, rows[moved.id].message_id])
    assert rows[cancelled.id].status == "cancelled"
    moved_mail = next(m for m in mails if m.message_id == rows[moved.id].message_id)
    assert moved_mail.at >= new_start - timedelta(seconds=10)  # not at the old time
    assert rows[moved.id].due_at == new_start - timedelta(seconds=10)
    # every event mail arrived too, once: 3 confirmations, a cancellation, a change
    assert len(smtp_server.messages()) == 2 + 5


def test_smtp_down_for_a_while_then_every_reminder_arrives_once(smtp_server, start_scheduler, soon):
    smtp_server.stop()
    scheduler = start_scheduler()              # starting up while the bookings are made
    bookings = [soon(12) for _ in range(3)]    # reminders due in 2 s (10 s before the start)
    scheduler.wait_ready()
    deadline = time.monotonic() + 30
    while True:  # wait until the scheduler has failed on the reminders at least once
        db.session.expire_all()
        attempts = [r.attempts for r in db.session.scalars(select(Reminder))]
        if attempts and min(attempts) >= 1:
            break
        assert time.monotonic() < deadline, scheduler.output()
        time.sleep(0.1)
    smtp_server.start()
    smtp_server.wait_for(6, timeout=30)
    settle(smtp_server)
    assert smtp_server.duplicates() == {}
    assert len(reminder_mails(smtp_server)) == len(bookings)
    assert len(smtp_server.messages()) == 6
    db.session.expire_all()
    assert {r.status for r in db.session.scalars(select(Reminder))} == {"sent"}


def test_two_schedulers_by_mistake_still_send_one_mail_per_reminder(smtp_server, start_scheduler, soon):
    """Both dispatch at the same time (a slow server, small batches): the claim keeps them apart."""
    smtp_server.delay = 0.15                  # 24 mails take ~3.6 s: longer than a dispatcher cycle
    schedulers = [start_scheduler(ONESTOP_MAIL_BATCH_SIZE="3"), start_scheduler(ONESTOP_MAIL_BATCH_SIZE="3")]
    for scheduler in schedulers:  # both running before any mail is due (a loaded machine starts one late)
        scheduler.wait_ready()
    bookings = [soon(13) for _ in range(12)]  # reminders due 3 s after each booking: close together
    smtp_server.wait_for(2 * len(bookings), timeout=40)
    settle(smtp_server)
    assert smtp_server.duplicates() == {}
    assert len(reminder_mails(smtp_server)) == len(bookings)
    assert len(smtp_server.messages()) == 2 * len(bookings)
    sent = [sum(int(n) for n in re.findall(r"mail dispatch: \{'sent': (\d+)", s.output())) for s in schedulers]
    assert sum(sent) == 2 * len(bookings) and min(sent) > 0, sent  # both took part
