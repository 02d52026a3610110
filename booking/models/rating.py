"""Ratings (服务评价) of completed bookings and testing orders, and the invitations to give them.

A rating belongs to exactly one completed reservation or order (a CHECK and two unique columns:
one rating each). `resource_id` and `platform_id` are copied from what was rated so averages per
resource and per platform read one indexed table; `served_at` is the booking's start or the
order's completion, the instant the reports place a rating in a period by.

`RatingInvitation` is the bookkeeping of the invitation mail: one row per reservation or order
(unique), inserted by the job in the transaction that queues the mail, so the database says "once"
whatever scheduler ran it and however often it restarted.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .booking import Reservation
from .order import Order
from .platform import Platform
from .resource import Resource
from .types import UTCDateTime, utcnow
from .user import User

ONE_SUBJECT = ("(reservation_id IS NULL AND order_id IS NOT NULL) OR "
               "(reservation_id IS NOT NULL AND order_id IS NULL)")
INVITATION_OUTCOMES = ("queued", "mail_off")


class Rating(db.Model):
    """A user's 1–5 stars and comment on one completed booking or order; staff may answer it."""

    __tablename__ = "rating"
    __table_args__ = (
        CheckConstraint(ONE_SUBJECT, name="one_subject"),
        CheckConstraint("stars >= 1 AND stars <= 5", name="stars"),
        Index("ix_rating_resource_created", "resource_id", "created_at"),
        Index("ix_rating_platform_served", "platform_id", "served_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reservation_id: Mapped[int | None] = mapped_column(ForeignKey("reservation.id", ondelete="CASCADE"), unique=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("service_order.id", ondelete="CASCADE"), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    resource_id: Mapped[int] = mapped_column(ForeignKey("resource.id", ondelete="CASCADE"))
    platform_id: Mapped[int] = mapped_column(ForeignKey("platform.id", ondelete="CASCADE"))
    stars: Mapped[int] = mapped_column()
    comment: Mapped[str] = mapped_column(Text, default="")
    served_at: Mapped[datetime] = mapped_column(UTCDateTime)  # booking start / order completion
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    answer: Mapped[str] = mapped_column(Text, default="")
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    reservation: Mapped[Reservation | None] = relationship()
    order: Mapped[Order | None] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    resource: Mapped[Resource] = relationship()
    platform: Mapped[Platform] = relationship()
    answered_by: Mapped[User | None] = relationship(foreign_keys=[answered_by_id])

    def __repr__(self) -> str:
        subject = f"r{self.reservation_id}" if self.reservation_id else f"o{self.order_id}"
        return f"<Rating {self.id} {subject} {self.stars}★>"


class RatingInvitation(db.Model):
    """The invitation to rate one completed booking or order: inserted once (unique), with the
    mail it queued, or `mail_off` when the user's settings said not to write."""

    __tablename__ = "rating_invitation"
    __table_args__ = (CheckConstraint(ONE_SUBJECT, name="one_subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    reservation_id: Mapped[int | None] = mapped_column(ForeignKey("reservation.id", ondelete="CASCADE"), unique=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("service_order.id", ondelete="CASCADE"), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    outcome: Mapped[str] = mapped_column(String(16))  # queued | mail_off
    mail_id: Mapped[int | None] = mapped_column(ForeignKey("outgoing_mail.id", ondelete="SET NULL"))
    invited_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        subject = f"r{self.reservation_id}" if self.reservation_id else f"o{self.order_id}"
        return f"<RatingInvitation {self.id} {subject} {self.outcome}>"
