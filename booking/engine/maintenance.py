"""Maintenance windows and closures over bookings: what they would hit, and what happens to it.

Staff first see the pending and confirmed bookings a window would hit (`plan_maintenance`,
`plan_closure`: one resource, or every resource of the platform), then choose: cancel them and
tell the users, or keep them. Cancelling goes through the engine's own `cancel_reservation`, so
vouchers, fees, reminders and the waitlist follow as for any cancellation by staff; the booker's
cancellation mail then names the maintenance and the nearest alternatives (free slots of the same
length on the same resource, and the same type of resource at other platforms when search finds
one). Kept bookings stay as they are, and `maintenance_overlaps` lets every page that lists them
say that a window lies over them (nothing is hidden under the hatching).
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from ..accounts.access import require_staff_of
from ..errors import InvalidInput
from ..extensions import db
from ..models import (
    ACTIVE_STATUSES,
    Closure,
    Maintenance,
    Platform,
    Reservation,
    Resource,
    User,
    utcnow,
)
from .availability import find_free_slots
from .calendars import add_closure
from .calendars import add_maintenance as _add_window
from .events import publish
from .reservations import cancel_reservation
from .text import _
from .timefmt import local

#: The longest window staff may set in one go: beyond it a typo (a year too far) would close
#: a resource for good.
MAX_WINDOW = timedelta(days=366)
ALTERNATIVES = 3
ELSEWHERE = 3


@dataclass(frozen=True)
class Overlap:
    """A maintenance window or closure over a kept booking (what the pages warn about)."""

    kind: str  # maintenance | closure
    start: datetime
    end: datetime
    reason: str


def check_window(start: datetime, end: datetime) -> None:
    """Aware times, the end after the start, at most MAX_WINDOW long (InvalidInput otherwise)."""
    if not isinstance(start, datetime) or not isinstance(end, datetime):
        raise InvalidInput(_("Give the start and the end as date and time."), fields={"start": _("required")})
    if start.tzinfo is None or start.utcoffset() is None:
        raise InvalidInput(_("Times need a time zone offset, e.g. +08:00."), fields={"start": _("no offset")})
    if end.tzinfo is None or end.utcoffset() is None:
        raise InvalidInput(_("Times need a time zone offset, e.g. +08:00."), fields={"end": _("no offset")})
    if end <= start:
        raise InvalidInput(_("The end must come after the start."), fields={"end": _("after the start")})
    if end - start > MAX_WINDOW:
        raise InvalidInput(_("A window may last at most a year; add another one for longer."),
                           fields={"end": _("more than a year after the start")})


def _overlapping(start: datetime, end: datetime, *, resource_id: int | None = None,
                 platform_id: int | None = None) -> list[Reservation]:
    query = select(Reservation).where(Reservation.status.in_(ACTIVE_STATUSES), Reservation.start < end,
                                      Reservation.end > start)
    if resource_id is not None:
        query = query.where(Reservation.resource_id == resource_id)
    if platform_id is not None:
        query = query.join(Resource, Resource.id == Reservation.resource_id).where(Resource.platform_id == platform_id)
    return list(db.session.scalars(query.order_by(Reservation.start, Reservation.id)))


def plan_maintenance(actor: User, resource: Resource, start: datetime, end: datetime, reason: str = "") -> list[Reservation]:
    """The pending and confirmed bookings of `resource` that [start, end) would hit, earliest first.
    Only reads: staff see this list before they choose what happens to them."""
    require_staff_of(actor, resource.platform_id)
    check_window(start, end)
    _check_reason(reason)
    return _overlapping(start, end, resource_id=resource.id)


def plan_closure(actor: User, platform: Platform, start: datetime, end: datetime) -> list[Reservation]:
    """The pending and confirmed bookings of every resource of `platform` in [start, end)."""
    require_staff_of(actor, platform.id)
    check_window(start, end)
    return _overlapping(start, end, platform_id=platform.id)


def _check_reason(reason: str | None) -> str:
    reason = (reason or "").strip()
    if len(reason) > 300:
        raise InvalidInput(_("The reason is too long (300 characters at most)."), fields={"reason": _("too long")})
    return reason


def add_maintenance(actor: User, resource: Resource, start: datetime, end: datetime, reason: str,
                    cancel_affected: bool, *, now: datetime | None = None) -> tuple[Maintenance, list[int]]:
    """Take `resource` out of service for [start, end); returns the window and the ids of the
    bookings it hits. With `cancel_affected` each of them is cancelled by `actor` (the reason
    names the maintenance) and its booker is told, with the nearest alternatives; without, they
    are kept and the pages that show them warn of the window."""
    now = now or utcnow()
    affected = plan_maintenance(actor, resource, start, end, reason)
    reason = _check_reason(reason)
    window = _add_window(actor, resource, start, end, reason)
    if cancel_affected:
        what = {"kind": "maintenance", "reason": reason, "start": start.isoformat(), "end": end.isoformat()}
        note = (_("Maintenance of %(title)s: %(reason)s", title=resource.display_title(), reason=reason) if reason
                else _("Maintenance of %(title)s.", title=resource.display_title()))
        for reservation in affected:
            _cancel_and_tell(actor, reservation, note, what, now)
    return window, [r.id for r in affected]


def add_closure_over_bookings(actor: User, platform: Platform, start: datetime, end: datetime, title: str,
                              cancel_affected: bool, *, now: datetime | None = None) -> tuple[Closure, list[int]]:
    """Close the whole platform for [start, end), as `add_maintenance` does for one resource."""
    now = now or utcnow()
    affected = plan_closure(actor, platform, start, end)
    title = (title or "").strip()
    if not title:
        raise InvalidInput(_("Say what the closure is for."), fields={"title": _("required")})
    closure = add_closure(actor, platform, start, end, title)
    if cancel_affected:
        what = {"kind": "closure", "reason": closure.title, "start": start.isoformat(), "end": end.isoformat()}
        note = _("The platform is closed: %(title)s", title=closure.title)
        for reservation in affected:
            _cancel_and_tell(actor, reservation, note, what, now)
    return closure, [r.id for r in affected]


def _cancel_and_tell(actor: User, reservation: Reservation, note: str, what: dict[str, Any], now: datetime) -> None:
    """Cancel through the engine (vouchers, reminders, waitlist follow), then publish what the
    booker's mail must add: the window and the nearest alternatives (booking.notify.maintenance)."""
    cancel_reservation(actor, reservation, note, now=now)
    alternatives = [{"start": a.isoformat(), "end": b.isoformat()}
                    for a, b in alternatives_for(reservation.resource, reservation.start, reservation.end, now=now)]
    elsewhere = [{"resource_id": item.resource.id, "start": item.start.isoformat(), "end": item.end.isoformat()}
                 for item in _elsewhere(reservation, now)]
    publish("maintenance.cancelled", reservation, actor, now, window=what, alternatives=alternatives,
            elsewhere=elsewhere)
    db.session.flush()


