"""The headline sharing figures of the public platform pages, and the province's ranking.

Plain functions over booking.reports (no request globals): the figures of one platform for the
last twelve complete months, and the same figures for every platform, computed once an hour
(booking.web.platforms.cache) and then filtered and sorted per request.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import select

from ...engine.ratings import RatingSummary, platform_ratings
from ...errors import DomainError
from ...extensions import db
from ...models import PLATFORM_KINDS, Platform, utcnow
from ...reports.figures import FigureRow, usage_report
from ...reports.periods import Period
from ...reports.scope import Scope
from .cache import TimedCache

#: the figures a visitor can sort the ranking by, in the table's order
FIGURES = ("effective_hours", "external_hours", "share_rate", "utilisation", "users_served", "smes_served",
           "orders_completed")
SORTS = ("name", "city", "kind", *FIGURES, "rating")
TEXT_SORTS = ("name", "city", "kind")


class BadRankingQuery(DomainError):
    """A sort, direction, city or kind the ranking does not know (400, said on the page)."""

    code = "bad_request"
    status = 400


@dataclass(frozen=True)
class Headline:
    """What a platform is judged by, for one period (copied out of a FigureRow: cacheable)."""

    effective_hours: float = 0.0
    external_hours: float = 0.0
    share_rate: float | None = None
    utilisation: float | None = None
    users_served: int = 0
    smes_served: int = 0
    orders_completed: int = 0

    @classmethod
    def of(cls, row: FigureRow) -> Headline:
        return cls(effective_hours=row.effective_hours, external_hours=row.external_hours, share_rate=row.share_rate,
                   utilisation=row.utilisation, users_served=row.users_served, smes_served=row.smes_served,
                   orders_completed=row.orders_completed)


@dataclass(frozen=True)
class RankingRow:
    platform: Platform
    figures: Headline
    rating: RatingSummary

    def sort_value(self, key: str, lang: str) -> Any:
        if key == "name":
            return self.platform.name(lang).casefold()
        if key == "city":
            return self.platform.city(lang).casefold()
        if key == "kind":
            return self.platform.kind
        if key == "rating":
            return self.rating.average
        return getattr(self.figures, key)


def last_complete_months(today: date, months: int = 12) -> Period:
    """The `months` calendar months before the one `today` is in."""
    first_of_this = today.replace(day=1)
    index = first_of_this.year * 12 + (first_of_this.month - 1) - months
    start = date(index // 12, index % 12 + 1, 1)
    return Period(start, first_of_this.fromordinal(first_of_this.toordinal() - 1))


def local_today(tz: str, now: datetime | None = None) -> date:
    return (now or utcnow()).astimezone(ZoneInfo(tz)).date()


def platform_headline(platform: Platform, period: Period, *, now: datetime | None = None) -> Headline:
    """One platform's figures for `period` (the report of its whole scope, grouped as one)."""
    report = usage_report(Scope(platform), period, "service", now=now)
    return Headline.of(report.total)


def cached_platform_headline(cache: TimedCache, platform: Platform, period: Period) -> Headline:
    """`platform_headline`, computed at most once an hour per platform and period (see .cache)."""
    headline = cache.get(("platform", platform.id, period.first, period.last),
                         lambda: platform_headline(platform, period))
    assert isinstance(headline, Headline)
    return headline


def province_figures(period: Period, *, now: datetime | None = None) -> dict[int, tuple[Headline, RatingSummary]]:
    """Every platform's figures and rating, by platform id: the expensive part of the ranking."""
    report = usage_report(Scope(None), period, "platform", now=now, with_total=False)
    ratings = platform_ratings()  # one query for every platform
    unrated = RatingSummary(None, 0)
    return {int(row.key): (Headline.of(row), ratings.get(int(row.key), unrated)) for row in report.rows}


def cached_province_figures(cache: TimedCache, period: Period,
                            compute: Callable[[Period], dict[int, tuple[Headline, RatingSummary]]] = province_figures,
                            ) -> dict[int, tuple[Headline, RatingSummary]]:
    """`province_figures(period)`, computed at most once an hour per period (see .cache)."""
    return dict(cache.get(("ranking", period.first, period.last), lambda: compute(period)))


@dataclass(frozen=True)
class RankingQuery:
    sort: str = "share_rate"
    direction: str = "desc"
    city: str = ""
    kind: str = ""


def read_ranking_query(args: Any, cities: Iterable[str]) -> RankingQuery:
    """The ranking's query parameters, checked: anything unknown is a BadRankingQuery with its message."""
    sort = (args.get("sort") or "share_rate").strip()
    if sort not in SORTS:
        raise BadRankingQuery(_("Sort by one of: %(names)s.", names=", ".join(SORTS)), fields={"sort": sort[:100]})
    direction = (args.get("dir") or ("asc" if sort in TEXT_SORTS else "desc")).strip()
    if direction not in ("asc", "desc"):
        raise BadRankingQuery(_("The direction is asc or desc."), fields={"dir": direction[:100]})
    city = (args.get("city") or "").strip()
    if city and city not in set(cities):
        raise BadRankingQuery(_("No platform is in the city %(city)s.", city=city[:100]), fields={"city": city[:100]})
    kind = (args.get("kind") or "").strip()
    if kind and kind not in PLATFORM_KINDS:
        raise BadRankingQuery(_("Choose a kind of platform from the list."), fields={"kind": kind[:100]})
    return RankingQuery(sort, direction, city, kind)


def all_platforms() -> list[Platform]:
    return list(db.session.scalars(select(Platform).order_by(Platform.code)))


def ranking(platforms: Iterable[Platform], figures: dict[int, tuple[Headline, RatingSummary]], query: RankingQuery,
            lang: str) -> list[RankingRow]:
    """The platforms the query admits, sorted; a figure nobody has (None) comes last either way."""
    rows = []
    for platform in platforms:
        if query.city and query.city not in (platform.city_zh, platform.city_en):
            continue
        if query.kind and platform.kind != query.kind:
            continue
        headline, rating = figures.get(platform.id, (Headline(), RatingSummary(None, 0)))
        rows.append(RankingRow(platform, headline, rating))
    rows.sort(key=lambda r: r.platform.name(lang).casefold())  # ties in name order, whatever the direction
    known = [r for r in rows if r.sort_value(query.sort, lang) is not None]
    unknown = [r for r in rows if r.sort_value(query.sort, lang) is None]
    known.sort(key=lambda r: r.sort_value(query.sort, lang), reverse=query.direction == "desc")
    return known + unknown
