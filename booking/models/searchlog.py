"""The search log: one row per search, to see demand that was not met (booking.searching.searchlog).

Nothing personal beyond the account id of a logged-in searcher: no address, no agent, no session.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime, utcnow

SEARCH_SOURCES = ("web", "api")


class SearchLog(db.Model):
    __tablename__ = "search_log"
    __table_args__ = (Index("ix_search_log_week_query", "week", "query_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The Monday of the week the search was made in (the site's time zone): reports group by it.
    week: Mapped[date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(8))  # web | api
    query: Mapped[str] = mapped_column(String(200))  # as typed (spaces collapsed)
    query_key: Mapped[str] = mapped_column(String(200))  # folded: the same words whatever the case or width
    # The filters as canonical JSON text ('' for none): kind, platform, city, category, price, free time.
    filters: Mapped[str] = mapped_column(String(1000), default="")
    # ",CODE,CODE,": the platforms the search concerns (its platform filter and those of the hits shown).
    platforms: Mapped[str] = mapped_column(String(500), default="")
    total: Mapped[int] = mapped_column(default=0)
    page: Mapped[int] = mapped_column(default=1)
    lang: Mapped[str] = mapped_column(String(5), default="zh")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"), index=True)
    clicked_resource_id: Mapped[int | None] = mapped_column(ForeignKey("resource.id", ondelete="SET NULL"))
    clicked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    clicks: Mapped[int] = mapped_column(default=0, server_default=text("0"))

    def __repr__(self) -> str:
        return f"<SearchLog {self.id} {self.query_key!r} {self.total}>"
