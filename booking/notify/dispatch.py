"""The dispatcher: claim due rows, send them over one connection, record the outcome.

Once: a row is claimed by an atomic `UPDATE … SET status='sending' WHERE id IN (…) AND
status='pending' RETURNING id` and committed before anything is sent; only the rows that this
update changed are sent, so two dispatchers (two scheduler processes started by mistake) never
send the same row. A row is marked sent right after the server accepted it. If the process dies
between the two, the row stays "sending"; the sweep puts it back after ONESTOP_MAIL_STUCK_SECONDS
and it is resent with the same Message-ID (derived from the row), so the copy is recognisable.

Never silently lost: a reminder due while no scheduler ran is sent when one starts, if the
booking has not begun (else it is marked skipped, with the reason); a failed send is retried with
exponential backoff (next_attempt_at) and after ONESTOP_MAIL_MAX_ATTEMPTS it is "failed" and
listed on /admin/outbox/failures.
"""
from __future__ import annotations

import logging
import smtplib
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import OutgoingMail, Reminder, Reservation, utcnow
from .links import absolute_url, resolve
from .mailer import MessageRefused, Transport, transport_from_url
from .messages import (
    format_offset,
    format_starts_in,
    lang_of,
    render,
    reservation_context,
    reservation_links,
    sender_address,
)
from .outbox import store_rendered
from .settings import setting

log = logging.getLogger(__name__)
BATCH_SIZE = 100
MAX_BACKOFF = timedelta(hours=1)
Queued = type[Reminder] | type[OutgoingMail]


@dataclass
class Outgoing:
    model: Queued
    id: int
    attempts: int
    sender: str
    recipient: str
    data: bytes
    message_id: str


def current_transport() -> Transport:
    return transport_from_url(
        current_app.config["ONESTOP_MAIL_URL"],
        timeout=float(setting("ONESTOP_MAIL_TIMEOUT")),
        cafile=str(setting("ONESTOP_MAIL_CAFILE")) or None,
    )


def backoff(attempts: int) -> timedelta:
    """Wait before try number attempts+1: base, 2×base, 4×base … at most an hour."""
    base = float(setting("ONESTOP_MAIL_RETRY_SECONDS"))
    return min(timedelta(seconds=base * 2 ** max(0, attempts - 1)), MAX_BACKOFF)


def due_ids(model: Queued, now: datetime, limit: int = BATCH_SIZE) -> list[int]:
    """Rows whose time has come (a plain read: another dispatcher may claim them first)."""
    return list(db.session.scalars(
        select(model.id).where(model.status == "pending", model.next_attempt_at <= now)
        .order_by(model.next_attempt_at, model.id).limit(limit)
    ).all())


def claim_ids(model: Queued, ids: list[int], now: datetime) -> list[int]:
    """The claim: only the rows this UPDATE changed from pending to sending are ours to send."""
    if not ids:
        return []
    stmt = (
        update(model).where(model.id.in_(ids), model.status == "pending")
        .values(status="sending", claimed_at=now).returning(model.id)
        .execution_options(synchronize_session=False)
    )
    return sorted(db.session.scalars(stmt).all())


def claim(model: Queued, now: datetime, limit: int = BATCH_SIZE) -> list[int]:
    """Claim up to `limit` due rows for this process; the caller commits before sending."""
    return claim_ids(model, due_ids(model, now, limit), now)


