"""Services around a booking: training and qualifications, rates, innovation vouchers, the
waitlist, and booking restrictions after repeated no-shows.

- A resource with `requires_training` can be booked only by holders of an unrevoked, unexpired
  `Qualification` for it (granted by staff of its platform); users ask for one with a
  `TrainingRequest`, which staff see in a queue.
- `ResourceRate`: one row per resource and unit, with the internal (the platform's own
  organisation), external and startup amounts. Without rows the feed price is the external rate.
- `VoucherAccount`: an organisation's innovation-voucher (科技创新券) balance, never negative (a
  CHECK constraint, and every debit is a conditional UPDATE); `VoucherEntry`: the ledger, one row
  per movement, signed, so the entries of an account always add up to its balance.
- `WaitlistEntry`: someone waiting for a taken slot; mailed in order when it is freed.
- `BookingRestriction`: after too many no-shows a user cannot book at a platform until `until`.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .booking import Reservation
from .organisation import Organisation
from .platform import Platform
from .resource import Resource
from .types import UTCDateTime, utcnow
from .user import User

RATE_UNITS = ("hour", "sample", "day")
RATE_KINDS = ("internal", "external", "startup")
TRAINING_REQUEST_STATUSES = ("open", "approved", "declined")
VOUCHER_ENTRY_KINDS = ("issue", "hold", "refund", "adjust")
WAITLIST_STATUSES = ("waiting", "notified", "fulfilled", "cancelled")


class Qualification(db.Model):
    """A user may book a resource that requires training, through `expires_on` (platform's local date)."""

    __tablename__ = "qualification"
    __table_args__ = (Index("ix_qualification_user_resource", "user_id", "resource_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    resource_id: Mapped[int] = mapped_column(ForeignKey("resource.id", ondelete="CASCADE"), index=True)
    expires_on: Mapped[date] = mapped_column(Date)
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    note: Mapped[str] = mapped_column(Text, default="")
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    resource: Mapped[Resource] = relationship()

    def valid_on(self, day: date) -> bool:
        return self.revoked_at is None and self.expires_on >= day


class TrainingRequest(db.Model):
    """A user asks the platform for training on a resource; staff approve (grant) or decline."""

    __tablename__ = "training_request"
    __table_args__ = (Index("ix_training_request_resource_status", "resource_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resource.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16), default="open")
    message: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_note: Mapped[str] = mapped_column(Text, default="")

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    resource: Mapped[Resource] = relationship()


class ResourceRate(db.Model):
    """What one unit (hour, sample, day) of a resource costs, by who pays."""

    __tablename__ = "resource_rate"
    __table_args__ = (UniqueConstraint("resource_id", "unit", name="uq_resource_rate_unit"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resource.id", ondelete="CASCADE"))
    unit: Mapped[str] = mapped_column(String(16))
    internal: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    external: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    startup: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    resource: Mapped[Resource] = relationship()


class VoucherAccount(db.Model):
    """An organisation's innovation-voucher balance (CNY)."""

    __tablename__ = "voucher_account"
    __table_args__ = (CheckConstraint("balance >= 0", name="balance"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"), unique=True)
    balance: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    organisation: Mapped[Organisation] = relationship()


class VoucherEntry(db.Model):
    """One movement of a voucher account: + issue / refund, - hold; adjust either way."""

    __tablename__ = "voucher_entry"
    __table_args__ = (Index("ix_voucher_entry_account_created", "account_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("voucher_account.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    reservation_id: Mapped[int | None] = mapped_column(
        ForeignKey("reservation.id", ondelete="SET NULL"), index=True
    )
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    account: Mapped[VoucherAccount] = relationship()
    reservation: Mapped[Reservation | None] = relationship()


class WaitlistEntry(db.Model):
    """A user waiting for [start, end) of a resource while another booking holds it."""

    __tablename__ = "waitlist_entry"
    __table_args__ = (Index("ix_waitlist_resource_status_start", "resource_id", "status", "start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resource.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    start: Mapped[datetime] = mapped_column(UTCDateTime)
    end: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), default="waiting")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reservation_id: Mapped[int | None] = mapped_column(ForeignKey("reservation.id", ondelete="SET NULL"))

    resource: Mapped[Resource] = relationship()
    user: Mapped[User] = relationship()


class BookingRestriction(db.Model):
    """The user cannot book at the platform before `until` (too many no-shows)."""

    __tablename__ = "booking_restriction"
    __table_args__ = (Index("ix_booking_restriction_user_platform", "user_id", "platform_id", "until"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    platform_id: Mapped[int] = mapped_column(ForeignKey("platform.id", ondelete="CASCADE"))
    until: Mapped[datetime] = mapped_column(UTCDateTime)
    no_shows: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    lifted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    platform: Mapped[Platform] = relationship()
    user: Mapped[User] = relationship()
