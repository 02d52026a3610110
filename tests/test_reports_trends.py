"""The charts' numbers (booking.reports.trends) against a small quarter worked out by hand.

Platform A (Asia/Shanghai, Mon–Fri 09:00–17:00, owned by the verified university O, checks users
in); platform B (Europe/Berlin, round the clock, no check-in). The first quarter of 2027, asked on
10 April; Berlin moves its clocks forward at 01:00Z on Sunday 28 March and back at 01:00Z on
Sunday 31 October.
"""
from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from test_reports_figures import WEEKDAYS, book, utc

from booking.extensions import db
from booking.models import Closure, Maintenance
from booking.reports.figures import usage_report
from booking.reports.periods import Period, parse_period
from booking.reports.scope import report_scope
from booking.reports.trends import month_starts, monthly_trend, weekday_hour_heat

NOW = utc(2027, 4, 10)
Q1 = parse_period("2027-Q1")
MON, TUE, WED, THU, FRI, SAT, SUN = range(7)


@pytest.fixture
def quarter(make_platform, make_resource, make_user, make_org) -> dict[str, Any]:
    a = make_platform(code="PA", timezone="Asia/Shanghai", opening_hours=WEEKDAYS)
    b = make_platform(code="PB", timezone="Europe/Berlin", opening_hours=None, tracks_check_in=False,
                      city_zh="柏林", city_en="Berlin")
    r1 = make_resource(platform=a, title="扫描电镜")
    r2 = make_resource(platform=b, title="流式细胞仪")
    inside, stranger, sme_user = make_user(), make_user(), make_user()
    admin = make_user(role="admin")
    make_org(members={inside: "member"}, owns=[a], kind="university")
    make_org(members={sme_user: "member"}, kind="sme")

    # A (UTC+8). Friday 15 January 09:00–13:00 local, checked in at 09:30, never checked out: 3.5 h
    book(r1, stranger, utc(2027, 1, 15, 1), utc(2027, 1, 15, 5), checked_in=utc(2027, 1, 15, 1, 30))
    # Sunday 31 January 22:00 to Monday 1 February 02:00 local: 2 h in January, 2 h in February
    book(r1, stranger, utc(2027, 1, 31, 14), utc(2027, 1, 31, 18), checked_in=utc(2027, 1, 31, 14),
         checked_out=utc(2027, 1, 31, 18))
    # Tuesday 2 March 09:00–11:00 local, used 09:00–10:30 by a member of the owner: internal 1.5 h
    book(r1, inside, utc(2027, 3, 2, 1), utc(2027, 3, 2, 3), checked_in=utc(2027, 3, 2, 1),
         checked_out=utc(2027, 3, 2, 2, 30))
    book(r1, stranger, utc(2027, 2, 3, 1), utc(2027, 2, 3, 3), "no_show")  # never effective
    book(r1, stranger, utc(2027, 2, 4, 1), utc(2027, 2, 4, 3), "confirmed")  # past, no check-in: booked only
    book(r1, stranger, utc(2027, 2, 5, 1), utc(2027, 2, 5, 3), "cancelled")
    # B (no check-in): Wednesday 10 February 09:00 CET for 30 hours: the heat map splits its first 24
    book(r2, sme_user, utc(2027, 2, 10, 8), utc(2027, 2, 11, 14), "confirmed")
    # Saturday 27 March 22:00 CET to Sunday 04:00 CEST: 5 real hours; 02:00–03:00 never happened
    book(r2, sme_user, utc(2027, 3, 27, 21), utc(2027, 3, 28, 2), "confirmed")
    # Sunday 31 October 02:00 CEST to 02:00 CET: the hour 02:00–03:00 happened twice
    book(r2, sme_user, utc(2027, 10, 31, 0), utc(2027, 10, 31, 2), "confirmed")

    db.session.add_all([
        Closure(platform_id=a.id, start=utc(2027, 3, 15, 16), end=utc(2027, 3, 16, 16), title="closed"),  # Tue 16th
        Maintenance(resource_id=r1.id, start=utc(2027, 3, 9, 1), end=utc(2027, 3, 9, 2)),  # Tue 9th 09:00–10:00
    ])
    db.session.commit()
    return {"a": a, "b": b, "r1": r1, "r2": r2, "admin": admin}


def test_month_starts():
    assert month_starts(Q1) == [date(2027, 1, 1), date(2027, 2, 1), date(2027, 3, 1)]
    assert month_starts(Period(date(2027, 1, 20), date(2027, 2, 3))) == [date(2027, 1, 20), date(2027, 2, 1)]
    assert month_starts(Period(date(2027, 12, 5), date(2028, 1, 5))) == [date(2027, 12, 5), date(2028, 1, 1)]
    assert month_starts(Period(date(2027, 3, 5), date(2027, 3, 6))) == [date(2027, 3, 5)]


