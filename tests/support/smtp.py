"""Fixtures for the mail and reminder tests: a real SMTP server on loopback, and bookings.

`smtp_server` is an aiosmtpd Controller on 127.0.0.1 at a free port whose handler keeps every
envelope; tests read what it received, as a mail client would. It can be stopped and started
again on the same port (an SMTP outage). `mail_app` points the app's mail at it.

Its fixtures are registered for every test by `tests/conftest.py` (`pytest_plugins`); test modules
import only its plain helpers (`SmtpSink`, `hour_from_now`, `move`, `free_port`).
"""
from __future__ import annotations

import asyncio
import email.parser
import email.policy
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from flask import Flask

from booking.extensions import db
from booking.models import Reservation, Resource, User, utcnow


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    at: datetime

    @property
    def message(self) -> EmailMessage:
        return email.parser.BytesParser(policy=email.policy.default).parsebytes(self.data)  # type: ignore[return-value]

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"])

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    def text(self) -> str:
        return self.message.get_body(("plain",)).get_content()  # type: ignore[union-attr]

    def html(self) -> str:
        return self.message.get_body(("html",)).get_content()  # type: ignore[union-attr]

    def attachment(self, filename: str) -> EmailMessage | None:
        for part in self.message.iter_attachments():
            if part.get_filename() == filename:
                return part  # type: ignore[return-value]
        return None


class _Handler:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.sink.delay:
            await asyncio.sleep(self.sink.delay)  # a slow server (other sessions go on meanwhile)
        self.sink._add(Received(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.content), utcnow()))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class SmtpSink:
    port: int = field(default_factory=free_port)
    received: list[Received] = field(default_factory=list)
    controller: Controller | None = None
    delay: float = 0.0  # seconds the server takes to accept each message
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def _add(self, item: Received) -> None:
        with self._lock:
            self.received.append(item)

    def start(self, **kwargs: Any) -> None:
        self.controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port, **kwargs)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def messages(self) -> list[Received]:
        with self._lock:
            return list(self.received)

    def wait_for(self, count: int, timeout: float = 15.0,
                 where: Callable[[Received], bool] = lambda r: True) -> list[Received]:
        """Poll until at least `count` matching messages arrived (fail after `timeout` seconds)."""
        deadline = time.monotonic() + timeout
        while True:
            found = [r for r in self.messages() if where(r)]
            if len(found) >= count:
                return found
            if time.monotonic() > deadline:
                raise AssertionError(f"expected {count} messages, got {len(found)}: {[r.subject for r in found]}")
            time.sleep(0.05)

    def duplicates(self) -> dict[str, int]:
        counts = Counter(r.message_id for r in self.messages())
        return {mid: n for mid, n in counts.items() if n > 1}


@pytest.fixture
def smtp_server() -> Iterator[SmtpSink]:
    sink = SmtpSink()
    sink.start()
    try:
        yield sink
    finally:
        sink.stop()


@pytest.fixture
def fast_passwords(monkeypatch: pytest.MonkeyPatch) -> None:
    """Password hashing is not what the mail tests are about: a cheap (still salted) hash, so
    the many accounts they make cost milliseconds instead of a CPU-bound scrypt each."""
    from werkzeug import security

    import booking.models.user as user_module

    monkeypatch.setattr(user_module, "generate_password_hash",
                        lambda password, method=None: security.generate_password_hash(password, method="pbkdf2:sha256:1000"))


@pytest.fixture
def mail_app(app: Flask, smtp_server: SmtpSink, fast_passwords: None) -> Flask:
    """The app, sending to the loopback server; quick retries; one reminder 1 hour before."""
    app.config.update(
        ONESTOP_MAIL_URL=smtp_server.url,
        ONESTOP_MAIL_RETRY_SECONDS=1,
        ONESTOP_BASE_URL="https://onestop.example.org",
        ONESTOP_REMINDER_OFFSETS=[timedelta(hours=1)],
    )
    return app


def hour_from_now(hours: float = 48) -> datetime:
    """A whole-minute start time `hours` ahead (the default avoids every reminder being due)."""
    return (utcnow() + timedelta(hours=hours)).replace(second=0, microsecond=0)


@pytest.fixture
def book(app: Flask, fast_passwords: None, make_resource: Callable[..., Resource],
         make_user: Callable[..., User]) -> Callable[..., Reservation]:
    """Book through the engine, as the site does: `book(user=…, resource=…, start=…, minutes=60)`."""
    from booking.engine import create_reservation

    def factory(user: User | None = None, resource: Resource | None = None, start: datetime | None = None,
                minutes: int = 60, purpose: str = "") -> Reservation:
        user = user or make_user(language="en")
        resource = resource or make_resource()
        start = start or hour_from_now()
        reservation = create_reservation(user, resource, start, start + timedelta(minutes=minutes), purpose)
        db.session.commit()
        return reservation

    return factory


def move(reservation: Reservation, new_start: datetime, actor: User | None = None) -> None:
    """Move a booking to a new start (same length) and emit "changed", as a reschedule would.

    (The engine has no move operation yet; this is the event it will emit.)"""
    from booking.engine.events import emit

    length = reservation.end - reservation.start
    buffer = reservation.block_end - reservation.end
    old_start, old_end = reservation.start, reservation.end
    reservation.start, reservation.end = new_start, new_start + length
    reservation.block_start, reservation.block_end = new_start, new_start + length + buffer
    emit(reservation, "changed", actor or reservation.user, old_start=old_start.isoformat(), old_end=old_end.isoformat())
    db.session.commit()
