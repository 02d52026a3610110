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

from sqlalchemy import ColumnElement, select, true, update

from ..errors import Forbidden
from ..extensions import db
from ..models import Platform, Reservation, Resource, User, utcnow
from .errors import BookingRefused, NotPending
from .reservations import finish_reservation
from .restrictions import (
    NO_SHOW_WINDOW,
    RestrictedForNoShows,
    active_restriction,
    after_no_show,
    check_not_restricted,
    lift_restriction,
    platform_restrictions,
    recent_no_shows,
)
from .text import _
from .timefmt import describe

__all__ = [
    "NO_SHOW_WINDOW", "SETTLE_HORIZON", "CheckInRefused", "RestrictedForNoShows", "active_restriction",
    "after_no_show", "can_check_in", "check_in", "check_not_restricted", "check_out", "checkin_window",
    "lift_restriction", "platform_restrictions", "recent_no_shows", "settle_attendance",
]

# The job looks this far back only: bookings older than that (made before check-in existed, or
# while no scheduler ran for longer) are left for staff to mark, never turned into no-shows at once.
SETTLE_HORIZON = timedelta(days=7)


class CheckInRefused(BookingRefused):
    reason = "check_in_window"


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
    now = now or utcnow()
    if reservation.user_id != user.id and not user.is_staff_of(reservation.resource.platform_id):
        raise Forbidden(_("This booking is not yours."))
    if reservation.status != "confirmed" or reservation.checked_in_at is None:
        raise NotPending(_("Check in first; only a booking in use can be checked out."))
    reservation.checked_out_at = max(now, reservation.checked_in_at)
    finish_reservation(reservation, "completed", user, now)
    return reservation


# --- the job --------------------------------------------------------------------------------------

def settle_attendance(now: datetime | None = None) -> dict[str, int]:
    """No-show for confirmed bookings not checked in by the end of the check-in window; completed
    for those checked in whose end has passed (bookings that ended within SETTLE_HORIZON). On a
    platform that does not check users in (`tracks_check_in` off) a booking whose end has passed is
    completed, never a no-show. Each row is claimed with a conditional UPDATE, so a check-in or a
    staff decision at the same moment wins cleanly."""
    now = now or utcnow()
    done = {"no_show": 0, "completed": 0}
    rows = db.session.execute(
        select(Reservation.id, Reservation.start, Reservation.end, Reservation.checked_in_at,
               Platform.checkin_after_minutes, Platform.tracks_check_in)
        .join(Resource, Resource.id == Reservation.resource_id).join(Platform, Platform.id == Resource.platform_id)
        .where(Reservation.status == "confirmed", Reservation.start < now, Reservation.end > now - SETTLE_HORIZON)
    ).all()
    for rid, start, end, checked_in_at, after, tracks in rows:
        condition: ColumnElement[bool]
        if not tracks:
            if end > now:
                continue
            outcome, condition = "completed", true()
        elif checked_in_at is None and start + timedelta(minutes=after or 0) < now:
            outcome, condition = "no_show", Reservation.checked_in_at.is_(None)
        elif checked_in_at is not None and end <= now:
            outcome, condition = "completed", Reservation.checked_in_at.isnot(None)
        else:
            continue
        claimed = db.session.execute(update(Reservation).where(
            Reservation.id == rid, Reservation.status == "confirmed", condition).values(updated_at=now)
            .execution_options(synchronize_session=False)).rowcount  # type: ignore[attr-defined]
        if not claimed:
            continue
        reservation = db.session.get_one(Reservation, rid)
        db.session.refresh(reservation)
        finish_reservation(reservation, outcome, None, now)
        done[outcome] += 1
    db.session.flush()
    return done
