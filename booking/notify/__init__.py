"""Notifications: booking mail and reminders, queued in the database and sent by the scheduler.

- `on_booking_event(event)`: called by `booking.engine.events.emit` in the transaction of every
  booking change; queues the event's mails and (re)plans the reservation's reminders.
- `dispatch_due()` / `sweep_stuck()`: the scheduler's jobs (see booking.jobs).
- `mailer`: SMTP and outbox transports from ONESTOP_MAIL_URL.
"""
from __future__ import annotations

from .dispatch import dispatch_due, sweep_stuck
from .events import on_booking_event
from .reminders import reschedule_user, schedule_reminders

__all__ = ["dispatch_due", "on_booking_event", "reschedule_user", "schedule_reminders", "sweep_stuck"]
