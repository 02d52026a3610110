"""Accounts on the site: logging in and out, registering, confirming the address and resetting the
password (`auth`), and /account with its reminder settings (`page`, `reminders`). Endpoints are
`auth.*`, as the links in mail name them.

Importing the package adds every route to `bp`, which booking.web registers.
"""
from __future__ import annotations

from . import auth, page, reminders  # noqa: F401  (the routes)
from .blueprint import bp

__all__ = ["bp"]
