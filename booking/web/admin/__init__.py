"""Everything under /admin, one module per page: the overview and platforms, accounts,
organisations, innovation vouchers, the mail outbox and its failures, unmet demand.

Importing the package adds every route to `bp`, which booking.web registers.
"""
from __future__ import annotations

from . import demand, mail, organisations, platforms, reports, users, vouchers  # noqa: F401  (the routes)
from .blueprint import bp

__all__ = ["bp"]
