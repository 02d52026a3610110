"""The waitlist: wait for a taken slot, hear when it is freed, book it like anyone else.

A user joins the waitlist of a time another booking holds. When that booking is cancelled,
rejected or expires, every waiting entry overlapping the freed time is mailed, in the order the
entries were made (one `waitlist.offered` event each, in that order: the notification outlet
queues their mails in the same transaction, and the dispatcher sends them oldest first), and marked
notified. Nothing is reserved for
them: the first to book gets the slot through the normal booking, and that user's entry becomes
fulfilled; the others get nothing more.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from ..errors import Forbidden, InvalidInput, NotFound
from ..extensions import db
from ..models import Reservation, Resource, User, WaitlistEntry, utcnow
from .checks import check_times, find_conflict
from .events import publish
from .text import _


def join_waitlist(user: User, resource: Resource, start: datetime, end: datetime, *,
                  now: datetime | None = None) -> WaitlistEntry:
    """Wait for [start, end) of `resource`; it must be taken by someone else now."""
    now = now or utcnow()
    check_times(start, end)
    if start <= now:
        raise InvalidInput(_("That time has already passed."), fields={"start": _("in the past")})
    if not resource.bookable or not resource.active:
        raise InvalidInput(_("This resource cannot be booked online."), fields={"resource_id": _("not bookable")})
    other = find_conflict(resource.id, start, end)
    if other is None:
        raise InvalidInput(_("That time is free: book it now instead."), fields={"start": _("free")})
    if other.user_id == user.id:
        raise InvalidInput(_("You already hold that time."), fields={"start": _("yours")})
    existing = db.session.scalars(select(WaitlistEntry).where(
        WaitlistEntry.user_id == user.id, WaitlistEntry.resource_id == resource.id,
        WaitlistEntry.start == start, WaitlistEntry.end == end, WaitlistEntry.status == "waiting")).first()
    if existing is not None:
        return existing
    entry = WaitlistEntry(resource_id=resource.id, user_id=user.id, start=start, end=end, status="waiting",
                          created_at=now)
    entry.resource, entry.user = resource, user
    db.session.add(entry)
    db.session.flush()
    return entry


def leave_waitlist(user: User, entry: WaitlistEntry) -> WaitlistEntry:
    if entry.user_id != user.id:
        raise Forbidden(_("This waitlist entry is not yours."))
    if entry.status in ("waiting", "notified"):
        entry.status = "cancelled"
    db.session.flush()
    return entry


def get_entry(user: User, entry_id: int) -> WaitlistEntry:
    entry = db.session.get(WaitlistEntry, entry_id)
    if entry is None or entry.user_id != user.id:
        raise NotFound(_("No such waitlist entry."))
    return entry


def my_entries(user: User, now: datetime | None = None) -> list[WaitlistEntry]:
    now = now or utcnow()
    return list(db.session.scalars(select(WaitlistEntry).where(
        WaitlistEntry.user_id == user.id, WaitlistEntry.status.in_(("waiting", "notified")), WaitlistEntry.end > now,
    ).order_by(WaitlistEntry.start, WaitlistEntry.id)))


def offer_freed_time(reservation: Reservation, now: datetime | None = None) -> list[WaitlistEntry]:
    """The time of `reservation` was freed: offer it to the waiting entries it overlaps, oldest
    first (each is told by mail: a `waitlist.offered` event)."""
    now = now or utcnow()
    entries = db.session.scalars(select(WaitlistEntry).where(
        WaitlistEntry.resource_id == reservation.resource_id, WaitlistEntry.status == "waiting",
        WaitlistEntry.start < reservation.block_end, WaitlistEntry.end > reservation.block_start,
        WaitlistEntry.start > now,
    ).order_by(WaitlistEntry.created_at, WaitlistEntry.id)).all()
    for entry in entries:
        entry.status, entry.notified_at = "notified", now
        publish("waitlist.offered", entry, None, now)
        db.session.flush()  # one at a time: mail ids (the dispatcher's order) follow the waitlist's
    return list(entries)


def fulfil(reservation: Reservation, now: datetime | None = None) -> None:
    """The booker's own entries overlapping their new booking are fulfilled."""
    for entry in db.session.scalars(select(WaitlistEntry).where(
            WaitlistEntry.user_id == reservation.user_id, WaitlistEntry.resource_id == reservation.resource_id,
            WaitlistEntry.status.in_(("waiting", "notified")),
            WaitlistEntry.start < reservation.end, WaitlistEntry.end > reservation.start)):
        entry.status, entry.reservation_id = "fulfilled", reservation.id
