"""/admin/outbox: administrators read the mail outbox (development: the .eml folder) and the failures.

Everything shown comes from mail that users helped write, so it is only ever shown as text,
escaped by the templates, never as live HTML.
"""
from __future__ import annotations

import email.parser
import email.policy
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from ...accounts.access import role_required
from ...extensions import db
from ...models import OutgoingMail, Reminder
from ...notify.dispatch import retry_failed
from ...notify.mailer import MailConfigError, OutboxTransport, transport_from_url
from .blueprint import bp

LIST_LIMIT = 200
_EML_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,200}\.eml$")


@dataclass
class OutboxEntry:
    name: str
    subject: str
    recipient: str
    sent: datetime


def _outbox_dir() -> Path | None:
    try:
        transport = transport_from_url(current_app.config["ONESTOP_MAIL_URL"])
    except MailConfigError:
        return None
    return transport.directory if isinstance(transport, OutboxTransport) else None


def _header_date(value: str | None, fallback: float) -> datetime:
    try:
        parsed = parsedate_to_datetime(value) if value else None
    except (TypeError, ValueError):
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        return datetime.fromtimestamp(fallback, UTC)
    return parsed.astimezone(UTC)


def list_outbox(directory: Path, limit: int = LIST_LIMIT) -> tuple[list[OutboxEntry], int]:
    """The newest `limit` messages of the folder (by file time), and how many there are."""
    if not directory.is_dir():
        return [], 0
    files = [(entry.stat().st_mtime, entry.name, Path(entry.path)) for entry in os.scandir(directory)
             if entry.is_file() and _EML_NAME.match(entry.name)]
    files.sort(reverse=True)
    parser = email.parser.BytesHeaderParser(policy=email.policy.default)
    entries = []
    for mtime, name, path in files[:limit]:
        with path.open("rb") as fh:
            headers = parser.parse(fh)
        entries.append(OutboxEntry(name=name, subject=str(headers.get("Subject", "")),
                                   recipient=str(headers.get("To", "")),
                                   sent=_header_date(headers.get("Date"), mtime)))
    return entries, len(files)


def _queue_counts() -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = {}
    for label, model in (("mail", OutgoingMail), ("reminder", Reminder)):
        rows = db.session.execute(select(model.status, func.count()).group_by(model.status)).all()
        counts[label] = {status: n for status, n in rows}
    return counts


@bp.get("/outbox")
@role_required("admin")
def outbox() -> Any:
    directory = _outbox_dir()
    entries, total = list_outbox(directory) if directory else ([], 0)
    return render_template("admin/outbox.html", entries=entries, total=total, directory=directory,
                           mail_url=_safe_url(current_app.config["ONESTOP_MAIL_URL"]), counts=_queue_counts())


def _safe_url(url: str) -> str:
    """The mail URL without its password."""
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", url)


def _parts(message: EmailMessage) -> dict[str, Any]:
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    attachments = []
    for part in message.iter_attachments():
        payload = part.get_payload(decode=True) or b""
        attachments.append({"filename": part.get_filename() or "", "type": part.get_content_type(), "size": len(payload)})
    return {
        "text": text.get_content() if text is not None else "",
        "html": html.get_content() if html is not None else "",
        "attachments": attachments,
    }


@bp.get("/outbox/<name>")
@role_required("admin")
def outbox_message(name: str) -> Any:
    directory = _outbox_dir()
    if directory is None or not _EML_NAME.match(name):
        abort(404)
    path = directory / name
    if path.parent.resolve() != directory.resolve() or not path.is_file():
        abort(404)
    message = email.parser.BytesParser(policy=email.policy.default).parsebytes(path.read_bytes())
    headers = [(key, str(message.get(key, ""))) for key in ("Subject", "From", "To", "Date", "Message-ID")]
    return render_template("admin/outbox_message.html", name=name, headers=headers, **_parts(message))


@bp.get("/outbox/failures")
@role_required("admin")
def mail_failures() -> Any:
    mails = db.session.scalars(
        select(OutgoingMail).where(OutgoingMail.status == "failed").order_by(OutgoingMail.id.desc()).limit(LIST_LIMIT)
    ).all()
    reminders = db.session.scalars(
        select(Reminder).where(Reminder.status.in_(("failed", "skipped")), Reminder.last_error != "")
        .order_by(Reminder.due_at.desc()).limit(LIST_LIMIT)
    ).all()
    retrying: list[OutgoingMail | Reminder] = [*db.session.scalars(
        select(OutgoingMail).where(OutgoingMail.status == "pending", OutgoingMail.attempts > 0)
        .order_by(OutgoingMail.next_attempt_at).limit(LIST_LIMIT)
    ), *db.session.scalars(
        select(Reminder).where(Reminder.status == "pending", Reminder.attempts > 0)
        .order_by(Reminder.next_attempt_at).limit(LIST_LIMIT)
    )]
    return render_template("admin/mail_failures.html", mails=mails, reminders=reminders, retrying=retrying)


@bp.post("/outbox/failures/<any(mail, reminder):kind>/<int:row_id>/retry")
@role_required("admin")
def retry_mail(kind: str, row_id: int) -> Any:
    model = OutgoingMail if kind == "mail" else Reminder
    if retry_failed(model, row_id):
        flash(_("It will be sent again within a few seconds."), "success")
    else:
        flash(_("Nothing to retry: it is no longer failed."), "info")
    return redirect(url_for("admin.mail_failures"))
