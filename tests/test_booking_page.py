"""A page per booking: who may see it, what it says (reference, local times, fee, history in
words), its actions (change, check in, no-show), and the reference that leads to it."""
from __future__ import annotations

import re
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from flask import g

from booking.engine import create_reservation
from booking.engine.references import order_reference, parse_reference, reservation_reference
from booking.engine.reservations import move_reservation
from booking.extensions import db
from booking.models import Order, Reservation, ResourceRate, utcnow

from support import csrf_token

SHANGHAI = ZoneInfo("Asia/Shanghai")


def days_ahead(days: int, hour: int, minute: int = 0) -> datetime:
    day = datetime.now(SHANGHAI).date() + timedelta(days=days)
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI)


def switch_user(auth, email: str) -> None:
    g.pop("csrf_token", None)
    auth.logout()
    g.pop("_login_user", None)
    g.pop("csrf_token", None)
    response = auth.login(email)
    assert response.status_code == 302


def text(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def lab(make_platform, make_resource, make_user):
    platform = make_platform(name_en="Materials Lab", timezone="Asia/Shanghai",
                             booking_rules={"cancel_notice_minutes": 60})
    resource = make_resource(platform=platform, opening_hours=None, title_en="X-ray diffractometer")
    db.session.add(ResourceRate(resource_id=resource.id, unit="hour", external=Decimal("150.00"), currency="CNY"))
    db.session.commit()
    owner = make_user(email="alice@example.com", name="Alice", language="en")
    staff = make_user(email="staff@example.com", name="Sam", role="staff", platform=platform, language="en")
    reservation = create_reservation(owner, resource, days_ahead(3, 9), days_ahead(3, 11), "powder <b>XRD</b>")
    db.session.commit()
    return platform, resource, owner, staff, reservation


def test_references_read_and_parse():
    assert parse_reference("OS-2026-000123") == ("OS", 2026, 123)
    assert parse_reference(" or-2027-000045 ") == ("OR", 2027, 45)
    assert parse_reference("OS-2026-1234567") == ("OS", 2026, 1234567)
    for bad in ("OS-26-000123", "XX-2026-000123", "OS-2026-12", "123", ""):
        assert parse_reference(bad) is None


def test_reference_of_a_booking_and_an_order(lab, make_user):
    _platform, resource, owner, _staff, reservation = lab
    year = reservation.created_at.astimezone(SHANGHAI).year
    assert reservation_reference(reservation) == f"OS-{year}-{reservation.id:06d}"
    order = Order(resource_id=resource.id, platform_id=resource.platform_id, user_id=owner.id,
                  created_at=datetime(2026, 12, 31, 17, 0, tzinfo=ZoneInfo("UTC")))  # 01:00 on 1 Jan in Shanghai
    order.id = 45
    order.platform = resource.platform
    assert order_reference(order) == "OR-2027-000045"


def test_owner_sees_the_page_with_reference_times_fee_and_history(client, auth, lab):
    _platform, _resource, owner, _staff, reservation = lab
    auth.login(owner.email)
    page = client.get(f"/bookings/{reservation.id}?lang=en")
    assert page.status_code == 200
    html = text(page)
    assert reservation_reference(reservation) in html
    assert "X-ray diffractometer" in html and "Materials Lab" in html
    assert "09:00" in html and "11:00" in html and "Asia/Shanghai" in html  # local times
    assert "300.00" in html and "estimate" in html
    assert "powder &lt;b&gt;XRD&lt;/b&gt;" in html and "<b>XRD</b>" not in html
    assert "Booked." in html
    assert f'action="/bookings/{reservation.id}/change"' in html
    assert f"/bookings/{reservation.id}.ics" in html


def test_staff_see_it_others_get_404(client, auth, lab, make_user, make_platform):
    _platform, _resource, _owner, staff, reservation = lab
    make_user(email="eve@example.com")
    make_user(email="other-staff@example.com", role="staff", platform=make_platform())
    make_user(email="admin@example.com", role="admin")
    auth.login(staff.email)
    assert client.get(f"/bookings/{reservation.id}").status_code == 200
    for email in ("eve@example.com", "other-staff@example.com"):
        switch_user(auth, email)
        assert client.get(f"/bookings/{reservation.id}").status_code == 404
        assert client.get(f"/bookings/{reservation_reference(reservation)}").status_code == 404
    switch_user(auth, "admin@example.com")
    assert client.get(f"/bookings/{reservation.id}").status_code == 200
    assert client.get("/bookings/999999").status_code == 404


def test_the_reference_redirects_to_the_page(client, auth, lab):
    _platform, _resource, owner, _staff, reservation = lab
    auth.login(owner.email)
    ref = reservation_reference(reservation)
    response = client.get(f"/bookings/{ref}")
    assert response.status_code == 301 and response.location.endswith(f"/bookings/{reservation.id}")
    assert client.get(f"/bookings/{ref.lower()}").status_code == 301
    wrong_year = re.sub(r"-(\d{4})-", lambda m: f"-{int(m.group(1)) - 1}-", ref)
    assert client.get(f"/bookings/{wrong_year}").status_code == 404
    assert client.get("/bookings/OR-2026-000001").status_code == 404
    assert client.get("/bookings/nonsense").status_code == 404


def test_owner_moves_it_on_the_page(client, auth, lab):
    _platform, _resource, owner, _staff, reservation = lab
    auth.login(owner.email)
    token = csrf_token(client, f"/bookings/{reservation.id}")
    day = days_ahead(4, 0).date().isoformat()
    response = client.post(f"/bookings/{reservation.id}/change?lang=en", data={
        "csrf_token": token, "day": day, "start": "14:00", "end": "15:30", "purpose": "powder <b>XRD</b>"})
    assert response.status_code == 303
    page = text(client.get(f"/bookings/{reservation.id}?lang=en"))
    assert "Moved to" in page and "14:00" in page
    assert re.search(r"Moved from .*09:00.* to .*14:00", page)
    db.session.expire_all()
    moved = db.session.get(Reservation, reservation.id)
    assert moved.start == days_ahead(4, 14) and moved.end == days_ahead(4, 15, 30)
    assert moved.fee_estimate == Decimal("225.00")


def test_a_refused_change_shows_the_reason_beside_the_form(client, auth, lab, make_user):
    _platform, resource, owner, _staff, reservation = lab
    create_reservation(make_user(), resource, days_ahead(5, 9), days_ahead(5, 12))
    db.session.commit()
    auth.login(owner.email)
    token = csrf_token(client, f"/bookings/{reservation.id}")
    response = client.post(f"/bookings/{reservation.id}/change?lang=en", data={
        "csrf_token": token, "day": days_ahead(5, 0).date().isoformat(), "start": "10:00", "end": "11:00"})
    assert response.status_code == 409
    assert "That time is taken" in text(response)
    db.session.expire_all()
    assert db.session.get(Reservation, reservation.id).start == days_ahead(3, 9)


def test_staff_change_needs_a_reason_and_the_history_names_them(client, auth, lab):
    _platform, _resource, _owner, staff, reservation = lab
    auth.login(staff.email)
    token = csrf_token(client, f"/bookings/{reservation.id}")
    data = {"csrf_token": token, "day": days_ahead(6, 0).date().isoformat(), "start": "09:00", "end": "10:00"}
    refused = client.post(f"/bookings/{reservation.id}/change?lang=en", data=data)
    assert refused.status_code == 422 and "Give the booker a reason" in text(refused)
    moved = client.post(f"/bookings/{reservation.id}/change?lang=en", data={**data, "reason": "vacuum pump service"})
    assert moved.status_code == 303
    html = text(client.get(f"/bookings/{reservation.id}?lang=en"))
    assert "vacuum pump service" in html and "Sam (staff)" in html


def test_staff_check_in_and_no_show_buttons(client, auth, lab, make_user):
    platform, resource, _owner, staff, _reservation = lab
    booker = make_user(email="late@example.com")
    now = utcnow()
    started = create_reservation(booker, resource, now + timedelta(minutes=2), now + timedelta(hours=1), "",
                                 now=now - timedelta(minutes=5))
    db.session.commit()
    # it started a moment ago
    started.start = now - timedelta(minutes=1)
    started.block_start = started.start
    db.session.commit()
    auth.login(staff.email)
    html = text(client.get(f"/bookings/{started.id}?lang=en"))
    assert "Check in" in html and "No-show" in html
    token = csrf_token(client, f"/bookings/{started.id}")
    assert client.post(f"/bookings/{started.id}/attendance/check-in", data={"csrf_token": token}).status_code == 303
    db.session.expire_all()
    assert db.session.get(Reservation, started.id).checked_in_at is not None
    assert client.post(f"/bookings/{started.id}/attendance/check-in", data={}).status_code == 400  # no CSRF token
    assert client.post(f"/bookings/{started.id}/attendance/no-show", data={"csrf_token": token}).status_code == 303
    db.session.expire_all()
    assert db.session.get(Reservation, started.id).status == "no_show"
    html = text(client.get(f"/bookings/{started.id}?lang=en"))
    assert "Checked in." in html and "Marked as no-show." in html


def test_owner_cannot_record_an_outcome(client, auth, lab):
    _platform, _resource, owner, _staff, reservation = lab
    auth.login(owner.email)
    token = csrf_token(client, f"/bookings/{reservation.id}")
    response = client.post(f"/bookings/{reservation.id}/attendance/no-show", data={"csrf_token": token})
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(Reservation, reservation.id).status == "confirmed"


def test_history_in_chinese(client, auth, lab):
    _platform, _resource, owner, staff, reservation = lab
    move_reservation(staff, reservation, days_ahead(7, 9), days_ahead(7, 10), reason="维护")
    db.session.commit()
    auth.login(owner.email)
    html = text(client.get(f"/bookings/{reservation.id}?lang=zh"))
    assert reservation_reference(reservation) in html
    assert "维护" in html
    assert "Moved from" not in html and "History" not in html


def test_the_orders_page_shows_its_reference(client, auth, world):
    from support.orders import new_order

    created = new_order(client, auth.token(world.user.email), world.service)
    assert created.status_code == 201, created.get_json()
    order = db.session.get(Order, created.get_json()["id"])
    auth.login(world.user.email)
    html = text(client.get(f"/orders/{order.id}?lang=en"))
    year = order.created_at.astimezone(SHANGHAI).year
    assert order_reference(order) == f"OR-{year}-{order.id:06d}"
    assert order_reference(order) in html


def test_staff_decide_a_pending_booking_on_its_page(client, auth, make_platform, make_resource, make_user):
    platform = make_platform(booking_rules={"requires_approval": True})
    resource = make_resource(platform=platform, opening_hours=None)
    booker = make_user(email="booker@example.com")
    staff = make_user(email="decider@example.com", role="staff", platform=platform)
    pending = create_reservation(booker, resource, days_ahead(3, 9), days_ahead(3, 10))
    db.session.commit()
    assert pending.status == "pending"
    auth.login(staff.email)
    html = text(client.get(f"/bookings/{pending.id}?lang=en"))
    assert "Awaiting approval" in html and f"/bookings/{pending.id}/decision/approve" in html
    token = csrf_token(client, f"/bookings/{pending.id}")
    refused = client.post(f"/bookings/{pending.id}/decision/reject?lang=en", data={"csrf_token": token})
    assert refused.status_code == 303
    assert "Give the booker a reason" in text(client.get(refused.location))
    db.session.expire_all()
    assert db.session.get(Reservation, pending.id).status == "pending"
    approved = client.post(f"/bookings/{pending.id}/decision/approve", data={"csrf_token": token})
    assert approved.status_code == 303
    db.session.expire_all()
    assert db.session.get(Reservation, pending.id).status == "confirmed"
    assert "Approved." in text(client.get(f"/bookings/{pending.id}?lang=en"))
