"""Training and qualification: who may book a resource that requires training.

A resource with `requires_training` (set by its platform's staff) is booked only by users holding
a qualification for it that is neither revoked nor expired on the day of the booking (the
platform's local date). Staff of the platform (and administrators) need none. Users ask for
training with a request; staff see the open requests of their platform in a queue, and approving
one grants the qualification. Requests and decisions are published as `qualification.*` events
(booking.engine.events): the notification outlet tells staff and users by mail.
"""
from __future__ import annotations

from datetime import date, datetime

from flask_babel import get_locale
from sqlalchemy import select

from ..catalog.training import remember_staff_choice
from ..errors import Conflict, Forbidden, InvalidInput
from ..extensions import db
from ..models import Platform, Qualification, Resource, TrainingRequest, User, utcnow
from .calendars import zone
from .events import publish
from .text import _


def _lang() -> str:
    return "en" if str(get_locale() or "zh") == "en" else "zh"


class NotQualified(Forbidden):
    """The resource requires training the user does not (or no longer) have (403)."""

    code = "not_qualified"

    def __init__(self, message: str, **details: object) -> None:
        details.setdefault("reason", "not_qualified")
        super().__init__(message, **details)


def local_date(platform: Platform, at: datetime) -> date:
    return at.astimezone(zone(platform.timezone)).date()


def valid_qualification(user: User, resource: Resource, on: date) -> Qualification | None:
    """The user's qualification for the resource valid on `on`, the longest-lasting one."""
    return db.session.scalars(select(Qualification).where(
        Qualification.user_id == user.id, Qualification.resource_id == resource.id,
        Qualification.revoked_at.is_(None), Qualification.expires_on >= on,
    ).order_by(Qualification.expires_on.desc()).limit(1)).first()


def latest_qualification(user: User, resource: Resource) -> Qualification | None:
    return db.session.scalars(select(Qualification).where(
        Qualification.user_id == user.id, Qualification.resource_id == resource.id,
    ).order_by(Qualification.granted_at.desc(), Qualification.id.desc()).limit(1)).first()


def open_request(user: User, resource: Resource) -> TrainingRequest | None:
    return db.session.scalars(select(TrainingRequest).where(
        TrainingRequest.user_id == user.id, TrainingRequest.resource_id == resource.id,
        TrainingRequest.status == "open").limit(1)).first()


def check_qualified(user: User, resource: Resource, start: datetime) -> None:
    """Raise NotQualified, saying how to get training, unless the user may book `resource` at `start`."""
    if not resource.requires_training or user.is_staff_of(resource.platform_id):
        return
    day = local_date(resource.platform, start)
    if valid_qualification(user, resource, day) is not None:
        return
    platform = resource.platform.name(_lang())
    latest = latest_qualification(user, resource)
    if latest is not None and latest.revoked_at is None and latest.expires_on < day:
        why = _("Your training for this resource was valid until %(date)s.", date=latest.expires_on.isoformat())
    elif latest is not None and latest.revoked_at is not None:
        why = _("Your qualification for this resource was withdrawn.")
    else:
        why = _("This resource may only be used after training.")
    raise NotQualified(_("%(why)s Request training on this page; staff of %(platform)s will contact you.",
                         why=why, platform=platform))


# --- requests ---------------------------------------------------------------------------------

def request_training(user: User, resource: Resource, message: str = "", *, now: datetime | None = None) -> TrainingRequest:
    """Ask the platform for training; an open request of the same user and resource is reused."""
    now = now or utcnow()
    if not resource.requires_training:
        raise InvalidInput(_("This resource needs no training."), fields={"resource_id": _("needs no training")})
    message = (message or "").strip()
    if len(message) > 2000:
        raise InvalidInput(_("The message is too long (2000 characters at most)."), fields={"message": "too long"})
    existing = open_request(user, resource)
    if existing is not None:
        if message:
            existing.message = message
        db.session.flush()
        return existing
    request = TrainingRequest(user_id=user.id, resource_id=resource.id, status="open", message=message,
                              created_at=now, decision_note="")
    request.user, request.resource = user, resource
    db.session.add(request)
    db.session.flush()
    publish("qualification.requested", request, user, now)  # staff hear of it
    return request


def training_queue(platform: Platform) -> list[TrainingRequest]:
    """The open training requests of a platform's resources, oldest first."""
    return list(db.session.scalars(select(TrainingRequest).join(Resource).where(
        Resource.platform_id == platform.id, TrainingRequest.status == "open",
    ).order_by(TrainingRequest.created_at, TrainingRequest.id)))


def _require_staff(staff: User, resource: Resource) -> None:
    if not staff.is_staff_of(resource.platform_id):
        raise Forbidden(_("Only staff of this resource's platform may manage its training."))


def grant_qualification(staff: User, user: User, resource: Resource, expires_on: date, note: str = "", *,
                        now: datetime | None = None) -> Qualification:
    """Staff qualify `user` for `resource` through `expires_on`; open requests become approved."""
    now = now or utcnow()
    _require_staff(staff, resource)
    if not isinstance(expires_on, date) or expires_on < local_date(resource.platform, now):
        raise InvalidInput(_("The expiry date must not be in the past."), fields={"expires_on": _("in the past")})
    qualification = Qualification(user_id=user.id, resource_id=resource.id, expires_on=expires_on,
                                  granted_by_id=staff.id, granted_at=now, note=(note or "").strip()[:2000])
    qualification.user, qualification.resource = user, resource
    db.session.add(qualification)
    for request in db.session.scalars(select(TrainingRequest).where(
            TrainingRequest.user_id == user.id, TrainingRequest.resource_id == resource.id,
            TrainingRequest.status == "open")):
        request.status, request.decided_by_id, request.decided_at = "approved", staff.id, now
    db.session.flush()
    publish("qualification.granted", qualification, staff, now)  # the user hears of it
    return qualification


def approve_request(staff: User, request: TrainingRequest, expires_on: date, note: str = "", *,
                    now: datetime | None = None) -> Qualification:
    if request.status != "open":
        raise Conflict(_("This request has already been decided."))
    return grant_qualification(staff, request.user, request.resource, expires_on, note, now=now)


def decline_request(staff: User, request: TrainingRequest, note: str = "", *, now: datetime | None = None) -> TrainingRequest:
    _require_staff(staff, request.resource)
    if request.status != "open":
        raise Conflict(_("This request has already been decided."))
    request.status, request.decided_by_id, request.decided_at = "declined", staff.id, now or utcnow()
    request.decision_note = (note or "").strip()[:2000]
    db.session.flush()
    publish("qualification.declined", request, staff, request.decided_at)  # the user hears of it
    return request


def revoke_qualification(staff: User, qualification: Qualification, *, now: datetime | None = None) -> Qualification:
    _require_staff(staff, qualification.resource)
    if qualification.revoked_at is None:
        qualification.revoked_at, qualification.revoked_by_id = now or utcnow(), staff.id
    db.session.flush()
    return qualification


def platform_qualifications(platform: Platform, today: date) -> list[Qualification]:
    """The platform's qualifications still in force, soonest to expire first."""
    return list(db.session.scalars(select(Qualification).join(Resource).where(
        Resource.platform_id == platform.id, Qualification.revoked_at.is_(None), Qualification.expires_on >= today,
    ).order_by(Qualification.expires_on, Qualification.id)))


def set_requires_training(staff: User, resource: Resource, required: bool) -> None:
    _require_staff(staff, resource)
    if bool(required) != resource.requires_training:  # staff's switch outlives the feed's word
        remember_staff_choice(resource, required)
    resource.requires_training = bool(required)
    db.session.flush()
