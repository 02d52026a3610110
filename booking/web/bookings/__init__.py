"""/bookings (my bookings: cancel, check in and out, a calendar file of one) and /waitlist.
Booking itself happens on the resource's page (booking.web.resources.booking).

Importing the package adds every route to `bp`, which booking.web registers.
"""
from __future__ import annotations

from . import export, mine, page  # noqa: F401  (the routes)
from .blueprint import bp

__all__ = ["bp"]