def test_monthly_trend_by_hand(quarter):
    points = monthly_trend(report_scope(quarter["admin"]), Q1, now=NOW)
    assert [(p.label, p.effective_hours, p.external_hours) for p in points] == [
        ("2027-01", 5.5, 5.5),  # 3.5 + the 2 hours of 31 January
        ("2027-02", 32.0, 32.0),  # the 2 hours after midnight + 30 hours in Berlin
        ("2027-03", 6.5, 5.0),  # 1.5 internal + 5 hours across the change to summer time
    ]
    only_a = monthly_trend(report_scope(quarter["admin"], "PA"), Q1, now=NOW)
    assert [p.effective_hours for p in only_a] == [5.5, 2.0, 1.5]
    assert [p.external_hours for p in only_a] == [5.5, 2.0, 0.0]


def test_each_month_matches_its_report(quarter):
    scope = report_scope(quarter["admin"])
    points = monthly_trend(scope, Q1, now=NOW)
    for point in points:
        month = Period.month(point.month.year, point.month.month)
        total = usage_report(scope, month, "service", now=NOW).total
        assert (point.effective_hours, point.external_hours) == (total.effective_hours, total.external_hours)
    assert sum(p.effective_hours for p in points) == usage_report(scope, Q1, "service", now=NOW).total.effective_hours


def test_monthly_trend_stops_at_now_and_takes_partial_months(quarter):
    scope = report_scope(quarter["admin"], "PA")
    early = monthly_trend(scope, Q1, now=utc(2027, 3, 2, 2))  # an hour into the March booking
    assert [p.effective_hours for p in early] == [5.5, 2.0, 1.0]
    custom = monthly_trend(scope, Period(date(2027, 1, 20), date(2027, 2, 10)), now=NOW)
    assert [(p.label, p.effective_hours) for p in custom] == [("2027-01", 2.0), ("2027-02", 2.0)]
    assert [p.effective_hours for p in monthly_trend(scope, Period.month(2026, 12), now=NOW)] == [0.0]


def test_heat_map_cells_by_hand(quarter):
    heat = weekday_hour_heat(report_scope(quarter["admin"], "PA"), Period.month(2027, 3), now=NOW)
    assert heat.effective[TUE][9] == 1.0 and heat.effective[TUE][10] == 0.5
    assert heat.total_effective == 1.5
    # five Tuesdays in March 2027 (2, 9, 16, 23, 30): the 16th closed, an hour of the 9th in maintenance
    assert heat.open[TUE][9] == 3.0 and heat.open[TUE][10] == 4.0 and heat.open[WED][9] == 5.0
    assert heat.open[TUE][8] == 0.0 and heat.open[SAT][10] == 0.0
    assert heat.utilisation(TUE, 9) == round(1 / 3, 4) and heat.utilisation(TUE, 10) == 0.125
    assert heat.utilisation(SAT, 10) is None

    january = weekday_hour_heat(report_scope(quarter["admin"], "PA"), Period.month(2027, 1), now=NOW)
    assert [january.effective[FRI][h] for h in (9, 10, 11, 12, 13)] == [0.5, 1.0, 1.0, 1.0, 0.0]
    assert january.effective[SUN][22] == january.effective[SUN][23] == 1.0  # the 31st, until midnight
    assert january.total_effective == 5.5  # clipped to January


def test_heat_map_across_daylight_saving(quarter):
    berlin = report_scope(quarter["admin"], "PB")
    march = weekday_hour_heat(berlin, Period.month(2027, 3), now=NOW)
    assert [march.effective[SAT][h] for h in (21, 22, 23)] == [0.0, 1.0, 1.0]
    assert [march.effective[SUN][h] for h in (0, 1, 2, 3, 4)] == [1.0, 1.0, 0.0, 1.0, 0.0]
    assert march.total_effective == 5.0
    # four Sundays (7, 14, 21, 28) open round the clock; on the 28th 02:00–03:00 never happened
    assert (march.open[SUN][1], march.open[SUN][2], march.open[SUN][3]) == (4.0, 3.0, 4.0)
    assert march.utilisation(SUN, 3) == 0.25

    october = weekday_hour_heat(berlin, Period.month(2027, 10), now=utc(2027, 11, 5))
    assert october.effective[SUN][2] == 2.0  # both of the 31st's 02:00 hours
    assert october.effective[SUN][1] == october.effective[SUN][3] == 0.0
    assert october.open[SUN][2] == 6.0  # five Sundays, one of them with the hour twice


def test_heat_map_splits_the_first_day_of_a_long_booking(quarter):
    february = weekday_hour_heat(report_scope(quarter["admin"], "PB"), Period.month(2027, 2), now=NOW)
    assert all(february.effective[WED][h] == 1.0 for h in range(9, 24))
    assert all(february.effective[THU][h] == 1.0 for h in range(0, 9))
    assert february.effective[THU][9] == 0.0  # hours 24–30 of the booking are left out
    assert february.total_effective == 24.0
    whole = weekday_hour_heat(report_scope(quarter["admin"]), Q1, now=NOW)
    assert whole.total_effective == 5.5 + 2.0 + 24.0 + 1.5 + 5.0
    assert whole.effective[MON][0] == whole.effective[MON][1] == 1.0  # Shanghai's 1 February after midnight
