"""Accounts and API tokens."""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String, true
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from .platform import Platform
from .types import UTCDateTime, utcnow

ROLES = ("user", "staff", "admin")
LANGUAGES = ("zh", "en")


def new_calendar_token() -> str:
    return secrets.token_urlsafe(24)


class User(UserMixin, db.Model):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    name: Mapped[str] = mapped_column(String(100), default="")
    organisation: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(16), default="user")
    platform_id: Mapped[int | None] = mapped_column(ForeignKey("platform.id"))
    language: Mapped[str] = mapped_column(String(5), default="zh")
    calendar_token: Mapped[str] = mapped_column(String(64), unique=True, default=new_calendar_token)
    active: Mapped[bool] = mapped_column(default=True)
    # Reminder e-mails before a booking starts: off, or at the user's own offsets ("24h,1h");
    # None means the site's ONESTOP_REMINDER_OFFSETS.
    reminders_enabled: Mapped[bool] = mapped_column(default=True, server_default=true())
    reminder_offsets: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    platform: Mapped[Platform | None] = relationship()

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:  # Flask-Login: disabled accounts cannot log in
        return self.active

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def is_staff_of(self, platform_id: int) -> bool:
        """Staff act only on their own platform; admins on every one."""
        return self.role == "admin" or (self.role == "staff" and self.platform_id == platform_id)

    def __repr__(self) -> str:
        return f"<User {self.email}>"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class ApiToken(db.Model):
    """A bearer token; only its hash is stored."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class LoginFailure(db.Model):
    """A failed log-in, counted per e-mail and per address to throttle guessing."""

    __tablename__ = "login_failure"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(300), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
