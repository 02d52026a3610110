"""The search log: every search made on the page or through the API, the result clicked, and the
demand it shows that was not met (searches that found nothing, and searches nobody clicked on).

Cheap and harmless by design: one INSERT per search on a connection of its own (never the request's
transaction), waiting at most a moment for a lock; whatever goes wrong is logged and the search
answers as if nothing happened. A click is one UPDATE, from a link signed with the site's key, so
nobody can record clicks on searches they did not make, and it can only lead to a resource page.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import unicodedata
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import Connection, case, func, insert, select, update

from ..extensions import db
from ..models import SearchLog, utcnow
from .params import SearchParams

log = logging.getLogger(__name__)

QUERY_LIMIT = 200
FILTERS_LIMIT = 1000
PLATFORMS_LIMIT = 500
#: A click counts for a search made within this time (older links still lead to the resource).
CLICK_WINDOW = timedelta(days=2)
#: How long a search may wait for the database's write lock before its log row is given up.
LOCK_WAIT_MS = 500
MAX_WEEKS = 52
ROWS_PER_WEEK = 50


def normalise_query(q: str) -> tuple[str, str]:
    """The words as typed (full-width folded, spaces collapsed) and as compared (case-folded)."""
    text = " ".join(unicodedata.normalize("NFKC", q or "").split())[:QUERY_LIMIT]
    return text, text.casefold()[:QUERY_LIMIT]


def filters_of(params: SearchParams) -> dict[str, Any]:
    """The filters of a search that narrow what it finds (not its order or page)."""
    found: dict[str, Any] = {}
    for name in ("kind", "platform", "city"):
        values = sorted(set(getattr(params, name) or []))
        if values:
            found[name] = values
    if params.category:
        found["category"] = params.category
    if params.max_price is not None:
        found["max_price"] = params.max_price
    for name in ("bookable", "orderable"):
        if getattr(params, name) is not None:
            found[name] = getattr(params, name)
    if params.available_from and params.available_to:
        found["available_from"] = params.available_from.isoformat()
        found["available_to"] = params.available_to.isoformat()
    return found


def _filters_text(filters: dict[str, Any]) -> str:
    if not filters:
        return ""
    text = json.dumps(filters, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return text if len(text) <= FILTERS_LIMIT else json.dumps({"truncated": True})


def _platforms_text(codes: Iterable[str]) -> str:
    """",A,B," (so one platform is found with LIKE '%,A,%'), cut to fit whole codes."""
    text = ","
    for code in sorted({c for c in codes if c and "," not in c}):
        if len(text) + len(code) + 1 > PLATFORMS_LIMIT:
            break
        text += f"{code},"
    return "" if text == "," else text


def week_of(moment: datetime, tz: str) -> date:
    """The Monday of the week `moment` falls in, in the site's time zone."""
    day = moment.astimezone(ZoneInfo(tz)).date()
    return day - timedelta(days=day.weekday())


def _site_zone() -> str:
    return current_app.config.get("ONESTOP_DEFAULT_TIMEZONE", "Asia/Shanghai")


@contextmanager
def _brief_connection() -> Iterator[Connection]:
    """A connection of its own that waits at most LOCK_WAIT_MS for a lock (then fails, harmlessly)."""
    with db.engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:
            conn.exec_driver_sql(f"PRAGMA busy_timeout={LOCK_WAIT_MS}")
        try:
            if not sqlite:
                conn.exec_driver_sql(f"SET LOCAL lock_timeout = '{LOCK_WAIT_MS}ms'")
                conn.exec_driver_sql(f"SET LOCAL statement_timeout = '{LOCK_WAIT_MS * 4}ms'")
            yield conn
            conn.commit()
        finally:
            if sqlite:  # the pool hands this connection out again: the usual patience
                conn.rollback()
                conn.exec_driver_sql("PRAGMA busy_timeout=30000")


def log_search(params: SearchParams, total: int, shown_platforms: Iterable[str] = (), *, source: str,
               lang: str, user_id: int | None, now: datetime | None = None) -> int | None:
    """Write one search to the log; its id (for click links), or None when it could not be written."""
    if not current_app.config.get("ONESTOP_SEARCH_LOG", True):
        return None
    now = now or utcnow()
    query, key = normalise_query(params.q)
    filters = filters_of(params)
    try:
        values = {
            "created_at": now, "week": week_of(now, _site_zone()), "source": source[:8], "query": query,
            "query_key": key, "filters": _filters_text(filters),
            "platforms": _platforms_text([*filters.get("platform", []), *shown_platforms]),
            "total": max(0, min(int(total), 2**31 - 1)), "page": int(params.page), "lang": (lang or "")[:5],
            "user_id": user_id, "clicks": 0,
        }
        with _brief_connection() as conn:
            inserted = conn.execute(insert(SearchLog).values(**values)).inserted_primary_key
            return int(inserted[0]) if inserted else None
    except Exception:  # the log must never cost a search its answer
        log.warning("search not logged", exc_info=True)
        return None


