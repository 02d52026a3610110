"""Roles, enforced in one place."""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort
from flask_login import current_user

from ..errors import Forbidden
from ..models import User

F = TypeVar("F", bound=Callable[..., Any])


def role_required(*roles: str) -> Callable[[F], F]:
    """Page or API view decorator: log in first, then be one of `roles` (admins pass every check)."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                from ..extensions import login_manager

                return login_manager.unauthorized()
            if current_user.role not in roles and current_user.role != "admin":
                abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


def require_staff_of(user: User, platform_id: int) -> None:
    """Staff act only on their own platform."""
    if not user.is_staff_of(platform_id):
        raise Forbidden("only staff of this resource's platform may do that")
