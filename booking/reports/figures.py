"""The sharing-performance figures, as SQL aggregates, for any period and grouping.

Definitions (issue 13; each has the same condition in `drilldown`, so a reviewer can check it):

- **booked hours**: bookings held (confirmed, completed, no-show), clipped to the period;
- **effective hours**: checked-in to checked-out (to the booked end when the booker did not check
  out), clipped to the period and to now; a confirmed past booking without check-in is booked,
  not effective — unless its platform does not check users in (`Platform.tracks_check_in`), where
  the booked time of a confirmed or completed booking that has begun counts;
- **internal / external**: the booker is (not) a member of the platform's owning organisation,
  and that organisation is verified (today's membership); **share rate** = external / effective;
- **open hours**: the resource's weekly hours (else its platform's; none = round the clock) less
  platform closures and maintenance, for bookable resources; **utilisation** = effective / open;
- **income**: the actual fee, else the estimate, of bookings held that start in the period, plus
  the price of testing orders completed in it, split internal / external; **voucher** is the
  part of the bookings' fees paid with innovation vouchers (included in the two others);
- **users served**: distinct bookers with effective time plus distinct users with an order
  completed; **organisations served**: their distinct verified organisations, by kind and city;
  **SMEs supported**: those of kind startup or sme;
- **testing services**: orders completed in the period, their samples, median turnaround days
  (sample received → report issued), on-time share (completed by the promised local day);
- **no-show rate**: no-shows / bookings held that started in the period and have begun;
- **approval time**: hours from request to staff decision, median and 90th percentile, for
  decisions made in the period; **waitlist never fulfilled**: entries for times in the period
  that have passed without a booking.

Counts and money follow the booking's start (or the order's completion); hours are clipped.
Open hours are the one figure worked out in Python: a weekly calendar in a time zone is not SQL,
so it is computed once per distinct (zone, hours, closures) and multiplied by the resources
sharing it.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Numeric, String, and_, case, cast, func, literal_column, or_, select, true, union_all
from sqlalchemy.orm import aliased

from ..engine.calendars import opening_intervals, zone
from ..engine.intervals import Interval, clip, merge, subtract
from ..engine.text import _
from ..extensions import db
from ..models import (
    BookingEvent,
    Closure,
    Maintenance,
    Order,
    OrderEvent,
    Organisation,
    Platform,
    Reservation,
    Resource,
    User,
    WaitlistEntry,
    utcnow,
)
from .errors import BadGrouping
from .periods import Period
from .ratings import rating_figures
from .scope import Scope
from .sql import (
    analytic_session,
    dialect,
    epoch_seconds,
    greatest,
    grouped_percentiles,
    hours_between,
    instant,
    least,
    zoned,
)

GROUPS = ("resource", "platform", "city", "service")
HELD = ("confirmed", "completed", "no_show")
USED = ("confirmed", "completed")
SME_KINDS = ("startup", "sme")
CENT = Decimal("0.01")
SERVICE_KEY = "*"


@dataclass
class FigureRow:
    """The figures of one group (a resource, a platform, a city or the whole service)."""

    key: Any
    label: dict[str, Any] = field(default_factory=dict)
    open_hours: float | None = None
    booked_hours: float = 0.0
    effective_hours: float = 0.0
    internal_hours: float = 0.0
    external_hours: float = 0.0
    bookings: int = 0
    no_shows: int = 0
    due: int = 0  # bookings held that have begun: the no-show rate's denominator
    income_internal: Decimal = Decimal("0.00")
    income_external: Decimal = Decimal("0.00")
    income_voucher: Decimal = Decimal("0.00")
    users_served: int = 0
    organisations_served: int = 0
    organisations_by_kind: dict[str, int] = field(default_factory=dict)
    organisations_by_city: dict[str, int] = field(default_factory=dict)
    orders_completed: int = 0
    samples: int = 0
    orders_promised: int = 0
    orders_on_time: int = 0
    turnaround_median_days: float | None = None
    approvals: int = 0
    approval_median_hours: float | None = None
    approval_p90_hours: float | None = None
    waitlist_unfulfilled: int = 0
    rating: float | None = None  # average stars of the ratings of this period's services
    ratings: int = 0

    @property
    def utilisation(self) -> float | None:
        return _ratio(self.effective_hours, self.open_hours)

    @property
    def share_rate(self) -> float | None:
        return _ratio(self.external_hours, self.effective_hours)

    @property
    def no_show_rate(self) -> float | None:
        return _ratio(self.no_shows, self.due)

    @property
    def on_time_share(self) -> float | None:
        return _ratio(self.orders_on_time, self.orders_promised)

    @property
    def smes_served(self) -> int:
        return sum(self.organisations_by_kind.get(kind, 0) for kind in SME_KINDS)

    @property
    def income_total(self) -> Decimal:
        return self.income_internal + self.income_external

    def to_json(self) -> dict[str, Any]:
        """The row as the API answers it: money as decimal strings, ratios as fractions."""
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        for name in ("income_internal", "income_external", "income_voucher"):
            data.pop(name)
        data["income"] = {"internal": str(self.income_internal), "external": str(self.income_external),
                          "voucher": str(self.income_voucher)}
        for name in ("utilisation", "share_rate", "no_show_rate", "on_time_share", "smes_served"):
            data[name] = getattr(self, name)
        return data


@dataclass
class UsageReport:
    period: Period
    group: str
    scope: Scope
    rows: list[FigureRow]
    total: FigureRow
    generated_at: datetime
    zero_result_searches: int = 0


def _ratio(part: float | int, whole: float | int | None) -> float | None:
    return round(part / whole, 4) if whole else None


# --- the pieces every query shares ---------------------------------------------------------------------

@dataclass(frozen=True)
class Frame:
    """The period placed in each zone of the scope, as SQL values, and the grouping."""

    period: Period
    scope: Scope
    group: str
    now: datetime
    dialect: str
    zones: dict[str, tuple[datetime, datetime]]

    @property
    def lo(self) -> Any:
        return zoned({tz: instant(b[0]) for tz, b in self.zones.items()}, Platform.timezone)

    @property
    def hi(self) -> Any:
        return zoned({tz: instant(b[1]) for tz, b in self.zones.items()}, Platform.timezone)

    @property
    def earliest(self) -> datetime:
        return min(b[0] for b in self.zones.values())

    @property
    def latest(self) -> datetime:
        return max(b[1] for b in self.zones.values())

    def key(self) -> Any:
        return {"resource": Resource.id, "platform": Platform.id, "city": Platform.city_zh,
                "service": literal_column(f"'{SERVICE_KEY}'")}[self.group]

    def grouped(self, query: Any) -> Any:
        return query if self.group == "service" else query.group_by(self.key())

    def in_scope(self, query: Any) -> Any:
        if self.scope.platform_id is not None:
            query = query.where(Resource.platform_id == self.scope.platform_id)
        return query

    def starts_in(self, column: Any) -> Any:
        return and_(column >= self.lo, column < self.hi)


def make_frame(scope: Scope, period: Period, group: str, now: datetime) -> Frame:
    if group not in GROUPS:
        raise BadGrouping(_("Group the figures by resource, platform, city or service."), fields={"group": group})
    query = select(Platform.timezone).distinct()
    if scope.platform_id is not None:
        query = query.where(Platform.id == scope.platform_id)
    zones = sorted(db.session.scalars(query)) or ["Asia/Shanghai"]
    return Frame(period, scope, group, now, dialect(), {tz: period.bounds(tz) for tz in zones})


Owner = aliased(Organisation, name="owner_org")
BookerOrg = aliased(Organisation, name="booker_org")


def internal_clause(user_org: Any = None) -> Any:
    """The booker belongs to the platform's owning organisation, and it is verified."""
    user_org = user_org if user_org is not None else User.organisation_id
    # each part is TRUE or FALSE, never NULL, so NOT(this) holds for everyone else
    return and_(user_org.isnot(None), Platform.owner_org_id.isnot(None), user_org == Platform.owner_org_id,
                Owner.state == "verified")


