"""Reservations in the JSON API (CONTRACT §5): availability, book, list, cancel, approve, reject.

Routes are added to the existing /api/v1 blueprint. Views only translate JSON to engine calls and
back; the engine raises domain errors, which booking.web turns into JSON 4xx answers.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from flask import Response, jsonify, request, url_for
from flask_babel import gettext as _

from ..engine import find_free_slots
from ..engine.calendars import zone
from ..engine.errors import InvalidRecurrence
from ..engine.recurrence import cancel_rest_of_series, create_series, parse_recurrence
from ..engine.reservations import (
    approve_reservation, cancel_reservation, create_reservation, get_reservation, reject_reservation,
    status_label, visible_reservations,
)
from ..engine.timefmt import iso
from ..errors import DomainError, InvalidInput, NotFound
from ..extensions import db
from ..models import Reservation, Resource, User, utcnow
from .api import api_user, bp, json_body
from .validate import valid_id

MAX_RANGE_DAYS = 62
MAX_LIST = 1000


class BadQuery(DomainError):
    """A query parameter that cannot be read (400)."""

    code = "bad_request"
    status = 400


# --- reading input -----------------------------------------------------------------------------

def parse_instant(value: Any, name: str, tz: str | None = None, *, query: bool = False) -> datetime:
    """An ISO 8601 time with offset. In a query, a bare date (2027-03-08) means local midnight in
    `tz` when one is given. Raises BadQuery (query) or InvalidInput (body) naming the field."""
    error = BadQuery if query else InvalidInput
    if not isinstance(value, str) or not value.strip():
        raise error(_("%(name)s is required: an ISO 8601 time such as 2027-03-08T09:00:00+08:00.", name=name),
                    fields={name: _("required")})
    text = value.strip()
    try:
        if tz is not None and len(text) == 10:
            return datetime.combine(date.fromisoformat(text), time(0), tzinfo=zone(tz))
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise error(_("%(name)s is not an ISO 8601 time: %(value)s", name=name, value=text[:40]),
                    fields={name: _("not an ISO 8601 time")}) from None
    if parsed.tzinfo is None:
        raise error(_("%(name)s needs a time zone offset, e.g. 2027-03-08T09:00:00+08:00.", name=name),
                    fields={name: _("needs an offset")})
    if not 2000 <= parsed.year <= 2100:
        raise error(_("%(name)s is out of range.", name=name), fields={name: _("out of range")})
    return parsed


def query_range(tz: str | None, *, default_days: int | None = 7) -> tuple[datetime | None, datetime | None]:
    """`from` and `to` from the query string, checked: from < to, at most MAX_RANGE_DAYS apart."""
    raw_from, raw_to = request.args.get("from"), request.args.get("to")
    start = parse_instant(raw_from, "from", tz, query=True) if raw_from is not None else None
    end = parse_instant(raw_to, "to", tz, query=True) if raw_to is not None else None
    if default_days is not None:
        start = start or utcnow()
        end = end or start + timedelta(days=default_days)
    if start is not None and end is not None:
        if end <= start:
            raise BadQuery(_("'from' must come before 'to'."), fields={"to": _("must come after from")})
        if end - start > timedelta(days=MAX_RANGE_DAYS):
            raise BadQuery(_("Ask for at most %(n)s days at a time.", n=MAX_RANGE_DAYS),
                           fields={"to": _("at most %(n)s days after from", n=MAX_RANGE_DAYS)})
    return start, end


def query_id(name: str) -> int | None:
    """An id from the query string (400 like the other query parameters), or None when absent."""
    value = request.args.get(name)
    if value is None or value == "":
        return None
    return valid_id(value, name, error=BadQuery, text=True)


def load_resource(resource_id: Any, *, body: bool = False) -> Resource:
    """A resource by id: from a path (already bounded by the route: 404) or a JSON body (422)."""
    if body:
        resource_id = valid_id(resource_id, "resource_id")
    resource = db.session.get(Resource, resource_id)
    if resource is None:
        if body:
            raise InvalidInput(_("There is no resource %(id)s.", id=resource_id), fields={"resource_id": _("unknown")})
        raise NotFound(_("There is no resource %(id)s.", id=resource_id))
    return resource


def optional_text(body: dict[str, Any], name: str, limit: int = 2000) -> str:
    value = body.get(name, "")
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > limit:
        raise InvalidInput(_("%(name)s must be text of at most %(n)s characters.", name=name, n=limit),
                           fields={name: _("text, at most %(n)s characters", n=limit)})
    return value


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


def optional_body() -> dict[str, Any]:
    """The JSON object of a request whose body may be left out (cancel, approve, reject)."""
    return json_body() if request.data else {}


def load_reservation(reservation_id: int) -> Reservation:
    reservation = db.session.get(Reservation, reservation_id)
    if reservation is None:
        raise NotFound(_("No such booking."))
    return reservation


# --- writing output ----------------------------------------------------------------------------

def reservation_json(reservation: Reservation, viewer: User) -> dict[str, Any]:
    resource = reservation.resource
    tz = resource.platform.timezone
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
        # prices, vouchers and attendance (booking.engine.pricing / vouchers / attendance)
        "fee": {
            "rate_kind": reservation.rate_kind, "unit": reservation.fee_unit,
            "rate": float(reservation.fee_rate) if reservation.fee_rate is not None else None,
            "currency": reservation.fee_currency,
            "estimate": float(reservation.fee_estimate) if reservation.fee_estimate is not None else None,
            "actual": float(reservation.fee_actual) if reservation.fee_actual is not None else None,
            "voucher": float(reservation.voucher_amount or 0),
        },
        "checked_in_at": iso(reservation.checked_in_at, tz) if reservation.checked_in_at else None,
        "checked_out_at": iso(reservation.checked_out_at, tz) if reservation.checked_out_at else None,
    }
    if viewer.id == reservation.user_id or viewer.is_staff_of(resource.platform_id):
        user = reservation.user
        data["user"] = {"id": user.id, "email": user.email, "name": user.name,
                        "organisation": user.organisation_label()}
    return data


# --- routes ------------------------------------------------------------------------------------

@bp.get("/resources/<int:resource_id>/availability")
def resource_availability(resource_id: int) -> Any:
    resource = load_resource(resource_id)
    tz = resource.platform.timezone
    start, end = query_range(tz)
    assert start is not None and end is not None
    slots = find_free_slots(resource, start, end) if resource.bookable and resource.active else []
    return {
        "resource_id": resource.id,
        "timezone": tz,
        "from": iso(start, tz),
        "to": iso(end, tz),
        "slots": [{"start": s.isoformat(), "end": e.isoformat()} for s, e in slots],
    }


@bp.post("/reservations")
def create_reservation_api() -> Any:
    user = api_user()
    body = json_body()
    resource = load_resource(body.get("resource_id"), body=True)
    tz = resource.platform.timezone
    errors: dict[str, str] = {}
    times: dict[str, datetime] = {}
    for name in ("start", "end"):
        try:
            times[name] = parse_instant(body.get(name), name)
        except InvalidInput as exc:
            errors.update(exc.details["fields"])
    if errors:
        raise InvalidInput(_("Give the start and end as ISO 8601 times with an offset."), fields=errors)
    purpose = optional_text(body, "purpose")
    if body.get("recurrence") is not None:
        rec = parse_recurrence(recurrence_shape(body["recurrence"]))
        skip = body.get("skip_conflicts", False)
        if not isinstance(skip, bool):
            raise InvalidInput(_("skip_conflicts must be true or false."), fields={"skip_conflicts": _("true or false")})
        series, plan = create_series(user, resource, times["start"], times["end"], rec, purpose, skip_conflicts=skip)
        db.session.commit()
        first = next(o.reservation for o in plan if o.reservation is not None)
        data = reservation_json(first, user)
        data["occurrences"] = [o.to_json(tz) for o in plan]
        data["skipped"] = [o.to_json(tz) for o in plan if o.reservation is None]
        return data, 201, {"Location": data["url"]}
    use_voucher = body.get("use_voucher", False)
    if not isinstance(use_voucher, bool):
        raise InvalidInput(_("use_voucher must be true or false."), fields={"use_voucher": _("true or false")})
    try:
        reservation = create_reservation(user, resource, times["start"], times["end"], purpose,
                                         use_voucher=use_voucher)
    except DomainError as exc:
        if exc.status in (409, 422):  # CONTRACT §5: the same type at other platforms, free then
            exc.details["elsewhere"] = elsewhere_json_list(user, resource, times["start"], times["end"], exc)
        raise
    db.session.commit()
    data = reservation_json(reservation, user)
    return data, 201, {"Location": data["url"]}


def elsewhere_json_list(user: User, resource: Resource, start: datetime, end: datetime,
                        refusal: DomainError) -> list[dict[str, Any]]:
    """`elsewhere` of a refused booking: empty unless the time was the problem (taken, closed, hours)."""
    from ..engine.equivalents import elsewhere_json, equivalents_elsewhere, offers_elsewhere
    from .filters import lang

    if not offers_elsewhere(refusal):
        return []
    db.session.rollback()  # nothing of the refused booking stays, and no lock is held while we look
    return [elsewhere_json(item, lang(), url_for("main.resource", resource_id=item.resource.id, _external=True,
                                                 _anchor="book-form", **item.form_values()))
            for item in equivalents_elsewhere(user, resource, start, end)]


@bp.get("/reservations")
def list_reservations_api() -> Any:
    user = api_user()
    mine = request.args.get("mine", "")
    if mine not in ("", "0", "1", "true", "false"):
        raise BadQuery(_("mine must be 1 or 0."), fields={"mine": "1 or 0"})
    resource_id = query_id("resource_id")
    start, end = query_range(None, default_days=None)
    status = request.args.get("status")
    if status is not None and status not in ("pending", "confirmed", "rejected", "cancelled", "completed", "no_show"):
        raise BadQuery(_("Unknown status."), fields={"status": status[:40]})
    query = visible_reservations(user, mine=mine in ("1", "true"), resource_id=resource_id, start=start, end=end,
                                 statuses=(status,) if status else None).limit(MAX_LIST)
    return jsonify([reservation_json(r, user) for r in db.session.scalars(query)])  # CONTRACT §5: a list


@bp.get("/reservations/<int:reservation_id>")
def get_reservation_api(reservation_id: int) -> Any:
    user = api_user()
    return reservation_json(get_reservation(user, reservation_id), user)


@bp.post("/reservations/<int:reservation_id>/cancel")
def cancel_reservation_api(reservation_id: int) -> Any:
    user = api_user()
    body = optional_body()
    reason = optional_text(body, "reason")
    scope = body.get("scope", "one")
    if scope not in ("one", "rest"):
        raise InvalidInput(_("scope is 'one' (this booking) or 'rest' (this and the later ones of its series)."),
                           fields={"scope": "one | rest"})
    reservation = load_reservation(reservation_id)
    if scope == "rest":
        cancelled = cancel_rest_of_series(user, reservation, reason)
    else:
        cancelled = [cancel_reservation(user, reservation, reason)]
    db.session.commit()
    data = reservation_json(reservation, user)
    data["cancelled"] = [r.id for r in cancelled]
    return data


def _decide(reservation_id: int, action: Any) -> Any:
    user = api_user()
    reason = optional_text(optional_body(), "reason")
    reservation = load_reservation(reservation_id)
    action(user, reservation, reason)
    db.session.commit()
    return reservation_json(reservation, user)


@bp.post("/reservations/<int:reservation_id>/approve")
def approve_reservation_api(reservation_id: int) -> Any:
    return _decide(reservation_id, approve_reservation)


@bp.post("/reservations/<int:reservation_id>/reject")
def reject_reservation_api(reservation_id: int) -> Any:
    return _decide(reservation_id, reject_reservation)


@bp.post("/reservations/<int:reservation_id>/check-in")
def check_in_reservation_api(reservation_id: int) -> Any:
    from ..engine.attendance import check_in

    user = api_user()
    reservation = get_reservation(user, reservation_id)
    check_in(user, reservation)
    db.session.commit()
    return reservation_json(reservation, user)


@bp.post("/reservations/<int:reservation_id>/check-out")
def check_out_reservation_api(reservation_id: int) -> Any:
    from ..engine.attendance import check_out

    user = api_user()
    reservation = get_reservation(user, reservation_id)
    check_out(user, reservation)
    db.session.commit()
    return reservation_json(reservation, user)


@bp.post("/waitlist")
def join_waitlist_api() -> Any:
    from ..engine.waitlist import join_waitlist

    user = api_user()
    body = json_body()
    resource = load_resource(body.get("resource_id"), body=True)
    start, end = parse_instant(body.get("start"), "start"), parse_instant(body.get("end"), "end")
    entry = join_waitlist(user, resource, start, end)
    db.session.commit()
    tz = resource.platform.timezone
    return {"id": entry.id, "resource_id": resource.id, "start": iso(entry.start, tz), "end": iso(entry.end, tz),
            "status": entry.status}, 201


@bp.post("/resources/<int:resource_id>/training-requests")
def request_training_api(resource_id: int) -> Any:
    from ..engine.qualifications import request_training

    user = api_user()
    resource = load_resource(resource_id)
    item = request_training(user, resource, optional_text(optional_body(), "message"))
    db.session.commit()
    return {"id": item.id, "resource_id": resource.id, "status": item.status}, 201


@bp.get("/resources/<int:resource_id>/calendar.ics")
def resource_calendar_ics(resource_id: int) -> Response:
    from .calendar import ics_response, resource_busy_calendar

    resource = load_resource(resource_id)
    return ics_response(resource_busy_calendar(resource), f"resource-{resource.id}.ics")
