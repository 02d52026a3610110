"""Ratings (服务评价): after a completed booking or testing order its user gives 1–5 stars and a
short comment, once, and may change them for 14 days; the platform's staff answer publicly.

Plain functions taking the acting user (the pages, the API and the jobs call the same ones); they
flush, never commit. Mistakes are domain errors with a message fit to show: not yours (403), not
completed or the edit window over (409), stars or comment out of bounds (422, by field).
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from ..errors import Conflict, Forbidden, InvalidInput
from ..extensions import db
from ..models import Order, OrderEvent, Rating, Reservation, User, utcnow
from .text import _

EDIT_WINDOW = timedelta(days=14)
MAX_COMMENT = 1000
MAX_ANSWER = 2000
MAX_LIST = 200
STARS = (1, 2, 3, 4, 5)


class NotYoursToRate(Forbidden):
    reason = "not_yours"


class NotCompleted(Conflict):
    reason = "not_completed"


class EditWindowOver(Conflict):
    reason = "edit_window_over"


class NotStaffOfPlatform(Forbidden):
    reason = "not_staff"


@dataclass(frozen=True)
class RatingSummary:
    """The average stars (2 decimals; None when nobody rated) and how many ratings."""

    average: float | None
    count: int


# --- rating -----------------------------------------------------------------------------------------

def editable_until(rating: Rating) -> datetime:
    return rating.created_at + EDIT_WINDOW


def can_edit(rating: Rating, now: datetime | None = None) -> bool:
    return (now or utcnow()) < editable_until(rating)


def check_may_rate_reservation(user: User, reservation: Reservation) -> None:
    """Raise unless `user` may rate (or re-rate) this booking: theirs, and completed."""
    if reservation.user_id != user.id:
        raise NotYoursToRate(_("Only the person who made this booking can rate it."))
    if reservation.status != "completed":
        raise NotCompleted(_("A booking can be rated once it is completed."))


def check_may_rate_order(user: User, order: Order) -> None:
    """Raise unless `user` may rate (or re-rate) this order: theirs, and completed."""
    if order.user_id != user.id:
        raise NotYoursToRate(_("Only the person who placed this order can rate it."))
    if order.status != "completed":
        raise NotCompleted(_("An order can be rated once it is completed."))


def _clean(stars: Any, comment: str | None) -> tuple[int, str]:
    fields: dict[str, str] = {}
    try:
        value = int(stars)
    except (TypeError, ValueError):
        value = 0
    if isinstance(stars, bool) or value not in STARS:
        fields["stars"] = _("Choose 1 to 5 stars.")
    text = (comment or "").strip()
    if len(text) > MAX_COMMENT:
        fields["comment"] = _("Keep the comment to %(n)s characters.", n=MAX_COMMENT)
    elif "\x00" in text:
        fields["comment"] = _("Contains a character that is not allowed.")
    if fields:
        raise InvalidInput(next(iter(fields.values())), fields=fields)
    return value, text


def _save(user: User, existing: Rating | None, make: Any, stars: Any, comment: str | None,
          now: datetime) -> Rating:
    value, text = _clean(stars, comment)
    if existing is not None:
        if existing.user_id != user.id:  # the subject changed hands: never edit someone else's words
            raise NotYoursToRate(_("This rating is someone else's."))
        if not can_edit(existing, now):
            raise EditWindowOver(_("A rating can be changed for %(days)s days after it was given; this one is final.",
                                   days=EDIT_WINDOW.days))
        existing.stars, existing.comment, existing.updated_at = value, text, now
        db.session.flush()
        return existing
    rating = make()
    rating.user_id, rating.stars, rating.comment = user.id, value, text
    rating.created_at = rating.updated_at = now
    try:
        with db.session.begin_nested():  # a second tab that rated a moment earlier: unique, not a 500
            db.session.add(rating)
    except IntegrityError:
        raise Conflict(_("You have just rated this; reload the page to change your rating.")) from None
    return rating


def rate_reservation(user: User, reservation: Reservation, stars: Any, comment: str | None, *,
                     now: datetime | None = None) -> Rating:
    """Give or change the rating of a completed booking (the booker only; changes for 14 days)."""
    now = now or utcnow()
    check_may_rate_reservation(user, reservation)
    existing = rating_of_reservation(reservation.id)

    def make() -> Rating:
        return Rating(reservation_id=reservation.id, resource_id=reservation.resource_id,
                      platform_id=reservation.resource.platform_id, served_at=reservation.start)

    return _save(user, existing, make, stars, comment, now)


def order_completed_at(order: Order) -> datetime:
    """When the order was completed (its last "completed" step; else its last change)."""
    at = db.session.scalar(select(func.max(OrderEvent.at)).where(OrderEvent.order_id == order.id,
                                                                 OrderEvent.to_status == "completed"))
    return at or order.updated_at


def rate_order(user: User, order: Order, stars: Any, comment: str | None, *, now: datetime | None = None) -> Rating:
    """Give or change the rating of a completed testing order (the orderer only; changes for 14 days)."""
    now = now or utcnow()
    check_may_rate_order(user, order)
    existing = rating_of_order(order.id)

    def make() -> Rating:
        return Rating(order_id=order.id, resource_id=order.resource_id, platform_id=order.platform_id,
                      served_at=order_completed_at(order))

    return _save(user, existing, make, stars, comment, now)


def answer_rating(staff_user: User, rating: Rating, text: str | None, *, now: datetime | None = None) -> Rating:
    """The platform's public answer to a rating: one, which its staff (or an admin) may rewrite;
    an empty text takes the answer back."""
    if not staff_user.is_staff_of(rating.platform_id):
        raise NotStaffOfPlatform(_("Only staff of this platform may answer its ratings."))
    answer = (text or "").strip()
    if len(answer) > MAX_ANSWER:
        message = _("Keep the answer to %(n)s characters.", n=MAX_ANSWER)
        raise InvalidInput(message, fields={"answer": message})
    if "\x00" in answer:
        message = _("Contains a character that is not allowed.")
        raise InvalidInput(message, fields={"answer": message})
    rating.answer = answer
    rating.answered_by_id = staff_user.id if answer else None
    rating.answered_at = (now or utcnow()) if answer else None
    db.session.flush()
    return rating


# --- reading ----------------------------------------------------------------------------------------

def rating_of_reservation(reservation_id: int) -> Rating | None:
    return db.session.scalar(select(Rating).where(Rating.reservation_id == reservation_id))


def rating_of_order(order_id: int) -> Rating | None:
    return db.session.scalar(select(Rating).where(Rating.order_id == order_id))


def _summary(average: Any, count: Any) -> RatingSummary:
    n = int(count or 0)
    return RatingSummary(round(float(average), 2) if n and average is not None else None, n)


def resource_rating(resource_id: int) -> RatingSummary:
    """Average stars and count of a resource's ratings."""
    row = db.session.execute(select(func.avg(Rating.stars), func.count(Rating.id))
                             .where(Rating.resource_id == resource_id)).one()
    return _summary(*row)