def reservation_frame(frame: Frame, *columns: Any) -> Any:
    """Reservations of the scope that meet the period, joined to what the figures need."""
    query = (
        select(*columns)
        .select_from(Reservation)
        .join(Resource, Resource.id == Reservation.resource_id)
        .join(Platform, Platform.id == Resource.platform_id)
        .join(User, User.id == Reservation.user_id)
        .outerjoin(Owner, Owner.id == Platform.owner_org_id)
        .where(
            # block_start is the start and block_end the end plus a buffer: these two let the
            # database use ix_reservation_resource_block / ix_reservation_span
            Reservation.block_start < instant(frame.latest), Reservation.block_end > instant(frame.earliest),
            Reservation.start < frame.hi, Reservation.end > frame.lo,
        )
    )
    if frame.scope.platform_id is not None:  # one platform: its resources first, then their bookings
        query = query.where(Reservation.resource_id.in_(
            select(Resource.id).where(Resource.platform_id == frame.scope.platform_id).scalar_subquery()))
    return frame.in_scope(query)


def held_clause() -> Any:
    return Reservation.status.in_(HELD)


def effective_clause(frame: Frame) -> Any:
    tracked = Platform.tracks_check_in.is_(true())
    # status through coalesce(): an index on status (ix_reservation_span) would read every
    # platform's year; the period and resource conditions are the selective ones
    used = func.coalesce(Reservation.status, "").in_(USED)
    return or_(
        and_(tracked, Reservation.checked_in_at.isnot(None), used),
        and_(~tracked, used, Reservation.start < instant(frame.now)),
    )


