"""Search parameters from a query string, validated: a bad one is a 400 with a clear message."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from werkzeug.datastructures import MultiDict

from ..engine.text import _
from ..errors import DomainError
from ..models import KINDS, utcnow

SORTS = ("relevance", "price", "newest")
MAX_PER_PAGE = 100
MAX_PAGE = 1000
MAX_WINDOW = timedelta(days=31)
#: A free-time window may start this much before now ("free from 14:00" asked at 14:10); earlier is the past.
PAST_GRACE = timedelta(minutes=15)


class BadSearchParameters(DomainError):
    code = "bad_request"
    status = 400


@dataclass
class SearchParams:
    q: str = ""
    kind: list[str] = field(default_factory=list)
    platform: list[str] = field(default_factory=list)
    city: list[str] = field(default_factory=list)
    category: str | None = None
    max_price: float | None = None
    bookable: bool | None = None
    orderable: bool | None = None
    sort: str = "relevance"
    page: int = 1
    per_page: int = 10
    available_from: datetime | None = None
    available_to: datetime | None = None

    def index_kwargs(self) -> dict[str, Any]:
        return {
            "kind": self.kind or None, "platform": self.platform or None, "city": self.city or None,
            "category": self.category, "max_price": self.max_price, "bookable": self.bookable,
            "orderable": self.orderable, "sort": self.sort, "page": self.page, "per_page": self.per_page,
        }


def _int(args: MultiDict[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = args.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadSearchParameters(_("%(name)s must be a whole number", name=name), field=name) from None
    if not low <= value <= high:
        raise BadSearchParameters(_("%(name)s must be between %(low)s and %(high)s", name=name, low=low, high=high),
                                  field=name)
    return value


def _bool(args: MultiDict[str, str], name: str) -> bool | None:
    raw = (args.get(name) or "").lower()
    if raw == "":
        return None
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise BadSearchParameters(_("%(name)s must be true or false", name=name), field=name)


def _instant(args: MultiDict[str, str], name: str) -> datetime | None:
    raw = args.get(name)
    if not raw:
        return None
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise BadSearchParameters(_("%(name)s must be an ISO 8601 time such as %(example)s", name=name,
                                    example="2027-03-02T09:00+08:00"), field=name) from None
    if value.tzinfo is None:
        raise BadSearchParameters(_("%(name)s needs a UTC offset, e.g. %(example)s", name=name,
                                    example="2027-03-02T09:00+08:00"), field=name)
    return value


def when(value: datetime) -> str:
    """A time as messages and the search page print it: with the year, in the offset it was given in."""
    return value.strftime("%Y-%m-%d %H:%M")


def _words(args: MultiDict[str, str], name: str, limit: int = 64) -> list[str]:
    values = [v.strip() for raw in args.getlist(name) for v in raw.split(",") if v.strip()]
    for value in values:
        if len(value) > limit:
            raise BadSearchParameters(_("%(name)s is too long", name=name), field=name)
    return values


def parse_search_args(args: MultiDict[str, str]) -> SearchParams:
    params = SearchParams(q=(args.get("q") or "").strip())
    params.kind = _words(args, "kind")
    for kind in params.kind:
        if kind not in KINDS:
            raise BadSearchParameters(_("unknown kind %(kind)s: use one of %(kinds)s", kind=repr(kind),
                                        kinds=", ".join(KINDS)), field="kind")
    params.platform = _words(args, "platform", 32)
    params.city = _words(args, "city")
    params.category = (args.get("category") or "").strip()[:200] or None
    if args.get("max_price"):
        try:
            params.max_price = float(args["max_price"])
        except ValueError:
            raise BadSearchParameters(_("max_price must be a number"), field="max_price") from None
        if not 0 <= params.max_price < 1e9:
            raise BadSearchParameters(_("max_price must be zero or more"), field="max_price")
    params.bookable = _bool(args, "bookable")
    params.orderable = _bool(args, "orderable")
    params.sort = args.get("sort") or "relevance"
    if params.sort not in SORTS:
        raise BadSearchParameters(_("sort must be one of %(sorts)s", sorts=", ".join(SORTS)), field="sort")
    params.page = _int(args, "page", 1, 1, MAX_PAGE)
    params.per_page = _int(args, "per_page", 10, 1, MAX_PER_PAGE)
    params.available_from = _instant(args, "available_from")
    params.available_to = _instant(args, "available_to")
    if (params.available_from is None) != (params.available_to is None):
        raise BadSearchParameters(_("give both %(start)s and %(end)s", start="available_from", end="available_to"), field="available_to")
    if params.available_from and params.available_to:
        check_window(params.available_from, params.available_to)
    return params


def check_window(start: datetime, end: datetime, now: datetime | None = None) -> None:
    """The free-time filter asks about a coming interval of at most 31 days, or it is refused."""
    now = now or utcnow()
    if end <= start:
        raise BadSearchParameters(_("The end of the free time (%(end)s) must be after its start (%(start)s).",
                                    start=when(start), end=when(end)), field="available_to")
    if start < now - PAST_GRACE:
        raise BadSearchParameters(_("%(start)s is in the past: choose a day and time from now on.",
                                    start=when(start)), field="available_from")
    try:  # (comparisons never overflow; arithmetic near the year 9999 does)
        start.astimezone(UTC), end.astimezone(UTC), end + MAX_WINDOW
    except OverflowError:
        raise BadSearchParameters(_("%(end)s is too far ahead.", end=when(end)), field="available_to") from None
    if end - start > MAX_WINDOW:
        raise BadSearchParameters(_("The free time can span at most %(days)s days.", days=MAX_WINDOW.days),
                                  field="available_to")
