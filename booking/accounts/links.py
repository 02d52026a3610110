"""Signed, expiring links mailed to people: verify an address, reset a password, accept an invitation.

The token carries its purpose (a salt) and a payload; it is signed with the app's secret key, so a
link cannot be forged or used for another purpose, and it stops working after `max_age` seconds.
One-use links put something in the payload that the use changes (a password hash's tail, a version).
"""
from __future__ import annotations

from typing import Any

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from ..errors import DomainError


class InvalidLink(DomainError):
    """The link is broken, forged, used already, or too old."""

    code = "invalid_link"
    status = 400


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"onestop-{purpose}")


def make_link_token(purpose: str, payload: dict[str, Any]) -> str:
    return _serializer(purpose).dumps(payload)


def read_link_token(purpose: str, token: str, max_age: int) -> dict[str, Any]:
    """The payload of a token made for `purpose`, or InvalidLink (expired or tampered)."""
    try:
        payload = _serializer(purpose).loads(token, max_age=max_age)
    except SignatureExpired:
        raise InvalidLink("this link has expired: ask for a new one") from None
    except BadSignature:
        raise InvalidLink("this link is not valid: copy the whole address from the mail, or ask for a new one") from None
    if not isinstance(payload, dict):
        raise InvalidLink("this link is not valid")
    return payload
