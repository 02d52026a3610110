"""Who is logged in in this browser: the log-in itself, following `next` safely, the language."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import session, url_for
from flask_login import login_user

from ...models import User


def safe_next(target: str | None) -> str:
    """Only follow `next` to a path on this site."""
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("main.home")


def log_in(user: User, *, remember: bool = False) -> None:
    login_user(user, remember=remember)
    session["lang"] = user.language
