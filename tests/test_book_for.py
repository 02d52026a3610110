"""Staff book for a user: the booking is the user's (mails, list), made under the rules as for
staff, and its history names who made it. Through the engine, the staff calendar and the API."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask import g

from booking.engine.reservations import book_for
from booking.errors import Forbidden, InvalidInput
from booking.extensions import db
from booking.models import BookingEvent, OutgoingMail, Reservation

from support import csrf_token

SHANGHAI = ZoneInfo("Asia/Shanghai")


def days_ahead(days: int, hour: int) -> datetime:
    day = datetime.now(SHANGHAI).date() + timedelta(days=days)
    return datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI)


def switch_user(auth, email: str) -> None:
    g.pop("csrf_token", None)
    auth.logout()
    g.pop("_login_user", None)
    g.pop("csrf_token", None)
    assert auth.login(email).status_code == 302


@pytest.fixture
def lab(make_platform, make_resource, make_user):
    platform = make_platform(name_en="Materials Lab", booking_rules={"requires_approval": True})
    resource = make_resource(platform=platform, opening_hours=None, title_en="X-ray diffractometer",
                             requires_training=True)
    user = make_user(email="alice@example.com", name="Alice", language="en")
    staff = make_user(email="staff@example.com", name="Sam", role="staff", platform=platform)
    return platform, resource, user, staff


def test_engine_books_for_the_user_as_staff_would(lab):
    _platform, resource, user, staff = lab
    reservation = book_for(staff, "ALICE@example.com ", resource, days_ahead(3, 9), days_ahead(3, 10), "XRD")
    db.session.commit()
    # the user's booking, confirmed at once although the resource needs approval and training
    assert reservation.user_id == user.id and reservation.status == "confirmed"
    (created,) = db.session.scalars(sa.select(BookingEvent).where(BookingEvent.reservation_id == reservation.id))
    assert created.actor_id == staff.id and created.payload["for_user"] == user.id and created.payload["by"] == staff.id
    (mail,) = db.session.scalars(sa.select(OutgoingMail))
    assert mail.recipient == "alice@example.com" and mail.kind == "confirmed"


def test_engine_refuses_unknown_disabled_and_non_staff(lab, make_user, make_platform):
    _platform, resource, user, staff = lab
    with pytest.raises(InvalidInput) as unknown:
        book_for(staff, "nobody@example.com", resource, days_ahead(3, 9), days_ahead(3, 10))
    assert "No account uses nobody@example.com" in unknown.value.message
    gone = make_user(email="gone@example.com")
    gone.active = False
    db.session.commit()
    with pytest.raises(InvalidInput) as disabled:
        book_for(staff, "gone@example.com", resource, days_ahead(3, 9), days_ahead(3, 10))
    assert "disabled" in disabled.value.message
    for outsider in (make_user(), make_user(role="staff", platform=make_platform())):
        with pytest.raises(Forbidden):
            book_for(outsider, user.email, resource, days_ahead(3, 9), days_ahead(3, 10))
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Reservation)) == 0


def test_the_user_sees_it_as_theirs(client, auth, lab):
    _platform, resource, user, staff = lab
    reservation = book_for(staff, user.email, resource, days_ahead(3, 9), days_ahead(3, 10), "XRD")
    db.session.commit()
    auth.login(user.email)
    assert f'id="reservation-{reservation.id}"' in client.get("/bookings?lang=en").get_data(as_text=True)
    page = client.get(f"/bookings/{reservation.id}?lang=en").get_data(as_text=True)
    assert "Booked for Alice by platform staff." in page and "Sam (staff)" in page


def test_from_the_staff_calendar(client, auth, lab):
    _platform, resource, user, staff = lab
    auth.login(staff.email)
    page = client.get("/staff?lang=en")
    assert page.status_code == 200
    token = csrf_token(client, "/staff")
    day = days_ahead(4, 0).date().isoformat()
    data = {"csrf_token": token, "resource_id": str(resource.id), "day": day, "start": "09:00", "end": "10:30",
            "email": "alice@example.com", "purpose": "XRD for Alice"}
    done = client.post("/staff/book-for?lang=en", data=data)
    assert done.status_code == 303 and f"date={day}" in done.location
    reservation = db.session.scalar(sa.select(Reservation))
    assert reservation.user_id == user.id and reservation.start == days_ahead(4, 9)
    followed = client.get(done.location).get_data(as_text=True)
    assert "Booked X-ray diffractometer for Alice" in followed
    unknown = client.post("/staff/book-for?lang=en", data={**data, "email": "nobody@example.com"})
    assert unknown.status_code == 422 and "No account uses nobody@example.com" in unknown.get_data(as_text=True)
    taken = client.post("/staff/book-for?lang=en", data=data)
    assert taken.status_code == 409 and "That time is taken" in taken.get_data(as_text=True)
    no_csrf = client.post("/staff/book-for?lang=en", data={k: v for k, v in data.items() if k != "csrf_token"})
    assert no_csrf.status_code in (400, 422)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Reservation)) == 1


def test_plain_users_have_no_book_for_page(client, auth, lab):
    _platform, resource, user, _staff = lab
    auth.login(user.email)
    token = csrf_token(client, "/bookings")
    response = client.post("/staff/book-for", data={"csrf_token": token, "resource_id": str(resource.id)})
    assert response.status_code == 403


def test_through_the_api(client, auth, lab, make_user, make_platform):
    _platform, resource, user, staff = lab
    body = {"resource_id": resource.id, "start": days_ahead(5, 9).isoformat(), "end": days_ahead(5, 10).isoformat(),
            "for_user": "alice@example.com", "purpose": "XRD"}
    answer = client.post("/api/v1/reservations", json=body, headers=auth.token(staff.email))
    assert answer.status_code == 201, answer.get_json()
    data = answer.get_json()
    assert data["user"]["email"] == "alice@example.com" and data["status"] == "confirmed"
    # the user lists it as theirs
    mine = client.get("/api/v1/reservations?mine=1", headers=auth.token(user.email)).get_json()
    assert [r["id"] for r in mine] == [data["id"]]
    later = {**body, "start": days_ahead(6, 9).isoformat(), "end": days_ahead(6, 10).isoformat()}
    plain = make_user(email="plain@example.com")
    foreign = make_user(email="foreign@example.com", role="staff", platform=make_platform())
    for email in (plain.email, foreign.email, user.email):
        refused = client.post("/api/v1/reservations", json={**later, "for_user": "plain@example.com"},
                              headers=auth.token(email))
        assert refused.status_code == 403, (email, refused.get_json())
    unknown = client.post("/api/v1/reservations", json={**later, "for_user": "nobody@example.com"},
                          headers=auth.token(staff.email))
    assert unknown.status_code == 422 and "for_user" in unknown.get_json()["fields"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Reservation)) == 1
