"""Reservations in the API (docs/contract.md §5): book, list, read, cancel, approve, reject, check in and
out, and wait for a taken time. Views translate JSON to engine calls and back; the engine raises
domain errors, which the blueprint turns into the error envelope."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask import url_for
from flask_babel import gettext as _

from ...engine.errors import InvalidRecurrence
from ...engine.recurrence import cancel_rest_of_series, create_series, parse_recurrence
from ...engine.references import reservation_reference
from ...engine.reservations import (
    approve_reservation,
    cancel_reservation,
    create_reservation,
    get_reservation,
    move_reservation,
    reject_reservation,
    status_label,
    user_to_book_for,
    visible_reservations,
)
from ...engine.timefmt import iso
from ...errors import DomainError, InvalidInput, NotFound
from ...extensions import db
from ...models import Reservation, Resource, User
from ..filters import lang
from ..transaction import discard_changes
from ..validate import MAX_ID
from .blueprint import api_user, bp, errors, signed_in
from .lists import TOTAL_DOC, page_of_query
from .resources import checked_range, load_resource
from .schemas import (
    CancelBody,
    ChangeReservationBody,
    NewReservation,
    ReasonBody,
    RefusedSchema,
    RejectBody,
    ReservationListQuery,
    ReservationSchema,
    WaitlistBody,
    WaitlistEntrySchema,
    money,
)
from .times import body_times, parse_instant

MAX_LIST = 1000


def load_reservation(reservation_id: int) -> Reservation:
    reservation = db.session.get(Reservation, reservation_id)
    if reservation is None:
        raise NotFound(_("No such booking."))
    return reservation


def recurrence_shape(value: Any) -> Any:
    """Refuse what JSON can send but the engine's parser compares without expecting it (a list or an
    object for `freq`, a number for `weekdays`): a 422 like any other bad recurrence, not a TypeError."""
    if isinstance(value, dict):
        if not isinstance(value.get("freq"), (str, type(None))):
            raise InvalidRecurrence(_("Repeat daily, weekly or monthly."))
        weekdays = value.get("weekdays")
        if weekdays is not None and not isinstance(weekdays, list):
            raise InvalidRecurrence(_("Unknown weekday: %(day)s.", day=str(weekdays)[:40]))
    return value


def reservation_json(reservation: Reservation, viewer: User) -> dict[str, Any]:
    resource = reservation.resource
    tz = resource.platform.timezone
    currency = reservation.fee_currency
    data: dict[str, Any] = {
        "id": reservation.id,
        "resource_id": resource.id,
        "resource_title": resource.display_title("en"),
        "platform": resource.platform.code,
        "start": iso(reservation.start, tz),
        "end": iso(reservation.end, tz),
        "timezone": tz,
        "status": reservation.status,
        "status_label": status_label(reservation.status),
        "purpose": reservation.purpose,
        "series_id": reservation.series_id,
        "decision_reason": reservation.decision_reason or None,
        "created_at": iso(reservation.created_at, tz),
        "url": url_for("api.get_reservation_api", reservation_id=reservation.id, _external=True),
        "reference": reservation_reference(reservation),
        "page": url_for("bookings.detail", reservation_id=reservation.id, _external=True),
        # prices, vouchers and attendance (booking.engine.pricing / vouchers / attendance)
        "fee": {
            "rate_kind": reservation.rate_kind, "unit": reservation.fee_unit, "currency": currency,
            "rate": money(reservation.fee_rate, currency),
            "estimate": money(reservation.fee_estimate, currency),
            "actual": money(reservation.fee_actual, currency),
            "voucher": money(reservation.voucher_amount or 0, currency),
        },
        "checked_in_at": iso(reservation.checked_in_at, tz) if reservation.checked_in_at else None,
        "checked_out_at": iso(reservation.checked_out_at, tz) if reservation.checked_out_at else None,
    }
    if viewer.id == reservation.user_id or viewer.is_staff_of(resource.platform_id):
        user = reservation.user
        data["user"] = {"id": user.id, "email": user.email, "name": user.name,
                        "organisation": user.organisation_label()}
    return data


def created(data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    return data, {"Location": data["url"]}


@bp.post("/reservations")
@signed_in
@bp.arguments(NewReservation)
@bp.response(201, ReservationSchema, description="booked: status confirmed or pending")
@errors({
    403: "training required (error not_qualified), booking suspended after no-shows (error restricted, with "
         "until), or the caller's e-mail address is not confirmed yet (error email_unverified); for_user by "
         "anyone but staff of the resource's platform",
    404: "no such resource (fields names resource_id)",
    409: (RefusedSchema, "the time is taken, closed or under maintenance; or the voucher balance cannot pay "
                         "(reason voucher_balance)"),
    422: (RefusedSchema, "invalid fields or a broken booking rule (outside opening hours: elsewhere lists "
                         "equivalents free then)"),
})
def create_reservation_api(body: dict[str, Any]) -> Any:
    """Book a resource (optionally a recurring series)."""
    user = api_user()
    resource = load_resource(body["resource_id"])
    start, end = body_times(body["start"], body["end"])
    purpose = body.get("purpose") or ""
    if body.get("for_user") is not None:
        return created(_book_for_api(user, resource, start, end, purpose, body))
    if body.get("recurrence") is not None:
        rec = parse_recurrence(recurrence_shape(body["recurrence"]))
        series, plan = create_series(user, resource, start, end, rec, purpose,
                                     skip_conflicts=body.get("skip_conflicts", False))
        db.session.flush()
        tz = resource.platform.timezone
        first = next(o.reservation for o in plan if o.reservation is not None)
        data = reservation_json(first, user)
        data["occurrences"] = [o.to_json(tz) for o in plan]
        data["skipped"] = [o.to_json(tz) for o in plan if o.reservation is None]
        return created(data)
    try:
        reservation = create_reservation(user, resource, start, end, purpose,
                                         use_voucher=body.get("use_voucher", False))
    except DomainError as exc:
        if exc.status in (409, 422):  # docs/contract.md §5: the same type at other platforms, free then
            exc.details["elsewhere"] = elsewhere_json_list(user, resource, start, end, exc)
        raise
    db.session.flush()
    return created(reservation_json(reservation, user))


def _book_for_api(staff: User, resource: Resource, start: datetime, end: datetime, purpose: str,
                  body: dict[str, Any]) -> dict[str, Any]:
    """Staff book for a user named by e-mail (403 for anyone but staff of the resource's platform)."""
    booker = user_to_book_for(staff, body["for_user"], resource.platform_id)
    if body.get("recurrence") is not None or body.get("use_voucher"):
        raise InvalidInput(_("Booking for someone books one time, without vouchers."),
                           fields={"recurrence" if body.get("recurrence") is not None else "use_voucher":
                                   _("not when booking for someone")})
    reservation = create_reservation(booker, resource, start, end, purpose, booked_by=staff)
    db.session.flush()
    return reservation_json(reservation, staff)


def elsewhere_json_list(user: User, resource: Resource, start: datetime, end: datetime,
                        refusal: DomainError) -> list[dict[str, Any]]:
    """`elsewhere` of a refused booking: empty unless the time was the problem (taken, closed, hours)."""
    from ...engine.equivalents import elsewhere_json, equivalents_elsewhere, offers_elsewhere

    if not offers_elsewhere(refusal):
        return []
    discard_changes()  # nothing of the refused booking stays, and no lock is held while we look
    return [elsewhere_json(item, lang(), url_for("main.resource", resource_id=item.resource.id, _external=True,
                                                 _anchor="book-form", **item.form_values()))
            for item in equivalents_elsewhere(user, resource, start, end)]


@bp.get("/reservations")
@signed_in
@bp.arguments(ReservationListQuery, location="query", as_kwargs=True)
@bp.response(200, ReservationSchema(many=True), description="by start time (a user sees their own; staff their "
             "platform's)", headers=TOTAL_DOC)
@errors({400: "bad parameters"})
def list_reservations_api(page: int, per_page: int | None = None, mine: str = "", resource_id: int | None = None,
                          from_: str | None = None, to: str | None = None, status: str | None = None) -> Any:
    """Reservations the caller may see."""
    user = api_user()
    start = parse_instant(from_, "from", query=True) if from_ is not None else None
    end = parse_instant(to, "to", query=True) if to is not None else None
    if start is not None and end is not None:
        checked_range(start, end)
    query = visible_reservations(user, mine=mine in ("1", "true"), resource_id=resource_id, start=start, end=end,
                                 statuses=(status,) if status else None)
    rows, headers = page_of_query(query, page, per_page, MAX_LIST)
    return [reservation_json(r, user) for r in rows], headers  # docs/contract.md §5: a list


@bp.get("/reservations/<int:reservation_id>")
@signed_in
@bp.response(200, ReservationSchema, description="the reservation")
@errors({404: "no such booking, or not yours"})
def get_reservation_api(reservation_id: int) -> Any:
    """One reservation."""
    user = api_user()
    return reservation_json(get_reservation(user, reservation_id), user)


# No cap on the id in this rule: with werkzeug's matching, a capped PATCH rule beside the GET rule
# would answer 405 for an id above the cap; the view answers 404 for it instead.
@bp.patch("/reservations/<int(max=None):reservation_id>")
@signed_in
@bp.arguments(ChangeReservationBody)
@bp.response(200, ReservationSchema, description="changed: the reservation with its new time or purpose")
@errors({
    403: "not yours, or staff of another platform",
    404: "no such booking",
    409: (RefusedSchema, "the new time is taken, closed or under maintenance; too late to change (inside the "
                         "cancellation notice); or the booking is no longer active"),
    422: (RefusedSchema, "invalid fields, a broken booking rule or quota, or no reason when staff change "
                         "someone else's booking"),
})
def change_reservation_api(body: dict[str, Any], reservation_id: int) -> Any:
    """Move a booking to a new time and/or change its purpose (the booker within the rules and the
    cancellation notice; staff of its platform at any time, with a reason)."""
    user = api_user()
    if reservation_id > MAX_ID:
        raise NotFound(_("No such booking."))
    reservation = load_reservation(reservation_id)
    if all(body.get(k) is None for k in ("start", "end", "purpose")):
        raise InvalidInput(_("Give a new start and end, or a new purpose."), fields={"start": _("required")})
    start = end = None
    if body.get("start") is not None or body.get("end") is not None:
        start, end = body_times(body.get("start"), body.get("end"))
    move_reservation(user, reservation, start, end, body.get("purpose"), body.get("reason") or "")
    db.session.flush()
    return reservation_json(reservation, user)


DECISION_ERRORS = {403: "not yours / not staff of this platform", 404: "no such booking", 422: "invalid fields"}


@bp.post("/reservations/<int:reservation_id>/cancel")
@signed_in
@bp.arguments(CancelBody, required=False)
@bp.response(200, ReservationSchema, description="cancelled; `cancelled` lists every booking cancelled")
@errors({**DECISION_ERRORS, 409: "too late to cancel, or already cancelled"})
def cancel_reservation_api(body: dict[str, Any], reservation_id: int) -> Any:
    """Cancel (the booker up to the cancel notice; platform staff at any time, with a reason)."""
    user = api_user()
    reason = body.get("reason") or ""
    reservation = load_reservation(reservation_id)
    if body.get("scope", "one") == "rest":
        cancelled = cancel_rest_of_series(user, reservation, reason)
    else:
        cancelled = [cancel_reservation(user, reservation, reason)]
    db.session.flush()
    data = reservation_json(reservation, user)
    data["cancelled"] = [r.id for r in cancelled]
    return data


def _decide(reservation_id: int, reason: str, action: Callable[[User, Reservation, str], Any]) -> Any:
    user = api_user()
    reservation = load_reservation(reservation_id)
    action(user, reservation, reason)
    db.session.flush()
    return reservation_json(reservation, user)


@bp.post("/reservations/<int:reservation_id>/approve")
@signed_in
@bp.arguments(ReasonBody, required=False)
@bp.response(200, ReservationSchema, description="approved")
@errors({**DECISION_ERRORS, 409: "not pending"})
def approve_reservation_api(body: dict[str, Any], reservation_id: int) -> Any:
    """Approve a pending booking (staff of its platform)."""
    return _decide(reservation_id, body.get("reason") or "", approve_reservation)


@bp.post("/reservations/<int:reservation_id>/reject")
@signed_in
@bp.arguments(RejectBody)
@bp.response(200, ReservationSchema, description="rejected")
@errors({**DECISION_ERRORS, 409: "not pending"})
def reject_reservation_api(body: dict[str, Any], reservation_id: int) -> Any:
    """Reject a pending booking with a reason (staff of its platform)."""
    return _decide(reservation_id, body["reason"], reject_reservation)


ATTENDANCE_ERRORS = {403: "not yours", 404: "no such booking", 409: "not confirmed / not checked in",
                     422: "outside the check-in window (reason check_in_window)"}


@bp.post("/reservations/<int:reservation_id>/check-in")
@signed_in
@bp.response(200, ReservationSchema, description="checked in")
@errors(ATTENDANCE_ERRORS)
def check_in_reservation_api(reservation_id: int) -> Any:
    """Check in, from the platform's window before the start until its grace after it."""
    from ...engine.attendance import check_in

    user = api_user()
    reservation = get_reservation(user, reservation_id)
    check_in(user, reservation)
    db.session.flush()
    return reservation_json(reservation, user)


@bp.post("/reservations/<int:reservation_id>/check-out")
@signed_in
@bp.response(200, ReservationSchema, description="checked out")
@errors(ATTENDANCE_ERRORS)
def check_out_reservation_api(reservation_id: int) -> Any:
    """Check out: the booking is completed and its actual fee follows the time used."""
    from ...engine.attendance import check_out

    user = api_user()
    reservation = get_reservation(user, reservation_id)
    check_out(user, reservation)
    db.session.flush()
    return reservation_json(reservation, user)


@bp.post("/waitlist")
@signed_in
@bp.arguments(WaitlistBody)
@bp.response(201, WaitlistEntrySchema, description="on the waitlist")
@errors({404: "no such resource", 422: "the time is free, past, or yours"})
def join_waitlist_api(body: dict[str, Any]) -> Any:
    """Wait for a taken time; mailed (in joining order) when it is freed."""
    from ...engine.waitlist import join_waitlist

    user = api_user()
    resource = load_resource(body["resource_id"])
    start, end = body_times(body["start"], body["end"])
    entry = join_waitlist(user, resource, start, end)
    db.session.flush()
    tz = resource.platform.timezone
    return {"id": entry.id, "resource_id": resource.id, "start": iso(entry.start, tz), "end": iso(entry.end, tz),
            "status": entry.status}
