"""Ratings (服务评价) of completed bookings and orders, and the staff's public answers.

Importing the package adds every route to `bp`, which booking.web registers.
"""
from __future__ import annotations

from . import pages  # noqa: F401  (the routes)
from .blueprint import bp

__all__ = ["bp"]
