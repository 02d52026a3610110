"""Who may read which figures: platform staff their own platform's, administrators everyone's."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from ..engine.text import _
from ..extensions import db
from ..models import Platform, User
from .errors import NotYourPlatform, UnknownPlatform


@dataclass(frozen=True)
class Scope:
    """The platforms a report covers: one platform, or None for the whole service."""

    platform: Platform | None

    @property
    def platform_id(self) -> int | None:
        return self.platform.id if self.platform is not None else None


def report_scope(user: User | None, platform_code: str | None = None) -> Scope:
    """The scope `user` asked for, or NotYourPlatform / UnknownPlatform.

    `user=None` is the command line run by the operator, who reads everything, as an administrator.
    Staff who name no platform get their own."""
    platform = None
    if platform_code:
        platform = db.session.scalar(select(Platform).where(Platform.code == platform_code.strip()))
        if platform is None:
            raise UnknownPlatform(_("No platform with code %(code)s.", code=platform_code),
                                  fields={"platform": platform_code})
    if user is None or user.is_admin:
        return Scope(platform)
    if user.role == "staff" and user.platform_id is not None:
        if platform is None:
            platform = db.session.get(Platform, user.platform_id)
        if platform is not None and user.is_staff_of(platform.id):
            return Scope(platform)
    raise NotYourPlatform(_("Only this platform's staff and administrators may read its figures."))
