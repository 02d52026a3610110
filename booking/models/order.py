"""Orders of testing services: a startup sends samples, the platform quotes, tests and reports.

An order moves through a small state machine (booking.orders.service): submitted → quoted →
accepted (or declined) → received → testing → reported → completed, or cancelled on the way.
Every step is an `OrderEvent` row written in the same transaction as the change. Files (the
user's attachment, the platform's report) live under `<instance>/uploads/orders/<order id>/`
with random names; `OrderFile` keeps the original name, which is only ever used as the
download name.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Index, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .platform import Platform
from .resource import Resource
from .types import UTCDateTime, utcnow
from .user import User

ORDER_STATUSES = (
    "submitted", "quoted", "accepted", "declined", "received", "testing", "reported", "completed", "cancelled",
)
ORDER_FILE_KINDS = ("attachment", "report")


class Order(db.Model):
    __tablename__ = "service_order"
    __table_args__ = (
        Index("ix_service_order_platform_status", "platform_id", "status"),
        Index("ix_service_order_user_created", "user_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resource.id"), index=True)
    # The resource's platform when ordered: staff lists filter on it without a join.
    platform_id: Mapped[int] = mapped_column(ForeignKey("platform.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    status: Mapped[str] = mapped_column(String(16), default="submitted")
    samples: Mapped[int] = mapped_column()
    sample_description: Mapped[str] = mapped_column(Text)
    standard: Mapped[str] = mapped_column(String(300), default="")
    needed_by: Mapped[date | None] = mapped_column(Date)
    notes: Mapped[str] = mapped_column(Text, default="")
    price_amount: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    price_currency: Mapped[str] = mapped_column(String(3), default="CNY")
    promised_date: Mapped[date | None] = mapped_column(Date)
    cancel_reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    resource: Mapped[Resource] = relationship()
    platform: Mapped[Platform] = relationship()
    user: Mapped[User] = relationship()
    events: Mapped[list[OrderEvent]] = relationship(
        back_populates="order", order_by="OrderEvent.id", cascade="all, delete-orphan"
    )
    files: Mapped[list[OrderFile]] = relationship(
        back_populates="order", order_by="OrderFile.id", cascade="all, delete-orphan"
    )

    def file_of(self, kind: str) -> OrderFile | None:
        """The latest file of a kind (a report issued again replaces the earlier one)."""
        found = [f for f in self.files if f.kind == kind]
        return found[-1] if found else None

    def __repr__(self) -> str:
        return f"<Order {self.id} {self.status}>"


class OrderEvent(db.Model):
    """One step of an order: who moved it from which status to which, when, and why."""

    __tablename__ = "order_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("service_order.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(16))  # submit, quote, accept, … (booking.orders.service)
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    order: Mapped[Order] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<OrderEvent {self.id} o{self.order_id} {self.from_status}→{self.to_status}>"


class OrderFile(db.Model):
    """A file of an order. `stored_name` is random; `original_name` is the uploader's, for download only."""

    __tablename__ = "order_file"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("service_order.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # attachment | report
    original_name: Mapped[str] = mapped_column(String(255))
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column()
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    order: Mapped[Order] = relationship(back_populates="files")

    def __repr__(self) -> str:
        return f"<OrderFile {self.id} o{self.order_id} {self.kind}>"
