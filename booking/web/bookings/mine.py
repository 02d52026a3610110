"""/bookings: my bookings (upcoming and past, and the waitlist I am on); cancel one or the rest of a
series, check in and out, download one as a calendar file; /waitlist/<id>/leave."""
from __future__ import annotations

from typing import Any

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from ...engine.attendance import can_check_in, check_in, check_out, checkin_window
from ...engine.recurrence import cancel_rest_of_series
from ...engine.reservations import cancel_reservation, get_reservation, status_label
from ...engine.timefmt import describe
from ...engine.waitlist import get_entry, leave_waitlist, my_entries
from ...errors import DomainError, NotFound
from ...extensions import db
from ...ical import reservation_sequence, uid_domain
from ...models import Reservation, utcnow
from ..filters import lang, money
from ..refusals import flash_refusal
from ..resources.booking_panel import slot_choices
from .blueprint import bp


@bp.app_context_processor
def booking_globals() -> dict[str, Any]:
    return {"status_label": status_label, "describe_span": describe, "slot_choices": slot_choices,
            "booking_extras": booking_extras, "my_waitlist": my_waitlist}


def booking_extras(reservation: Reservation) -> dict[str, Any]:
    """For My bookings: check-in state, the window, fees and vouchers of one booking."""
    now = utcnow()
    opens, closes = checkin_window(reservation)
    return {"can_check_in": can_check_in(reservation, now), "opens": opens, "closes": closes,
            "checked_in": reservation.checked_in_at is not None,
            "can_check_out": reservation.status == "confirmed" and reservation.checked_in_at is not None}


def my_waitlist() -> list[Any]:
    return my_entries(current_user) if current_user.is_authenticated else []


@bp.get("/bookings")
@login_required
def mine() -> Any:
    now = utcnow()
    rows = db.session.scalars(select(Reservation).where(Reservation.user_id == current_user.id)
                              .order_by(Reservation.start)).all()
    upcoming = [r for r in rows if r.end > now and r.status in ("pending", "confirmed")]
    past = sorted((r for r in rows if r not in upcoming), key=lambda r: r.start, reverse=True)[:100]
    feed_url = url_for("calendar.user_feed", token=current_user.calendar_token, _external=True)
    return render_template("bookings/mine.html", upcoming=upcoming, past=past, now=now, feed_url=feed_url)


@bp.post("/bookings/<int:reservation_id>/cancel")
@login_required
def cancel(reservation_id: int) -> Any:
    reservation = db.get_or_404(Reservation, reservation_id)
    reason = request.form.get("reason", "")[:2000]
    if request.form.get("scope") == "rest":
        cancelled = cancel_rest_of_series(current_user, reservation, reason)
    else:
        cancelled = [cancel_reservation(current_user, reservation, reason)]
    tz = reservation.resource.platform.timezone
    flash(_("Cancelled: %(what)s.", what="; ".join(
        f"{r.resource.display_title(lang())} {describe(r.start, r.end, tz)}" for r in cancelled)), "success")
    target = request.form.get("next", "")
    return redirect(target if target.startswith("/") and not target.startswith("//") else url_for("bookings.mine"), 303)


@bp.get("/bookings/<int:reservation_id>.ics")
@login_required
def ics(reservation_id: int) -> Response:
    """One booking as a calendar file: the same event (UID, SEQUENCE) as its mailed invitation, so
    importing it next to the invitation updates the one event instead of adding another."""
    from ..calendar import finish, ics_response, new_calendar, reservation_event

    try:
        reservation = get_reservation(current_user, reservation_id)
    except NotFound:
        abort(404)
    cal = new_calendar(reservation.resource.display_title(lang()))
    event = reservation_event(reservation, uid_domain())  # the UID of the mailed invitation, whatever host was asked
    if "SEQUENCE" not in event:
        event.add("sequence", reservation_sequence(reservation.id))  # as the last invitation mailed (or newer)
    cal.add_component(event)
    return ics_response(finish(cal), f"booking-{reservation.id}.ics", attachment=True)


def _my_reservation(reservation_id: int) -> Reservation:
    reservation = db.get_or_404(Reservation, reservation_id)
    if reservation.user_id != current_user.id:
        abort(404)
    return reservation


@bp.post("/bookings/<int:reservation_id>/check-in", endpoint="check_in")
@login_required
def booking_check_in(reservation_id: int) -> Any:
    reservation = _my_reservation(reservation_id)
    try:
        check_in(current_user, reservation)
    except DomainError as exc:
        flash_refusal(exc)
    else:
        flash(_("Checked in. Enjoy your session; check out when you are done."), "success")
    return redirect(url_for("bookings.mine") + f"#reservation-{reservation.id}", 303)


@bp.post("/bookings/<int:reservation_id>/check-out", endpoint="check_out")
@login_required
def booking_check_out(reservation_id: int) -> Any:
    reservation = _my_reservation(reservation_id)
    check_out(current_user, reservation)
    flash(_("Checked out. Fee for the time used: %(fee)s.",
            fee=money(reservation.fee_actual, reservation.fee_currency) or _("none")), "success")
    return redirect(url_for("bookings.mine") + f"#reservation-{reservation.id}", 303)


@bp.post("/waitlist/<int:entry_id>/leave")
@login_required
def waitlist_leave(entry_id: int) -> Any:
    leave_waitlist(current_user, get_entry(current_user, entry_id))
    flash(_("Left the waitlist."), "success")
    return redirect(url_for("bookings.mine") + "#waitlist", 303)
