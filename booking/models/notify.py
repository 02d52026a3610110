"""The notification queue: reminders before a booking starts, and outgoing event mail.

Both are rows written in the same transaction as the booking change that causes them, so the
database is the queue's truth. The dispatcher (`booking.notify.dispatch`) claims due rows with an
atomic `UPDATE … SET status='sending' WHERE id IN (…) AND status='pending'`, sends, and marks them
sent; a row left in "sending" by a crash is put back to "pending" by the sweep and resent with the
same Message-ID, so a duplicate is recognisable as such.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .booking import BookingEvent, Reservation
from .types import UTCDateTime, utcnow

# pending → sending → sent; sending → pending again (retry with backoff, or the sweep) or failed.
# Reminders may also end skipped (the booking had begun, or was made after the reminder's time)
# or cancelled (the booking was cancelled, rejected or expired, or the user turned reminders off).
REMINDER_STATUSES = ("pending", "sending", "sent", "failed", "skipped", "cancelled")
MAIL_STATUSES = ("pending", "sending", "sent", "failed")


class QueuedMixin:
    """Columns shared by every row the dispatcher sends."""

    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)  # due time, then retry time
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # when it went to "sending"
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Reminder(QueuedMixin, db.Model):
    """One reminder of one reservation, `offset_seconds` before it starts."""

    __tablename__ = "reminder"

    __table_args__ = (
        UniqueConstraint("reservation_id", "offset_seconds", name="uq_reminder_reservation_offset"),
        Index("ix_reminder_status_next", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reservation_id: Mapped[int] = mapped_column(ForeignKey("reservation.id", ondelete="CASCADE"))
    offset_seconds: Mapped[int] = mapped_column()
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)

    reservation: Mapped[Reservation] = relationship()

    @property
    def message_id(self) -> str:
        """The same for every attempt at this reminder (a resend after a crash is recognisable);
        a re-timed reminder (the booking moved) is a new mail, so the due time is part of it."""
        return f"<reminder-{self.id}-{self.offset_seconds}-{self.due_at:%Y%m%dT%H%M%SZ}@onestop>"

    def __repr__(self) -> str:
        return f"<Reminder {self.id} r{self.reservation_id} -{self.offset_seconds}s {self.status}>"


class OutgoingMail(QueuedMixin, db.Model):
    """A message waiting to be sent (the mail outbox). Queued with what the message must say
    (`template`, `language`, `params`: frozen when the event happened) and rendered by the
    dispatcher, which stores the result in `raw` so that every retry sends the same bytes.
    Built by booking.notify.outbox only."""

    __tablename__ = "outgoing_mail"

    __table_args__ = (Index("ix_outgoing_mail_status_next", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))  # confirmed, pending, staff_pending, approved, …
    reservation_id: Mapped[int | None] = mapped_column(
        ForeignKey("reservation.id", ondelete="SET NULL"), index=True
    )
    event_id: Mapped[int | None] = mapped_column(ForeignKey("booking_event.id", ondelete="SET NULL"))
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300), default="")
    message_id: Mapped[str] = mapped_column(String(200), unique=True)
    raw: Mapped[str] = mapped_column(Text)  # the whole MIME message once rendered; "" until then
    template: Mapped[str] = mapped_column(String(64), default="")  # e.g. email/confirmed
    language: Mapped[str] = mapped_column(String(8), default="zh")
    params: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # the template's values, links, calendar

    reservation: Mapped[Reservation | None] = relationship()
    event: Mapped[BookingEvent | None] = relationship()

    def __repr__(self) -> str:
        return f"<OutgoingMail {self.id} {self.kind} {self.recipient} {self.status}>"
