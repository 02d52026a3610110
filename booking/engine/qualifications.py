"""Training and qualification: who may book a resource that requires training.

A resource with `requires_training` (set by its platform's staff) is booked only by users holding
a qualification for it that is neither revoked nor expired on the day of the booking (the
platform's local date). Staff of the platform (and administrators) need none. Users ask for
training with a request; staff see the open requests of their platform in a queue, and approving
one grants the qualification.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from ..errors import Conflict, Forbidden, InvalidInput
from ..extensions import db
from ..models import Platform, Qualification, Resource, TrainingRequest, User, utcnow
from .calendars import zone
from .text import _


def _lang() -> str:
    from flask_babel import get_locale

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
    _tell_staff(request, now)
    return request


def _queue_mail(template: str, kind: str, key: str, address: str, name: str, language: str, subject_text: Any,
                context: dict[str, Any], now: datetime) -> None:
    from flask_babel import force_locale

    from ..models import OutgoingMail
    from ..notify.messages import absolute_url, lang_of
    from .waitlist import render_services_mail

    lang = lang_of(language)
    with force_locale(lang):
        subject = subject_text(lang)
    message_id = f"<{kind}-{key}@onestop>"
    values = dict(context, subject=subject, home=absolute_url("/"))
    values = {k: (v(lang) if callable(v) else v) for k, v in values.items()}
    rendered = render_services_mail(template, lang=lang, to_email=address, to_name=name, message_id=message_id,
                                    context=values, now=now)
    db.session.add(OutgoingMail(kind=kind[:32], reservation_id=None, event_id=None, recipient=address,
                                subject=subject[:300], message_id=message_id, raw=rendered.as_bytes().decode("ascii"),
                                status="pending", attempts=0, next_attempt_at=now, last_error="", created_at=now))


def _path(endpoint: str, fallback: str, **values: Any) -> str:
    from flask import current_app
    from werkzeug.routing import BuildError

    from ..notify.messages import absolute_url

    try:
        return absolute_url(current_app.url_map.bind("localhost").build(endpoint, values))
    except BuildError:
        return absolute_url(fallback)


def _tell_staff(request: TrainingRequest, now: datetime) -> None:
    """Queue a mail to the platform's active staff (else its contact address) about a new request."""
    resource, user = request.resource, request.user
    platform = resource.platform
    staff = db.session.scalars(select(User).where(User.role == "staff", User.platform_id == platform.id,
                                                  User.active.is_(True)).order_by(User.id)).all()
    recipients = [(f"u{s.id}", s.email, s.name, s.language) for s in staff]
    if not recipients and platform.email:
        recipients = [(f"p{platform.id}", platform.email, platform.name("zh"), "zh")]
    context = {"title": resource.display_title, "platform_name": platform.name, "user_name": user.name or user.email,
               "user_email": user.email, "organisation": user.organisation_label, "message": request.message,
               "link": _path("services.staff_training", "/staff/training")}
    for key, address, name, language in recipients:
        _queue_mail("training_request", "training_request", f"{request.id}-{key}", address, name, language,
                    lambda lang: _("Training requested: %(title)s", title=resource.display_title(lang)), context, now)
    db.session.flush()


def _tell_user(user: User, resource: Resource, granted: bool, key: str, now: datetime, *,
               expires_on: date | None = None, note: str = "") -> None:
    """Tell the user that staff qualified them (or declined their request)."""
    context = {"title": resource.display_title, "platform_name": resource.platform.name, "granted": granted,
               "expires_on": expires_on.isoformat() if expires_on else "", "note": note,
               "link": _path("main.resource", f"/resources/{resource.id}", resource_id=resource.id)}
    if granted:
        subject = lambda lang: _("You may now book %(title)s", title=resource.display_title(lang))  # noqa: E731
    else:
        subject = lambda lang: _("Training request declined: %(title)s", title=resource.display_title(lang))  # noqa: E731
    _queue_mail("training_decision", "training_decision", key, user.email, user.name, user.language, subject,
                context, now)
    db.session.flush()


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
    _tell_user(user, resource, True, f"qualification-{qualification.id}", now, expires_on=expires_on,
               note=qualification.note)
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
    _tell_user(request.user, request.resource, False, f"declined-{request.id}", request.decided_at,
               note=request.decision_note)
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
    resource.requires_training = bool(required)
    db.session.flush()
