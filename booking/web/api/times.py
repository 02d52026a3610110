"""Times the API reads: ISO 8601 with an offset, within the years the engine plans for."""
from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from flask_babel import gettext as _

from ...engine.calendars import zone
from ...errors import InvalidInput
from .blueprint import BadQuery


def parse_instant(value: Any, name: str, tz: str | None = None, *, query: bool = False) -> datetime:
    """An ISO 8601 time with offset. In a query, a bare date (2027-03-08) means local midnight in
    `tz` when one is given. Raises BadQuery (query) or InvalidInput (body) naming the field."""
    error = BadQuery if query else InvalidInput
    if not isinstance(value, str) or not value.strip():
        raise error(_("%(name)s is required: an ISO 8601 time such as 2027-03-08T09:00:00+08:00.", name=name),
                    fields={name: _("required")})
    text = value.strip()
    try:
        if tz is not None and len(text) == 10:
            return datetime.combine(date.fromisoformat(text), time(0), tzinfo=zone(tz))
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise error(_("%(name)s is not an ISO 8601 time: %(value)s", name=name, value=text[:40]),
                    fields={name: _("not an ISO 8601 time")}) from None
    if parsed.tzinfo is None:
        raise error(_("%(name)s needs a time zone offset, e.g. 2027-03-08T09:00:00+08:00.", name=name),
                    fields={name: _("needs an offset")})
    if not 2000 <= parsed.year <= 2100:
        raise error(_("%(name)s is out of range.", name=name), fields={name: _("out of range")})
    return parsed


def body_times(start: Any, end: Any) -> tuple[datetime, datetime]:
    """`start` and `end` of a body, both checked before either is refused (422 naming each bad one)."""
    errors: dict[str, str] = {}
    times: dict[str, datetime] = {}
    for name, value in (("start", start), ("end", end)):
        try:
            times[name] = parse_instant(value, name)
        except InvalidInput as exc:
            errors.update(exc.details["fields"])
    if errors:
        raise InvalidInput(_("Give the start and end as ISO 8601 times with an offset."), fields=errors)
    return times["start"], times["end"]
