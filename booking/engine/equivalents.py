"""The same type of resource at other platforms: what a refused booking offers instead, and the
side-by-side comparison of a resource with its equivalents.

"Same type" is decided by search, not by a hand list: the resource's own title (numbering noise
such as "（2号机）" left out) and category are the query, its kind the filter and, for a refused
booking, the asked interval the availability filter. The resource itself stays in the searched set
and is the yardstick: a search that never comes back empty also finds things that merely share a
word, so only hits at other platforms scoring at least SAME_TYPE_SHARE of the resource's own score
count as the same type (a thermal analyser is no answer to a refused flow cytometer). One domain
fact decides for testing services that name the standards they test to: a standard in common makes
them the same test whatever the score, none in common makes them different tests (a hardness test is
not a tensile test, however alike their titles and categories read).

Plain functions: they take the acting user (None: a visitor, who pays the external rate) and only
read; the caller decides what to show. Prices follow booking.engine.pricing (the user's rate) and
vouchers booking.engine.vouchers (the platform's cap), so the figures are those a booking would use.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from ..errors import DomainError
from ..extensions import db
from ..models import Platform, Resource, User, utcnow
from ..searching.service import SearchUnavailable, get_index
from .availability import find_free_slots, free_resource_ids
from .checks import check_rules, find_conflict
from .pricing import Rate, estimate, money, rate_for
from .rules import effective_rules
from .timefmt import local
from .vouchers import account_for, balance_of, vouchers_pay

#: Refusals that another platform's free resource can answer: the time is taken, closed, under
#: maintenance or outside the resource's hours (not a rule such as "too long", which would be
#: broken elsewhere too, nor anything about the person booking).
ELSEWHERE_REASONS = frozenset({"taken", "closed", "maintenance", "outside_opening_hours"})
ELSEWHERE_LIMIT = 5
COMPARE_LIMIT = 10
EARLIEST_WITHIN = timedelta(days=14)
#: How many search hits are looked at (the search's largest page).
SEARCH_DEPTH = 100
#: A hit is the same type when it scores at least this share of the resource's own score for the
#: resource's own words (tests/test_equivalents.py holds the cases that set it).
SAME_TYPE_SHARE = 0.5
#: Kinds whose equivalents at other platforms are worth setting side by side (prices, slots, turnaround).
COMPARABLE_KINDS = ("instrument", "testing_service", "facility", "space", "lab_animal", "germplasm")
COMPARE_SORTS = ("match", "price", "voucher", "earliest", "city", "turnaround", "platform")

_CJK = re.compile(r"[\u3400-\u9fff]")
_TRAILING_NUMBER = re.compile(r"(?<=[\u3400-\u9fff])\d{1,3}$")
_NOISE = re.compile(r"【[^】]*】|[（(]\s*(?:\d+\s*号机|No\.?\s*\d+|#\s*\d+)\s*[)）]|#\s*\d+\b", re.IGNORECASE)


def offers_elsewhere(error: DomainError) -> bool:
    """Is this refusal one that equivalents at other platforms can answer?"""
    return error.details.get("reason") in ELSEWHERE_REASONS


def _clean_title(resource: Resource) -> str:
    """The words of the title that say what a resource is: without numbering noise (【开放共享】,
    （2号机）, #2, the 5 of 会议室5) and, in a Chinese title, without the Latin model and brand
    words around the type ("场发射扫描电子显微镜 Regulus 8100" is a field-emission SEM like any other)."""
    title = _NOISE.sub(" ", resource.title or resource.title_en or "")
    words = _TRAILING_NUMBER.sub("", title.strip()).split()
    typed = [w for w in words if _CJK.search(w)]
    return " ".join(typed or words)


def similarity_query(resource: Resource) -> str:
    """The search words that find the same type of resource: its title and its category."""
    return " ".join(part for part in (_clean_title(resource), " ".join((resource.category or "").split())) if part)


def _standards(resource: Resource) -> set[str]:
    """The standards a testing service names, as comparable keys: 'GB/T 228.1-2021' → 'GBT228.1'."""
    values = (resource.attributes or {}).get("standards") or []
    if isinstance(values, str):
        values = [values]
    keys = set()
    for value in values:
        if not isinstance(value, str):
            continue
        text = re.sub(r"[:：]\d{4}(-\d{2})?$|-\d{4}(-\d{2})?$", "", value.strip().upper())  # the edition's year
        key = re.sub(r"[\s/_]", "", text)
        if key:
            keys.add(key)
    return keys


def standards_match(a: Resource, b: Resource) -> bool | None:
    """Do two services test to a common standard (True), to none in common (False)? None when either
    names none. DIN EN ISO 6892-1 and ISO 6892-1 are one standard: a key ending with the other matches."""
    sa, sb = _standards(a), _standards(b)
    if not sa or not sb:
        return None
    return any(x == y or x.endswith(y) or y.endswith(x) for x in sa for y in sb)


def same_test(a: Resource, b: Resource) -> bool:
    """False only for two services that both name standards and share none."""
    return standards_match(a, b) is not False


def _search_similar(resource: Resource, *, start: datetime | None = None, end: datetime | None = None,
                    depth: int = SEARCH_DEPTH) -> list[Resource]:
    """Active resources of `resource`'s type at other platforms, best match first (free throughout
    [start, end) when given, by the search's availability filter)."""
    query = similarity_query(resource)
    if not query:
        return []
    only = None
    if start is not None and end is not None:  # free then, and the resource itself as the yardstick
        only = free_resource_ids(start, end) | {resource.id}
    hits = get_index().search(query, kind=[resource.kind], only_ids=only, per_page=depth).hits
    scores = {int(hit["id"]): float(hit.get("score") or 0) for hit in hits}
    own = scores.get(resource.id, max(scores.values(), default=0.0))
    ids = [i for i, score in scores.items() if i != resource.id and score > 0]
    if not ids:
        return []
    rows = {r.id: r for r in db.session.scalars(select(Resource).where(Resource.id.in_(ids)))}
    found = []
    for i in ids:
        row = rows.get(i)
        if row is None or not row.active or row.platform_id == resource.platform_id:
            continue
        standards = standards_match(resource, row)  # a common standard proves the same test; none in common disproves it
        if standards is True or (standards is None and scores[i] >= SAME_TYPE_SHARE * own):
            found.append(row)
    return found


def _voucher_balance(user: User | None) -> Decimal | None:
    """The user's organisation's voucher balance, or None when it holds no voucher account."""
    org = user.verified_organisation if user is not None else None
    return balance_of(org) if account_for(org) is not None else None


def _cap(resource: Resource) -> int:
    return max(0, min(100, resource.platform.voucher_cap_percent or 0))


def training_required(resource: Resource) -> bool:
    """Staff's flag (enforced when booking) or the feed's own statement."""
    return bool(resource.requires_training or (resource.attributes or {}).get("training_required") is True)


# --- equivalents elsewhere ----------------------------------------------------------------------

@dataclass
class Elsewhere:
    """An equivalent at another platform, free for the asked interval, and what it would cost."""

    resource: Resource
    start: datetime  # the asked interval, in that platform's zone
    end: datetime
    rate: Rate | None
    fee: Decimal | None
    voucher_cap_percent: int
    voucher_allowed: Decimal | None  # the share of the fee vouchers may pay there
    voucher_usable: Decimal | None   # of which the user's organisation can pay now (None: no vouchers)
    training_required: bool
    requires_approval: bool

    @property
    def platform(self) -> Platform:
        return self.resource.platform

    def form_values(self) -> dict[str, str]:
        """The booking form's day/start/end/week for this interval, in the platform's wall-clock time."""
        monday = self.start.date() - timedelta(days=self.start.weekday())
        return {"day": self.start.date().isoformat(), "start": f"{self.start:%H:%M}", "end": f"{self.end:%H:%M}",
                "week": monday.isoformat()}


def _money_json(amount: Decimal | None, currency: str) -> dict[str, str] | None:
    return None if amount is None else {"amount": f"{money(amount):.2f}", "currency": currency}


def elsewhere_json(item: Elsewhere, lang: str, url: str) -> dict[str, Any]:
    """One entry of the `elsewhere` list of a refused booking (API)."""
    resource, platform = item.resource, item.platform
    currency = item.rate.currency if item.rate is not None else "CNY"
    return {
        "resource_id": resource.id,
        "platform": platform.code,
        "platform_name": platform.name(lang),
        "title": resource.display_title(lang),
        "title_en": resource.title_en,
        "kind": resource.kind,
        "city": resource.city or platform.city(lang),
        "start": item.start.isoformat(),
        "end": item.end.isoformat(),
        "timezone": platform.timezone,
        "price": None if item.rate is None else {
            "rate_kind": item.rate.kind, "unit": item.rate.unit,
            "rate": _money_json(item.rate.amount, currency), "estimate": _money_json(item.fee, currency)},
        "voucher": {"cap_percent": item.voucher_cap_percent,
                    "allowed": _money_json(item.voucher_allowed, currency),
                    "usable": _money_json(item.voucher_usable, currency)},
        "training_required": item.training_required,
        "requires_approval": item.requires_approval,
        "url": url,
    }


def _bookable_then(resource: Resource, start: datetime, end: datetime, now: datetime) -> bool:
    """Would a booking of [start, end) pass every time rule of `resource` and find it free?"""
    rules = effective_rules(resource)
    try:
        check_rules(resource, start, end, now, rules)
    except DomainError:
        return False
    return find_conflict(resource.id, start, end + timedelta(minutes=rules.buffer_minutes)) is None


def _fits_the_form(start: datetime, end: datetime) -> bool:
    """The booking form takes one day and two times (an end of 00:00 meaning midnight)."""
    return start.date() == end.date() or (end.date() == start.date() + timedelta(days=1)
                                          and (end.hour, end.minute) == (0, 0))


def equivalents_elsewhere(user: User | None, resource: Resource, start: datetime, end: datetime, *,
                          limit: int = ELSEWHERE_LIMIT, now: datetime | None = None) -> list[Elsewhere]:
    """Up to `limit` resources of `resource`'s type at other platforms that `user` could book for
    [start, end) right now, best match first, with the price `user` would pay there."""
    if start.tzinfo is None or end.tzinfo is None or end <= start or limit <= 0:
        return []
    now = now or utcnow()
    found: list[Elsewhere] = []
    balance = _voucher_balance(user)
    try:
        candidates = _search_similar(resource, start=start, end=end)
    except SearchUnavailable:  # the refusal still answers, without suggestions (the error is logged)
        return []
    for candidate in candidates:
        tz = candidate.platform.timezone
        a, b = local(start, tz), local(end, tz)
        if not candidate.bookable or not _fits_the_form(a, b) or not _bookable_then(candidate, start, end, now):
            continue
        priced = estimate(user, candidate, start, end)
        rate, fee = priced if priced is not None else (None, None)
        cap = _cap(candidate)
        allowed = money(fee * cap / 100) if fee is not None and vouchers_pay(rate.currency if rate else None) else None
        usable = min(allowed, balance) if allowed is not None and balance is not None else None
        found.append(Elsewhere(candidate, a, b, rate, fee, cap, allowed, usable, training_required(candidate),
                               effective_rules(candidate).requires_approval))
        if len(found) >= limit:
            break
    return found


# --- compare ------------------------------------------------------------------------------------

@dataclass
class CompareRow:
    """One resource in the comparison: what it costs `user`, when it is next free, what it offers."""

    resource: Resource
    rank: int  # 0: the resource compared; then the search's order
    rate: Rate | None
    voucher_cap_percent: int
    voucher_per_unit: Decimal | None  # the most vouchers may pay of one unit (hour, sample, day)
    earliest: tuple[datetime, datetime] | None  # the first free slot in the coming 14 days (local)
    accreditation: list[str] = field(default_factory=list)
    turnaround_days: int | None = None
    training_required: bool = False
    requires_approval: bool = False

    @property
    def is_self(self) -> bool:
        return self.rank == 0

    @property
    def platform(self) -> Platform:
        return self.resource.platform

    def earliest_form_values(self) -> dict[str, str] | None:
        """The booking form filled in with the earliest free slot (an hour, or the shortest booking)."""
        if self.earliest is None:
            return None
        rules = effective_rules(self.resource)
        s, e = self.earliest
        length = min(timedelta(minutes=max(60, rules.min_minutes)), timedelta(minutes=rules.max_minutes), e - s)
        end = s + length
        if not _fits_the_form(s, end):
            return None
        monday = s.date() - timedelta(days=s.weekday())
        return {"day": s.date().isoformat(), "start": f"{s:%H:%M}", "end": f"{end:%H:%M}", "week": monday.isoformat()}


def _on_five_minutes(moment: datetime) -> datetime:
    past = timedelta(minutes=moment.minute % 5, seconds=moment.second, microseconds=moment.microsecond)
    return moment if not past else moment - past + timedelta(minutes=5)


def _accreditation(resource: Resource) -> list[str]:
    value = (resource.attributes or {}).get("accreditation") or []
    if isinstance(value, str):
        value = re.split(r"[,，、;；/\s]+", value)
    return [str(v).strip() for v in value if str(v).strip()][:6]


def _turnaround(resource: Resource) -> int | None:
    value = (resource.attributes or {}).get("turnaround_days")
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)) and 0 <= value < 10_000:
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _compare_row(user: User | None, resource: Resource, rank: int, now: datetime) -> CompareRow:
    rate = rate_for(user, resource)
    cap = _cap(resource)
    earliest = None
    if resource.bookable and resource.active:
        shortest = timedelta(minutes=effective_rules(resource).min_minutes)
        for s, e in find_free_slots(resource, now, now + EARLIEST_WITHIN, now=now):
            s = _on_five_minutes(s)  # free "from 09:07" is offered from 09:10, as the form's steps go
            if e - s >= shortest:
                earliest = (s, e)
                break
    return CompareRow(
        resource=resource, rank=rank, rate=rate, voucher_cap_percent=cap,
        voucher_per_unit=money(rate.amount * cap / 100) if rate is not None and vouchers_pay(rate.currency) else None,
        earliest=earliest, accreditation=_accreditation(resource), turnaround_days=_turnaround(resource),
        training_required=training_required(resource),
        requires_approval=resource.bookable and effective_rules(resource).requires_approval)