def effective_span(frame: Frame) -> tuple[Any, Any]:
    """Start and end of the time used, clipped to the period and to now."""
    d = frame.dialect
    tracked = Platform.tracks_check_in.is_(true())
    start = case((tracked, Reservation.checked_in_at), else_=Reservation.start)
    end = case((tracked, func.coalesce(Reservation.checked_out_at, Reservation.end)), else_=Reservation.end)
    return greatest(start, frame.lo, d), least(least(end, frame.hi, d), instant(frame.now), d)


def clipped_hours(frame: Frame, start: Any, end: Any) -> Any:
    return case((end > start, hours_between(start, end, frame.dialect)), else_=0.0)


def _stored_hours(seconds: Any) -> Any:
    return case((seconds > 0, seconds / 3600.0), else_=0.0)


def booked_hours(frame: Frame) -> Any:
    """Hours booked within the period: the stored length when the booking lies inside it (most
    do), else clipped from the instants."""
    d = frame.dialect
    inside = and_(Reservation.start >= frame.lo, Reservation.end <= frame.hi)
    return case((inside, _stored_hours(Reservation.booked_seconds)),
                else_=clipped_hours(frame, greatest(Reservation.start, frame.lo, d), least(Reservation.end, frame.hi, d)))


def effective_hours(frame: Frame) -> Any:
    """Hours used within the period and before now (for rows meeting `effective_clause`): the
    stored check-in-to-check-out (or booked, where the platform does not check in) when that
    span lies inside the period and has ended, else clipped from the instants."""
    tracked = Platform.tracks_check_in.is_(true())
    used_end = func.coalesce(Reservation.checked_out_at, Reservation.end)
    inside = or_(
        and_(tracked, Reservation.checked_in_at >= frame.lo, used_end <= frame.hi, used_end <= instant(frame.now)),
        and_(~tracked, Reservation.start >= frame.lo, Reservation.end <= frame.hi,
             Reservation.end <= instant(frame.now)),
    )
    stored = case((tracked, Reservation.used_seconds), else_=Reservation.booked_seconds)
    return case((inside, _stored_hours(stored)), else_=clipped_hours(frame, *effective_span(frame)))


def charged() -> Any:
    return func.coalesce(Reservation.fee_actual, Reservation.fee_estimate, 0)


# --- the report -----------------------------------------------------------------------------------

