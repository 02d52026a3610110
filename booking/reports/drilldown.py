"""The bookings, orders and waitlist entries behind a figure, so a reviewer can check it.

Each figure's rows are chosen with the very conditions `figures` aggregates with (the same
`*_frame` joins and clauses), restricted to one group's key.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_

from ..engine.text import _
from ..extensions import db
from ..models import BookingEvent, Order, Reservation, WaitlistEntry, utcnow
from .errors import UnknownFigure
from .figures import (
    Frame,
    approval_frame,
    effective_clause,
    held_clause,
    internal_clause,
    make_frame,
    on_time_clause,
    order_frame,
    order_times,
    reservation_frame,
    waitlist_frame,
)
from .periods import Period
from .scope import Scope
from .sql import instant

RESERVATION_FIGURES = ("booked_hours", "bookings", "effective_hours", "internal_hours", "external_hours",
                       "no_shows", "due", "income_voucher", "users_served")
ORDER_FIGURES = ("orders_completed", "samples", "orders_on_time", "orders_promised", "turnaround_median_days")
MIXED_FIGURES = ("income_internal", "income_external")  # bookings and orders
FIGURES = RESERVATION_FIGURES + ORDER_FIGURES + MIXED_FIGURES + ("approvals", "waitlist_unfulfilled")


@dataclass(frozen=True)
class Behind:
    """One list behind a figure: what it holds (reservation, order, waitlist) and its query."""

    kind: str
    query: Select[Any]

    def rows(self, limit: int = 200, offset: int = 0) -> list[Any]:
        return list(db.session.scalars(self.query.limit(limit).offset(offset)))


def _reservations(frame: Frame, figure: str) -> Any:
    starts = frame.starts_in(Reservation.start)
    effective = effective_clause(frame)
    return {
        "booked_hours": held_clause(), "bookings": and_(held_clause(), starts),
        "effective_hours": effective, "users_served": effective,
        "internal_hours": and_(effective, internal_clause()), "external_hours": and_(effective, ~internal_clause()),
        "no_shows": and_(starts, Reservation.status == "no_show"),
        "due": and_(held_clause(), starts, Reservation.start < instant(frame.now)),
        "income_voucher": and_(held_clause(), starts, Reservation.voucher_amount > 0),
        "income_internal": and_(held_clause(), starts, internal_clause()),
        "income_external": and_(held_clause(), starts, ~internal_clause()),
    }[figure]


def figure_rows(scope: Scope, period: Period, figure: str, key: Any = None, group: str = "service", *,
                now: datetime | None = None) -> list[Behind]:
    """The lists behind `figure` for the group `key` (None: the whole scope), newest first.

    The scope comes from `scope.report_scope(user, code)`, which enforces who may read what."""
    if figure not in FIGURES:
        raise UnknownFigure(_("Unknown figure %(name)s.", name=figure), fields={"figure": figure})
    frame = make_frame(scope, period, group, now or utcnow())

    def of_group(query: Any) -> Any:
        return query if key is None or group == "service" else query.where(frame.key() == key)

    found = []
    if figure in RESERVATION_FIGURES or figure in MIXED_FIGURES:
        query = reservation_frame(frame, Reservation).where(_reservations(frame, figure))
        found.append(Behind("reservation", of_group(query).order_by(Reservation.start.desc(), Reservation.id)))
    if figure in ORDER_FIGURES or figure in MIXED_FIGURES:
        times = order_times(frame)
        query = order_frame(frame, times, Order)
        if figure in ("income_internal", "income_external"):
            query = query.where(internal_clause() if figure == "income_internal" else ~internal_clause())
        elif figure in ("orders_on_time", "orders_promised"):
            query = query.where(Order.promised_date.isnot(None))
            if figure == "orders_on_time":
                query = query.where(on_time_clause(frame, times))
        found.append(Behind("order", of_group(query).order_by(times.c.completed_at.desc(), Order.id)))
    if figure == "approvals":
        query = approval_frame(frame, Reservation)
        found.append(Behind("reservation", of_group(query).order_by(BookingEvent.at.desc(), Reservation.id)))
    if figure == "waitlist_unfulfilled":
        query = waitlist_frame(frame, WaitlistEntry)
        found.append(Behind("waitlist", of_group(query).order_by(WaitlistEntry.start.desc(), WaitlistEntry.id)))
    return found
