"""Errors a report request can cause, each with a message fit to show."""
from __future__ import annotations

from ..errors import Forbidden, InvalidInput, NotFound


class BadPeriod(InvalidInput):
    """A period that cannot be read, or that ends before it starts (422)."""

    code = "bad_period"


class BadGrouping(InvalidInput):
    """A grouping other than resource, platform, city or service (422)."""

    code = "bad_group"


class UnknownFigure(InvalidInput):
    code = "unknown_figure"


class UnknownPlatform(NotFound):
    code = "unknown_platform"


class NotYourPlatform(Forbidden):
    """Staff asked for another platform's figures, or a user without a staff role asked at all (403)."""

    code = "not_your_platform"
