"""/platforms (the province's ranking by sharing performance) and /platforms/<code> (a platform's
public page: introduction, contacts, opening hours, resources, rating and headline figures).

Importing the package adds every route to `bp`, which booking.web registers.
"""
from __future__ import annotations

from . import pages  # noqa: F401  (the routes)
from .blueprint import bp

__all__ = ["bp"]
