"""Calendars: weekly opening hours in local wall-clock time, closures and maintenance windows.

Opening hours look like {"mon": [["08:30", "12:00"], ["13:30", "17:30"]], ...}; a day that is
missing or [] is closed. A resource's own hours win; without them the platform's apply; with
neither, the resource is bookable at any hour. An end of "24:00" (or "23:59", as feeds write it)
means midnight, so round-the-clock days join up.
"""
from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from ..accounts.access import require_staff_of
from ..errors import InvalidInput
from ..extensions import db
from ..models import Closure, Maintenance, Platform, Resource, User
from ..searching.outbox import enqueue
from .intervals import Interval, merge
from .text import _

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
HOLIDAY_DIR = Path(__file__).parent / "holidays"
_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$|^24:00$")

Span = tuple[time, time | None]  # None end = midnight at the end of the day


@lru_cache(maxsize=64)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def _parse_span(span: Any) -> Span | None:
    if not (isinstance(span, (list, tuple)) and len(span) == 2 and all(isinstance(x, str) for x in span)):
        return None
    a, b = span
    if not (_HHMM.match(a) and _HHMM.match(b)) or a == "24:00":
        return None
    start = time.fromisoformat(a)
    end = None if b in ("24:00", "23:59") else time.fromisoformat(b)
    if end is not None and end <= start:
        return None
    return start, end


def parse_hours(hours: Any) -> tuple[tuple[Span, ...], ...] | None:
    """Weekly hours as seven tuples of spans (Monday first); None means open at any hour.
    Malformed spans from a feed are dropped rather than failing the whole calendar."""
    if not isinstance(hours, dict):
        return None
    week = []
    for day in WEEKDAYS:
        spans = [s for s in (_parse_span(x) for x in (hours.get(day) or [])) if s is not None]
        week.append(tuple(sorted(spans, key=lambda s: s[0])))
    return tuple(week)


def validate_hours(hours: Any) -> dict[str, list[list[str]]] | None:
    """Check opening hours typed by staff; InvalidInput names each bad day."""
    if hours is None:
        return None
    if not isinstance(hours, dict):
        raise InvalidInput(_("Opening hours must map weekdays to lists of [from, to] times."),
                           fields={"opening_hours": "object"})
    errors: dict[str, str] = {}
    clean: dict[str, list[list[str]]] = {}
    for key, spans in hours.items():
        if key not in WEEKDAYS:
            errors[key] = _("unknown weekday")
            continue
        if not isinstance(spans, list) or any(_parse_span(s) is None for s in spans):
            errors[key] = _("use times like 08:30–12:00, each ending after it starts")
            continue
        clean[key] = [list(s) for s in spans]
    if errors:
        raise InvalidInput(_("Some opening hours are not valid."), fields=errors)
    return clean


def format_hours_line(spans: list[list[str]] | None) -> str:
    return ", ".join(f"{a}-{b}" for a, b in spans or [])


def parse_hours_line(day: str, text: str) -> list[list[str]]:
    """'08:30-12:00, 13:30-17:30' → [["08:30","12:00"], ["13:30","17:30"]] (staff form input)."""
    spans = []
    for part in filter(None, (p.strip() for p in text.replace("，", ",").split(","))):
        bits = [b.strip() for b in re.split(r"[-–~]", part)]
        if len(bits) != 2 or _parse_span(bits) is None:
            raise InvalidInput(_("Write hours like 08:30-12:00, 13:30-17:30."), fields={day: part})
        spans.append(bits)
    return spans


def effective_opening_hours(resource: Resource) -> dict[str, Any] | None:
    if resource.opening_hours is not None:
        return resource.opening_hours
    return resource.platform.opening_hours


def opening_intervals(hours: Any, tz: str, start: datetime, end: datetime) -> list[Interval]:
    """The open intervals (UTC) of weekly `hours` in zone `tz` that meet [start, end), merged.

    Local wall-clock times are placed on each calendar day with zoneinfo, so a day on which
    daylight saving starts or ends keeps its local hours (and is an hour shorter or longer)."""
    week = parse_hours(hours)
    if week is None:
        return [(start, end)]
    zone_ = zone(tz)
    first = start.astimezone(zone_).date() - timedelta(days=1)
    last = end.astimezone(zone_).date() + timedelta(days=1)
    found: list[Interval] = []
    day = first
    while day <= last:
        for open_at, close_at in week[day.weekday()]:
            s = datetime.combine(day, open_at, tzinfo=zone_).astimezone(UTC)
            if close_at is None:
                e = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone_).astimezone(UTC)
            else:
                e = datetime.combine(day, close_at, tzinfo=zone_).astimezone(UTC)
            if s < end and e > start:
                found.append((s, e))
        day += timedelta(days=1)
    return merge(found)


