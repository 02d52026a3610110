"""Reminder rows: made, re-timed and cancelled with the booking change that causes them.

Policy (documented in the issue note): reminders exist for *confirmed* reservations only. A
booking that needs approval gets them when it is approved (its "approved" event); a pending
booking is not yet something to remind anyone of. A reminder whose time has already passed when
the booking is confirmed or moved is recorded as skipped (the user has just acted on it).
Offsets are the user's own (account page) or the site's ONESTOP_REMINDER_OFFSETS; a user who
turned reminders off gets none.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from ..config import ConfigError, parse_durations
from ..extensions import db
from ..models import Reminder, Reservation, User, utcnow

OPEN_STATUSES = ("pending", "sending")  # not yet delivered: a cancellation stops these
MIN_OFFSET = timedelta(minutes=1)
MAX_OFFSET = timedelta(days=30)
MAX_OFFSETS = 5


def site_offsets() -> list[timedelta]:
    return list(current_app.config.get("ONESTOP_REMINDER_OFFSETS") or [])


def parse_user_offsets(text: str) -> list[timedelta]:
    """Validate offsets a user typed ("24h, 2h"); raise ConfigError with a message fit to show."""
    offsets = parse_durations(text)
    if not offsets:
        raise ConfigError("give at least one time, e.g. 24h,1h")
    if len(offsets) > MAX_OFFSETS:
        raise ConfigError(f"at most {MAX_OFFSETS} reminders")
    for offset in offsets:
        if not MIN_OFFSET <= offset <= MAX_OFFSET:
            raise ConfigError("each reminder must be between 1 minute and 30 days before")
    return offsets


def offsets_for(user: User) -> list[timedelta]:
    if not user.reminders_enabled:
        return []
    if user.reminder_offsets:
        try:
            return parse_durations(user.reminder_offsets)
        except ConfigError:
            current_app.logger.warning("user %s has unusable reminder offsets %r", user.id, user.reminder_offsets)
    return site_offsets()


def schedule_reminders(reservation: Reservation, now: datetime | None = None) -> list[Reminder]:
    """Make the reservation's reminder rows agree with its start, its status and its user's wishes.

    Called for every booking event; only flushes. Rows are never deleted: one per reservation and
    offset (unique), re-timed in place, so a sent reminder is not sent again unless the booking
    moved (a new time is a new mail, with a new Message-ID).
    """
    now = now or utcnow()
    existing = {
        row.offset_seconds: row
        for row in db.session.scalars(select(Reminder).where(Reminder.reservation_id == reservation.id))
    }
    confirmed = reservation.status == "confirmed"
    wanted = {int(o.total_seconds()) for o in offsets_for(reservation.user)} if confirmed else set()
    rows = []
    for offset in sorted(wanted, reverse=True):
        due = reservation.start - timedelta(seconds=offset)
        row = existing.get(offset)
        if row is not None and row.due_at == due and row.status != "cancelled":
            rows.append(row)  # unchanged: a sent one stays sent, a pending one stays queued
            continue
        if row is None:
            row = Reminder(reservation_id=reservation.id, offset_seconds=offset)
            db.session.add(row)
        row.due_at = due
        row.next_attempt_at = due
        row.attempts = 0
        row.claimed_at = None
        row.sent_at = None
        if due <= now:
            row.status = "skipped"
            row.last_error = "the reminder time had passed when the booking was confirmed or moved"
        else:
            row.status = "pending"
            row.last_error = ""
        rows.append(row)
    for offset, row in existing.items():
        if offset not in wanted and row.status in OPEN_STATUSES:
            row.status = "cancelled"
            row.last_error = (
                f"booking {reservation.status}" if not confirmed
                else "the user turned this reminder off"
            )
    db.session.flush()
    return rows


def reschedule_user(user: User, now: datetime | None = None) -> int:
    """After a user changed their reminder wishes: re-plan their upcoming confirmed bookings."""
    now = now or utcnow()
    upcoming = db.session.scalars(
        select(Reservation).where(
            Reservation.user_id == user.id, Reservation.status == "confirmed", Reservation.start > now
        )
    ).all()
    for reservation in upcoming:
        schedule_reminders(reservation, now)
    return len(upcoming)
