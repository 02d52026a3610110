"""Who is told: a user, or the people who act for a platform."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from ..extensions import db
from ..models import Platform, User


@dataclass(frozen=True)
class Recipient:
    key: str  # u<user id> or p<platform id>: part of the Message-ID
    email: str
    name: str
    language: str


def user_recipient(user: User) -> Recipient:
    return Recipient(f"u{user.id}", user.email, user.name, user.language)


def platform_recipients(platform: Platform) -> list[Recipient]:
    """The platform's active staff accounts, else the platform's contact address (in Chinese)."""
    staff = db.session.scalars(
        select(User).where(User.role == "staff", User.platform_id == platform.id, User.active.is_(True)).order_by(User.id)
    ).all()
    if staff:
        return [user_recipient(u) for u in staff]
    if platform.email:
        return [Recipient(f"p{platform.id}", platform.email, platform.name("zh"), "zh")]
    return []
