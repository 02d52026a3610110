"""Attendance: check-in, check-out, no-shows and the booking restriction they lead to.

- The booker checks in during the platform's window around the start (`checkin_before_minutes`
  before to `checkin_after_minutes` after); too early or too late is refused with the window.
- Checking out completes the booking at once; the actual fee follows the time used.
- The scheduler's `settle_attendance` job: a confirmed booking not checked in by the end of the
  window becomes a no-show; one checked in whose end has passed is completed.
- After the platform's `no_show_limit` no-shows within 90 days the user cannot book at that
  platform for `no_show_ban_days` (a `BookingRestriction` row), and is told why and until when.

Fees at the end: completed → the actual fee (check-in to check-out, else the booked time);
no-show → the booked time's fee (the estimate). Vouchers are settled to the cap of that fee.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update

from ..errors import Forbidden
from ..extensions import db
from ..models import BookingRestriction, Platform, Reservation, Resource, User, utcnow
from .errors import BookingRefused, NotPending
from .text import _


def _lang() -> str:
    from flask_babel import get_locale

    return "en" if str(get_locale() or "zh") == "en" else "zh"
from .timefmt import describe

NO_SHOW_WINDOW = timedelta(days=90)
# The job looks this far back only: bookings older than that (made before check-in existed, or
# while no scheduler ran for longer) are left for staff to mark, never turned into no-shows at once.
SETTLE_HORIZON = timedelta(days=7)


class CheckInRefused(BookingRefused):
    reason = "check_in_window"


class RestrictedForNoShows(Forbidden):
    """Too many no-shows at this platform recently (403)."""

    code = "restricted"

    def __init__(self, message: str, **details: Any) -> None:
        details.setdefault("reason", "no_shows")
        super().__init__(message, **details)


def checkin_window(reservation: Reservation) -> tuple[datetime, datetime]:
    platform = reservation.resource.platform
    return (reservation.start - timedelta(minutes=platform.checkin_before_minutes or 0),
            reservation.start + timedelta(minutes=platform.checkin_after_minutes or 0))


def can_check_in(reservation: Reservation, now: datetime) -> bool:
    opens, closes = checkin_window(reservation)
    return reservation.status == "confirmed" and reservation.checked_in_at is None and opens <= now <= closes


def check_in(user: User, reservation: Reservation, *, now: datetime | None = None) -> Reservation:
    now = now or utcnow()
    if reservation.user_id != user.id and not user.is_staff_of(reservation.resource.platform_id):
        raise Forbidden(_("This booking is not yours."))
    if reservation.status != "confirmed":
        raise NotPending(_("Only a confirmed booking can be checked in."))
    if reservation.checked_in_at is not None:
        return reservation
    opens, closes = checkin_window(reservation)
    tz = reservation.resource.platform.timezone
    window = describe(opens, closes, tz)
    if now < opens:
        raise CheckInRefused(_("Too early to check in: check-in opens %(n)s minutes before the start (%(window)s).",
                               n=reservation.resource.platform.checkin_before_minutes, window=window), window=window)
    if now > closes:
        raise CheckInRefused(_("Too late to check in: check-in closed %(n)s minutes after the start (%(window)s).",
                               n=reservation.resource.platform.checkin_after_minutes, window=window), window=window)
    reservation.checked_in_at = now
    reservation.updated_at = now
    db.session.flush()
    return reservation


def check_out(user: User, reservation: Reservation, *, now: datetime | None = None) -> Reservation:
    """The booker is done: record the time and complete the booking (its actual fee follows)."""
    from .reservations import finish_reservation

    now = now or utcnow()
    if reservation.user_id != user.id and not user.is_staff_of(reservation.resource.platform_id):
        raise Forbidden(_("This booking is not yours."))
    if reservation.status != "confirmed" or reservation.checked_in_at is None:
        raise NotPending(_("Check in first; only a booking in use can be checked out."))
    reservation.checked_out_at = max(now, reservation.checked_in_at)
    finish_reservation(reservation, "completed", user, now)
    return reservation


# --- restrictions ---------------------------------------------------------------------------------

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
    from .calendars import zone

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


# --- the job --------------------------------------------------------------------------------------

def settle_attendance(now: datetime | None = None) -> dict[str, int]:
    """No-show for confirmed bookings not checked in by the end of the check-in window; completed
    for those checked in whose end has passed (bookings that ended within SETTLE_HORIZON). Each row is claimed with a conditional UPDATE, so a
    check-in or a staff decision at the same moment wins cleanly."""
    from .reservations import finish_reservation

    now = now or utcnow()
    done = {"no_show": 0, "completed": 0}
    rows = db.session.execute(
        select(Reservation.id, Reservation.start, Reservation.end, Reservation.checked_in_at,
               Platform.checkin_after_minutes)
        .join(Resource, Resource.id == Reservation.resource_id).join(Platform, Platform.id == Resource.platform_id)
        .where(Reservation.status == "confirmed", Reservation.start < now, Reservation.end > now - SETTLE_HORIZON)
    ).all()
    for rid, start, end, checked_in_at, after in rows:
        if checked_in_at is None and start + timedelta(minutes=after or 0) < now:
            outcome = "no_show"
        elif checked_in_at is not None and end <= now:
            outcome = "completed"
        else:
            continue
        condition = Reservation.checked_in_at.is_(None) if outcome == "no_show" else Reservation.checked_in_at.isnot(None)
        claimed = db.session.execute(update(Reservation).where(
            Reservation.id == rid, Reservation.status == "confirmed", condition).values(updated_at=now)
            .execution_options(synchronize_session=False)).rowcount
        if not claimed:
            continue
        reservation = db.session.get(Reservation, rid)
        db.session.refresh(reservation)
        finish_reservation(reservation, outcome, None, now)
        done[outcome] += 1
    db.session.flush()
    return done