def resource_opening_intervals(resource: Resource, start: datetime, end: datetime) -> list[Interval]:
    return opening_intervals(effective_opening_hours(resource), resource.platform.timezone, start, end)


# --- closures and maintenance windows (staff) -------------------------------------------------

def _check_span(start: datetime, end: datetime) -> None:
    if start.tzinfo is None or end.tzinfo is None:
        raise InvalidInput(_("Times need a time zone."), fields={"start": "offset"})
    if end <= start:
        raise InvalidInput(_("The end must come after the start."), fields={"end": _("after the start")})


def add_closure(user: User, platform: Platform, start: datetime, end: datetime, title: str,
                source: str = "manual") -> Closure:
    require_staff_of(user, platform.id)
    _check_span(start, end)
    closure = Closure(platform_id=platform.id, start=start, end=end, title=title.strip()[:200], source=source)
    db.session.add(closure)
    db.session.flush()
    return closure


def delete_closure(user: User, closure: Closure) -> None:
    require_staff_of(user, closure.platform_id)
    db.session.delete(closure)
    db.session.flush()


def holiday_file(name: str) -> Path:
    if not re.fullmatch(r"[a-z]{2}-\d{4}", name):
        raise InvalidInput(_("Unknown holiday calendar."), fields={"calendar": name})
    path = HOLIDAY_DIR / f"{name}.json"
    if not path.exists():
        raise InvalidInput(_("Unknown holiday calendar."), fields={"calendar": name})
    return path


def available_holiday_calendars() -> list[str]:
    return sorted(p.stem for p in HOLIDAY_DIR.glob("*.json"))


def load_holidays(user: User, platform: Platform, name: str = "cn-2027") -> list[Closure]:
    """Add the public holidays of a shipped calendar as closures of `platform` (local whole days).
    Loading twice changes nothing: days already loaded from the same calendar are skipped."""
    require_staff_of(user, platform.id)
    data = json.loads(holiday_file(name).read_text(encoding="utf-8"))
    source = f"holidays:{name}"
    existing = {(c.start, c.end) for c in db.session.scalars(
        select(Closure).where(Closure.platform_id == platform.id, Closure.source == source))}
    zone_ = zone(platform.timezone)
    added = []
    for holiday in data["holidays"]:
        first, last = date.fromisoformat(holiday["start"]), date.fromisoformat(holiday["end"])
        start = datetime.combine(first, time(0), tzinfo=zone_).astimezone(UTC)
        end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=zone_).astimezone(UTC)
        if (start, end) in existing:
            continue
        title = f"{holiday['name_zh']} / {holiday['name_en']}"
        added.append(add_closure(user, platform, start, end, title, source=source))
    return added


def add_maintenance(user: User, resource: Resource, start: datetime, end: datetime, reason: str = "") -> Maintenance:
    require_staff_of(user, resource.platform_id)
    _check_span(start, end)
    window = Maintenance(resource_id=resource.id, start=start, end=end, reason=reason.strip()[:300],
                         created_by_id=user.id)
    db.session.add(window)
    db.session.flush()
    return window


def delete_maintenance(user: User, window: Maintenance) -> None:
    require_staff_of(user, window.resource.platform_id)
    db.session.delete(window)
    db.session.flush()


def set_opening_hours(user: User, target: Platform | Resource, hours: Any) -> None:
    """Staff set the weekly hours of their platform (the default) or of one resource (None: inherit)."""
    platform_id = target.id if isinstance(target, Platform) else target.platform_id
    require_staff_of(user, platform_id)
    target.opening_hours = validate_hours(hours)
    if isinstance(target, Resource):
        enqueue([target.id])  # opening hours are part of the search document
    db.session.flush()