def usage_report(scope: Scope, period: Period, group: str = "platform", *, now: datetime | None = None,
                 with_total: bool = True) -> UsageReport:
    """Every figure of `scope` for `period`, one row per group, and the total (a second pass:
    distinct users and medians do not add up across groups; `with_total=False` skips it).

    The scope comes from `scope.report_scope(user, code)`, which enforces who may read what."""
    now = now or utcnow()
    analytic_session()
    frame = make_frame(scope, period, group, now)
    rows = {row.key: row for row in _group_rows(frame)}
    _booking_figures(frame, rows)
    _order_figures(frame, rows)
    _served_figures(frame, rows)
    _approval_figures(frame, rows)
    _waitlist_figures(frame, rows)
    _open_hours(frame, rows)
    rating_figures(frame, rows)
    if group == "service":
        total = rows.setdefault(SERVICE_KEY, FigureRow(SERVICE_KEY, {"name_zh": "全部", "name_en": "All"}))
    elif with_total:
        total = _total(make_frame(scope, period, "service", now), rows.values())
    else:
        total = FigureRow(SERVICE_KEY, {"name_zh": "全部", "name_en": "All"})
    report = UsageReport(period, group, scope, list(rows.values()), total, now)
    report.zero_result_searches = zero_result_searches(scope, period)
    return report


ADDITIVE = ("booked_hours", "effective_hours", "internal_hours", "external_hours", "bookings", "no_shows", "due",
            "income_internal", "income_external", "income_voucher", "orders_completed", "samples",
            "orders_promised", "orders_on_time", "approvals", "waitlist_unfulfilled")


def _total(service: Frame, rows: Any) -> FigureRow:
    """The whole scope's row: the groups' sums where figures add up, and a pass over the whole
    scope for those that do not (distinct users and organisations, medians, the average rating)."""
    total = FigureRow(SERVICE_KEY, {"name_zh": "全部", "name_en": "All"})
    for row in rows:
        for name in ADDITIVE:
            setattr(total, name, getattr(total, name) + getattr(row, name))
        if row.open_hours is not None:
            total.open_hours = (total.open_hours or 0.0) + row.open_hours
    for name in ("booked_hours", "effective_hours", "internal_hours", "external_hours", "open_hours"):
        value = getattr(total, name)
        setattr(total, name, None if value is None else round(value, 2))
    found = {SERVICE_KEY: total}
    _served_figures(service, found)
    _turnaround_medians(service, found, order_times(service))
    _approval_figures(service, found, count=False)
    rating_figures(service, found)
    return total


def _row(rows: dict[Any, FigureRow], key: Any) -> FigureRow:
    if key not in rows:
        rows[key] = FigureRow(key, {"name_zh": str(key), "name_en": str(key)})
    return rows[key]


def _group_rows(frame: Frame) -> list[FigureRow]:
    """A row for each group of the scope, with or without activity, labelled."""
    if frame.group == "service":
        return [FigureRow(SERVICE_KEY, {"name_zh": "全部", "name_en": "All"})]
    if frame.group == "resource":
        query = frame.in_scope(
            select(Resource.id, Resource.title, Resource.title_en, Resource.kind, Platform.code, Platform.name_zh,
                   Platform.city_zh, cast(Resource.attributes, String))
            .join(Platform, Platform.id == Resource.platform_id)
            .where(Resource.status == "active", or_(Resource.bookable.is_(true()), Resource.orderable.is_(true())))
            .order_by(Platform.code, Resource.id))
        found = []
        for rid, title, title_en, kind, code, platform_name, city, attributes in db.session.execute(query):
            attrs = json.loads(attributes) if attributes and attributes != "null" else {}
            found.append(FigureRow(rid, {
                "name_zh": title, "name_en": title_en or title, "kind": kind, "platform": code,
                "platform_name": platform_name, "city": city, "model": str(attrs.get("model") or ""),
                "manufacturer": str(attrs.get("manufacturer_zh") or attrs.get("manufacturer") or ""),
                "asset_value": attrs.get("asset_value") or attrs.get("original_value"),
            }))
        return found
    query = select(Platform.id, Platform.code, Platform.name_zh, Platform.name_en, Platform.city_zh, Platform.city_en)
    if frame.scope.platform_id is not None:
        query = query.where(Platform.id == frame.scope.platform_id)
    platforms = db.session.execute(query.order_by(Platform.code)).all()
    if frame.group == "platform":
        return [FigureRow(pid, {"code": code, "name_zh": zh, "name_en": en or zh, "city": city})
                for pid, code, zh, en, city, _city_en in platforms]
    cities: dict[str, FigureRow] = {}
    for _pid, _code, _zh, _en, city, city_en in platforms:
        cities.setdefault(city, FigureRow(city, {"name_zh": city, "name_en": city_en or city}))
    return list(cities.values())


