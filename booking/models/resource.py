"""Resources: instruments, services, patents, documents and the rest, one row each."""
from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Numeric, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .platform import Platform
from .types import UTCDateTime, utcnow

KINDS = (
    "instrument",
    "testing_service",
    "patent",
    "document",
    "germplasm",
    "lab_animal",
    "facility",
    "space",
)
PRICE_UNITS = ("hour", "sample", "item", "day")
_UNIT_IN_TITLE = re.compile(r"[（(]\s*(\d+)\s*号机\s*[）)]")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def english_title(title_en: str, title_zh: str | None) -> str:
    """`title_en` with the unit number of the Chinese title ("X（2号机）" → "… (Unit 2)") unless it names one."""
    found = _UNIT_IN_TITLE.search(title_zh or "")
    if found is None or re.search(r"\bunit\b|#\s*\d", title_en, re.IGNORECASE):
        return title_en
    return f"{title_en} (Unit {found.group(1)})"


def paragraphs_first(text: str, lang: str) -> str:
    """`text` with its paragraphs in `lang` first: English pages lead with the lines that have no
    Chinese, Chinese pages with the lines that have; the order within each group is kept."""
    lines = [line for line in text.split("\n") if line.strip()]
    chinese = [line for line in lines if _CJK.search(line)]
    other = [line for line in lines if not _CJK.search(line)]
    if not chinese or not other:
        return text
    return "\n".join(other + chinese if lang == "en" else chinese + other)


class Resource(db.Model):
    __tablename__ = "resource"
    __table_args__ = (
        UniqueConstraint("platform_id", "external_id", name="uq_resource_platform_external"),
        Index("ix_resource_kind_status", "kind", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platform.id"), index=True)
    external_id: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(500))
    title_en: Mapped[str | None] = mapped_column(String(500))
    description: Mapped[str | None] = mapped_column(Text)
    category: Mapped[str | None] = mapped_column(String(200))
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    city: Mapped[str | None] = mapped_column(String(64))
    location: Mapped[str | None] = mapped_column(String(300))
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    price_amount: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    price_currency: Mapped[str | None] = mapped_column(String(3))
    price_unit: Mapped[str | None] = mapped_column(String(16))
    bookable: Mapped[bool] = mapped_column(default=False)
    orderable: Mapped[bool] = mapped_column(default=False)
    # Set by staff (not by the feed): only qualified users may book (booking.engine.qualifications).
    requires_training: Mapped[bool] = mapped_column(default=False, server_default=false())
    opening_hours: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    booking_rules: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    contact_email: Mapped[str | None] = mapped_column(String(200))
    source_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    content_hash: Mapped[str] = mapped_column(String(64), default="")
    status: Mapped[str] = mapped_column(String(16), default="active")  # active | withdrawn
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    platform: Mapped[Platform] = relationship(lazy="joined")

    @property
    def price(self) -> dict[str, Any] | None:
        if self.price_amount is None:
            return None
        return {"amount": float(self.price_amount), "currency": self.price_currency, "unit": self.price_unit}

    @property
    def active(self) -> bool:
        return self.status == "active"

    def display_title(self, lang: str = "zh") -> str:
        """The title in `lang`, else the other one. An English title keeps the unit the Chinese one
        names ("（3号机）" → "(Unit 3)"), so a platform's identical instruments never look the same."""
        if lang == "en" and self.title_en:
            return english_title(self.title_en, self.title)
        return self.title or self.title_en or ""

    def display_description(self, lang: str = "zh") -> str:
        """The description with the paragraphs in `lang` first (a feed often gives both in one text)."""
        return paragraphs_first(self.description or "", lang)

    def to_feed(self) -> dict[str, Any]:
        """The resource in the feed format, plus its id: what the search index and the API see."""
        return {
            "id": self.id,
            "platform": self.platform.code,
            "platform_name": self.platform.name_zh,
            "platform_name_en": self.platform.name_en,
            "external_id": self.external_id,
            "kind": self.kind,
            "title": self.title,
            "title_en": self.title_en,
            "description": self.description,
            "category": self.category,
            "keywords": list(self.keywords or []),
            "city": self.city,
            "location": self.location,
            "attributes": dict(self.attributes or {}),
            "price": self.price,
            "bookable": self.bookable,
            "orderable": self.orderable,
            "opening_hours": self.opening_hours,
            "booking_rules": self.booking_rules,
            "contact_email": self.contact_email,
            "status": self.status,
            "updated_at": (self.source_updated_at or self.updated_at).isoformat(),
            "created_at": self.created_at.isoformat(),
        }

    def __repr__(self) -> str:
        return f"<Resource {self.id} {self.external_id}>"


class IndexOutbox(db.Model):
    """A resource whose search document must be rewritten; written with the change itself."""

    __tablename__ = "index_outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[int] = mapped_column(index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
