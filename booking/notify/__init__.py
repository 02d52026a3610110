"""Notifications: the one outlet that turns domain events into mail, queued in the database,
rendered and sent by the scheduler.

- Importing this package subscribes `on_event` to the domain events (booking.engine.events):
  `reservation.*` queue the booking's mails and (re)plan its reminders (events), `order.*` the
  order's mails (orders), `waitlist.offered` and `qualification.*` the services' mails (services).
  Account notices are queued directly by the account code (notices.queue_notice).
- `outbox`: the only place that makes `OutgoingMail` rows; rows hold template, language and frozen
  values, and are rendered by the dispatcher (links: built then, under ONESTOP_BASE_URL).
- `dispatch_due()` / `sweep_stuck()`: the scheduler's jobs (see booking.jobs).
- `mailer`: SMTP and outbox transports from ONESTOP_MAIL_URL.

Tables (booking.models.notify): `reminder` (one row per reservation and offset) and
`outgoing_mail` (event mails and notices), both with status pending → sending → sent | failed
(reminders also skipped | cancelled), attempts, next_attempt_at, claimed_at, sent_at, last_error.
Settings besides the contract's (booking.notify.settings): ONESTOP_BASE_URL, ONESTOP_MAIL_FROM,
ONESTOP_MAIL_TIMEOUT, ONESTOP_MAIL_RETRY_SECONDS, ONESTOP_MAIL_MAX_ATTEMPTS,
ONESTOP_MAIL_STUCK_SECONDS, ONESTOP_MAIL_BATCH_SIZE, ONESTOP_MAIL_CAFILE.
"""
from __future__ import annotations

from ..engine.events import subscribe
from .dispatch import dispatch_due, sweep_stuck
from .events import on_booking_event
from .reminders import reschedule_user, schedule_reminders
from .subscriber import on_event

subscribe(on_event)

__all__ = ["dispatch_due", "on_booking_event", "on_event", "reschedule_user", "schedule_reminders", "sweep_stuck"]