def _finish(model: Queued, row_id: int, **values: Any) -> bool:
    """Record the outcome of a claimed row, unless the row changed meanwhile (e.g. re-timed)."""
    result = db.session.execute(
        update(model).where(model.id == row_id, model.status == "sending").values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def _failed(item: Outgoing, error: str, now: datetime, permanent: bool = False) -> str:
    attempts = item.attempts + 1
    if permanent or attempts >= int(setting("ONESTOP_MAIL_MAX_ATTEMPTS")):
        _finish(item.model, item.id, status="failed", attempts=attempts, last_error=error[:2000])
        log.error("giving up on %s %s to %s after %d attempts: %s",
                  item.model.__tablename__, item.id, item.recipient, attempts, error)
        return "failed"
    _finish(item.model, item.id, status="pending", attempts=attempts, last_error=error[:2000],
            next_attempt_at=now + backoff(attempts))
    log.warning("will retry %s %s to %s: %s", item.model.__tablename__, item.id, item.recipient, error)
    return "retry"


def _prepare_mails(ids: list[int], stats: Counter[str]) -> list[Outgoing]:
    """Render the claimed mails not rendered yet (kept in `raw`: a retry sends the same bytes)."""
    rows = db.session.scalars(select(OutgoingMail).where(OutgoingMail.id.in_(ids)).order_by(OutgoingMail.id)).all()
    sender = sender_address()[1]
    items = []
    for mail in rows:
        try:
            data = store_rendered(mail)
        except Exception as exc:  # a template bug must not stop the other mails
            log.exception("cannot render mail %s", mail.id)
            _finish(OutgoingMail, mail.id, status="failed", attempts=mail.attempts + 1,
                    last_error=f"cannot render: {exc!r}"[:2000])
            stats["failed"] += 1
            continue
        items.append(Outgoing(OutgoingMail, mail.id, mail.attempts, sender, mail.recipient, data, mail.message_id))
    return items


def _prepare_reminders(ids: list[int], now: datetime, stats: Counter[str]) -> list[Outgoing]:
    """Render the claimed reminders that still make sense; settle the others at once."""
    rows = db.session.scalars(
        select(Reminder).where(Reminder.id.in_(ids)).order_by(Reminder.due_at, Reminder.id)
        .options(joinedload(Reminder.reservation).joinedload(Reservation.user))
    ).all()
    items = []
    for reminder in rows:
        reservation = reminder.reservation
        if reservation.status != "confirmed":
            _finish(Reminder, reminder.id, status="cancelled", last_error=f"booking {reservation.status}")
            stats["cancelled"] += 1
            continue
        if reservation.start <= now:
            if reminder.attempts:
                _finish(Reminder, reminder.id, status="failed",
                        last_error=f"not delivered before the booking began; last error: {reminder.last_error}"[:2000])
                stats["failed"] += 1
            else:
                _finish(Reminder, reminder.id, status="skipped",
                        last_error="the booking had begun before the reminder could be sent (was the scheduler down?)")
                stats["skipped"] += 1
            continue
        user = reservation.user
        lang = lang_of(user.language)
        context = reservation_context(reservation, lang)
        context.update({name: resolve(spec) for name, spec in reservation_links(reservation.id).items()})
        context["home"] = absolute_url("/")
        context["offset_label"] = format_offset(reminder.offset_seconds, lang)
        context["starts_in"] = format_starts_in((reservation.start - now).total_seconds(), lang)
        try:
            rendered = render("email/reminder", lang=lang, to_email=user.email, to_name=user.name,
                              message_id=reminder.message_id, context=context, date=now)
        except Exception as exc:  # a template bug must not stop the other reminders
            log.exception("cannot render reminder %s", reminder.id)
            _finish(Reminder, reminder.id, status="failed", attempts=reminder.attempts + 1,
                    last_error=f"cannot render: {exc!r}"[:2000])
            stats["failed"] += 1
            continue
        items.append(Outgoing(Reminder, reminder.id, reminder.attempts, rendered.sender, rendered.recipient,
                              rendered.as_bytes(), reminder.message_id))
    return items


def _send(items: list[Outgoing], transport: Transport, stats: Counter[str]) -> None:
    """Send a batch over one connection; commit after every message the server accepted."""
    done: set[int] = set()
    try:
        with transport.connect() as send:
            for item in items:
                now = utcnow()
                try:
                    send(item.sender, [item.recipient], item.data, item.message_id)
                except MessageRefused as exc:
                    stats[_failed(item, str(exc), now, permanent=exc.permanent)] += 1
                else:
                    _finish(item.model, item.id, status="sent", sent_at=now, last_error="")
                    stats["sent"] += 1
                db.session.commit()
                done.add(id(item))
    except (OSError, smtplib.SMTPException) as exc:
        now = utcnow()
        error = f"{type(exc).__name__}: {exc}"
        for item in items:
            if id(item) not in done:
                stats[_failed(item, error, now)] += 1
        db.session.commit()


def dispatch_due(*, batch_size: int | None = None, budget_seconds: float = 50.0,
                 transport: Transport | None = None) -> Counter[str]:
    """Send every due event mail and reminder, batch after batch, until none is due (or the time
    budget is spent: the next run goes on). Returns counts: sent, retry, failed, skipped, cancelled."""
    transport = transport or current_transport()
    batch_size = batch_size or int(setting("ONESTOP_MAIL_BATCH_SIZE"))
    stats: Counter[str] = Counter()
    deadline = time.monotonic() + budget_seconds
    while time.monotonic() < deadline:
        now = utcnow()
        mail_ids = claim(OutgoingMail, now, batch_size)
        reminder_ids = claim(Reminder, now, batch_size)
        db.session.commit()  # the claim is visible to every other dispatcher before we send
        if not mail_ids and not reminder_ids:
            break
        items = _prepare_mails(mail_ids, stats) + _prepare_reminders(reminder_ids, now, stats)
        db.session.commit()
        if items:
            _send(items, transport, stats)
    if stats:
        log.info("mail dispatch: %s", dict(stats))
    return stats


def sweep_stuck(now: datetime | None = None) -> int:
    """Put rows left "sending" by a dead process back in the queue (attempts + 1), or give up on
    them after the last attempt. They are resent with the same Message-ID."""
    now = now or utcnow()
    cutoff = now - timedelta(seconds=float(setting("ONESTOP_MAIL_STUCK_SECONDS")))
    limit = int(setting("ONESTOP_MAIL_MAX_ATTEMPTS"))
    note = "interrupted while sending; resent with the same Message-ID"
    total = 0
    for model in (Reminder, OutgoingMail):
        stuck = (model.status == "sending", model.claimed_at < cutoff)
        for values, condition in (
            ({"status": "failed", "last_error": f"{note} too often"}, model.attempts + 1 >= limit),
            ({"status": "pending", "next_attempt_at": now, "last_error": note}, model.attempts + 1 < limit),
        ):
            result = db.session.execute(
                update(model).where(*stuck, condition)
                .values(attempts=model.attempts + 1, claimed_at=None, **values)
                .execution_options(synchronize_session=False)
            )
            total += result.rowcount  # type: ignore[attr-defined]
    db.session.commit()
    if total:
        log.warning("swept %d mails or reminders stuck in 'sending'", total)
    return total


def retry_failed(model: Queued, row_id: int) -> bool:
    """An administrator asks for one more try of a failed row (now, on the next dispatch)."""
    result = db.session.execute(
        update(model).where(model.id == row_id, model.status == "failed")
        .values(status="pending", next_attempt_at=utcnow(), claimed_at=None)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
