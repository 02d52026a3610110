"""Booking rules (docs/contract.md §4): the resource's, else its platform's, else the defaults."""
from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import timedelta
from typing import Any

from ..errors import InvalidInput
from ..models import Resource
from .text import _


@dataclass(frozen=True)
class BookingRules:
    requires_approval: bool = False
    min_minutes: int = 30
    max_minutes: int = 480
    min_notice_minutes: int = 0
    max_advance_days: int = 180
    buffer_minutes: int = 0
    cancel_notice_minutes: int = 0
    # Quotas (booking.engine.quotas): at most `quota_hours` per user (or organisation) and period,
    # counted over the bookings of the resource (a resource's rule) or the platform (a platform's).
    quota_hours: float | None = None
    quota_period: str = "month"  # week | month, local to the platform
    quota_scope: str = "user"  # user | organisation


DEFAULT_RULES = BookingRules()
RULE_NAMES = tuple(f.name for f in fields(BookingRules))
_LIMITS = {  # sane bounds, so a typo in a feed cannot make a resource unbookable for years
    "min_minutes": (1, 60 * 24 * 31),
    "max_minutes": (1, 60 * 24 * 31),
    "min_notice_minutes": (0, 60 * 24 * 365),
    "max_advance_days": (1, 366 * 3),
    "buffer_minutes": (0, 60 * 24),
    "cancel_notice_minutes": (0, 60 * 24 * 365),
}
_CHOICES = {"quota_period": ("week", "month"), "quota_scope": ("user", "organisation")}
QUOTA_HOURS_MAX = 24 * 31
# No reservation's block (booking + buffer) can be longer than this: range queries use it as a bound.
MAX_BLOCK = timedelta(minutes=_LIMITS["max_minutes"][1] + _LIMITS["buffer_minutes"][1])


def _valid(name: str, value: Any) -> bool:
    if name == "requires_approval":
        return isinstance(value, bool)
    if name in _CHOICES:
        return value in _CHOICES[name]
    if name == "quota_hours":  # hours, halves allowed (3.5); null: no quota
        return value is None or (isinstance(value, (int, float)) and not isinstance(value, bool)
                                 and 0 < value <= QUOTA_HOURS_MAX)
    low, high = _LIMITS[name]
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _apply(rules: BookingRules, data: dict[str, Any] | None) -> BookingRules:
    """Lay the valid entries of a stored rules dict over `rules`; stored junk is ignored."""
    if not isinstance(data, dict):
        return rules
    changes = {k: v for k, v in data.items() if k in RULE_NAMES and _valid(k, v)}
    return replace(rules, **changes) if changes else rules


def effective_rules(resource: Resource) -> BookingRules:
    rules = _apply(_apply(DEFAULT_RULES, resource.platform.booking_rules), resource.booking_rules)
    if rules.min_minutes > rules.max_minutes:  # a resource's max under its platform's min
        rules = replace(rules, min_minutes=rules.max_minutes)
    return rules


def _rule_error(key: str) -> str:
    if key == "requires_approval":
        return _("true or false")
    if key == "quota_period":
        return _("week or month")
    if key == "quota_scope":
        return _("user or organisation")
    if key == "quota_hours":
        return _("a number of hours above 0 and at most %(high)s, or empty for no quota", high=QUOTA_HOURS_MAX)
    return _("a whole number from %(low)s to %(high)s", low=_LIMITS[key][0], high=_LIMITS[key][1])


def validate_rules(data: Any) -> dict[str, Any]:
    """Check rules typed by staff; InvalidInput names each bad field."""
    if not isinstance(data, dict):
        raise InvalidInput(_("Booking rules must be a JSON object."), fields={"booking_rules": "object"})
    errors: dict[str, str] = {}
    for key, value in data.items():
        if key not in RULE_NAMES:
            errors[key] = _("unknown rule")
        elif not _valid(key, value):
            errors[key] = _rule_error(key)
    if not errors and data.get("min_minutes", 0) > data.get("max_minutes", 10**9):
        errors["min_minutes"] = _("must not exceed max_minutes")
    if errors:
        raise InvalidInput(_("Some booking rules are not valid."), fields=errors)
    return dict(data)
