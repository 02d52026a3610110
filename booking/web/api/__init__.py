"""The JSON API, /api/v1 (docs/contract.md §5): one flask-smorest blueprint whose marshmallow schemas
validate requests, shape answers and make /api/v1/openapi.json.

    blueprint.py     the blueprint, the caller (bearer token or session), the error envelope
    schemas.py       request and answer shapes (money, errors, resources, reservations, orders, …)
    times.py         ISO 8601 times with an offset, read from bodies and queries
    lists.py         list pages (page, per_page, X-Total-Count)
    resources.py     one resource, its availability, calendar and training requests
    search.py        the catalogue search
    reservations.py  book, list, cancel, approve, reject, check in/out, waitlist
    orders.py        testing-service orders and their files
    account.py       tokens and /me
    openapi.py       the generated description and registration on the app
"""
from __future__ import annotations

from . import account, orders, reports, reservations, resources, search
from .blueprint import api_user, bp
from .openapi import register_api

__all__ = ["account", "api_user", "bp", "orders", "register_api", "reports", "reservations", "resources", "search"]
