"""Times as people and the API see them: in the platform's zone, with its offset."""
from __future__ import annotations

from datetime import datetime

from .calendars import zone


def local(value: datetime, tz: str) -> datetime:
    return value.astimezone(zone(tz))


def iso(value: datetime, tz: str) -> str:
    """ISO 8601 with the platform's offset, e.g. 2027-03-29T08:00:00+02:00."""
    return local(value, tz).isoformat()


def span_json(start: datetime, end: datetime, tz: str) -> dict[str, str]:
    return {"start": iso(start, tz), "end": iso(end, tz)}


def describe(start: datetime, end: datetime, tz: str) -> str:
    """'2027-03-29 08:00–10:00' (or both dates when the span crosses midnight), local time."""
    a, b = local(start, tz), local(end, tz)
    if a.date() == b.date():
        return f"{a:%Y-%m-%d %H:%M}–{b:%H:%M}"
    return f"{a:%Y-%m-%d %H:%M} – {b:%Y-%m-%d %H:%M}"


def duration_label(minutes: int) -> str:
    """A rule of `minutes` in its largest whole unit, in the visitor's language: 2880 → "2 days",
    90 → "90 minutes" (never "提前 2880 分钟")."""
    from flask_babel import ngettext

    n = int(minutes)
    if n >= 1440 and n % 1440 == 0:
        return ngettext("%(num)s day", "%(num)s days", n // 1440)
    if n >= 60 and n % 60 == 0:
        return ngettext("%(num)s hour", "%(num)s hours", n // 60)
    return ngettext("%(num)s minute", "%(num)s minutes", n)
