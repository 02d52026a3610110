"""Sharing-performance figures against a small month worked out by hand (issue 13).

March 2027. Platform A (Asia/Shanghai, Mon–Fri 09:00–17:00, owned by the verified university O,
checks users in); platform B (Europe/Berlin, round the clock, no check-in). `now` is in April.
"""
from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from booking.extensions import db
from booking.models import (
    BookingEvent,
    Closure,
    Maintenance,
    Order,
    OrderEvent,
    Reservation,
    SearchLog,
    WaitlistEntry,
)
from booking.reports.errors import BadGrouping, BadPeriod, NotYourPlatform, UnknownPlatform
from booking.reports.figures import usage_report
from booking.reports.periods import Period, parse_period, period_between
from booking.reports.scope import report_scope

NOW = datetime(2027, 4, 10, tzinfo=UTC)
MARCH = Period.month(2027, 3)
WEEKDAYS = {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def book(resource: Any, user: Any, start: datetime, end: datetime, status: str = "completed", *,
         checked_in: datetime | None = None, checked_out: datetime | None = None, actual: str | None = None,
         estimate: str | None = None, voucher: str = "0", created: datetime | None = None) -> Reservation:
    reservation = Reservation(
        resource_id=resource.id, user_id=user.id, start=start, end=end, block_start=start, block_end=end,
        status=status, checked_in_at=checked_in, checked_out_at=checked_out,
        fee_actual=Decimal(actual) if actual else None, fee_estimate=Decimal(estimate) if estimate else None,
        voucher_amount=Decimal(voucher), created_at=created or start - timedelta(days=3),
    )
    db.session.add(reservation)
    db.session.flush()
    return reservation


def order(resource: Any, user: Any, samples: int, price: str, promised: date | None,
          steps: dict[str, datetime], status: str = "completed") -> Order:
    first = min(steps.values())
    item = Order(resource_id=resource.id, platform_id=resource.platform_id, user_id=user.id, status=status,
                 samples=samples, sample_description="samples", price_amount=Decimal(price),
                 promised_date=promised, created_at=first - timedelta(days=1))
    db.session.add(item)
    db.session.flush()
    previous = "submitted"
    for to_status, at in steps.items():
        db.session.add(OrderEvent(order_id=item.id, action=to_status, from_status=previous, to_status=to_status, at=at))
        previous = to_status
    db.session.flush()
    return item


@pytest.fixture
def month(make_platform, make_resource, make_user, make_org) -> dict[str, Any]:
    a = make_platform(code="PA", timezone="Asia/Shanghai", opening_hours=WEEKDAYS, city_zh="南京", city_en="Nanjing")
    b = make_platform(code="PB", timezone="Europe/Berlin", opening_hours=None, tracks_check_in=False,
                      city_zh="柏林", city_en="Berlin")
    r1 = make_resource(platform=a, title="扫描电镜", attributes={"model": "Regulus 8100", "asset_value": 3200000})
    r2 = make_resource(platform=b, title="流式细胞仪")
    test = make_resource(platform=a, kind="testing_service", title="拉伸试验", bookable=False, orderable=True)
    inside, startup_user, stranger, sme_user = (make_user() for _ in range(4))
    staff_a = make_user(role="staff", platform=a)
    staff_b = make_user(role="staff", platform=b)
    admin = make_user(role="admin")
    make_org(members={inside: "member"}, owns=[a], kind="university")
    make_org(members={startup_user: "member"}, kind="startup")
    make_org(members={sme_user: "member"}, kind="sme", city="苏州")

    # platform A, resource r1 (Shanghai = UTC+8; March there is 02-28 16:00Z to 03-31 16:00Z)
    b1 = book(r1, inside, utc(2027, 3, 2, 1), utc(2027, 3, 2, 3), checked_in=utc(2027, 3, 2, 1),
              checked_out=utc(2027, 3, 2, 2, 30), actual="150", estimate="200", created=utc(2027, 3, 1, 1))
    b2 = book(r1, startup_user, utc(2027, 3, 3, 1), utc(2027, 3, 3, 5), checked_in=utc(2027, 3, 3, 1, 10),
              estimate="400", voucher="100", created=utc(2027, 3, 2, 1))
    book(r1, stranger, utc(2027, 3, 4, 1), utc(2027, 3, 4, 2), "confirmed", estimate="100")
    book(r1, stranger, utc(2027, 3, 5, 1), utc(2027, 3, 5, 3), "no_show", estimate="200")
    book(r1, inside, utc(2027, 3, 6, 1), utc(2027, 3, 6, 3), "cancelled", estimate="200")
    book(r1, startup_user, utc(2027, 3, 31, 14), utc(2027, 3, 31, 18), checked_in=utc(2027, 3, 31, 14),
         checked_out=utc(2027, 3, 31, 18), actual="300")  # 2 of its 4 hours fall in March
    book(r1, inside, utc(2027, 2, 28, 15), utc(2027, 2, 28, 17), checked_in=utc(2027, 2, 28, 15),
         checked_out=utc(2027, 2, 28, 17), actual="999")  # began in February: 1 hour in March, no money
    # platform B (Berlin): 22:00 CET on 27 March to 04:00 CEST on the 28th is 5 real hours; no check-in
    b3 = book(r2, sme_user, utc(2027, 3, 27, 21), utc(2027, 3, 28, 2), "confirmed", estimate="50",
              created=utc(2027, 3, 26, 21))

    db.session.add_all([
        Closure(platform_id=a.id, start=utc(2027, 3, 7, 16), end=utc(2027, 3, 8, 16), title="closed"),  # Mon 8th
        Maintenance(resource_id=r1.id, start=utc(2027, 3, 9, 1), end=utc(2027, 3, 9, 3)),  # 2 open hours lost
        Maintenance(resource_id=r1.id, start=utc(2027, 3, 8, 2), end=utc(2027, 3, 8, 4)),  # inside the closure
    ])
    # approvals: 1 h, 2 h and 10 h after the request
    for reservation, waited in ((b1, 1), (b2, 2), (b3, 10)):
        db.session.add(BookingEvent(reservation_id=reservation.id, kind="approved", actor_id=staff_a.id,
                                    at=reservation.created_at + timedelta(hours=waited)))
    # orders of the testing service: 4 days on time, 8 days late (closed at 01:00 on the 14th, local)
    order(test, startup_user, 3, "500", date(2027, 3, 20), {
        "received": utc(2027, 3, 10, 2), "reported": utc(2027, 3, 14, 2), "completed": utc(2027, 3, 15, 2)})
    order(test, inside, 2, "200", date(2027, 3, 13), {
        "received": utc(2027, 3, 5, 0), "reported": utc(2027, 3, 13, 0), "completed": utc(2027, 3, 13, 17)})
    order(test, inside, 9, "900", None, {"received": utc(2027, 4, 1), "completed": utc(2027, 4, 2)})
    order(test, stranger, 9, "900", None, {"received": utc(2027, 3, 2)}, status="cancelled")
    db.session.add_all([
        WaitlistEntry(resource_id=r1.id, user_id=stranger.id, start=utc(2027, 3, 20, 1), end=utc(2027, 3, 20, 2)),
        WaitlistEntry(resource_id=r1.id, user_id=stranger.id, start=utc(2027, 3, 21, 1), end=utc(2027, 3, 21, 2),
                      status="fulfilled"),
    ])
    for total, at, platforms in ((0, utc(2027, 3, 3), ",PA,"), (4, utc(2027, 3, 3), ",PA,"),
                                 (0, utc(2027, 4, 3), ",PA,"), (0, utc(2027, 3, 9), "")):
        db.session.add(SearchLog(created_at=at, week=at.date(), source="web", query="x", query_key="x",
                                 platforms=platforms, total=total))
    db.session.commit()
    return {"a": a, "b": b, "r1": r1, "r2": r2, "test": test, "staff_a": staff_a, "staff_b": staff_b,
            "admin": admin, "user": stranger}


def rows_by(report: Any) -> dict[Any, Any]:
    return {row.key: row for row in report.rows}


def test_platform_figures_by_hand(month):
    a, b = month["a"], month["b"]
    report = usage_report(report_scope(month["admin"]), MARCH, "platform", now=NOW)
    rows = rows_by(report)
    pa, pb = rows[a.id], rows[b.id]
    assert pa.label["code"] == "PA"
    assert pa.booked_hours == 12.0  # 2 + 4 + 1 + 2 + 2 (of 4) + 1 (of 2)
    assert pa.effective_hours == 8.33  # 1.5 + 3h50 + 2 + 1
    assert pa.internal_hours == 2.5
    assert pa.external_hours == 5.83
    assert pa.share_rate == round(5.83 / 8.33, 4)
    assert pa.open_hours == 174.0  # 23 weekdays × 8 h − the closed Monday − 2 h maintenance
    assert pa.utilisation == round(8.33 / 174, 4)
    assert (pa.bookings, pa.no_shows, pa.due, pa.no_show_rate) == (5, 1, 5, 0.2)
    assert pa.income_internal == Decimal("350.00")  # 150 booking + 200 order
    assert pa.income_external == Decimal("1500.00")  # 400 + 100 (estimate) + 200 (no-show) + 300 + 500 order
    assert pa.income_voucher == Decimal("100.00")
    assert (pa.orders_completed, pa.samples, pa.orders_promised, pa.orders_on_time) == (2, 5, 2, 1)
    assert pa.turnaround_median_days == 6.0
    assert pa.on_time_share == 0.5
    assert (pa.users_served, pa.organisations_served) == (2, 2)
    assert pa.organisations_by_kind == {"university": 1, "startup": 1}
    assert pa.smes_served == 1
    assert (pa.approvals, pa.approval_median_hours, pa.approval_p90_hours) == (2, 1.5, 1.9)
    assert pa.waitlist_unfulfilled == 1

    assert pb.booked_hours == pb.effective_hours == pb.external_hours == 5.0  # no check-in: booked is used
    assert pb.open_hours == 743.0  # 31 days less the hour daylight saving takes
    assert pb.income_external == Decimal("50.00")
    assert (pb.users_served, pb.organisations_by_kind, pb.organisations_by_city, pb.smes_served) == (
        1, {"sme": 1}, {"苏州": 1}, 1)

    total = report.total
    assert total.booked_hours == 17.0 and total.effective_hours == 13.33
    assert (total.users_served, total.organisations_served, total.smes_served) == (3, 3, 2)
    assert (total.approvals, total.approval_median_hours, total.approval_p90_hours) == (3, 2.0, 8.4)
    assert total.open_hours == 917.0
    assert report.zero_result_searches == 2


def test_resource_and_city_groups(month):
    admin = month["admin"]
    by_resource = rows_by(usage_report(report_scope(admin, "PA"), MARCH, "resource", now=NOW))
    r1 = by_resource[month["r1"].id]
    assert r1.label["model"] == "Regulus 8100" and r1.label["asset_value"] == 3200000
    assert (r1.effective_hours, r1.open_hours, r1.orders_completed) == (8.33, 174.0, 0)
    service = by_resource[month["test"].id]
    assert (service.orders_completed, service.samples, service.open_hours) == (2, 5, None)
    assert month["r2"].id not in by_resource
    by_city = rows_by(usage_report(report_scope(admin), MARCH, "city", now=NOW))
    assert set(by_city) == {"南京", "柏林"}
    assert by_city["柏林"].effective_hours == 5.0 and by_city["柏林"].label["name_en"] == "Berlin"


def test_the_total_is_the_same_whatever_the_grouping(month):
    """The total row of a report by resource, platform or city (groups summed where figures add up)
    equals the report of the whole service (worked out in one pass)."""
    scope = report_scope(month["admin"])
    whole = asdict(usage_report(scope, MARCH, "service", now=NOW).total)
    assert whole["effective_hours"] == 13.33 and whole["users_served"] == 3
    for group in ("resource", "platform", "city"):
        assert asdict(usage_report(scope, MARCH, group, now=NOW).total) == whole, group


def test_a_later_now_and_other_periods(month):
    """Asked on 3 March, only what had happened by then counts as used."""
    early = usage_report(report_scope(month["admin"], "PA"), MARCH, "service", now=utc(2027, 3, 3, 2)).total
    assert early.effective_hours == 3.33  # 1.5 + February's 1 + 50 minutes of the booking in progress
    q1 = usage_report(report_scope(month["admin"], "PA"), parse_period("2027-Q1"), "service", now=NOW).total
    assert q1.booked_hours == 13.0 and q1.income_internal == Decimal("1349.00")  # February's booking too


def test_access_rules(month):
    assert report_scope(month["staff_a"]).platform.code == "PA"  # staff: their own platform by default
    assert report_scope(month["staff_a"], "PA").platform.code == "PA"
    with pytest.raises(NotYourPlatform):
        report_scope(month["staff_a"], "PB")
    with pytest.raises(NotYourPlatform):
        report_scope(month["user"])
    with pytest.raises(UnknownPlatform):
        report_scope(month["admin"], "NOPE")
    assert report_scope(month["admin"]).platform is None
    assert report_scope(None, "PB").platform.code == "PB"  # the operator at the command line
    with pytest.raises(BadGrouping):
        usage_report(report_scope(month["admin"]), MARCH, "weekday")


def test_periods():
    assert parse_period("2027") == Period(date(2027, 1, 1), date(2027, 12, 31))
    assert parse_period("2027-Q4") == Period(date(2027, 10, 1), date(2027, 12, 31))
    assert parse_period("2027-02") == Period(date(2027, 2, 1), date(2027, 2, 28))
    assert parse_period("2027-03-05/2027-03-06").days == 2
    assert MARCH.bounds("Europe/Berlin") == (utc(2027, 2, 28, 23), utc(2027, 3, 31, 22))
    for bad in ("2027-13", "March", "2027-Q5", "2027-03-05/2027-03-01"):
        with pytest.raises(BadPeriod):
            parse_period(bad)
    with pytest.raises(BadPeriod):
        period_between("2027-01-01", "2031-01-01")
