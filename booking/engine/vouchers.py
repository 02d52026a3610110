"""Innovation vouchers (科技创新券): an organisation's balance pays a share of its bookings' fees.

An administrator issues vouchers to a verified organisation (one account per organisation id);
its members spend them while they belong to it and it stays verified. A
booking may pay up to the platform's `voucher_cap_percent` of its fee estimate with them; the
share is held when booking, refunded when the booking is cancelled, rejected or expires, and
adjusted at completion to the cap of the actual fee (the surplus goes back; more is never taken).

Vouchers are yuan: they pay CNY fees only (`vouchers_pay`); asking them to pay a fee in another
currency is refused (VoucherCurrency), and the booking form does not offer them there.

The balance never goes negative, whatever the concurrency: every debit is one conditional
statement, `UPDATE voucher_account SET balance = balance - x WHERE id = … AND balance >= x`, and
its rowcount says whether it happened. On PostgreSQL the row lock makes a concurrent debit wait
and re-check the condition against the committed balance; on SQLite the booking already holds
the database's write lock (BEGIN IMMEDIATE). A CHECK (balance >= 0) backs both. Every movement is
a `VoucherEntry` written in the same transaction, so an account's entries add up to its balance.
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, update

from ..errors import Conflict, Forbidden, InvalidInput
from ..extensions import db
from ..models import Organisation, Reservation, User, VoucherAccount, VoucherEntry, utcnow
from .money import charged, money, parse_amount
from .text import _

ZERO = Decimal("0.00")


class VoucherShort(Conflict):
    """The organisation's balance cannot pay the voucher share asked for (409)."""

    reason = "voucher_balance"

    def __init__(self, message: str, **details: Any) -> None:
        details.setdefault("reason", self.reason)
        super().__init__(message, **details)


class VoucherCurrency(InvalidInput):
    """Vouchers asked to pay a fee that is not in yuan (422)."""

    reason = "voucher_currency"

    def __init__(self, currency: str) -> None:
        message = _("Innovation vouchers pay fees in yuan (CNY) only; this resource charges in %(currency)s.",
                    currency=currency)
        super().__init__(message, fields={"use_voucher": message}, reason=self.reason, currency=currency)


VOUCHER_CURRENCY = "CNY"


def vouchers_pay(currency: str | None) -> bool:
    """Whether vouchers may pay a fee in `currency` (None: the default, yuan)."""
    return (currency or VOUCHER_CURRENCY).upper() == VOUCHER_CURRENCY


def account_for(org: Organisation | None) -> VoucherAccount | None:
    if org is None:
        return None
    return db.session.scalars(select(VoucherAccount).where(VoucherAccount.organisation_id == org.id)).first()


def balance_of(org: Organisation | None) -> Decimal:
    """The current committed-or-own balance (read fresh, never from the session's cache)."""
    if org is None:
        return ZERO
    value = db.session.execute(
        select(VoucherAccount.balance).where(VoucherAccount.organisation_id == org.id)
        .execution_options(populate_existing=True)).scalar()
    return money(value) if value is not None else ZERO


def ledger_total(account: VoucherAccount) -> Decimal:
    total = db.session.scalar(select(func.coalesce(func.sum(VoucherEntry.amount), 0))
                              .where(VoucherEntry.account_id == account.id))
    return money(total or 0)


def _move(account_id: int, kind: str, amount: Decimal, *, reservation: Reservation | None, actor: User | None,
          note: str, now: datetime) -> bool:
    """Add `amount` (negative: take) to the balance and write its ledger row; False when a debit
    would make the balance negative (nothing is written then)."""
    statement = update(VoucherAccount).where(VoucherAccount.id == account_id)
    if amount < 0:
        statement = statement.where(VoucherAccount.balance >= -amount)
    done = db.session.execute(statement.values(balance=VoucherAccount.balance + amount)
                              .execution_options(synchronize_session=False)).rowcount  # type: ignore[attr-defined]
    if not done:
        return False
    db.session.add(VoucherEntry(account_id=account_id, kind=kind, amount=amount,
                                reservation_id=reservation.id if reservation is not None else None,
                                actor_id=actor.id if actor is not None else None, note=note[:2000], created_at=now))
    db.session.flush()
    return True


