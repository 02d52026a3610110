"""Quotas: at most N hours of bookings per user (or per organisation) and week or month.

A quota is a booking rule (booking.engine.rules: `quota_hours`, `quota_period`, `quota_scope`).
Where it is written decides what it counts: a resource's rule counts the bookings of that
resource, a platform's rule the bookings of every resource of the platform; both apply when both
are set. The period is the platform's local week (Monday 00:00) or month containing the booking's
start; a booking counts wholly in the period of its start. Counted: every booking that holds or
held time (pending, confirmed, completed, no-show), so finishing a booking early in the month does
not give its hours back. Staff of the platform (and admins) are exempt, also when they book for
someone.

Where a quota is set: staff on the resource's settings page and the platform's settings
(`set_quota`), the catalogue feed (resource `booking_rules`) and the platforms file. On import a
feed that states `quota_hours` (a number, or null for none) wins; one that says nothing keeps the
quota staff set (`carried_quota`).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select

from ..errors import Forbidden, InvalidInput
from ..extensions import db
from ..models import Platform, Reservation, Resource, User
from .calendars import zone
from .errors import BookingRefused
from .rules import QUOTA_HOURS_MAX, BookingRules, _apply, validate_rules
from .text import _

COUNTED_STATUSES = ("pending", "confirmed", "completed", "no_show")
QUOTA_KEYS = ("quota_hours", "quota_period", "quota_scope")
PERIODS = ("week", "month")
SCOPES = ("user", "organisation")


class QuotaExceeded(BookingRefused):
    """The booking would take more hours than the quota leaves (details: hours_left, period, scope)."""

    reason = "quota"
    field = "end"


@dataclass(frozen=True)
class Quota:
    hours: Decimal
    period: str  # week | month
    scope: str  # user | organisation
    resource_id: int | None  # None: every resource of the platform
    platform_id: int


def _quota_of(rules_data: Any, platform_id: int, resource_id: int | None) -> Quota | None:
    rules = _apply(BookingRules(), rules_data)
    if rules.quota_hours is None:
        return None
    return Quota(Decimal(str(rules.quota_hours)), rules.quota_period, rules.quota_scope, resource_id, platform_id)


def quotas_for(resource: Resource) -> list[Quota]:
    """The resource's own quota and its platform's, whichever are set."""
    found = [_quota_of(resource.booking_rules, resource.platform_id, resource.id),
             _quota_of(resource.platform.booking_rules, resource.platform_id, None)]
    return [q for q in found if q is not None]


def period_of(start: datetime, period: str, tz: str) -> tuple[datetime, datetime]:
    """The platform's local week (from Monday) or month containing `start`, as UTC instants."""
    local = start.astimezone(zone(tz)).date()
    if period == "week":
        first = local - timedelta(days=local.weekday())
        after = first + timedelta(days=7)
    else:
        first = local.replace(day=1)
        after = date(first.year + (first.month == 12), first.month % 12 + 1, 1)
    return (datetime.combine(first, time(0), tzinfo=zone(tz)).astimezone(UTC),
            datetime.combine(after, time(0), tzinfo=zone(tz)).astimezone(UTC))