def _streamed(query: Any, frame: Frame) -> Any:
    """A per-row sub-select the aggregate reads once per row. SQLite would otherwise fold it into
    the aggregate and work out each shared expression (a julianday() per instant) once per use;
    LIMIT -1 (no limit) keeps it a co-routine."""
    return (query.limit(-1) if frame.dialect == "sqlite" else query).subquery("per_booking")


def _booking_figures(frame: Frame, rows: dict[Any, FigureRow]) -> None:
    held = held_clause()
    starts = frame.starts_in(Reservation.start)
    per_booking = _streamed(reservation_frame(
        frame, frame.key().label("key"),
        case((internal_clause(), 1), else_=0).label("internal"),
        case((held, 1), else_=0).label("held"),
        case((starts, 1), else_=0).label("starts"),
        case((Reservation.start < instant(frame.now), 1), else_=0).label("begun"),
        Reservation.status.label("status"),
        case((held, booked_hours(frame)), else_=0.0).label("booked"),
        case((effective_clause(frame), effective_hours(frame)), else_=0.0).label("eff"),
        charged().label("fee"), Reservation.voucher_amount.label("voucher"),
    ), frame)
    b = per_booking.c
    money = Numeric(14, 2)
    counted = and_(b.held == 1, b.starts == 1)
    query = select(
        b.key, func.sum(b.booked), func.sum(b.eff), func.sum(case((b.internal == 1, b.eff), else_=0.0)),
        func.count(case((counted, 1))),
        func.count(case((and_(b.starts == 1, b.status == "no_show"), 1))),
        func.count(case((and_(counted, b.begun == 1), 1))),
        func.sum(case((and_(counted, b.internal == 1), b.fee), else_=0), type_=money),
        func.sum(case((and_(counted, b.internal == 0), b.fee), else_=0), type_=money),
        func.sum(case((counted, b.voucher), else_=0), type_=money),
    ).group_by(b.key)
    for key, booked, eff, internal_h, bookings, no_shows, due, inc_int, inc_ext, voucher in db.session.execute(query):
        row = _row(rows, key)
        row.booked_hours = round(float(booked or 0), 2)
        row.effective_hours = round(float(eff or 0), 2)
        row.internal_hours = round(float(internal_h or 0), 2)
        row.external_hours = round(row.effective_hours - row.internal_hours, 2)
        row.bookings, row.no_shows, row.due = int(bookings or 0), int(no_shows or 0), int(due or 0)
        row.income_internal += _money(inc_int)
        row.income_external += _money(inc_ext)
        row.income_voucher += _money(voucher)


def _money(value: Any) -> Decimal:
    return Decimal(str(value or 0)).quantize(CENT)


def order_times(frame: Frame) -> Any:
    """One row per order of the scope completed around the period: when it closed, when its
    samples came and its report went.

    Completion is final (booking.orders.service), so an order has one "completed" event; the
    rows are chosen by that event's time (a plain column the planners estimate well; grouping
    first and filtering on the aggregate made PostgreSQL expect one row and loop)."""
    events = select(OrderEvent.order_id.label("order_id"), OrderEvent.at.label("completed_at")).where(
        OrderEvent.to_status == "completed", OrderEvent.at >= instant(frame.earliest),
        OrderEvent.at < instant(frame.latest))
    if frame.scope.platform_id is not None:  # through ix_service_order_platform_status
        events = events.where(OrderEvent.order_id.in_(
            select(Order.id).where(Order.platform_id == frame.scope.platform_id)))
    completed = events.subquery("completed")
    steps = (
        select(
            OrderEvent.order_id.label("order_id"),
            func.min(case((OrderEvent.to_status == "received", OrderEvent.at))).label("received_at"),
            func.max(case((OrderEvent.to_status == "reported", OrderEvent.at))).label("reported_at"),
        )
        .where(OrderEvent.to_status.in_(("received", "reported")),
               OrderEvent.order_id.in_(select(completed.c.order_id)))
        .group_by(OrderEvent.order_id)
        .subquery("steps")
    )
    return (
        select(completed.c.order_id, completed.c.completed_at, steps.c.received_at, steps.c.reported_at)
        .select_from(completed)
        .outerjoin(steps, steps.c.order_id == completed.c.order_id)
        .subquery("order_times")
    )