def issue_vouchers(admin: User | None, org: Organisation | None, amount: Any, note: str = "", *,
                   now: datetime | None = None) -> VoucherAccount:
    """An administrator (or the CLI, admin None) gives a verified organisation vouchers (a negative
    amount takes back unused ones)."""
    now = now or utcnow()
    if admin is not None and not admin.is_admin:
        raise Forbidden(_("Only administrators issue innovation vouchers."))
    if org is None:
        raise InvalidInput(_("Choose the organisation."), fields={"organisation": _("required")})
    if not org.verified:
        raise InvalidInput(_("%(org)s is not verified: verify it before granting vouchers.", org=org.name_zh),
                           fields={"organisation": _("not verified")})
    negative = isinstance(amount, str) and amount.strip().startswith("-")
    value = parse_amount(amount.strip().lstrip("-") if negative else amount, "amount")
    assert value is not None
    if value == 0:
        raise InvalidInput(_("Give an amount other than zero."), fields={"amount": _("zero")})
    account = account_for(org)
    if account is None:
        account = VoucherAccount(organisation_id=org.id, balance=ZERO, created_at=now)
        db.session.add(account)
        db.session.flush()
    if negative:
        if not _move(account.id, "adjust", -value, reservation=None, actor=admin, note=note or _("taken back"), now=now):
            raise VoucherShort(_("The balance is smaller than that."))
    else:
        _move(account.id, "issue", value, reservation=None, actor=admin, note=note, now=now)
    db.session.refresh(account)
    return account


def cap_for(reservation: Reservation, fee: Decimal | None = None) -> Decimal:
    """The most vouchers may pay of this booking: the platform's cap of its fee."""
    fee = reservation.fee_estimate if fee is None else fee
    if not fee:
        return ZERO
    percent = max(0, min(100, reservation.resource.platform.voucher_cap_percent or 0))
    return money(fee * percent / 100)


def hold_voucher(reservation: Reservation, user: User, amount: Decimal | None = None, *,
                 now: datetime | None = None) -> Decimal:
    """Pay part of a new booking's fee with the user's organisation's vouchers: `amount`, or as
    much as the cap and the balance allow. Raises VoucherShort when there is nothing to pay with
    or the balance cannot pay `amount`. Returns the share held."""
    now = now or utcnow()
    if not vouchers_pay(reservation.fee_currency):
        raise VoucherCurrency(str(reservation.fee_currency))
    cap = cap_for(reservation)
    if cap <= 0:
        raise VoucherShort(_("This booking has no fee that vouchers could pay."))
    org = user.verified_organisation
    account = account_for(org)
    if account is None:
        raise VoucherShort(_("Only members of a verified organisation holding innovation vouchers can pay with them."))
    balance = balance_of(org)
    share = min(cap, money(amount)) if amount is not None else min(cap, balance)
    if share <= 0:
        raise VoucherShort(_("Your organisation's innovation-voucher balance is used up."))
    if not _move(account.id, "hold", -share, reservation=reservation, actor=user,
                 note=_("booking %(id)s", id=reservation.id), now=now):
        raise VoucherShort(_("Your organisation's innovation-voucher balance (¥%(balance)s) cannot pay ¥%(share)s.",
                             balance=balance_of(org), share=share))
    reservation.voucher_amount = share
    return share


def release_voucher(reservation: Reservation, actor: User | None, *, now: datetime | None = None) -> Decimal:
    """Give a cancelled, rejected or expired booking's voucher share back."""
    held = reservation.voucher_amount or ZERO
    if held <= 0:
        return ZERO
    entry_account = _account_of_hold(reservation)
    if entry_account is None:
        return ZERO
    _move(entry_account, "refund", held, reservation=reservation, actor=actor,
          note=_("booking %(id)s %(status)s", id=reservation.id, status=reservation.status), now=now or utcnow())
    reservation.voucher_amount = ZERO
    return held


def settle_voucher(reservation: Reservation, actor: User | None, *, now: datetime | None = None) -> Decimal:
    """At completion (or a fee adjustment): keep at most the cap of the fee charged; refund the rest."""
    held = reservation.voucher_amount or ZERO
    if held <= 0:
        return ZERO
    due = min(held, cap_for(reservation, charged(reservation)))
    surplus = held - due
    account_id = _account_of_hold(reservation)
    if surplus > 0 and account_id is not None:
        _move(account_id, "adjust", surplus, reservation=reservation, actor=actor,
              note=_("booking %(id)s: fee %(fee)s", id=reservation.id, fee=charged(reservation)), now=now or utcnow())
        reservation.voucher_amount = due
    return surplus


def _account_of_hold(reservation: Reservation) -> int | None:
    """The account the booking's share came from (the user's organisation may have changed since)."""
    return db.session.scalar(select(VoucherEntry.account_id).where(
        VoucherEntry.reservation_id == reservation.id, VoucherEntry.kind == "hold").limit(1))


def ledger(account: VoucherAccount, limit: int = 200) -> list[VoucherEntry]:
    return list(db.session.scalars(select(VoucherEntry).where(VoucherEntry.account_id == account.id)
                                   .order_by(VoucherEntry.created_at.desc(), VoucherEntry.id.desc()).limit(limit)))


def accounts() -> list[VoucherAccount]:
    return list(db.session.scalars(select(VoucherAccount).join(Organisation).order_by(Organisation.name_zh)
                                   .execution_options(populate_existing=True)))
