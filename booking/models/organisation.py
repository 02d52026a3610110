"""Organisations (companies, universities, institutes) and the requests to join them.

Who pays which rate, whose vouchers a booking spends and who may read a colleague's report all
follow a user's membership of a *verified* organisation, never a name a user typed.
"""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .types import UTCDateTime, utcnow

if TYPE_CHECKING:
    from .user import User

ORG_KINDS = ("startup", "sme", "enterprise", "university", "institute", "government", "other")
ORG_STATES = ("unverified", "verified", "suspended")
MEMBER_ROLES = ("member", "manager")
JOIN_REQUEST_STATUSES = ("open", "approved", "declined", "withdrawn")


class Organisation(db.Model):
    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    # 统一社会信用代码; empty only for organisations carried over from free-text names, which an
    # administrator must complete before verifying them.
    uscc: Mapped[str | None] = mapped_column(String(18), unique=True)
    kind: Mapped[str] = mapped_column(String(16), default="other")
    city: Mapped[str] = mapped_column(String(64), default="")
    state: Mapped[str] = mapped_column(String(16), default="unverified", index=True)
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL",
                                                                  use_alter=True))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    verified_by: Mapped[User | None] = relationship(foreign_keys=[verified_by_id])

    @property
    def verified(self) -> bool:
        return self.state == "verified"

    def name(self, lang: str = "zh") -> str:
        return (self.name_en if lang == "en" else self.name_zh) or self.name_zh or self.name_en

    def __str__(self) -> str:  # templates print an organisation as its name
        return self.name_zh or self.name_en

    def __repr__(self) -> str:
        return f"<Organisation {self.id} {self.name_zh!r} {self.state}>"


class Invitation(db.Model):
    """A manager invites an address; the link names this row, so it works once and can be withdrawn."""

    __tablename__ = "org_invitation"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(254))
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    organisation: Mapped[Organisation] = relationship()
    invited_by: Mapped[User | None] = relationship()

    @property
    def open(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None


class JoinRequest(db.Model):
    """A user asks to join an organisation; a manager of it or an administrator decides."""

    __tablename__ = "org_join_request"
    __table_args__ = (Index("ix_org_join_request_org_status", "organisation_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16), default="open")
    message: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_note: Mapped[str] = mapped_column(Text, default="")

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    organisation: Mapped[Organisation] = relationship()
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