def compare_equivalents(user: User | None, resource: Resource, *, limit: int = COMPARE_LIMIT,
                        now: datetime | None = None) -> list[CompareRow]:
    """`resource` first, then up to `limit` resources of its type at other platforms (best match first)."""
    now = now or utcnow()
    others = _search_similar(resource)[:limit]
    return [_compare_row(user, r, rank, now) for rank, r in enumerate([resource, *others])]


_SORT_VALUES: dict[str, Callable[[CompareRow], Any]] = {
    "match": lambda row: row.rank,
    # Amounts compare within a currency: CNY first, then other currencies (no exchange rates here).
    "price": lambda row: None if row.rate is None else (row.rate.currency != "CNY", row.rate.currency,
                                                        row.rate.amount),
    "voucher": lambda row: None if row.rate is None else (row.voucher_cap_percent, row.voucher_per_unit),
    "earliest": lambda row: row.earliest[0] if row.earliest else None,
    "city": lambda row: row.resource.city or row.platform.city_zh or None,
    "turnaround": lambda row: row.turnaround_days,
    "platform": lambda row: row.platform.code,
}


def sort_rows(rows: Iterable[CompareRow], sort: str = "match", descending: bool = False) -> list[CompareRow]:
    """Rows ordered by one column (ties in the search's order); rows without a value for it stay last
    either way."""
    value = _SORT_VALUES.get(sort, _SORT_VALUES["match"])
    rows = sorted(rows, key=lambda row: row.rank)
    known = [row for row in rows if value(row) is not None]
    known.sort(key=value, reverse=descending)  # stable: equal values keep the search's order
    return known + [row for row in rows if value(row) is None]
