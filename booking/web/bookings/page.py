"""/bookings/<id>: one booking's page — its reference, status, resource and platform, local times,
fee and voucher share, purpose and history in words — with what the viewer may do to it: change
the time or purpose, cancel, check in or out (staff also mark a no-show), download the .ics.

Only the booker, staff of the resource's platform and administrators see it; anyone else gets the
same 404 as for a booking that does not exist. /bookings/OS-2026-000123 leads to the same page.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import DateField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from ...engine.attendance import can_check_in, check_in, check_out, checkin_window
from ...engine.checks import minutes_label
from ...engine.references import BOOKING_PREFIX, order_reference, parse_reference, reservation_reference
from ...engine.reservations import (
    approve_reservation,
    get_reservation,
    mark_outcome,
    move_reservation,
    reject_reservation,
    status_label,
)
from ...engine.rules import effective_rules
from ...engine.timefmt import describe, local
from ...errors import DomainError, NotFound
from ...extensions import db
from ...models import BookingEvent, Reservation, User, utcnow
from ..fields import DATE_INPUT, HHMM
from ..localtime import local_span
from ..refusals import flash_refusal, show_on_form
from .blueprint import bp


@bp.app_context_processor
def reference_globals() -> dict[str, Any]:
    """Readable references for every template (bookings, orders)."""
    return {"reservation_reference": reservation_reference, "order_reference": order_reference}


class ChangeForm(FlaskForm):
    day = DateField(_l("Date"), validators=[DataRequired()], render_kw=DATE_INPUT)
    start = StringField(_l("From"), validators=[DataRequired(), Regexp(HHMM, message=_l("HH:MM, e.g. 09:30"))])
    end = StringField(_l("Until"), validators=[DataRequired(), Regexp(HHMM, message=_l("HH:MM, e.g. 11:00"))])
    purpose = TextAreaField(_l("Purpose"), validators=[Optional(), Length(max=2000)], render_kw={"rows": 2})
    reason = StringField(_l("Reason for the change"), validators=[Optional(), Length(max=2000)])


class ActionForm(FlaskForm):
    """The CSRF token of the page's buttons (check in, check out, no-show)."""


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    text: str
    by: str
    reason: str = ""


def _who(user_id: int | None, reservation: Reservation) -> str:
    if user_id is None:
        return _("OneStop (automatic)")
    if user_id == reservation.user_id:
        return reservation.user.name or reservation.user.email
    user = db.session.get(User, user_id)
    if user is None:
        return _("a former account")
    label = user.name or user.email
    return _("%(name)s (staff)", name=label) if user.role in ("staff", "admin") else label


def history(reservation: Reservation) -> list[HistoryEntry]:
    """Every event of the booking in words, oldest first, with check-in and check-out."""
    tz = reservation.resource.platform.timezone
    events = db.session.scalars(select(BookingEvent).where(BookingEvent.reservation_id == reservation.id)
                                .order_by(BookingEvent.at, BookingEvent.id)).all()
    entries: list[HistoryEntry] = []
    for event in events:
        payload = event.payload or {}
        by = _who(event.actor_id, reservation)
        reason = str(payload.get("reason") or "")
        kind = event.kind
        if kind == "created":
            if payload.get("for_user"):
                text = _("Booked for %(name)s by platform staff.",
                         name=reservation.user.name or reservation.user.email)
            elif payload.get("status") == "pending":
                text = _("Requested; awaiting the platform's approval.")
            else:
                text = _("Booked.")
        elif kind == "approved":
            text = _("Approved.")
        elif kind == "rejected":
            text = _("Not approved.")
        elif kind == "expired":
            text = _("Expired: not approved in time.")
        elif kind == "cancelled":
            text = _("Cancelled.")
        elif kind == "changed" and payload.get("outcome"):
            text = _("Marked as no-show.") if payload["outcome"] == "no_show" else _("Completed.")
        elif kind == "changed" and payload.get("purpose_only"):
            text = _("Purpose changed.")
        elif kind == "changed":
            old, new = _span(payload.get("old_start"), payload.get("old_end"), tz), \
                _span(payload.get("start"), payload.get("end"), tz)
            text = _("Moved from %(old)s to %(new)s.", old=old, new=new)
        else:
            text = kind
        entries.append(HistoryEntry(event.at, text, by, reason))
    if reservation.checked_in_at is not None:
        entries.append(HistoryEntry(reservation.checked_in_at, _("Checked in."), ""))
    if reservation.checked_out_at is not None:
        entries.append(HistoryEntry(reservation.checked_out_at, _("Checked out."), ""))
    return sorted(entries, key=lambda e: e.at)


def _span(start: Any, end: Any, tz: str) -> str:
    try:
        return describe(datetime.fromisoformat(str(start)), datetime.fromisoformat(str(end)), tz)
    except ValueError:
        return "—"


def _load(reservation_id: int) -> Reservation:
    try:
        return get_reservation(current_user, reservation_id)
    except NotFound:
        abort(404)