def order_frame(frame: Frame, times: Any, *columns: Any) -> Any:
    """Orders of the scope completed in the period (and still completed)."""
    query = (
        select(*columns)
        .select_from(Order)
        .join(times, times.c.order_id == Order.id)
        .join(Resource, Resource.id == Order.resource_id)
        .join(Platform, Platform.id == Resource.platform_id)
        .join(User, User.id == Order.user_id)
        .outerjoin(Owner, Owner.id == Platform.owner_org_id)
        .where(Order.status == "completed", frame.starts_in(times.c.completed_at))
    )
    return frame.in_scope(query)


def turnaround_days(frame: Frame, times: Any) -> Any:
    start = func.coalesce(times.c.received_at, Order.created_at)
    end = func.coalesce(times.c.reported_at, times.c.completed_at)
    return hours_between(start, end, frame.dialect) / 24.0


def on_time_clause(frame: Frame, times: Any) -> Any:
    """Closed by the end of the promised local day (the zone's offset on the period's first day)."""
    offsets = {tz: zone(tz).utcoffset(datetime.combine(frame.period.first, datetime.min.time())) or timedelta(0)
               for tz in frame.zones}
    offset = zoned({tz: off.total_seconds() for tz, off in offsets.items()}, Platform.timezone)
    d = frame.dialect
    return epoch_seconds(times.c.completed_at, d) + offset < epoch_seconds(Order.promised_date, d) + 86400


def _order_figures(frame: Frame, rows: dict[Any, FigureRow]) -> None:
    times = order_times(frame)
    internal = internal_clause()
    promised = Order.promised_date.isnot(None)
    money = Numeric(14, 2)
    price = func.coalesce(Order.price_amount, 0)
    query = frame.grouped(order_frame(
        frame, times, frame.key().label("key"),
        func.count(Order.id), func.coalesce(func.sum(Order.samples), 0),
        func.count(case((promised, 1))), func.count(case((and_(promised, on_time_clause(frame, times)), 1))),
        func.sum(case((internal, price), else_=0), type_=money),
        func.sum(case((internal, 0), else_=price), type_=money),
    ))
    for key, completed, samples, promised_n, on_time, inc_int, inc_ext in db.session.execute(query):
        row = _row(rows, key)
        row.orders_completed, row.samples = int(completed or 0), int(samples or 0)
        row.orders_promised, row.orders_on_time = int(promised_n or 0), int(on_time or 0)
        row.income_internal += _money(inc_int)
        row.income_external += _money(inc_ext)
    _turnaround_medians(frame, rows, times)


def _turnaround_medians(frame: Frame, rows: dict[Any, FigureRow], times: Any) -> None:
    medians = grouped_percentiles(order_frame(frame, times, frame.key().label("key"),
                                              turnaround_days(frame, times).label("v")), (50,))
    for key, values in medians.items():
        _row(rows, key).turnaround_median_days = round(values[50], 2)


def served_users(frame: Frame) -> Any:
    """(key, user) pairs: bookers with effective time, users with an order completed."""
    bookers = reservation_frame(frame, frame.key().label("key"), Reservation.user_id.label("user_id")).where(
        effective_clause(frame))
    times = order_times(frame)
    orderers = order_frame(frame, times, frame.key().label("key"), Order.user_id.label("user_id"))
    return union_all(bookers, orderers).subquery("served")  # counted DISTINCT after: no dedupe here


