"""Which platform a staff page shows, and where it goes back to.

Staff see and change only their own platform; administrators pick any (?platform=CODE).
"""
from __future__ import annotations

from typing import Any

from flask import abort, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import select

from ...extensions import db
from ...models import Platform, Resource


def current_platform() -> Platform:
    """Staff: their own platform. Admins: ?platform=CODE (or the form's), else the first one."""
    if current_user.role == "admin":
        code = request.values.get("platform")
        query = select(Platform).order_by(Platform.code)
        platform = db.session.scalar(query.where(Platform.code == code)) if code else None
        platform = platform or db.session.scalar(query.limit(1))
        if platform is None:
            abort(404)
        return platform
    if current_user.platform is None:
        abort(403)
    return current_user.platform


def platform_choices() -> list[Platform]:
    if current_user.role == "admin":
        return list(db.session.scalars(select(Platform).order_by(Platform.code)))
    return [current_user.platform] if current_user.platform else []


def back(platform: Platform, endpoint: str = "staff.index", **args: Any) -> Any:
    """After a step: to the staff page the form names (`next`, under /staff), else to `endpoint`
    (for an administrator, on the same platform)."""
    if current_user.role == "admin":
        args["platform"] = platform.code
    target = request.form.get("next", "")
    if target.startswith("/staff") and not target.startswith("//"):
        return redirect(target, 303)
    return redirect(url_for(endpoint, **args), 303)


def bookable_resources(platform: Platform) -> list[Resource]:
    return list(db.session.scalars(select(Resource).where(
        Resource.platform_id == platform.id, Resource.bookable.is_(True), Resource.status == "active",
    ).order_by(Resource.title).limit(2000)))