def _hours(delta: timedelta) -> Decimal:
    return Decimal(int(delta.total_seconds() // 60)) / Decimal(60)


def hours_used(quota: Quota, user: User, start: datetime, tz: str, *, exclude_id: int | None = None) -> Decimal:
    """Hours already booked against `quota` by the user (or their organisation) in the period of `start`."""
    first, after = period_of(start, quota.period, tz)
    query = select(Reservation.start, Reservation.end).join(Resource, Resource.id == Reservation.resource_id).where(
        Reservation.status.in_(COUNTED_STATUSES), Reservation.start >= first, Reservation.start < after)
    if quota.resource_id is not None:
        query = query.where(Reservation.resource_id == quota.resource_id)
    else:
        query = query.where(Resource.platform_id == quota.platform_id)
    org = user.verified_organisation if quota.scope == "organisation" else None
    if org is not None:
        query = query.where(Reservation.user_id.in_(select(User.id).where(User.organisation_id == org.id)))
    else:
        query = query.where(Reservation.user_id == user.id)
    if exclude_id is not None:
        query = query.where(Reservation.id != exclude_id)
    return sum((_hours(end - begin) for begin, end in db.session.execute(query)), Decimal(0))


def hours_label(hours: Decimal) -> str:
    """3.5, 10, 0.25 — no trailing zeros."""
    text = f"{hours.quantize(Decimal('0.01')):f}".rstrip("0").rstrip(".")
    return text or "0"


def _message(quota: Quota, left: Decimal, organisation: bool) -> str:
    hours = hours_label(max(left, Decimal(0)))
    if quota.period == "week":
        if organisation:
            return _("Quota reached: your organisation has %(hours)s hours left this week.", hours=hours)
        return _("Quota reached: you have %(hours)s hours left this week.", hours=hours)
    if organisation:
        return _("Quota reached: your organisation has %(hours)s hours left this month.", hours=hours)
    return _("Quota reached: you have %(hours)s hours left this month.", hours=hours)


def check_quota(user: User, resource: Resource, start: datetime, end: datetime, *,
                exclude_id: int | None = None, exempt: bool = False) -> None:
    """Raise QuotaExceeded unless [start, end) fits every quota of `resource` for `user`.
    `exclude_id` leaves out a booking being moved; staff of the platform are exempt."""
    if exempt or user.is_staff_of(resource.platform_id):
        return
    tz = resource.platform.timezone
    wanted = _hours(end - start)
    for quota in quotas_for(resource):
        used = hours_used(quota, user, start, tz, exclude_id=exclude_id)
        left = quota.hours - used
        if wanted > left:
            organisation = quota.scope == "organisation" and user.verified_organisation is not None
            raise QuotaExceeded(_message(quota, left, organisation), hours_left=float(max(left, Decimal(0))),
                                quota_hours=float(quota.hours), period=quota.period,
                                scope="organisation" if organisation else "user")



@dataclass(frozen=True)
class QuotaSetting:
    """What a settings form shows: the hours (None: no quota), the period and who is counted."""

    hours: Decimal | None
    period: str = "month"
    scope: str = "user"


def quota_setting(rules_data: Any) -> QuotaSetting:
    """The quota written in one rules dict (a resource's or a platform's own, not inherited)."""
    rules = _apply(BookingRules(), rules_data)
    hours = Decimal(str(rules.quota_hours)) if rules.quota_hours is not None else None
    return QuotaSetting(hours, rules.quota_period, rules.quota_scope)


def parse_quota_hours(value: Any) -> Decimal | None:
    """"12", "3.5", "" → hours or None (no quota); InvalidInput with a message fit to show."""
    text = str(value if value is not None else "").strip().replace("，", ".").replace(",", ".")
    if not text:
        return None
    try:
        hours = Decimal(text)
    except InvalidOperation:
        hours = Decimal("NaN")
    if not hours.is_finite() or hours <= 0 or hours > QUOTA_HOURS_MAX or hours != hours.quantize(Decimal("0.01")):
        raise InvalidInput(_("Give the quota in hours, above 0 and at most %(high)s (e.g. 20 or 7.5), or leave it "
                             "empty for no quota.", high=QUOTA_HOURS_MAX),
                           fields={"quota_hours": _("hours above 0 and at most %(high)s", high=QUOTA_HOURS_MAX)})
    return hours


def set_quota(staff: User, target: Resource | Platform, hours: Any, period: str = "month",
              scope: str = "user") -> QuotaSetting:
    """Staff of the platform set (or, with empty hours, remove) the quota of a resource or of their
    whole platform; the other booking rules stay as they are. Only flushes."""
    platform_id = target.id if isinstance(target, Platform) else target.platform_id
    if not staff.is_staff_of(platform_id):
        raise Forbidden(_("Only staff of this platform may set its quotas."))
    amount = parse_quota_hours(hours)
    rules = {k: v for k, v in (target.booking_rules or {}).items() if k not in QUOTA_KEYS}
    if amount is not None:
        number = int(amount) if amount == amount.to_integral_value() else float(amount)
        rules.update(validate_rules({"quota_hours": number, "quota_period": period, "quota_scope": scope}))
    target.booking_rules = rules if (rules or isinstance(target, Platform)) else None  # a new dict: saved as changed
    db.session.flush()
    return quota_setting(target.booking_rules)


def carried_quota(new_rules: dict[str, Any] | None, old_rules: Any) -> dict[str, Any] | None:
    """A resource's rules after an import: the feed's, plus the quota staff set when the feed
    states none (a feed that gives `quota_hours`, even null, decides)."""
    if new_rules is not None and "quota_hours" in new_rules:
        return new_rules
    kept = {k: v for k, v in old_rules.items() if k in QUOTA_KEYS} if isinstance(old_rules, dict) else {}
    if not kept.get("quota_hours"):
        return new_rules
    return {**(new_rules or {}), **kept}
