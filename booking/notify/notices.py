"""Account and organisation notices (verify your address, reset your password, join requests,
invitations): queued as `outgoing_mail` rows in the caller's transaction, so the scheduler sends
them once and retries like every other mail.

Templates: templates/account/email/<template>.txt and .html, extending email/_layout.*; the context
gets `subject`, `home` and `recipient_name`. Their links carry one-time tokens and are made by
the caller. Unlike event mail they are rendered when queued: callers (and their tests) read the
stored message before any dispatch.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask_babel import force_locale

from ..extensions import db
from ..models import OutgoingMail
from .messages import lang_of
from .outbox import queue_mail


def queue_notice(template: str, *, to_email: str, to_name: str, language: str | None,
                 subject: Callable[[], str], context: dict[str, Any], key: str,
                 now: datetime | None = None) -> OutgoingMail:
    """Queue one notice. `subject` is called under the recipient's locale; `key` makes the
    Message-ID unique (the same key twice is the same mail: callers include a nonce or id)."""
    lang = lang_of(language)
    with force_locale(lang):
        title = str(subject())
    mail = queue_mail(f"account/email/{template}", kind=template, to_email=to_email, to_name=to_name, language=lang,
                      message_id=f"<{template}-{key}@onestop>", context=dict(context, subject=title), subject=title,
                      now=now, render_now=True)
    db.session.flush()
    return mail