def click_token(log_id: int, resource_id: int) -> str:
    """The signature of one result link of one search (the site's secret key)."""
    key = str(current_app.secret_key or "").encode()
    message = f"search-click:{int(log_id)}:{int(resource_id)}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:24]


def record_click(log_id: int, resource_id: int, token: str, *, now: datetime | None = None) -> bool:
    """Count a click on a search's result when the link is genuine and the search recent; the first
    result clicked is the one kept. False when nothing was recorded."""
    if not isinstance(token, str) or not hmac.compare_digest(token.encode(), click_token(log_id, resource_id).encode()):
        return False
    now = now or utcnow()
    try:
        with _brief_connection() as conn:
            done = conn.execute(update(SearchLog).where(
                SearchLog.id == log_id, SearchLog.created_at >= now - CLICK_WINDOW,
            ).values(clicks=SearchLog.clicks + 1,
                     clicked_resource_id=func.coalesce(SearchLog.clicked_resource_id, resource_id),
                     clicked_at=func.coalesce(SearchLog.clicked_at, now)))
            return bool(done.rowcount)
    except Exception:
        log.warning("search click not recorded", exc_info=True)
        return False


# --- demand that was not met --------------------------------------------------------------------

@dataclass
class DemandRow:
    """One query (words and filters) in one week: how often it was searched, in which languages."""

    query: str
    filters: dict[str, Any]
    searches: int
    langs: list[str]
    results: int = 0  # the most results any of these searches had (no-click rows)


@dataclass
class DemandWeek:
    week: date
    searches: int = 0
    zero_searches: int = 0
    unclicked_searches: int = 0
    zero: list[DemandRow] = field(default_factory=list)
    unclicked: list[DemandRow] = field(default_factory=list)

    @property
    def iso_week(self) -> str:
        year, number, _ = self.week.isocalendar()
        return f"{year}-W{number:02d}"


def _like_platform(code: str) -> Any:
    escaped = code.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return SearchLog.platforms.like(f"%,{escaped},%", escape="\\")


def _filters(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text) if text else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _langs(low: str | None, high: str | None) -> list[str]:
    return sorted({x for x in (low, high) if x})


def demand_by_week(*, weeks: int = 8, platform: str | None = None, now: datetime | None = None,
                   per_week: int = ROWS_PER_WEEK) -> list[DemandWeek]:
    """The last `weeks` weeks, newest first: searches that found nothing, and page searches that
    found something nobody clicked (a query counts as clicked when any of its searches that week
    was). With `platform`, only searches that concern it: filtered to it, or showing its resources."""
    now = now or utcnow()
    weeks = max(1, min(int(weeks), MAX_WEEKS))
    since = week_of(now, _site_zone()) - timedelta(weeks=weeks - 1)
    scope = [SearchLog.week >= since]
    if platform:
        scope.append(_like_platform(platform))
    browsing = (SearchLog.query_key == "") & (SearchLog.filters == "")  # the bare catalogue: no demand
    found: dict[date, DemandWeek] = {}

    def week(day: date) -> DemandWeek:
        return found.setdefault(day, DemandWeek(day))

    for day, n, zero, unclicked in db.session.execute(
            select(SearchLog.week, func.count(),
                   func.sum(case((SearchLog.total == 0, 1), else_=0)),
                   func.sum(case(((SearchLog.total > 0) & (SearchLog.clicks == 0) & (SearchLog.source == "web")
                                  & ~browsing, 1), else_=0)))
            .where(*scope).group_by(SearchLog.week)):
        entry = week(day)
        entry.searches, entry.zero_searches, entry.unclicked_searches = n, zero or 0, unclicked or 0

    group = (SearchLog.week, SearchLog.query_key, SearchLog.filters)
    columns = (*group, func.min(SearchLog.query), func.count(), func.min(SearchLog.lang), func.max(SearchLog.lang))
    limit = per_week * weeks * 4
    for day, _key, filters, query, n, low, high in db.session.execute(
            select(*columns).where(*scope, SearchLog.total == 0).group_by(*group)
            .order_by(SearchLog.week.desc(), func.count().desc(), SearchLog.query_key).limit(limit)):
        rows = week(day).zero
        if len(rows) < per_week:
            rows.append(DemandRow(query, _filters(filters), n, _langs(low, high)))

    for day, _key, filters, query, n, low, high, most in db.session.execute(
            select(*columns, func.max(SearchLog.total))
            .where(*scope, SearchLog.source == "web", SearchLog.total > 0, ~browsing).group_by(*group)
            .having(func.max(SearchLog.clicks) == 0)
            .order_by(SearchLog.week.desc(), func.count().desc(), SearchLog.query_key).limit(limit)):
        rows = week(day).unclicked
        if len(rows) < per_week:
            rows.append(DemandRow(query, _filters(filters), n, _langs(low, high), most))
    return [found[day] for day in sorted(found, reverse=True)]
