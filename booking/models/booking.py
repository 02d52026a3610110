"""Reservations and the calendars they live in: closures, maintenance windows, series, events.

Every instant is stored as UTC (UTCDateTime); opening hours stay local wall-clock times on the
platform and the resource. The database guards against double booking: on PostgreSQL an
exclusion constraint over (resource_id, tsrange(block_start, block_end)) for active reservations
(created by migration 0002), on SQLite a write transaction taken before the overlap check.
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, FetchedValue, ForeignKey, Index, Numeric, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .platform import Platform
from .resource import Resource
from .types import UTCDateTime, utcnow
from .user import User

# The booking engine caches the bookable catalogue's opening hours for "free between A and B" and
# checks max(resource.updated_at) on every call to know when to reload: index it.
Index("ix_resource_updated_at", Resource.updated_at)

RESERVATION_STATUSES = ("pending", "confirmed", "rejected", "cancelled", "completed", "no_show")
ACTIVE_STATUSES = ("pending", "confirmed")
EVENT_KINDS = ("created", "approved", "rejected", "cancelled", "changed", "expired")


class Closure(db.Model):
    """A platform-wide closure (a public holiday, a shutdown): nothing of the platform is bookable."""

    __tablename__ = "closure"
    __table_args__ = (Index("ix_closure_platform_span", "platform_id", "start", "end"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platform.id", ondelete="CASCADE"))
    start: Mapped[datetime] = mapped_column(UTCDateTime)
    end: Mapped[datetime] = mapped_column(UTCDateTime)
    title: Mapped[str] = mapped_column(String(200), default="")
    source: Mapped[str] = mapped_column(String(32), default="manual")  # manual | holidays:cn-2027
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    platform: Mapped[Platform] = relationship()


class Maintenance(db.Model):
    """A window in which staff take one resource out of service."""

    __tablename__ = "maintenance"
    __table_args__ = (Index("ix_maintenance_resource_span", "resource_id", "start", "end"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resource.id", ondelete="CASCADE"))
    start: Mapped[datetime] = mapped_column(UTCDateTime)
    end: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(String(300), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    resource: Mapped[Resource] = relationship()


class ReservationSeries(db.Model):
    """A recurring booking: the rule it was made from; each occurrence is its own Reservation."""

    __tablename__ = "reservation_series"

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resource.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    rule: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    skipped: Mapped[list[str]] = mapped_column(JSON, default=list)  # local starts left out for conflicts
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Reservation(db.Model):
    """One booked occurrence of a resource, with its own status.

    `block_start`/`block_end` is the interval the resource is held for: the booking plus the
    resource's buffer after it. Two active reservations of a resource never have overlapping blocks.
    """

    __tablename__ = "reservation"
    __table_args__ = (
        Index("ix_reservation_resource_block", "resource_id", "block_start", "block_end"),
        # "Which resources are busy between A and B", read from the index alone.
        Index("ix_reservation_span", "status", "block_start", "block_end", "resource_id"),
        Index("ix_reservation_user_start", "user_id", "start"),
        Index("ix_reservation_status_created", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resource.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    series_id: Mapped[int | None] = mapped_column(
        ForeignKey("reservation_series.id", ondelete="SET NULL"), index=True
    )
    start: Mapped[datetime] = mapped_column(UTCDateTime)
    end: Mapped[datetime] = mapped_column(UTCDateTime)
    block_start: Mapped[datetime] = mapped_column(UTCDateTime)
    block_end: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), default="confirmed")
    purpose: Mapped[str] = mapped_column(Text, default="")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Fees (booking.engine.pricing): the estimate when booked, the actual fee when completed;
    # the voucher share held for it (booking.engine.vouchers); attendance (booking.engine.attendance).
    rate_kind: Mapped[str | None] = mapped_column(String(16))  # internal | external | startup
    fee_unit: Mapped[str | None] = mapped_column(String(16))
    fee_rate: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    fee_currency: Mapped[str | None] = mapped_column(String(3))
    fee_estimate: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    fee_actual: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    voucher_amount: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0"), server_default=text("0"))
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    checked_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Kept by the database from the instants above (migration 0012; never written from Python):
    # end - start, and check-in to check-out (or to the end), for the figures (booking.reports).
    booked_seconds: Mapped[int | None] = mapped_column(server_default=FetchedValue(), server_onupdate=FetchedValue())
    used_seconds: Mapped[int | None] = mapped_column(server_default=FetchedValue(), server_onupdate=FetchedValue())

    resource: Mapped[Resource] = relationship(lazy="joined")
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    series: Mapped[ReservationSeries | None] = relationship()

    @property
    def active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    def __repr__(self) -> str:
        return f"<Reservation {self.id} {self.status} {self.start:%Y-%m-%d %H:%M}Z>"


class BookingEvent(db.Model):
    """Something that happened to a reservation; the notification work turns these into mail."""

    __tablename__ = "booking_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    reservation_id: Mapped[int] = mapped_column(ForeignKey("reservation.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    reservation: Mapped[Reservation] = relationship()
