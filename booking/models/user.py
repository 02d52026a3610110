"""Accounts and API tokens."""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from flask import current_app, has_app_context
from flask_login import UserMixin
from sqlalchemy import ForeignKey, String, text, true
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from .organisation import Organisation
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
    # Membership of at most one organisation, as "member" or "manager" (booking.organisations).
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id", ondelete="SET NULL"),
                                                        index=True)
    org_role: Mapped[str | None] = mapped_column(String(16))
    role: Mapped[str] = mapped_column(String(16), default="user")
    platform_id: Mapped[int | None] = mapped_column(ForeignKey("platform.id"))
    language: Mapped[str] = mapped_column(String(5), default="zh")
    calendar_token: Mapped[str] = mapped_column(String(64), unique=True, default=new_calendar_token)
    active: Mapped[bool] = mapped_column(default=True)
    # Reminder e-mails before a booking starts: off, or at the user's own offsets ("24h,1h");
    # None means the site's ONESTOP_REMINDER_OFFSETS.
    reminders_enabled: Mapped[bool] = mapped_column(default=True, server_default=true())
    reminder_offsets: Mapped[str | None] = mapped_column(String(100))
    # None until the owner opens the link mailed at registration: until then no booking or order.
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Part of every session and remember-me cookie: raising it logs the account out everywhere.
    session_version: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    platform: Mapped[Platform | None] = relationship()
    organisation: Mapped[Organisation | None] = relationship(foreign_keys=[organisation_id])

    def set_password(self, password: str) -> None:
        # werkzeug's default (scrypt) in production; tests choose a cheap method in their config
        method = current_app.config.get("PASSWORD_HASH_METHOD") if has_app_context() else None
        self.password_hash = generate_password_hash(password, method=method or "scrypt")

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

    @property
    def verified_organisation(self) -> Organisation | None:
        """The organisation whose rates, vouchers and reports this user shares, if it is verified."""
        org = self.organisation
        return org if org is not None and org.verified else None

    def organisation_label(self, lang: str = "zh") -> str:
        """What staff and mails may show of who someone works for: only a verified organisation's
        name (anyone can register an unverified one under a famous name)."""
        org = self.verified_organisation
        return org.name(lang) if org is not None else ""

    @property
    def is_org_manager(self) -> bool:
        return self.organisation_id is not None and self.org_role == "manager"

    def get_id(self) -> str:
        """Flask-Login keeps this in the session and the remember-me cookie; a new session version
        (password changed, logged out) makes every older copy worthless."""
        return f"{self.id}:{self.session_version}"

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
