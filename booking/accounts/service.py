"""Account rules as plain functions: the web, the API and the CLI all call these.

They flush and queue mail in the caller's transaction; the caller commits. Messages a person reads
are translated (the request's language; the CLI's default outside a request).
"""
from __future__ import annotations

import hashlib
import secrets
import unicodedata
from datetime import datetime, timedelta
from typing import Any

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from itsdangerous import SignatureExpired
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from ..engine.text import _
from ..errors import Conflict, DomainError, InvalidInput, NotFound
from ..extensions import db
from ..models import ROLES, ApiToken, LoginFailure, OutgoingMail, Platform, User, hash_token, utcnow
from .links import InvalidLink, make_link_token, read_link_token

MIN_PASSWORD = 10
MIN_PASSWORD_SCORE = 2  # zxcvbn: 0 too guessable … 4 very unguessable
TOKEN_LIFETIME = timedelta(days=30)
VERIFY_MAX_AGE = 3 * 24 * 3600  # seconds a verification link works
RESET_MAX_AGE = 3600  # seconds a password-reset link works
MAILS_PER_HOUR = 3  # account mails of one kind to one address: no mail bombing through our forms
NAME_MAX = 100


class TooManyAttempts(DomainError):
    code = "throttled"
    status = 429


class BadCredentials(DomainError):
    code = "unauthorized"
    status = 401


class EmailNotVerified(DomainError):
    """Searching and browsing need no confirmed address; booking and ordering do."""

    code = "email_unverified"
    status = 403


# --- checks -----------------------------------------------------------------------------------------

def normalise_email(email: str) -> str:
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise InvalidInput(_("Not a valid e-mail address: %(reason)s", reason=str(exc)),
                           fields={"email": str(exc)}) from None


_BIDI_CONTROLS = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def check_display_name(name: str) -> str:
    """The name trimmed; no line breaks, tabs or other control characters (they forge mail headers,
    split log lines and reorder text), at most 100 characters."""
    name = (name or "").strip()
    for char in name:
        if unicodedata.category(char) in ("Cc", "Zl", "Zp") or char in _BIDI_CONTROLS:
            raise InvalidInput(_("The name may not contain line breaks, tabs or other control characters."),
                               fields={"name": _("no line breaks or control characters")})
    if len(name) > NAME_MAX:
        raise InvalidInput(_("The name is too long (%(n)d characters at most).", n=NAME_MAX),
                           fields={"name": _("too long")})
    return name


def _weakness(result: dict[str, Any]) -> str:
    """Why zxcvbn finds a password guessable, in the reader's language."""
    if any(m.get("dictionary_name") == "user_inputs" for m in result.get("sequence", [])):
        return _("it contains your e-mail address or your name")
    warning = (result.get("feedback") or {}).get("warning") or ""
    for needle, reason in (
        ("keys", _("it follows a row or pattern of keys on the keyboard")),
        ("keyboard", _("it follows a row or pattern of keys on the keyboard")),
        ("Repeats", _("it repeats characters or words")),
        ("Sequences", _("it is a sequence such as abc or 6543")),
        ("years", _("it contains a year or a date")),
        ("Dates", _("it contains a year or a date")),
        ("common", _("it is one of the most common passwords, or close to one")),
        ("word by itself", _("a single word is easy to guess")),
        ("names", _("names are easy to guess")),
    ):
        if needle in warning:
            return reason
    return _("it is easy to guess")


def check_password_strength(password: str, *, email: str = "", name: str = "", field: str = "password") -> None:
    """At least 10 characters and a zxcvbn score of 2 or more, judged with the person's address and
    name as known words; the message says which rule failed and why."""
    if len(password) < MIN_PASSWORD:
        message = _("The password is too short: use at least %(n)d characters (a few words make a good one).",
                    n=MIN_PASSWORD)
        raise InvalidInput(message, fields={field: message})
    from zxcvbn import zxcvbn

    hints = [part for part in (email, email.split("@")[0], name, *name.split()) if part]
    result = zxcvbn(password[:72], user_inputs=hints)  # zxcvbn refuses longer input; 72 is plenty
    if result["score"] < MIN_PASSWORD_SCORE:
        message = _("This password is too easy to guess: %(reason)s. Add a few uncommon words or make it longer.",
                    reason=_weakness(result))
        raise InvalidInput(message, fields={field: message})


