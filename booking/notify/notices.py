"""Account and organisation notices (verify your address, reset your password, join requests,
invitations): rendered in the recipient's language and queued as `outgoing_mail` rows in the
caller's transaction, so the scheduler sends them once and retries like every other mail.

Templates: templates/account/email/<template>.txt and .html, extending email/_layout.*; the context
gets `subject`, `home` and `recipient_name`.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Callable

from flask import render_template
from flask_babel import force_locale

from ..extensions import db
from ..models import OutgoingMail, utcnow
from .messages import absolute_url, compose_message, lang_of


def queue_notice(template: str, *, to_email: str, to_name: str, language: str | None,
                 subject: Callable[[], str], context: dict[str, Any], key: str,
                 now: datetime | None = None) -> OutgoingMail:
    """Render and queue one notice. `subject` is called under the recipient's locale; `key` makes
    the Message-ID unique (the same key twice is the same mail: callers include a nonce or id)."""
    now = now or utcnow()
    lang = lang_of(language)
    with force_locale(lang):
        title = str(subject())
        values = dict(context, subject=title, home=absolute_url("/"), lang=lang, kind=template,
                      recipient_name=to_name or to_email)
        text = render_template(f"account/email/{template}.txt", **values)
        html = render_template(f"account/email/{template}.html", **values)
    message_id = f"<{template}-{key}@onestop>"
    rendered = compose_message(subject=title, text=text, html=html, to_email=to_email, to_name=to_name,
                               message_id=message_id, lang=lang, date=now)
    mail = OutgoingMail(kind=template[:32], reservation_id=None, event_id=None, recipient=to_email,
                        subject=title[:300], message_id=message_id[:200], raw=rendered.as_bytes().decode("ascii"),
                        status="pending", attempts=0, next_attempt_at=now, last_error="", created_at=now)
    db.session.add(mail)
    db.session.flush()
    return mail
