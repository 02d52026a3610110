"""Periodic jobs, referenced by text ("booking.jobs:name") so nothing of them is pickled.

Each opens its own application context and commits its own unit of work.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from flask import Flask

from .engine.attendance import settle_attendance as settle
from .engine.reservations import expire_pending
from .extensions import db
from .notify import dispatch_due, sweep_stuck
from .notify.ratings import invite_ratings as queue_rating_invitations
from .searching.service import sync_index

log = logging.getLogger(__name__)
T = TypeVar("T")
_app: Flask | None = None


def bind(app: Flask) -> None:
    """Tell the jobs which application they work for (the scheduler does this at start)."""
    global _app
    _app = app


def _in_app(work: Callable[[], T]) -> T:
    if _app is None:
        raise RuntimeError("jobs are not bound to an application: call booking.jobs.bind(app)")
    with _app.app_context():
        try:
            return work()
        except Exception:
            db.session.rollback()
            raise
        finally:
            db.session.remove()


def apply_index_outbox() -> str:
    """Bring the search index up to date with resource changes (it commits its own batches)."""
    return _in_app(sync_index)


def expire_pending_bookings() -> int:
    """Expire pending bookings that staff did not decide in time."""
    def work() -> int:
        expired = expire_pending()
        db.session.commit()
        return expired

    return _in_app(work)


def dispatch_mail() -> int:
    """Send due event mails and reminders (claimed one batch at a time; see booking.notify)."""
    return _in_app(lambda: sum(dispatch_due().values()))


def sweep_stuck_mail() -> int:
    """Requeue mails and reminders left "sending" by a process that died mid-send."""
    return _in_app(sweep_stuck)


def settle_attendance() -> int:
    """No-shows for bookings not checked in by the end of their grace time; completion for those
    checked in whose end has passed (booking.engine.attendance)."""
    def work() -> int:
        done = settle()
        db.session.commit()
        return sum(done.values())

    return _in_app(work)


def invite_ratings() -> int:
    """Invite users to rate their recently completed bookings and orders, once each: the claims
    (rating_invitation rows) and the mails are committed together (booking.notify.ratings)."""
    def work() -> int:
        done = queue_rating_invitations()
        db.session.commit()
        return sum(done.values())

    return _in_app(work)
