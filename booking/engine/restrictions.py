"""Booking restrictions after no-shows: the rule a booking is checked against, and the
restriction a no-show may lead to (the platform's `no_show_limit` no-shows within 90 days bar the
user from booking at that platform for `no_show_ban_days`).

Below reservations (which checks and records) and attendance (which settles no-shows).
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask_babel import get_locale
from sqlalchemy import func, select

from ..errors import Forbidden
from ..extensions import db
from ..models import BookingRestriction, Platform, Reservation, Resource, User, utcnow
from .calendars import zone
from .text import _

NO_SHOW_WINDOW = timedelta(days=90)


def _lang() -> str:
    return "en" if str(get_locale() or "zh") == "en" else "zh"


class RestrictedForNoShows(Forbidden):
    """Too many no-shows at this platform recently (403)."""

    code = "restricted"

    def __init__(self, message: str, **details: Any) -> None:
        details.setdefault("reason", "no_shows")
        super().__init__(message, **details)


def active_restriction(user: User, platform: Platform, now: datetime) -> BookingRestriction | None:
    return db.session.scalars(select(BookingRestriction).where(
        BookingRestriction.user_id == user.id, BookingRestriction.platform_id == platform.id,
        BookingRestriction.until > now, BookingRestriction.lifted_at.is_(None),
    ).order_by(BookingRestriction.until.desc()).limit(1)).first()


def check_not_restricted(user: User, resource: Resource, now: datetime) -> None:
    if user.is_staff_of(resource.platform_id):
        return
    platform = resource.platform
    restriction = active_restriction(user, platform, now)
    if restriction is None:
        return
    until = restriction.until.astimezone(zone(platform.timezone))
    raise RestrictedForNoShows(
        _("You cannot book at %(platform)s until %(until)s: you did not turn up to %(n)s bookings within 90 days.",
          platform=platform.name(_lang()), until=f"{until:%Y-%m-%d %H:%M}", n=restriction.no_shows),
        until=until.isoformat())


def recent_no_shows(user_id: int, platform_id: int, now: datetime, recorded_after: datetime | None = None) -> int:
    """No-shows of the user at the platform that started within 90 days (and, when given, were
    recorded after `recorded_after`)."""
    query = select(func.count()).select_from(Reservation).join(Resource, Resource.id == Reservation.resource_id).where(
        Reservation.user_id == user_id, Resource.platform_id == platform_id, Reservation.status == "no_show",
        Reservation.start > now - NO_SHOW_WINDOW, Reservation.start <= now)
    if recorded_after is not None:
        query = query.where(Reservation.decided_at > recorded_after)
    return int(db.session.scalar(query) or 0)


def after_no_show(reservation: Reservation, now: datetime) -> BookingRestriction | None:
    """Restrict the booker when this no-show brings their no-shows at the platform within 90 days
    (those after their previous restriction began) to the platform's limit."""
    platform = reservation.resource.platform
    limit = platform.no_show_limit or 0
    if limit <= 0 or reservation.user.is_staff_of(platform.id):
        return None
    last = db.session.scalars(select(BookingRestriction).where(
        BookingRestriction.user_id == reservation.user_id, BookingRestriction.platform_id == platform.id,
    ).order_by(BookingRestriction.created_at.desc()).limit(1)).first()
    if last is not None and last.until > now and last.lifted_at is None:
        return last
    # the no-shows that caused the last restriction do not count twice
    count = recent_no_shows(reservation.user_id, platform.id, now, last.created_at if last is not None else None)
    if count < limit:
        return None
    restriction = BookingRestriction(user_id=reservation.user_id, platform_id=platform.id,
                                     until=now + timedelta(days=platform.no_show_ban_days or 0), no_shows=count,
                                     created_at=now)
    db.session.add(restriction)
    db.session.flush()
    return restriction


def lift_restriction(staff: User, restriction: BookingRestriction, *, now: datetime | None = None) -> None:
    if not staff.is_staff_of(restriction.platform_id):
        raise Forbidden(_("Only staff of this platform may lift its restrictions."))
    restriction.lifted_at = now or utcnow()
    db.session.flush()


def platform_restrictions(platform: Platform, now: datetime) -> list[BookingRestriction]:
    return list(db.session.scalars(select(BookingRestriction).where(
        BookingRestriction.platform_id == platform.id, BookingRestriction.until > now,
        BookingRestriction.lifted_at.is_(None)).order_by(BookingRestriction.until)))
