"""Notifications: booking mail and reminders, queued in the database and sent by the scheduler.

- `on_booking_event(event)`: called by `booking.engine.events.emit` in the transaction of every
  booking change; queues the event's mails and (re)plans the reservation's reminders.
- `dispatch_due()` / `sweep_stuck()`: the scheduler's jobs (see booking.jobs).
- `mailer`: SMTP and outbox transports from ONESTOP_MAIL_URL.

Tables (booking.models.notify): `reminder` (one row per reservation and offset) and
`outgoing_mail` (rendered event mails), both with status pending → sending → sent | failed
(reminders also skipped | cancelled), attempts, next_attempt_at, claimed_at, sent_at, last_error.
Settings besides the contract's (booking.notify.settings): ONESTOP_BASE_URL, ONESTOP_MAIL_FROM,
ONESTOP_MAIL_TIMEOUT, ONESTOP_MAIL_RETRY_SECONDS, ONESTOP_MAIL_MAX_ATTEMPTS,
ONESTOP_MAIL_STUCK_SECONDS, ONESTOP_MAIL_BATCH_SIZE, ONESTOP_MAIL_CAFILE.
"""
from __future__ import annotations

from .dispatch import dispatch_due, sweep_stuck
from .events import on_booking_event
from .reminders import reschedule_user, schedule_reminders

__all__ = ["dispatch_due", "on_booking_event", "reschedule_user", "schedule_reminders", "sweep_stuck"]