def platform_rating(platform_id: int) -> RatingSummary:
    """Average stars and count of all ratings of a platform's bookings and orders."""
    row = db.session.execute(select(func.avg(Rating.stars), func.count(Rating.id))
                             .where(Rating.platform_id == platform_id)).one()
    return _summary(*row)


def platform_ratings(platform_ids: Iterable[int] | None = None) -> dict[int, RatingSummary]:
    """{platform id: summary} for many platforms in one query (a list or ranking page); platforms
    nobody rated are absent. None: every platform."""
    query = select(Rating.platform_id, func.avg(Rating.stars), func.count(Rating.id)).group_by(Rating.platform_id)
    if platform_ids is not None:
        ids = list(platform_ids)
        if not ids:
            return {}
        query = query.where(Rating.platform_id.in_(ids))
    return {pid: _summary(avg, n) for pid, avg, n in db.session.execute(query)}


def recent_ratings(resource_id: int | None = None, platform_id: int | None = None, limit: int = 20, *,
                   unanswered: bool = False) -> list[Rating]:
    """The latest ratings of a resource or a platform (or of the whole service), newest first,
    with their raters, resources and answers loaded."""
    limit = max(1, min(int(limit), MAX_LIST))
    query = (select(Rating).options(selectinload(Rating.user), selectinload(Rating.resource),
                                    selectinload(Rating.answered_by))
             .order_by(Rating.created_at.desc(), Rating.id.desc()).limit(limit))
    if resource_id is not None:
        query = query.where(Rating.resource_id == resource_id)
    if platform_id is not None:
        query = query.where(Rating.platform_id == platform_id)
    if unanswered:
        query = query.where(Rating.answered_at.is_(None))
    return list(db.session.scalars(query))


def ratings_by_user(user: User) -> tuple[dict[int, Rating], dict[int, Rating]]:
    """The user's ratings keyed by reservation id and by order id (for their lists: one query)."""
    by_reservation: dict[int, Rating] = {}
    by_order: dict[int, Rating] = {}
    for rating in db.session.scalars(select(Rating).where(Rating.user_id == user.id)):
        if rating.reservation_id is not None:
            by_reservation[rating.reservation_id] = rating
        if rating.order_id is not None:
            by_order[rating.order_id] = rating
    return by_reservation, by_order


def rater_label(rating: Rating) -> str:
    """What a public page shows of who rated: the first character of their name (or address)
    and stars, never the whole name or address."""
    user = rating.user
    source = (user.name or user.email or "?").strip() if user is not None else "?"
    return (source[:1] or "?") + "**"


__all__ = [
    "EDIT_WINDOW", "MAX_ANSWER", "MAX_COMMENT", "STARS", "EditWindowOver", "NotCompleted", "NotStaffOfPlatform",
    "NotYoursToRate", "RatingSummary", "answer_rating", "can_edit", "check_may_rate_order",
    "check_may_rate_reservation", "editable_until", "order_completed_at", "platform_rating", "platform_ratings",
    "rate_order", "rate_reservation", "rater_label", "rating_of_order", "rating_of_reservation", "ratings_by_user",
    "recent_ratings", "resource_rating",
]
