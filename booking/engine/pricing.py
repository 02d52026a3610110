"""Prices: which rate a user pays for a resource, the fee estimate when booking, the actual fee.

Who pays what (membership of a *verified* organisation, never a typed name):
- internal rate: members of the verified organisation that owns the platform;
- startup rate: members of a verified `startup` or `sme` organisation; a resource without a
  startup rate charges them the external one;
- external rate: everyone else (unaffiliated or unverified users, staff, administrators).
Rates are `ResourceRate` rows per unit (hour, sample, day). A resource without rows charges its
feed price (price_amount / price_unit) to everyone: the feed price is the external rate.

One currency per resource (`currency_of`): its rates' currency once staff set rates, else its
feed price's, else CNY; every rate, estimate and fee of the resource is in it, and rates staff set
later are stored in it, so the fee box, the live estimate and the booking's summary never mix
currencies. Innovation vouchers pay CNY fees only (booking.engine.vouchers.vouchers_pay).

A booking is charged by the hour (the "hour" rate, else "day" per started day, else one
"sample"). The estimate is computed for the booked time and stored with the reservation; the
actual fee is computed at completion from the time used (check-in to check-out, else the booked
time), and staff may adjust it.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from ..errors import Forbidden, InvalidInput
from ..extensions import db
from ..models import RATE_UNITS, Reservation, Resource, ResourceRate, User
from .money import CENT, charged, money, parse_amount
from .text import _
from .vouchers import settle_voucher

__all__ = ["CENT", "Rate", "adjust_fee", "actual_fee", "charged", "currency_of", "estimate", "fee_for", "money", "parse_amount",
           "price_reservation", "rate_for", "rate_kind", "rates_of", "set_rate", "units_used"]
UNIT_PREFERENCE = ("hour", "day", "sample")
STARTUP_KINDS = ("startup", "sme")


@dataclass(frozen=True)
class Rate:
    kind: str  # internal | external | startup
    unit: str
    amount: Decimal
    currency: str

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "unit": self.unit, "amount": float(self.amount), "currency": self.currency}


def rate_kind(user: User | None, resource: Resource) -> str:
    """internal, startup or external, by who the user is (see the module's docstring); a visitor
    who is not logged in (None) sees the external rate."""
    org = user.verified_organisation if user is not None else None
    if org is None:
        return "external"
    if resource.platform.owner_org_id == org.id:
        return "internal"
    return "startup" if org.kind in STARTUP_KINDS else "external"


def rates_of(resource: Resource) -> dict[str, ResourceRate]:
    return {r.unit: r for r in db.session.scalars(select(ResourceRate).where(ResourceRate.resource_id == resource.id))}


def _currency(code: str | None) -> str:
    return (code or "CNY").strip().upper()[:3] or "CNY"


def currency_of(resource: Resource, rows: dict[str, ResourceRate] | None = None) -> str:
    """The resource's one currency: its rates' (the preferred unit's) once it has rates, else its
    feed price's, else CNY."""
    rows = rates_of(resource) if rows is None else rows
    for unit in (*UNIT_PREFERENCE, *sorted(rows)):
        if unit in rows:
            return _currency(rows[unit].currency)
    return _currency(resource.price_currency)


def rate_for(user: User | None, resource: Resource) -> Rate | None:
    """The rate `user` pays for booking `resource`, or None when it has no price at all."""
    kind = rate_kind(user, resource)
    rows = rates_of(resource)
    currency = currency_of(resource, rows)
    for unit in UNIT_PREFERENCE:
        row = rows.get(unit)
        if row is None:
            continue
        amount = {"internal": row.internal, "startup": row.startup}.get(kind)
        if amount is None:  # no special rate of that kind: the external one
            return Rate("external", unit, money(row.external), currency)
        return Rate(kind, unit, money(amount), currency)
    if resource.price_amount is not None:
        unit = resource.price_unit if resource.price_unit in RATE_UNITS else "sample"
        return Rate("external", unit, money(resource.price_amount), currency)
    return None


def units_used(unit: str, length: timedelta) -> Decimal:
    """How many units a booking of `length` uses: exact hours, started days, or one sample."""
    if unit == "hour":
        return Decimal(int(length.total_seconds() // 60)) / Decimal(60)
    if unit == "day":
        return Decimal(max(1, math.ceil(length.total_seconds() / 86400)))
    return Decimal(1)


def fee_for(rate: Rate, start: datetime, end: datetime) -> Decimal:
    return money(rate.amount * units_used(rate.unit, max(end - start, timedelta(0))))


def estimate(user: User | None, resource: Resource, start: datetime, end: datetime) -> tuple[Rate, Decimal] | None:
    """The rate and the fee estimate for booking [start, end), or None for a resource without a price."""
    rate = rate_for(user, resource)
    if rate is None:
        return None
    return rate, fee_for(rate, start, end)


def price_reservation(reservation: Reservation, user: User) -> None:
    """Store the rate and the fee estimate on a new reservation (flush left to the caller)."""
    found = estimate(user, reservation.resource, reservation.start, reservation.end)
    if found is None:
        return
    rate, fee = found
    reservation.rate_kind, reservation.fee_unit, reservation.fee_rate = rate.kind, rate.unit, rate.amount
    reservation.fee_currency, reservation.fee_estimate = rate.currency, fee


def actual_fee(reservation: Reservation) -> Decimal | None:
    """The fee for the time used: check-in to check-out when both are known, else the booked time."""
    if reservation.fee_rate is None or reservation.fee_unit is None:
        return None
    rate = Rate(reservation.rate_kind or "external", reservation.fee_unit, reservation.fee_rate,
                reservation.fee_currency or "CNY")
    if reservation.checked_in_at is not None and reservation.checked_out_at is not None:
        return fee_for(rate, reservation.checked_in_at, reservation.checked_out_at)
    return fee_for(rate, reservation.start, reservation.end)


def set_rate(staff: User, resource: Resource, unit: str, external: Any, internal: Any = None, startup: Any = None,
             currency: str | None = None) -> ResourceRate | None:
    """Staff set (or, with an empty external rate, remove) the rates of one unit of a resource, in
    the resource's one currency (`currency_of`); another currency is refused while the resource
    has rates in its own."""
    if not staff.is_staff_of(resource.platform_id):
        raise Forbidden(_("Only staff of this resource's platform may set its rates."))
    if unit not in RATE_UNITS:
        raise InvalidInput(_("Unknown unit."), fields={"unit": unit})
    rows = rates_of(resource)
    own = currency_of(resource, rows)
    wanted = _currency(currency) if currency else own
    if wanted != own and any(u != unit for u in rows):
        raise InvalidInput(_("This resource's rates are in %(currency)s: give every rate in it.", currency=own),
                           fields={"currency": own})
    row = rows.get(unit)
    ext = parse_amount(external, "external", required=False)
    if ext is None:
        if internal not in (None, "") or startup not in (None, ""):
            raise InvalidInput(_("Give the external rate first."), fields={"external": _("required")})
        if row is not None:
            db.session.delete(row)
            db.session.flush()
        return None
    if row is None:
        row = ResourceRate(resource_id=resource.id, unit=unit)
        db.session.add(row)
    row.external = ext
    row.internal = parse_amount(internal, "internal", required=False)
    row.startup = parse_amount(startup, "startup", required=False)
    row.currency = wanted
    db.session.flush()
    return row


def adjust_fee(staff: User, reservation: Reservation, amount: Any, *, now: datetime | None = None) -> Reservation:
    """Staff correct the actual fee of a completed (or no-show) booking; vouchers follow."""
    if not staff.is_staff_of(reservation.resource.platform_id):
        raise Forbidden(_("Only staff of this resource's platform may adjust its fees."))
    if reservation.status not in ("completed", "no_show"):
        raise InvalidInput(_("Only the fee of a finished booking can be adjusted."), fields={"fee": _("not finished")})
    reservation.fee_actual = parse_amount(amount, "fee")
    if reservation.fee_currency is None:
        reservation.fee_currency = "CNY"
    settle_voucher(reservation, staff, now=now)
    db.session.flush()
    return reservation
