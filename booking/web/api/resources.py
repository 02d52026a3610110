"""Resources in the API: one resource, its free time, its busy calendar, asking for training, and a
maintenance window set by its platform's staff (with what happens to the bookings in it)."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import marshmallow as ma
from flask import Response, url_for
from flask_babel import gettext as _

from ...catalog.training import STAFF_KEY
from ...engine import find_free_slots
from ...engine.timefmt import iso
from ...errors import NotFound
from ...extensions import db
from ...models import Resource, utcnow
from .blueprint import BadQuery, bp, errors, signed_in
from .schemas import (
    AvailabilityQuery,
    AvailabilitySchema,
    Instant,
    ResourceSchema,
    StrictBoolean,
    Text,
    TrainingRequestBody,
    TrainingRequestSchema,
    money,
)
from .times import body_times, parse_instant

MAX_RANGE_DAYS = 62


def load_resource(resource_id: Any) -> Resource:
    """The resource, or 404 naming `resource_id` (a path's id and a body's alike)."""
    resource = db.session.get(Resource, resource_id)
    if resource is None:
        raise NotFound(_("There is no resource %(id)s.", id=resource_id), fields={"resource_id": _("unknown")})
    return resource


def resource_json(resource: Resource) -> dict[str, Any]:
    data = resource.to_feed()
    if isinstance(data.get("booking_rules"), dict) and STAFF_KEY in data["booking_rules"]:
        data["booking_rules"] = {k: v for k, v in data["booking_rules"].items() if k != STAFF_KEY} or None
    price = data.get("price")
    if price is not None:
        data["price"] = {**(money(price["amount"], price["currency"]) or {}), "unit": price.get("unit")}
    data["url"] = url_for("main.resource", resource_id=resource.id, _external=True)
    data["platform_timezone"] = resource.platform.timezone
    return data


def checked_range(start: datetime, end: datetime, *, days: int = MAX_RANGE_DAYS) -> None:
    """`from` before `to`, at most `days` apart (400 naming `to`)."""
    if end <= start:
        raise BadQuery(_("'from' must come before 'to'."), fields={"to": _("must come after from")})
    if end - start > timedelta(days=days):
        raise BadQuery(_("Ask for at most %(n)s days at a time.", n=days),
                       fields={"to": _("at most %(n)s days after from", n=days)})


@bp.get("/resources/<int:resource_id>")
@bp.response(200, ResourceSchema)
@errors({404: "no such resource"})
def get_resource(resource_id: int) -> Any:
    return resource_json(load_resource(resource_id))


@bp.get("/resources/<int:resource_id>/availability")
@bp.arguments(AvailabilityQuery, location="query", as_kwargs=True)
@bp.response(200, AvailabilitySchema, description="free bookable intervals (opening hours − closures − "
             "maintenance − bookings, within the horizon), in the platform's zone")
@errors({400: "bad from/to", 404: "no such resource"})
def resource_availability(resource_id: int, from_: str | None = None, to: str | None = None) -> Any:
    resource = load_resource(resource_id)
    tz = resource.platform.timezone
    start = parse_instant(from_, "from", tz, query=True) if from_ is not None else utcnow()
    end = parse_instant(to, "to", tz, query=True) if to is not None else start + timedelta(days=7)
    checked_range(start, end)
    slots = find_free_slots(resource, start, end) if resource.bookable and resource.active else []
    return {"resource_id": resource.id, "timezone": tz, "from": iso(start, tz), "to": iso(end, tz),
            "slots": [{"start": s.isoformat(), "end": e.isoformat()} for s, e in slots]}


@bp.get("/resources/<int:resource_id>/calendar.ics")
@bp.response(200, {"type": "string"}, content_type="text/calendar",
             description="the resource's busy times as iCalendar (no personal data)")
@errors({404: "no such resource"})
def resource_calendar_ics(resource_id: int) -> Response:
    from ..calendar import ics_response, resource_busy_calendar

    resource = load_resource(resource_id)
    return ics_response(resource_busy_calendar(resource), f"resource-{resource.id}.ics")


@bp.post("/resources/<int:resource_id>/training-requests")
@signed_in
@bp.arguments(TrainingRequestBody, required=False, as_kwargs=True)
@bp.response(201, TrainingRequestSchema, description="requested")
@errors({404: "no such resource", 422: "the resource needs no training"})
def request_training_api(resource_id: int, message: str | None = None) -> Any:
    from ...engine.qualifications import request_training
    from .blueprint import api_user

    user = api_user()
    resource = load_resource(resource_id)
    item = request_training(user, resource, message or "")
    db.session.flush()
    return {"id": item.id, "resource_id": resource.id, "status": item.status}


class MaintenanceBody(ma.Schema):
    """A maintenance window over a resource, and what happens to the bookings in it."""

    class Meta:
        unknown = ma.EXCLUDE

    start = Instant(required=True, metadata={"description": "the window's start"})
    end = Instant(required=True, metadata={"description": "the window's end (at most a year after the start)"})
    reason = Text(limit=300, metadata={"description": "why: shown to staff, and to users whose bookings it cancels"})
    cancel_affected = StrictBoolean(required=True, metadata={
        "description": "true: cancel the pending and confirmed bookings in the window and tell their users (with "
                       "alternatives); false: keep them (pages warn of the overlap)"})


class MaintenanceWindowSchema(ma.Schema):
    id = ma.fields.Integer()
    resource_id = ma.fields.Integer()
    start = ma.fields.String()
    end = ma.fields.String()
    reason = ma.fields.String()


class MaintenanceAnswer(ma.Schema):
    id = ma.fields.Integer(metadata={"description": "the maintenance window's id"})
    maintenance = ma.fields.Nested(MaintenanceWindowSchema)
    affected = ma.fields.List(ma.fields.Integer(), metadata={
        "description": "ids of the bookings in the window (cancelled when cancel_affected, else kept)"})
    cancelled = ma.fields.Boolean()


@bp.post("/resources/<int:resource_id>/maintenance")
@signed_in
@bp.arguments(MaintenanceBody)
@bp.response(201, MaintenanceAnswer, description="the window is saved")
@errors({403: "not staff of this resource's platform", 404: "no such resource",
         422: "bad times (end not after start, no offset, longer than a year) or fields"})
def add_maintenance_api(body: dict[str, Any], resource_id: int) -> Any:
    """Take a resource out of service for a while (staff of its platform)."""
    from ...engine.maintenance import add_maintenance
    from .blueprint import api_user

    user = api_user()
    resource = load_resource(resource_id)
    start, end = body_times(body.get("start"), body.get("end"))
    window, affected = add_maintenance(user, resource, start, end, body.get("reason") or "",
                                       bool(body["cancel_affected"]))
    tz = resource.platform.timezone
    return {"id": window.id, "affected": affected, "cancelled": bool(body["cancel_affected"]) and bool(affected),
            "maintenance": {"id": window.id, "resource_id": resource.id, "start": iso(window.start, tz),
                            "end": iso(window.end, tz), "reason": window.reason}}
