"""Organisation pages: /organisation (mine: join, register, leave) and /organisations/<id> (members,
requests, invitations). The administrators' list, verification and merge are under /admin
(booking.web.admin.organisations).

Importing the package adds every route to `bp`, which booking.web registers.
"""
from __future__ import annotations

from . import mine, pages  # noqa: F401  (the routes)
from .blueprint import bp

__all__ = ["bp"]
