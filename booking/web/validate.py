"""Record ids from outside, bounded to what every database can hold.

Ids are PostgreSQL `integer` columns (at most 2**31 - 1); SQLite holds 2**63 - 1. A larger number
from a URL, a JSON body or a query string used to reach the database and come back as an
OverflowError or `integer out of range`: a 500. Here it is refused before any query is made:
- in a URL path, by the `int` converter that booking.web installs (the route does not match: 404);
- in a body or a query string, by `valid_id` (422 `invalid`, or the caller's own 4xx, naming the field).
And text PostgreSQL cannot store (a NUL character) is found by `nul_in`, for booking.web's doorway.
"""
from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from werkzeug.routing import IntegerConverter, Map

from ..errors import DomainError, InvalidInput

#: The largest id: PostgreSQL's `integer`, the smaller of the two databases' limits.
MAX_ID = 2**31 - 1


class BoundedIntegerConverter(IntegerConverter):
    """Flask's `int` URL converter, capped at MAX_ID unless a rule asks for another `max`.

    A larger number does not match the rule, so `/api/v1/resources/2147483648` is a 404 like any
    other unknown id, on both databases, without a query. Only ASCII digits match (werkzeug's `\\d+`
    also takes other scripts' digits, which int() reads: /resources/᱄ was resource 4).
    """

    regex = r"[0-9]+"

    def __init__(self, map: Map, fixed_digits: int = 0, min: int | None = None, max: int | None = MAX_ID,
                 signed: bool = False) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def valid_id(value: Any, name: str, *, error: type[DomainError] = InvalidInput, text: bool = False) -> int:
    """`value` as a record id (a whole number from 1 to MAX_ID), else `error` naming the field.

    A JSON integer (never a bool, a float or a string); with `text`, the ASCII digits of a query-string value.
    """
    if text and isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 12:
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise error(_("%(name)s must be a whole number.", name=name), fields={name: _("a whole number")})
    if not 1 <= value <= MAX_ID:
        raise error(_("%(name)s is out of range.", name=name),
                    fields={name: _("a whole number from %(low)s to %(high)s", low=1, high=MAX_ID)})
    return value


def id_arg(value: str | None) -> int | None:
    """A query-string id if it is ASCII digits within the id range, else None (pages then show nothing
    chosen; `int("²")` and ids past the database's integer range never reach a query)."""
    if value and value.isascii() and value.isdigit() and len(value) <= 12 and 1 <= int(value) <= MAX_ID:
        return int(value)
    return None


def nul_in(value: Any) -> str | None:
    """Where decoded JSON holds a NUL character (a key or a string), as a field name; else None.

    Walks without recursion: the body may be nested as deep as the JSON decoder allowed."""
    stack: list[tuple[str, Any]] = [("body", value)]
    while stack:
        where, item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return where
        elif isinstance(item, dict):
            for key, child in item.items():
                name = str(key).replace("\x00", "")[:50]
                path = name if where == "body" else f"{where}.{name}"
                if "\x00" in str(key):
                    return path
                stack.append((path, child))
        elif isinstance(item, list):
            stack.extend((where, child) for child in item)
    return None
