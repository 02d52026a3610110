"""Why a booking was refused: each error carries a message fit to show to the person booking."""
from __future__ import annotations

from typing import Any

from ..errors import Conflict, InvalidInput


class BookingRefused(InvalidInput):
    """A request that breaks a booking rule (422, with the field it concerns)."""

    reason = "refused"
    field = "start"

    def __init__(self, message: str, **details: Any) -> None:
        details.setdefault("fields", {self.field: message})
        details.setdefault("reason", self.reason)
        super().__init__(message, **details)


class NotBookable(BookingRefused):
    reason = "not_bookable"
    field = "resource_id"


class TooShort(BookingRefused):
    reason = "too_short"
    field = "end"


class TooLong(BookingRefused):
    reason = "too_long"
    field = "end"


class TooLateToBook(BookingRefused):
    """The start is in the past or inside the resource's minimum notice."""

    reason = "too_late_to_book"


class TooFarAhead(BookingRefused):
    reason = "too_far_ahead"


class OutsideOpeningHours(BookingRefused):
    reason = "outside_opening_hours"


class InvalidRecurrence(BookingRefused):
    reason = "invalid_recurrence"
    field = "recurrence"


class SlotTaken(Conflict):
    """Another active booking (with its buffer) holds part of the time: details name it."""

    reason = "taken"

    def __init__(self, message: str, **details: Any) -> None:
        details.setdefault("reason", self.reason)
        super().__init__(message, **details)


class Closed(SlotTaken):
    """The platform is closed (a public holiday or another closure)."""

    reason = "closed"


class UnderMaintenance(SlotTaken):
    reason = "maintenance"


class SeriesConflicts(Conflict):
    """Some occurrences of a recurring booking cannot be booked; details["occurrences"] lists them."""

    reason = "series_conflicts"


class TooLateToCancel(Conflict):
    reason = "too_late_to_cancel"


class NotPending(Conflict):
    reason = "not_pending"
