"""/orders: my orders and one order's page with its steps and files. Ordering happens on the
resource's page (booking.web.resources.order); the platform's list is /staff/orders.

Importing the package adds every route to `bp`, which booking.web registers.
"""
from __future__ import annotations

from . import pages  # noqa: F401  (the routes)
from .blueprint import bp

__all__ = ["bp"]