def require_verified_email(user: User) -> None:
    """EmailNotVerified (403) until the account's owner opened the link mailed to them."""
    if user.email_verified_at is None:
        raise EmailNotVerified(_("Confirm your e-mail address first: open the link we mailed to %(email)s, "
                                 "or ask for a new mail on your account page.", email=user.email))


def find_user(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


# --- accounts ---------------------------------------------------------------------------------------

def check_role_platform(role: str, platform_id: int | None) -> None:
    """Staff work for a platform: a staff account without one could see and change nothing."""
    if role == "staff" and platform_id is None:
        message = _("A staff account needs a platform.")
        raise InvalidInput(message, fields={"platform": message})


def set_access(user: User, *, role: str, platform_id: int | None, active: bool) -> None:
    """An administrator's change of an account's role, platform and whether it may log in."""
    check_role_platform(role, platform_id)
    user.role = role
    user.platform_id = platform_id
    user.active = active


def create_user(
    email: str,
    password: str,
    *,
    role: str = "user",
    platform_code: str | None = None,
    name: str = "",
    language: str = "zh",
    verified: bool = False,
    now: datetime | None = None,
) -> User:
    """Make an account; staff must name their platform. `verified`: the address counts as confirmed
    (an administrator or the operator made the account); self-registration leaves it False."""
    email = normalise_email(email)
    name = check_display_name(name)
    check_password_strength(password, email=email, name=name)
    if role not in ROLES:
        raise InvalidInput(f"unknown role {role!r}", fields={"role": "user, staff or admin"})
    platform = None
    if platform_code:
        platform = db.session.scalar(select(Platform).where(Platform.code == platform_code))
        if platform is None:
            raise InvalidInput(f"no platform with code {platform_code!r}", fields={"platform": "unknown"})
    check_role_platform(role, platform.id if platform else None)
    if find_user(email) is not None:
        raise Conflict(_("An account for %(email)s already exists.", email=email),
                       fields={"email": _("already registered")})
    user = User(email=email, role=role, platform=platform, name=name, language=language,
                email_verified_at=(now or utcnow()) if verified else None)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def register_account(email: str, password: str, *, name: str, language: str,
                     now: datetime | None = None) -> User | None:
    """Self-registration. A new address gets an unverified account and a verification mail; an
    address that has an account already gets a mail telling its owner (nothing else changes), and
    the caller answers exactly as for a new one, so the form does not reveal who has an account.
    Returns the new user, or None."""
    email = normalise_email(email)
    name = check_display_name(name)
    check_password_strength(password, email=email, name=name)
    owner = find_user(email)
    if owner is None:
        try:
            user = create_user(email, password, name=name, language=language, now=now)
        except IntegrityError:  # the same address registered a moment ago: the same answer again
            db.session.rollback()
            return None
        send_verification_mail(user, now=now)
        return user
    User(email=email).set_password(password)  # the same work as a new account: no timing difference
    if owner.active and _mails_sent(owner.email, "already_registered", now) < MAILS_PER_HOUR:
        from ..notify.notices import queue_notice

        queue_notice("already_registered", to_email=owner.email, to_name=owner.name, language=owner.language,
                     subject=lambda: _("Someone tried to register with your address"),
                     context={"email": owner.email, "forgot_link": _absolute("auth.forgot_password"),
                              "login_link": _absolute("auth.login")},
                     key=f"u{owner.id}-{secrets.token_hex(8)}", now=now)
    return None


def update_profile(user: User, *, name: str, language: str) -> None:
    user.name = check_display_name(name)
    user.language = language


# --- mail links -------------------------------------------------------------------------------------

def _absolute(endpoint: str, **values: Any) -> str:
    from ..notify.messages import absolute_url

    return absolute_url(current_app.url_map.bind("localhost").build(endpoint, values))


def _mails_sent(recipient: str, kind: str, now: datetime | None) -> int:
    since = (now or utcnow()) - timedelta(hours=1)
    return db.session.scalar(select(func.count()).select_from(OutgoingMail).where(
        OutgoingMail.recipient == recipient, OutgoingMail.kind == kind, OutgoingMail.created_at >= since)) or 0


def send_verification_mail(user: User, *, now: datetime | None = None) -> bool:
    """Queue the "confirm your address" mail (at most a few an hour); False when nothing was queued."""
    if user.email_verified_at is not None or _mails_sent(user.email, "verify_email", now) >= MAILS_PER_HOUR:
        return False
    from ..notify.notices import queue_notice

    token = make_link_token("verify-email", {"uid": user.id, "email": user.email})
    queue_notice("verify_email", to_email=user.email, to_name=user.name, language=user.language,
                 subject=lambda: _("Confirm your e-mail address for OneStop"),
                 context={"link": _absolute("auth.verify_email", token=token), "days": VERIFY_MAX_AGE // 86400},
                 key=f"u{user.id}-{secrets.token_hex(8)}", now=now)
    return True


def verify_email(token: str, *, now: datetime | None = None) -> tuple[User, bool]:
    """The account a verification link names, and whether this use confirmed it (False: it was
    confirmed already). A link for an address the account no longer has does not work."""
    payload = _read_link("verify-email", token, VERIFY_MAX_AGE)
    user = _user_of(payload)
    if user is None or not user.active or user.email.lower() != str(payload.get("email", "")).lower():
        raise InvalidLink(_("This link is not valid for any account: register again, or ask for a new link."))
    if user.email_verified_at is not None:
        return user, False
    user.email_verified_at = now or utcnow()
    db.session.flush()
    return user, True


def _read_link(purpose: str, token: str, max_age: int) -> dict[str, Any]:
    """read_link_token, with the reason in the reader's language."""
    try:
        return read_link_token(purpose, token, max_age)
    except InvalidLink as exc:
        if isinstance(exc.__context__, SignatureExpired):
            raise InvalidLink(_("This link has expired: ask for a new one.")) from None
        raise InvalidLink(_("This link is not valid: copy the whole address from the mail, or ask for a new one.")) from None


def _user_of(payload: dict[str, Any]) -> User | None:
    uid = payload.get("uid")
    return db.session.get(User, uid) if isinstance(uid, int) and 0 < uid < 2**31 else None


def _password_fingerprint(user: User) -> str:
    """Changes whenever the password does: a reset link carries it, so it works once."""
    return hashlib.sha256(f"{user.id}:{user.password_hash}".encode()).hexdigest()[:20]


def request_password_reset(email: str, *, now: datetime | None = None) -> None:
    """Mail a one-use, one-hour link to the account's owner, if there is an active account for this
    address; otherwise do nothing. Either way the caller answers the same."""
    try:
        address = normalise_email(email)
    except InvalidInput:
        return
    user = find_user(address)
    if user is None or not user.active or _mails_sent(user.email, "reset_password", now) >= MAILS_PER_HOUR:
        return
    from ..notify.notices import queue_notice

    token = make_link_token("reset-password", {"uid": user.id, "fp": _password_fingerprint(user)})
    queue_notice("reset_password", to_email=user.email, to_name=user.name, language=user.language,
                 subject=lambda: _("Choose a new OneStop password"),
                 context={"link": _absolute("auth.reset_password", token=token),
                          "forgot_link": _absolute("auth.forgot_password")},
                 key=f"u{user.id}-{secrets.token_hex(8)}", now=now)


def user_for_reset(token: str) -> User:
    """The account a reset link is for, or InvalidLink (expired, forged, used, password changed since)."""
    payload = _read_link("reset-password", token, RESET_MAX_AGE)
    user = _user_of(payload)
    if user is None or not user.active or payload.get("fp") != _password_fingerprint(user):
        raise InvalidLink(_("This link was used already, or the password was changed since: ask for a new one."))
    return user


def reset_password(token: str, new_password: str, *, now: datetime | None = None) -> User:
    """Set a new password through a reset link: every session, remember-me cookie and API token of
    the account ends. The mailbox answered, so the address counts as confirmed too."""
    user = user_for_reset(token)
    check_password_strength(new_password, email=user.email, name=user.name)
    user.set_password(new_password)
    if user.email_verified_at is None:
        user.email_verified_at = now or utcnow()
    end_sessions(user)
    return user


def change_password(user: User, current: str, new: str) -> None:
    """Ends every session and token of the account; the caller logs the current browser in again."""
    if not user.check_password(current):
        raise InvalidInput(_("The current password is wrong."), fields={"current_password": _("wrong password")})
    check_password_strength(new, email=user.email, name=user.name, field="new_password")
    user.set_password(new)
    end_sessions(user)


def end_sessions(user: User) -> None:
    """Log the account out everywhere: sessions and remember-me cookies carry the session version
    (User.get_id), so raising it makes every copy worthless; API tokens are deleted."""
    user.session_version = (user.session_version or 0) + 1
    revoke_all_tokens(user)
    db.session.flush()


# --- log-in throttling ------------------------------------------------------------------------------

def _pair_key(email: str, remote_addr: str | None) -> str:
    digest = hashlib.sha256(f"{email.strip().lower()}\n{remote_addr or '-'}".encode()).hexdigest()
    return f"pair:{digest[:40]}"


def _address_key(remote_addr: str | None) -> str:
    return f"addr:{remote_addr or '-'}"[:300]


def _failures(key: str, since: datetime) -> int:
    return db.session.scalar(select(func.count()).select_from(LoginFailure)
                             .where(LoginFailure.key == key, LoginFailure.at >= since)) or 0


def check_throttle(email: str, remote_addr: str | None, *, limit: int, window: int,
                   address_limit: int, address_window: int, now: datetime | None = None) -> None:
    """Refuse when this (account, address) pair failed `limit` times within `window` seconds, or this
    address failed `address_limit` times within `address_window` seconds, whatever the accounts.

    Failures are never counted per account alone: then anyone could lock a person out by guessing
    wrong on purpose. A guesser at one address stops after a few tries per account and, however many
    accounts it tries, after `address_limit` failures; other people's log-ins are untouched."""
    now = now or utcnow()
    if (_failures(_pair_key(email, remote_addr), now - timedelta(seconds=window)) >= limit
            or _failures(_address_key(remote_addr), now - timedelta(seconds=address_window)) >= address_limit):
        raise TooManyAttempts(_("Too many failed log-ins: wait a few minutes and try again."))


def authenticate(email: str, password: str, remote_addr: str | None, *, limit: int | None = None,
                 window: int | None = None, now: datetime | None = None) -> User:
    """Check credentials with throttling; failures are recorded and committed by the caller.

    An unknown address costs the same password hashing as a known one, so the answer's timing does
    not tell whether an account exists."""
    config = current_app.config
    now = now or utcnow()
    check_throttle(email, remote_addr, now=now,
                   limit=limit if limit is not None else config["LOGIN_MAX_FAILURES"],
                   window=window if window is not None else config["LOGIN_FAILURE_WINDOW"],
                   address_limit=config.get("LOGIN_ADDRESS_MAX_FAILURES", 100),
                   address_window=config.get("LOGIN_ADDRESS_WINDOW", 900))
    user = find_user(email)
    if user is None:
        User(email="").set_password(password)  # hash anyway: as slow as checking a real account
        ok = False
    else:
        ok = user.check_password(password) and user.active
    if not ok:
        db.session.add(LoginFailure(key=_pair_key(email, remote_addr), at=now))
        db.session.add(LoginFailure(key=_address_key(remote_addr), at=now))
        db.session.execute(delete(LoginFailure).where(LoginFailure.at < now - timedelta(days=1)))
        raise BadCredentials(_("Wrong e-mail or password."))
    db.session.execute(delete(LoginFailure).where(LoginFailure.key == _pair_key(email, remote_addr)))
    return user  # type: ignore[return-value]


# --- API tokens -------------------------------------------------------------------------------------

def issue_token(user: User, lifetime: timedelta = TOKEN_LIFETIME) -> str:
    """Create an API token; only its hash is kept, so this is the one chance to read it."""
    token = secrets.token_urlsafe(32)
    db.session.add(ApiToken(user=user, token_hash=hash_token(token), expires_at=utcnow() + lifetime))
    db.session.flush()
    return token


def token_row(token: str) -> ApiToken | None:
    return db.session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(token)))


def user_for_token(token: str, now: datetime | None = None) -> User | None:
    row = token_row(token)
    if row is None or row.expires_at <= (now or utcnow()) or not row.user.active:
        return None
    return row.user


def list_tokens(user: User, now: datetime | None = None) -> list[ApiToken]:
    """The account's tokens that still work, newest first."""
    return list(db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.expires_at > (now or utcnow()))
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())))


def revoke_token(user: User, token_id: int) -> None:
    """Delete one of the account's own tokens; another account's is NotFound (as if it did not exist)."""
    row = db.session.get(ApiToken, token_id) if 0 < token_id < 2**31 else None
    if row is None or row.user_id != user.id:
        raise NotFound(_("You have no API token %(id)s.", id=token_id))
    db.session.delete(row)
    db.session.flush()


def revoke_all_tokens(user: User) -> int:
    result = db.session.execute(delete(ApiToken).where(ApiToken.user_id == user.id))
    return getattr(result, "rowcount", 0) or 0  # a CursorResult: how many rows the DELETE removed