def alternatives_for(resource: Resource, start: datetime, end: datetime, *, now: datetime,
                     count: int = ALTERNATIVES) -> list[tuple[datetime, datetime]]:
    """Up to `count` free slots of the same length as [start, end) on `resource`, the nearest to it
    first (two days before to a week after, within the booking horizon), listed in time order. A long
    free stretch offers its nearest slot and the ones beside it, not only one."""
    length = end - start
    options: set[datetime] = set()
    for s, e in find_free_slots(resource, start - timedelta(days=2), end + timedelta(days=7), now=now):
        s, e = s.astimezone(UTC), e.astimezone(UTC)  # arithmetic in UTC: a wall clock skips an hour at DST
        if e - s < length:
            continue
        nearest = min(max(start, s), e - length)
        options.update(b for b in (nearest - length, nearest, nearest + length) if s <= b and b + length <= e)
    chosen = sorted(sorted(options, key=lambda b: (abs(b - start), b))[:count])
    tz = resource.platform.timezone
    return [(local(b, tz), local(b + length, tz)) for b in chosen]


def _elsewhere(reservation: Reservation, now: datetime) -> list[Any]:
    """The same type of resource at other platforms, free for the cancelled time (when search can tell)."""
    from .equivalents import equivalents_elsewhere

    try:
        return equivalents_elsewhere(reservation.user, reservation.resource, reservation.start, reservation.end,
                                     limit=ELSEWHERE, now=now)
    except Exception:  # noqa: BLE001 — suggestions are a courtesy: the cancellation must not fail for them
        return []


# --- warnings over kept bookings ----------------------------------------------------------------

def maintenance_overlaps(reservations: Iterable[Any]) -> dict[int, list[Overlap]]:
    """For each active booking among `reservations` (lists of them are flattened) that a maintenance
    window of its resource or a closure of its platform overlaps: those windows. Two queries."""
    items: list[Reservation] = []
    for item in reservations:
        if isinstance(item, Reservation):
            items.append(item)
        elif isinstance(item, Iterable) and not isinstance(item, (str, bytes, dict)):
            items.extend(r for r in item if isinstance(r, Reservation))
    items = [r for r in items if r.status in ACTIVE_STATUSES]
    if not items:
        return {}
    lo, hi = min(r.start for r in items), max(r.end for r in items)
    resource_ids = {r.resource_id for r in items}
    windows = db.session.scalars(select(Maintenance).where(
        Maintenance.resource_id.in_(resource_ids), Maintenance.start < hi, Maintenance.end > lo)).all()
    platform_of = dict(db.session.execute(select(Resource.id, Resource.platform_id).where(
        Resource.id.in_(resource_ids))).tuples().all())
    closures = db.session.scalars(select(Closure).where(
        Closure.platform_id.in_(set(platform_of.values())), Closure.start < hi, Closure.end > lo)).all()
    found: dict[int, list[Overlap]] = {}
    for r in items:
        over = [Overlap("maintenance", w.start, w.end, w.reason) for w in windows
                if w.resource_id == r.resource_id and w.start < r.end and w.end > r.start]
        over += [Overlap("closure", c.start, c.end, c.title) for c in closures
                 if c.platform_id == platform_of.get(r.resource_id) and c.start < r.end and c.end > r.start]
        if over:
            found[r.id] = over
    return found
