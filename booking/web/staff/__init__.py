"""Everything under /staff, one module per page: the calendar and approvals (`calendar`),
maintenance, closures, opening hours, training and qualifications, prices and settings, the
platform's orders and its unmet demand. Staff see their own platform; administrators any.

Importing the package adds every route to `bp`, which booking.web registers.
"""
from __future__ import annotations

from . import calendar, closures, demand, exports, hours, maintenance, orders, prices, reports, training  # noqa: F401  (the routes)
from .blueprint import bp

__all__ = ["bp"]
