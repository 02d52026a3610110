"""Readable references people can read out on the phone: OS-2026-000123 (a booking), OR-2026-000045
(a service order). The number is the row's id (zero-padded to six digits, longer when it grows);
the year is the year it was made, in the platform's time zone, so the reference never changes.
"""
from __future__ import annotations

import re
from datetime import datetime

from ..models import Order, Reservation, utcnow
from .calendars import zone

BOOKING_PREFIX = "OS"
ORDER_PREFIX = "OR"
_PATTERN = re.compile(r"^\s*(OS|OR)-(\d{4})-(\d{6,12})\s*$", re.IGNORECASE)


def _year(created_at: datetime | None, tz: str | None) -> int:
    if created_at is None:  # not flushed yet: made now
        created_at = utcnow()
    return created_at.astimezone(zone(tz or "Asia/Shanghai")).year


def format_reference(prefix: str, year: int, number: int) -> str:
    return f"{prefix}-{year:04d}-{number:06d}"


def reservation_reference(reservation: Reservation) -> str:
    """OS-<year made>-<id>: the booking's reference in pages, mails and invitations."""
    return format_reference(BOOKING_PREFIX, _year(reservation.created_at, reservation.resource.platform.timezone),
                            reservation.id)


def order_reference(order: Order) -> str:
    """OR-<year made>-<id>: a service order's reference."""
    return format_reference(ORDER_PREFIX, _year(order.created_at, order.platform.timezone), order.id)


def parse_reference(text: str) -> tuple[str, int, int] | None:
    """("OS" or "OR", year, id) of a reference as typed (any case, spaces around), else None."""
    match = _PATTERN.match(text or "")
    if match is None:
        return None
    return match.group(1).upper(), int(match.group(2)), int(match.group(3))