def _change_form(reservation: Reservation) -> ChangeForm:
    tz = reservation.resource.platform.timezone
    form = ChangeForm(formdata=None)
    start, end = local(reservation.start, tz), local(reservation.end, tz)
    form.day.data = start.date()
    form.start.data, form.end.data = f"{start:%H:%M}", f"{end:%H:%M}"
    form.purpose.data = reservation.purpose
    return form


def _render(reservation: Reservation, form: ChangeForm | None = None, status: int = 200) -> Any:
    now = utcnow()
    resource = reservation.resource
    is_owner = reservation.user_id == current_user.id
    is_staff = current_user.is_staff_of(resource.platform_id)
    rules = effective_rules(resource)
    opens, closes = checkin_window(reservation)
    notice_over = now >= reservation.start - timedelta(minutes=rules.cancel_notice_minutes)
    can = {
        "change": reservation.active and (is_staff or (is_owner and reservation.start > now)),
        "move": reservation.active and (is_staff or not notice_over),
        "cancel": reservation.active and (is_staff or (is_owner and not notice_over)),
        "check_in": can_check_in(reservation, now) and (is_owner or is_staff),
        "check_out": reservation.status == "confirmed" and reservation.checked_in_at is not None,
        "outcome": is_staff and reservation.status == "confirmed" and reservation.start <= now,
        "decide": is_staff and reservation.status == "pending",
    }
    return render_template(
        "bookings/detail.html", r=reservation, reference=reservation_reference(reservation),
        tz=resource.platform.timezone, is_owner=is_owner, is_staff=is_staff, can=can, history=history(reservation),
        form=form or _change_form(reservation), action_form=ActionForm(), opens=opens, closes=closes,
        cancel_notice=rules.cancel_notice_minutes, now=now, status_label=status_label, minutes_label=minutes_label,
    ), status


@bp.get("/bookings/<int:reservation_id>")
@login_required
def detail(reservation_id: int) -> Any:
    return _render(_load(reservation_id))


@bp.get("/bookings/<reference>")
@login_required
def by_reference(reference: str) -> Any:
    """/bookings/OS-2026-000123 → the booking's page (when the year matches and the viewer may see it)."""
    parsed = parse_reference(reference)
    if parsed is None or parsed[0] != BOOKING_PREFIX:
        abort(404)
    reservation = _load(parsed[2])
    if reservation_reference(reservation) != reference.strip().upper():
        abort(404)
    return redirect(url_for("bookings.detail", reservation_id=reservation.id), 301)


@bp.post("/bookings/<int:reservation_id>/change")
@login_required
def change(reservation_id: int) -> Any:
    reservation = _load(reservation_id)
    form = ChangeForm()
    if not form.validate_on_submit():
        return _render(reservation, form, 422)
    tz = reservation.resource.platform.timezone
    start, end = local_span(form.day.data, form.start.data, form.end.data, tz)
    purpose = form.purpose.data or ""
    same_time = (start, end) == (reservation.start, reservation.end)
    try:
        move_reservation(current_user, reservation, None if same_time else start, None if same_time else end,
                         purpose if purpose.strip() != (reservation.purpose or "") else None, form.reason.data or "")
    except DomainError as exc:
        if exc.status == 404:
            raise
        show_on_form(form, exc)
        db.session.refresh(reservation)
        return _render(reservation, form, exc.status)
    if same_time:
        flash(_("Purpose saved."), "success")
    else:
        flash(_("Moved to %(span)s.", span=describe(reservation.start, reservation.end, tz)), "success")
    return redirect(url_for("bookings.detail", reservation_id=reservation.id), 303)


@bp.post("/bookings/<int:reservation_id>/attendance/<action>")
@login_required
def attendance(reservation_id: int, action: str) -> Any:
    """Check in or out (the booker or staff), or record completed / no-show (staff)."""
    reservation = _load(reservation_id)
    if action not in ("check-in", "check-out", "no-show", "completed"):
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        if action == "check-in":
            check_in(current_user, reservation)
            flash(_("Checked in."), "success")
        elif action == "check-out":
            check_out(current_user, reservation)
            flash(_("Checked out."), "success")
        else:
            mark_outcome(current_user, reservation, "no_show" if action == "no-show" else "completed")
            flash(_("Marked as no-show.") if action == "no-show" else _("Marked as done."), "success")
    except DomainError as exc:
        if exc.status == 403:
            raise
        flash_refusal(exc)
    target = request.form.get("next", "")
    if target.startswith("/") and not target.startswith("//"):
        return redirect(target, 303)
    return redirect(url_for("bookings.detail", reservation_id=reservation.id), 303)


@bp.post("/bookings/<int:reservation_id>/decision/<action>")
@login_required
def decision(reservation_id: int, action: str) -> Any:
    """Staff approve or reject a pending booking from its page (the link in their mail leads here)."""
    reservation = _load(reservation_id)
    if action not in ("approve", "reject"):
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    reason = request.form.get("reason", "")[:2000]
    try:
        if action == "approve":
            approve_reservation(current_user, reservation, reason)
            flash(_("Approved."), "success")
        else:
            reject_reservation(current_user, reservation, reason)
            flash(_("Rejected."), "success")
    except DomainError as exc:
        if exc.status == 403:
            raise
        flash_refusal(exc)
    return redirect(url_for("bookings.detail", reservation_id=reservation.id), 303)