def _served_figures(frame: Frame, rows: dict[Any, FigureRow]) -> None:
    """Distinct users and organisations per group, by kind and city. COUNT(DISTINCT) sorts the
    served rows once; grouping (group, user) pairs first looks cheaper but PostgreSQL, which cannot
    estimate how many pairs there are, then hashes far more than it planned (minutes, not seconds)."""
    served = served_users(frame)
    verified = BookerOrg.state == "verified"
    kind = case((verified, BookerOrg.kind))
    city = case((verified, BookerOrg.city))
    query = (
        select(served.c.key, kind, city, func.count(func.distinct(served.c.user_id)),
               func.count(func.distinct(case((verified, BookerOrg.id)))))
        .select_from(served)
        .join(User, User.id == served.c.user_id)
        .outerjoin(BookerOrg, BookerOrg.id == User.organisation_id)
        .group_by(served.c.key, kind, city)
    )
    # A user has at most one organisation, so users and organisations split cleanly by (kind, city).
    for key, org_kind, org_city, users, orgs in db.session.execute(query):
        row = _row(rows, key)
        row.users_served += int(users)
        if org_kind is not None and orgs:
            row.organisations_served += int(orgs)
            row.organisations_by_kind[org_kind] = row.organisations_by_kind.get(org_kind, 0) + int(orgs)
            row.organisations_by_city[org_city or ""] = row.organisations_by_city.get(org_city or "", 0) + int(orgs)


def approval_frame(frame: Frame, *columns: Any) -> Any:
    """Staff decisions (approved, rejected) on bookings of the scope made in the period."""
    query = (
        select(*columns)
        .select_from(BookingEvent)
        .join(Reservation, Reservation.id == BookingEvent.reservation_id)
        .join(Resource, Resource.id == Reservation.resource_id)
        .join(Platform, Platform.id == Resource.platform_id)
        .where(BookingEvent.kind.in_(("approved", "rejected")), frame.starts_in(BookingEvent.at))
    )
    return frame.in_scope(query)


def _approval_figures(frame: Frame, rows: dict[Any, FigureRow], *, count: bool = True) -> None:
    """Decisions made, and the median and 90th percentile of the hours they took (one pass)."""
    waited = hours_between(Reservation.created_at, BookingEvent.at, frame.dialect)
    for key, values in grouped_percentiles(approval_frame(frame, frame.key().label("key"), waited.label("v")),
                                           (50, 90)).items():
        row = _row(rows, key)
        row.approval_median_hours, row.approval_p90_hours = round(values[50], 2), round(values[90], 2)
        if count:
            row.approvals = int(values[0])


def waitlist_frame(frame: Frame, *columns: Any) -> Any:
    """Waitlist entries for times in the period that have begun and never became a booking."""
    query = (
        select(*columns)
        .select_from(WaitlistEntry)
        .join(Resource, Resource.id == WaitlistEntry.resource_id)
        .join(Platform, Platform.id == Resource.platform_id)
        .where(frame.starts_in(WaitlistEntry.start), WaitlistEntry.start < instant(frame.now),
               WaitlistEntry.status != "fulfilled")
    )
    return frame.in_scope(query)


def _waitlist_figures(frame: Frame, rows: dict[Any, FigureRow]) -> None:
    query = frame.grouped(waitlist_frame(frame, frame.key().label("key"), func.count(WaitlistEntry.id)))
    for key, n in db.session.execute(query):
        _row(rows, key).waitlist_unfulfilled = int(n)


# --- open hours -----------------------------------------------------------------------------------

def _hours(intervals: list[Interval]) -> float:
    return sum((e - s).total_seconds() for s, e in intervals) / 3600.0


