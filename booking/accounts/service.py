"""Account rules as plain functions: the web, the API and the CLI all call these."""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import delete, func, select

from ..errors import Conflict, DomainError, InvalidInput
from ..extensions import db
from ..models import ROLES, ApiToken, LoginFailure, Platform, User, hash_token, utcnow

MIN_PASSWORD = 8
TOKEN_LIFETIME = timedelta(days=30)


class TooManyAttempts(DomainError):
    code = "throttled"
    status = 429


class BadCredentials(DomainError):
    code = "unauthorized"
    status = 401


def normalise_email(email: str) -> str:
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise InvalidInput(f"not a valid e-mail address: {exc}", fields={"email": str(exc)}) from None


def check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(
            f"the password needs at least {MIN_PASSWORD} characters",
            fields={"password": f"at least {MIN_PASSWORD} characters"},
        )


def create_user(
    email: str,
    password: str,
    *,
    role: str = "user",
    platform_code: str | None = None,
    name: str = "",
    language: str = "zh",
    verified: bool = False,
) -> User:
    """Make an account; staff must name their platform."""
    email = normalise_email(email)
    check_password_strength(password)
    if role not in ROLES:
        raise InvalidInput(f"unknown role {role!r}", fields={"role": "user, staff or admin"})
    platform = None
    if platform_code:
        platform = db.session.scalar(select(Platform).where(Platform.code == platform_code))
        if platform is None:
            raise InvalidInput(f"no platform with code {platform_code!r}", fields={"platform": "unknown"})
    if role == "staff" and platform is None:
        raise InvalidInput("a staff account needs a platform", fields={"platform": "required for staff"})
    if db.session.scalar(select(User.id).where(func.lower(User.email) == email)):
        raise Conflict(f"an account for {email} already exists", fields={"email": "already registered"})
    user = User(email=email, role=role, platform=platform, name=name.strip(), language=language,
                email_verified_at=utcnow() if verified else None)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def _failure_keys(email: str, remote_addr: str | None) -> list[str]:
    return [f"email:{email.strip().lower()}", f"addr:{remote_addr or '-'}"]


def check_throttle(email: str, remote_addr: str | None, *, limit: int, window: int) -> None:
    """Refuse when an e-mail or an address has failed `limit` times within `window` seconds."""
    since = utcnow() - timedelta(seconds=window)
    for key in _failure_keys(email, remote_addr):
        count = db.session.scalar(
            select(func.count()).select_from(LoginFailure)
            .where(LoginFailure.key == key, LoginFailure.at >= since)
        ) or 0
        # An address may try several accounts, so it gets a larger allowance.
        allowed = limit if key.startswith("email:") else limit * 4
        if count >= allowed:
            raise TooManyAttempts("too many failed log-ins: wait a few minutes and try again")


def authenticate(email: str, password: str, remote_addr: str | None, *, limit: int, window: int) -> User:
    """Check credentials with throttling; failures are recorded and committed by the caller."""
    check_throttle(email, remote_addr, limit=limit, window=window)
    user = db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
    if user is None or not user.check_password(password) or not user.active:
        for key in _failure_keys(email, remote_addr):
            db.session.add(LoginFailure(key=key))
        db.session.execute(delete(LoginFailure).where(LoginFailure.at < utcnow() - timedelta(days=1)))
        raise BadCredentials("wrong e-mail or password")
    db.session.execute(delete(LoginFailure).where(LoginFailure.key == _failure_keys(email, None)[0]))
    return user


def change_password(user: User, current: str, new: str) -> None:
    if not user.check_password(current):
        raise InvalidInput("the current password is wrong", fields={"current_password": "wrong password"})
    check_password_strength(new)
    user.set_password(new)


def issue_token(user: User, lifetime: timedelta = TOKEN_LIFETIME) -> str:
    """Create an API token; only its hash is kept, so this is the one chance to read it."""
    token = secrets.token_urlsafe(32)
    db.session.add(ApiToken(user=user, token_hash=hash_token(token), expires_at=utcnow() + lifetime))
    db.session.flush()
    return token


def user_for_token(token: str, now: datetime | None = None) -> User | None:
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(token)))
    if row is None or row.expires_at <= (now or utcnow()) or not row.user.active:
        return None
    return row.user
