"""Everything under /resources/<id>: the page (`page`, endpoint main.resource), booking from it
(`booking`, with the week panel in `booking_panel`), ordering a testing service (`order`), training
and the waitlist (`training`), and the comparison with equivalents elsewhere (`compare`).

Importing the package adds every route to `bp` (and the page to the main blueprint), which
booking.web registers.
"""
from __future__ import annotations

from . import booking, compare, label, order, page, training  # noqa: F401  (the routes)
from .blueprint import bp

__all__ = ["bp"]