def _open_hours(frame: Frame, rows: dict[Any, FigureRow]) -> None:
    """Open hours of the bookable resources, summed into the groups.

    One SQL query counts the resources per (group, platform, own hours); each distinct calendar
    (zone, weekly hours, the platform's closures) is laid out once; maintenance windows (few)
    are then taken off the resources they concern."""
    own_hours = cast(Resource.opening_hours, String)
    platform_hours = cast(Platform.opening_hours, String)
    counts = frame.in_scope(
        select(frame.key(), Platform.id, Platform.timezone, own_hours.label("own"), platform_hours.label("wide"),
               func.count(Resource.id))
        .join(Platform, Platform.id == Resource.platform_id)
        .where(Resource.bookable.is_(true()), Resource.status == "active")
        .group_by(frame.key() if frame.group != "service" else Platform.id, Platform.id, Platform.timezone,
                  own_hours, platform_hours)
    )
    closures: dict[int, list[Interval]] = {}
    closure_query = select(Closure.platform_id, Closure.start, Closure.end).where(
        Closure.start < frame.latest, Closure.end > frame.earliest)
    if frame.scope.platform_id is not None:
        closure_query = closure_query.where(Closure.platform_id == frame.scope.platform_id)
    for pid, start, end in db.session.execute(closure_query):
        closures.setdefault(pid, []).append((start, end))
    layouts: dict[tuple[Any, ...], tuple[list[Interval], float]] = {}

    def layout(pid: int, tz: str, hours_text: str | None) -> tuple[list[Interval], float]:
        """The open intervals of a calendar in the period, and their hours (laid out once)."""
        shut = tuple(merge(closures.get(pid, [])))
        cache_key = (tz, hours_text, shut)
        if cache_key not in layouts:
            lo, hi = frame.zones[tz]
            hours = None if hours_text in (None, "null") else json.loads(hours_text)
            intervals = subtract(clip(opening_intervals(hours, tz, lo, hi), lo, hi), list(shut))
            layouts[cache_key] = intervals, _hours(intervals)
        return layouts[cache_key]

    for key, pid, tz, own, platform_wide, n in db.session.execute(counts):
        hours_text = own if own not in (None, "null") else platform_wide
        row = _row(rows, key if frame.group != "service" else SERVICE_KEY)
        row.open_hours = (row.open_hours or 0.0) + layout(pid, tz, hours_text)[1] * int(n)
    maintenance = frame.in_scope(
        select(frame.key(), Platform.id, Platform.timezone, own_hours.label("own"), platform_hours.label("wide"),
               Maintenance.start, Maintenance.end)
        .select_from(Maintenance)
        .join(Resource, Resource.id == Maintenance.resource_id)
        .join(Platform, Platform.id == Resource.platform_id)
        .where(Resource.bookable.is_(true()), Resource.status == "active",
               Maintenance.start < frame.latest, Maintenance.end > frame.earliest)
        .order_by(Maintenance.resource_id)
    )
    for key, pid, tz, own, platform_wide, start, end in db.session.execute(maintenance):
        hours_text = own if own not in (None, "null") else platform_wide
        lost = _hours(clip(layout(pid, tz, hours_text)[0], start, end))
        row = _row(rows, key if frame.group != "service" else SERVICE_KEY)
        row.open_hours = max(0.0, (row.open_hours or 0.0) - lost)
    for row in rows.values():
        if row.open_hours is not None:
            row.open_hours = round(row.open_hours, 2)


# --- searches ---------------------------------------------------------------------------------------

def zero_result_searches(scope: Scope, period: Period) -> int:
    """Searches in the period that found nothing (those naming the platform, for one platform).
    The period is read in the site's zone (ONESTOP_DEFAULT_TIMEZONE), as the log's weeks are."""
    from flask import current_app

    from ..models import SearchLog

    lo, hi = period.bounds(current_app.config.get("ONESTOP_DEFAULT_TIMEZONE", "Asia/Shanghai"))
    query = select(func.count(SearchLog.id)).where(SearchLog.total == 0, SearchLog.created_at >= lo,
                                                   SearchLog.created_at < hi)
    if scope.platform is not None:
        query = query.where(SearchLog.platforms.contains(f",{scope.platform.code},"))
    return int(db.session.scalar(query) or 0)


__all__ = ["GROUPS", "FigureRow", "UsageReport", "usage_report", "zero_result_searches"]
