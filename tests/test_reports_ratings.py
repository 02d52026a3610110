"""Satisfaction in the sharing-performance figures (booking.reports.ratings): the average stars of
ratings of bookings that start in the period and of orders completed in it, each platform's
period read in its own zone, grouped like every other figure."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from booking.engine.ratings import rate_order, rate_reservation
from booking.extensions import db
from booking.models import Order, OrderEvent, Reservation
from booking.reports.figures import FigureRow, make_frame
from booking.reports.periods import Period
from booking.reports.ratings import rating_figures
from booking.reports.scope import report_scope

NOW = datetime(2027, 4, 10, tzinfo=UTC)
MARCH = Period.month(2027, 3)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def rated_booking(resource: Any, user: Any, start: datetime, stars: int) -> Reservation:
    reservation = Reservation(resource_id=resource.id, user_id=user.id, start=start, end=start + timedelta(hours=1),
                              block_start=start, block_end=start + timedelta(hours=1), status="completed")
    db.session.add(reservation)
    db.session.flush()
    rate_reservation(user, reservation, stars, "", now=NOW)
    return reservation


def rated_order(resource: Any, user: Any, completed: datetime, stars: int) -> Order:
    order = Order(resource_id=resource.id, platform_id=resource.platform_id, user_id=user.id, status="completed",
                  samples=1, sample_description="x", price_amount=Decimal("100"), created_at=completed - timedelta(days=3))
    db.session.add(order)
    db.session.flush()
    db.session.add(OrderEvent(order_id=order.id, action="complete", from_status="reported", to_status="completed",
                              at=completed))
    db.session.flush()
    rate_order(user, order, stars, "", now=NOW)
    return order


@pytest.fixture
def rated(make_platform, make_resource, make_user) -> dict[str, Any]:
    a = make_platform(code="PA", timezone="Asia/Shanghai", city_zh="南京", city_en="Nanjing")
    b = make_platform(code="PB", timezone="Europe/Berlin", city_zh="柏林", city_en="Berlin")
    r1 = make_resource(platform=a)
    r2 = make_resource(platform=a)
    test = make_resource(platform=a, kind="testing_service", bookable=False, orderable=True)
    rb = make_resource(platform=b)
    user = make_user()
    # Shanghai (UTC+8): March is 02-28 16:00Z to 03-31 16:00Z
    rated_booking(r1, user, utc(2027, 2, 28, 17), 5)  # 1 March 01:00 local: in
    rated_booking(r1, user, utc(2027, 3, 15, 2), 4)
    rated_booking(r1, user, utc(2027, 3, 31, 16, 30), 1)  # 1 April 00:30 local: out
    rated_booking(r1, user, utc(2027, 2, 28, 15), 1)  # 28 February 23:00 local: out
    rated_booking(r2, user, utc(2027, 3, 20, 2), 2)
    rated_order(test, user, utc(2027, 3, 10, 2), 3)
    rated_order(test, user, utc(2027, 4, 2, 2), 1)  # completed in April: out
    # Berlin (UTC+1 until 28 March): 31 March 22:30Z is 1 April 00:30 CEST: out; 22:30 on the 30th: in
    rated_booking(rb, user, utc(2027, 3, 30, 20, 30), 3)
    rated_booking(rb, user, utc(2027, 3, 31, 22, 30), 5)
    admin = make_user(role="admin")
    db.session.commit()
    return {"a": a, "b": b, "r1": r1, "r2": r2, "test": test, "rb": rb, "admin": admin}


def figures(user: Any, group: str, platform_code: str | None = None) -> dict[Any, FigureRow]:
    frame = make_frame(report_scope(user, platform_code), MARCH, group, NOW)
    rows: dict[Any, FigureRow] = {}
    rating_figures(frame, rows)
    return rows


def test_average_stars_by_platform(rated):
    rows = figures(rated["admin"], "platform")
    assert rows[rated["a"].id].rating == 3.5  # 5, 4, 2 and the order's 3
    assert rows[rated["b"].id].rating == 3.0


def test_average_stars_by_resource_with_the_order_on_its_service(rated):
    rows = figures(rated["admin"], "resource")
    assert rows[rated["r1"].id].rating == 4.5
    assert rows[rated["r2"].id].rating == 2.0
    assert rows[rated["test"].id].rating == 3.0
    assert rows[rated["rb"].id].rating == 3.0


def test_average_stars_by_city_and_for_the_service(rated):
    by_city = figures(rated["admin"], "city")
    assert by_city["南京"].rating == 3.5 and by_city["柏林"].rating == 3.0
    assert figures(rated["admin"], "service")["*"].rating == round((5 + 4 + 2 + 3 + 3) / 5, 2)


def test_one_platforms_figures_leave_the_others_out(rated):
    rows = figures(rated["admin"], "resource", "PB")
    assert set(rows) == {rated["rb"].id}


def test_two_decimals_and_none_where_nobody_rated(rated, make_resource, make_user):
    user = make_user()
    rated_booking(rated["r2"], user, utc(2027, 3, 21, 2), 4)
    rated_booking(rated["r2"], user, utc(2027, 3, 22, 2), 4)
    db.session.commit()
    rows = figures(rated["admin"], "resource")
    assert rows[rated["r2"].id].rating == 3.33  # (2 + 4 + 4) / 3
    quiet = make_resource(platform=rated["a"])
    rows = {quiet.id: FigureRow(quiet.id)}
    rating_figures(make_frame(report_scope(rated["admin"]), MARCH, "resource", NOW), rows)
    assert rows[quiet.id].rating is None
