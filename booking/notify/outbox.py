"""The mail outbox: the one place that makes `OutgoingMail` rows, and renders them at dispatch.

A row is queued in the transaction of the change it tells of, holding what the message must say:
the template, the recipient's language and the template's values (`params`), frozen at that
moment, so a booking changed later does not change a mail about what happened before. Links are
stored as link specs (booking.notify.links) and built when the message is rendered. The
dispatcher renders a claimed row just before sending it and stores the message in `raw`, so every
retry sends the very same bytes with the same Message-ID.

params: {"context": {...template values...}, "links": {name: link spec}, "subject": str | absent
(rendered from email/subject.txt), "to_name": str, "calendar": {"method", "events"} | absent}.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from ..extensions import db
from ..models import OutgoingMail, utcnow
from .links import LinkSpec, absolute_url, resolve
from .messages import Rendered, invitation, lang_of, render


def queue_mail(template: str, *, kind: str, to_email: str, to_name: str, language: str | None, message_id: str,
               context: dict[str, Any], links: dict[str, LinkSpec] | None = None, subject: str | None = None,
               calendar: dict[str, Any] | None = None, reservation_id: int | None = None,
               event_id: int | None = None, now: datetime | None = None, render_now: bool = False) -> OutgoingMail:
    """Queue one message (added to the session; the caller flushes). `context` must be plain JSON.

    `render_now` renders it at once (notices whose callers read the stored message before any
    dispatch); every other mail is rendered by the dispatcher."""
    now = now or utcnow()
    params: dict[str, Any] = {"context": context, "links": links or {}, "to_name": to_name or ""}
    if subject is not None:
        params["subject"] = subject
    if calendar is not None:
        params["calendar"] = calendar
    mail = OutgoingMail(
        kind=kind[:32], reservation_id=reservation_id, event_id=event_id, recipient=to_email,
        subject=(subject or "")[:300], message_id=message_id[:200], raw="", template=template,
        language=lang_of(language), params=params, status="pending", attempts=0, next_attempt_at=now,
        last_error="", created_at=now,
    )
    if render_now:
        store_rendered(mail)
    db.session.add(mail)
    return mail


def render_mail(mail: OutgoingMail) -> Rendered:
    """Render a queued row: its frozen values, its links built now, its invitation if any."""
    params = mail.params or {}
    context = dict(params.get("context") or {})
    for name, spec in (params.get("links") or {}).items():
        context[name] = resolve(spec)
    context.setdefault("home", absolute_url("/"))
    ics = None
    calendar = params.get("calendar")
    if calendar:
        ics = (calendar["method"], invitation(calendar["events"], calendar["method"], context.get("link", ""),
                                              mail.created_at))
    return render(mail.template, lang=mail.language, to_email=mail.recipient, to_name=params.get("to_name", ""),
                  message_id=mail.message_id, context=context, subject=params.get("subject"), ics=ics,
                  date=mail.created_at)


def store_rendered(mail: OutgoingMail) -> bytes:
    """The row's message: rendered once, then kept in `raw` (with its subject) for every retry."""
    if not mail.raw:
        rendered = render_mail(mail)
        mail.raw = rendered.as_bytes().decode("ascii")
        mail.subject = rendered.subject[:300]
    return mail.raw.encode("ascii")


def render_pending() -> int:
    """Render every queued row not rendered yet (tests and the admin's preview; flush only)."""
    rows = db.session.scalars(select(OutgoingMail).where(OutgoingMail.raw == "").order_by(OutgoingMail.id)).all()
    for mail in rows:
        store_rendered(mail)
    db.session.flush()
    return len(rows)
