"""Links in mail, built when the mail is rendered (at dispatch), never by the code that queues it.

A queued mail holds a *link spec* (plain JSON) instead of a URL; `resolve` turns it into an
absolute URL under ONESTOP_BASE_URL, with the application's current routes:
- `{"booking": id, "staff": bool}`: where the recipient sees that booking;
- `{"endpoint": name, "values": {...}, "fallback": "/path", "fragment": "anchor"}`: a page.
Building a path needs an application context only (the scheduler process has no request).
"""
from __future__ import annotations

from typing import Any

from flask import current_app
from werkzeug.routing import BuildError

from .settings import setting

LinkSpec = dict[str, Any]


def absolute_url(path: str) -> str:
    return str(setting("ONESTOP_BASE_URL")).rstrip("/") + "/" + path.lstrip("/")


def path_for(endpoint: str, **values: Any) -> str | None:
    """The path of an endpoint, built without a request (None when nobody defined it yet)."""
    if endpoint not in current_app.view_functions:
        return None
    try:
        return current_app.url_map.bind("localhost").build(endpoint, values)
    except BuildError:
        return None


def page(endpoint: str, fallback: str, fragment: str = "", **values: Any) -> LinkSpec:
    """A link spec for a page of the site."""
    return {"endpoint": endpoint, "values": values, "fallback": fallback, "fragment": fragment}


def booking(reservation_id: int, for_staff: bool = False) -> LinkSpec:
    """A link spec for where the recipient sees a booking."""
    return {"booking": reservation_id, "staff": for_staff}


def booking_url(reservation_id: int, for_staff: bool = False) -> str:
    """The booking's own page when the site has one, else the list of the user's bookings (or
    the platform's staff page) at the booking's anchor."""
    specific = ["bookings.detail"] if not for_staff else ["staff.reservation", "bookings.detail"]
    for endpoint in specific:
        path = path_for(endpoint, reservation_id=reservation_id)
        if path:
            return absolute_url(path)
    if for_staff:
        return absolute_url(f"{path_for('staff.index') or '/staff'}#approvals")
    return absolute_url(f"{path_for('bookings.mine') or '/bookings'}#reservation-{reservation_id}")


def resolve(spec: LinkSpec) -> str:
    """The absolute URL a link spec stands for."""
    if "booking" in spec:
        return booking_url(int(spec["booking"]), bool(spec.get("staff")))
    path = path_for(str(spec["endpoint"]), **dict(spec.get("values") or {})) or str(spec.get("fallback") or "/")
    fragment = str(spec.get("fragment") or "")
    return absolute_url(path) + (f"#{fragment}" if fragment else "")
