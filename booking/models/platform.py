"""Platforms: the labs, testing centres and parks that share resources."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text, text, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .organisation import Organisation
from .types import UTCDateTime, utcnow

PLATFORM_KINDS = ("university_lab", "research_institute", "testing_centre", "incubator", "science_park")


class Platform(db.Model):
    __tablename__ = "platform"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    city_zh: Mapped[str] = mapped_column(String(64), default="")
    city_en: Mapped[str] = mapped_column(String(64), default="")
    kind: Mapped[str] = mapped_column(String(32), default="university_lab")
    address: Mapped[str] = mapped_column(String(300), default="")
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    email: Mapped[str] = mapped_column(String(200), default="")
    opening_hours: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True), default=None)
    booking_rules: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    approval_expiry_hours: Mapped[int] = mapped_column(default=48)
    # Prices, vouchers and attendance (booking.engine.pricing / vouchers / attendance):
    # members of the owning organisation (when it is verified) pay the internal rate.
    owner_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id", ondelete="SET NULL"))
    voucher_cap_percent: Mapped[int] = mapped_column(default=50, server_default=text("50"))
    checkin_before_minutes: Mapped[int] = mapped_column(default=15, server_default=text("15"))
    checkin_after_minutes: Mapped[int] = mapped_column(default=30, server_default=text("30"))
    no_show_limit: Mapped[int] = mapped_column(default=3, server_default=text("3"))  # in 90 days; 0: never
    no_show_ban_days: Mapped[int] = mapped_column(default=30, server_default=text("30"))
    # False for a platform that does not check users in: its confirmed past bookings count as used
    # (effective hours) in the sharing-performance figures (booking.reports).
    tracks_check_in: Mapped[bool] = mapped_column(default=True, server_default=true())
    # The public profile (/platforms/<code>): what a startup reads before it books.
    introduction_zh: Mapped[str] = mapped_column(Text, default="", server_default="")
    introduction_en: Mapped[str] = mapped_column(Text, default="", server_default="")
    accreditation: Mapped[str] = mapped_column(String(300), default="", server_default="")  # CMA, CNAS, …
    contact_name: Mapped[str] = mapped_column(String(100), default="", server_default="")
    phone: Mapped[str] = mapped_column(String(64), default="", server_default="")
    website: Mapped[str] = mapped_column(String(300), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    owner: Mapped[Organisation | None] = relationship()

    def name(self, lang: str = "zh") -> str:
        return (self.name_en if lang == "en" else self.name_zh) or self.name_zh or self.name_en

    def city(self, lang: str = "zh") -> str:
        return (self.city_en if lang == "en" else self.city_zh) or self.city_zh or self.city_en

    def __repr__(self) -> str:
        return f"<Platform {self.code}>"
