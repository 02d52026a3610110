"""Resources in the API: one resource, its free time, its busy calendar, asking for training."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import Response, url_for
from flask_babel import gettext as _

from ...engine import find_free_slots
from ...engine.timefmt import iso
from ...errors import NotFound
from ...extensions import db
from ...models import Resource, utcnow
from .blueprint import BadQuery, bp, errors, signed_in
from .schemas import (
    AvailabilityQuery,
    AvailabilitySchema,
    ResourceSchema,
    TrainingRequestBody,
    TrainingRequestSchema,
    money,
)
from .times import parse_instant

MAX_RANGE_DAYS = 62


def load_resource(resource_id: Any) -> Resource:
    """The resource, or 404 naming `resource_id` (a path's id and a body's alike)."""
    resource = db.session.get(Resource, resource_id)
    if resource is None:
        raise NotFound(_("There is no resource %(id)s.", id=resource_id), fields={"resource_id": _("unknown")})
    return resource


def resource_json(resource: Resource) -> dict[str, Any]:
    data = resource.to_feed()
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
