"""Money: amounts rounded to the cent, amounts read from input, amounts shown to people.

The lowest module of the money rules (pricing and vouchers both stand on it), and the one
formatter of an amount for people (pages and mail).
"""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from ..errors import InvalidInput
from ..models import Reservation
from .text import _

CENT = Decimal("0.01")


def money(value: Decimal | float | int) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def format_money(value: Decimal | float | int | None, currency: str | None = "CNY") -> str:
    """'¥1,800.50' for yuan, 'USD 1,800.50' otherwise, '-¥5.00' below zero, '' for no amount."""
    if value is None:
        return ""
    symbol = "¥" if (currency or "CNY") == "CNY" else f"{currency} "
    amount = Decimal(value)
    return f"{'-' if amount < 0 else ''}{symbol}{abs(amount):,.2f}"


def charged(reservation: Reservation) -> Decimal:
    """What the booking costs as things stand: the actual fee, else the estimate, else nothing."""
    if reservation.fee_actual is not None:
        return reservation.fee_actual
    return reservation.fee_estimate or Decimal("0")


def parse_amount(value: Any, field: str, *, required: bool = True) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise InvalidInput(_("Give an amount."), fields={field: _("required")})
        return None
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise InvalidInput(_("Not an amount: %(value)s", value=str(value)[:20]), fields={field: _("not an amount")}) from None
    if not amount.is_finite() or amount < 0 or amount >= Decimal("1e10"):
        raise InvalidInput(_("Amounts are between 0 and 9,999,999,999.99."), fields={field: _("out of range")})
    return money(amount)
