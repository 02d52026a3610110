"""Staff of one platform acting on another platform's bookings, calendar, training and orders.

Through the pages each refusal is a 403 page that says why (it used to be a flash and a redirect,
which looked like success to a script and to a hurried reader); through the API it is a 403 JSON
answer. Either way nothing changes.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from booking.engine.calendars import add_closure, add_maintenance
from booking.engine.qualifications import grant_qualification, request_training
from booking.engine.reservations import create_reservation
from booking.extensions import db
from booking.models import (
    BookingRestriction,
    Closure,
    Maintenance,
    Order,
    Qualification,
    Reservation,
    TrainingRequest,
    utcnow,
)

from support import csrf_token

SHANGHAI = ZoneInfo("Asia/Shanghai")


def coming(days: int, hour: int) -> datetime:
    day = datetime.now(SHANGHAI).date() + timedelta(days=days)
    return datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI)


@pytest.fixture
def theirs(make_platform, make_resource, make_user, auth) -> dict[str, Any]:
    """Platform B's things (a pending and a confirmed booking, a maintenance window, a closure, a
    training request, a qualification, a restriction, an order); the staff member of platform A."""
    ours, other = make_platform(code="A"), make_platform(code="B")
    instrument = make_resource(platform=other, opening_hours=None, booking_rules={"requires_approval": True})
    open_one = make_resource(platform=other, opening_hours=None)
    trained = make_resource(platform=other, opening_hours=None, requires_training=True)
    service = make_resource(platform=other, kind="testing_service", bookable=False, orderable=True,
                            title_en="Tensile testing", price_amount=300, price_currency="CNY", price_unit="sample")
    booker = make_user(email="booker@example.com", language="en")
    their_staff = make_user(email="staff-b@example.com", role="staff", platform=other)
    our_staff = make_user(email="staff-a@example.com", role="staff", platform=ours, language="en")
    pending = create_reservation(booker, instrument, coming(3, 9), coming(3, 10), "XRD")
    confirmed = create_reservation(booker, open_one, coming(4, 9), coming(4, 10), "SEM")
    window = add_maintenance(their_staff, open_one, coming(6, 9), coming(6, 12), "lamp")
    closure = add_closure(their_staff, other, coming(8, 0), coming(9, 0), "Founders' day")
    asked = request_training(booker, trained, "please")
    qualified = grant_qualification(their_staff, make_user(email="trained@example.com"), trained,
                                    date.today() + timedelta(days=90))
    restriction = BookingRestriction(user_id=booker.id, platform_id=other.id, until=utcnow() + timedelta(days=10),
                                     no_shows=3)
    db.session.add(restriction)
    db.session.commit()
    ordered = auth.client.post("/api/v1/orders", headers=auth.token(booker.email), json={
        "resource_id": service.id, "samples": 2, "sample_description": "two dog-bone specimens"})
    assert ordered.status_code == 201, ordered.get_json()
    assert pending.status == "pending" and confirmed.status == "confirmed"
    return {"our_staff": our_staff, "pending": pending, "confirmed": confirmed, "window": window, "closure": closure,
            "asked": asked, "qualified": qualified, "restriction": restriction,
            "order": db.session.get(Order, ordered.get_json()["id"])}


def refused_page(response: Any) -> str:
    assert response.status_code == 403, (response.status_code, response.headers.get("Location"))
    assert "Location" not in response.headers
    return response.get_data(as_text=True)


def test_staff_pages_refuse_another_platforms_bookings_with_403(client, auth, theirs):
    auth.login(theirs["our_staff"].email)
    token = csrf_token(client, "/staff")
    pending, confirmed = theirs["pending"], theirs["confirmed"]
    for reservation, action in ((pending, "approve"), (pending, "reject"), (confirmed, "cancel"),
                                (confirmed, "cancel-rest"), (confirmed, "completed"), (confirmed, "no_show")):
        response = client.post(f"/staff/reservations/{reservation.id}/{action}?lang=en",
                               data={"csrf_token": token, "reason": "not mine to decide"},
                               headers={"Referer": "/staff"})
        page = refused_page(response)
        assert "Only staff of this resource" in page or "not yours" in page, (action, page)
    refused_page(client.post(f"/bookings/{confirmed.id}/cancel?lang=en", data={"csrf_token": token,
                                                                             "reason": "no"}))
    db.session.expire_all()
    assert db.session.get(Reservation, pending.id).status == "pending"
    assert db.session.get(Reservation, confirmed.id).status == "confirmed"


def test_staff_pages_refuse_another_platforms_calendar_and_training_with_403(client, auth, theirs):
    auth.login(theirs["our_staff"].email)
    token = csrf_token(client, "/staff")
    for path, data in (
        (f"/staff/maintenance/{theirs['window'].id}/delete", {}),
        (f"/staff/closures/{theirs['closure'].id}/delete", {}),
        (f"/staff/training/requests/{theirs['asked'].id}/approve",
         {"expires_on": (date.today() + timedelta(days=30)).isoformat()}),
        (f"/staff/training/requests/{theirs['asked'].id}/decline", {"note": "no"}),
        (f"/staff/qualifications/{theirs['qualified'].id}/revoke", {}),
        (f"/staff/restrictions/{theirs['restriction'].id}/lift", {}),
    ):
        refused_page(client.post(path + "?lang=en", data={"csrf_token": token, **data}, headers={"Referer": "/staff"}))
    db.session.expire_all()
    assert db.session.get(Maintenance, theirs["window"].id) is not None
    assert db.session.get(Closure, theirs["closure"].id) is not None
    assert db.session.get(TrainingRequest, theirs["asked"].id).status == theirs["asked"].status
    assert db.session.get(Qualification, theirs["qualified"].id).revoked_at is None
    assert db.session.get(BookingRestriction, theirs["restriction"].id).lifted_at is None


def test_staff_pages_refuse_another_platforms_orders_with_403(client, auth, theirs):
    order = theirs["order"]
    auth.login(theirs["our_staff"].email)
    token = csrf_token(client, "/staff")
    refused_page(client.get(f"/orders/{order.id}"))
    refused_page(client.post(f"/orders/{order.id}/quote?lang=en", data={
        "csrf_token": token, "quote-csrf_token": token, "quote-price": "100.00",
        "quote-promised_date": (date.today() + timedelta(days=10)).isoformat()}))
    refused_page(client.post(f"/orders/{order.id}/cancel?lang=en", data={"csrf_token": token,
                                                                         "cancel-reason": "no"}))
    db.session.expire_all()
    assert db.session.get(Order, order.id).status == "submitted"


def test_the_api_refuses_the_same_actions_with_403(client, auth, theirs):
    headers = {**auth.token(theirs["our_staff"].email), "Accept-Language": "en"}
    pending, confirmed, order = theirs["pending"], theirs["confirmed"], theirs["order"]
    for path, body in (
        (f"/api/v1/reservations/{pending.id}/approve", {}),
        (f"/api/v1/reservations/{pending.id}/reject", {"reason": "not mine"}),
        (f"/api/v1/reservations/{confirmed.id}/cancel", {"reason": "not mine"}),
        (f"/api/v1/orders/{order.id}/quote", {"price": "100.00",
                                              "promised_date": (date.today() + timedelta(days=9)).isoformat()}),
        (f"/api/v1/orders/{order.id}/cancel", {"reason": "not mine"}),
    ):
        response = client.post(path, json=body, headers=headers)
        assert response.status_code == 403, (path, response.get_json())
        assert response.get_json()["error"] == "forbidden"
    assert client.get(f"/api/v1/orders/{order.id}", headers=headers).status_code == 403
    db.session.expire_all()
    assert db.session.get(Reservation, pending.id).status == "pending"
    assert db.session.get(Reservation, confirmed.id).status == "confirmed"
    assert db.session.get(Order, order.id).status == "submitted"


def test_a_conflict_on_a_page_still_flashes_and_goes_back(client, auth, make_platform, make_resource, make_user):
    """Only refusals became 403 pages: a booking that is no longer pending is still a message on the
    calendar the staff member came from."""
    platform = make_platform()
    resource = make_resource(platform=platform, opening_hours=None)
    staff = make_user(email="staff@example.com", role="staff", platform=platform, language="en")
    booked = create_reservation(make_user(), resource, coming(3, 9), coming(3, 10), "SEM")
    db.session.commit()
    auth.login(staff.email)
    response = client.post(f"/staff/reservations/{booked.id}/approve",
                           data={"csrf_token": csrf_token(client, "/staff")}, headers={"Referer": "/staff"})
    assert response.status_code == 303 and response.headers["Location"].endswith("/staff")


@pytest.mark.parametrize("resource_id", ["99999999999999999999", str(2**31), "²", "x"])
def test_hours_of_an_unreadable_resource_id_is_404(client, auth, make_platform, make_user, resource_id):
    staff = make_user(email="staff@example.com", role="staff", platform=make_platform(), language="en")
    auth.login(staff.email)
    assert client.get("/staff/hours", query_string={"resource_id": resource_id}).status_code == 404
