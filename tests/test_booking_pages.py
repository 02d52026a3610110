"""Booking pages as a person uses them: the resource's week, the form, My bookings, staff pages."""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
import sqlalchemy as sa
from flask import g

from booking.extensions import db
from booking.models import Closure, Maintenance, Reservation

from support import csrf_token

SHANGHAI = ZoneInfo("Asia/Shanghai")
WEEKDAY_HOURS = {d: [["08:30", "12:00"], ["13:30", "17:30"]] for d in ("mon", "tue", "wed", "thu", "fri")}


def next_monday() -> date:
    today = datetime.now(SHANGHAI).date()
    return today + timedelta(days=7 - today.weekday())


def switch_user(auth, email: str) -> None:
    """Log out and in as someone else. Every request of a test shares the test's app context, so
    the cached user and CSRF token of the previous request are dropped first."""
    g.pop("csrf_token", None)
    auth.logout()
    g.pop("_login_user", None)
    g.pop("csrf_token", None)
    response = auth.login(email)
    assert response.status_code == 302, response.get_data(as_text=True)[-500:]


def text(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def lab(make_platform, make_resource, make_user):
    platform = make_platform(timezone="Asia/Shanghai")
    resource = make_resource(platform=platform, opening_hours=WEEKDAY_HOURS, title="X射线衍射仪", title_en="X-ray diffractometer")
    user = make_user(email="alice@example.com", name="Alice")
    staff = make_user(email="staff@example.com", role="staff", platform=platform)
    return platform, resource, user, staff


def book(client, resource, day: date, start: str, end: str, **extra):
    token = csrf_token(client, f"/resources/{resource.id}")
    data = {"csrf_token": token, "day": day.isoformat(), "start": start, "end": end, "purpose": "powder XRD",
            "count": "4", **extra}
    return client.post(f"/resources/{resource.id}/book?lang=en", data=data)


def test_resource_page_shows_a_week_of_free_time(client, lab):
    platform, resource, user, staff = lab
    monday = next_monday()
    html = text(client.get(f"/resources/{resource.id}?lang=en&week={monday.isoformat()}"))
    assert "Availability" in html and monday.isoformat() in html
    # Half-hour cells of the hour grid: 08:30–12:00 and 13:30–17:30 on each weekday (7 + 8 cells).
    assert html.count('class="cell c-free') == 5 * 15
    assert "08:30–12:00" in html and "13:30–17:30" in html
    assert f"week={(monday - timedelta(days=7)).isoformat()}" in html and f"week={(monday + timedelta(days=7)).isoformat()}" in html
    assert "Log in to book" in html
    # A malformed week falls back to this week instead of failing.
    assert client.get(f"/resources/{resource.id}?week=2027-13-45").status_code == 200
    assert client.get(f"/resources/{resource.id}?week=99999").status_code == 200


def test_book_from_the_page_and_see_it_in_my_bookings(client, auth, lab):
    platform, resource, user, staff = lab
    auth.login("alice@example.com")
    monday = next_monday()
    response = book(client, resource, monday, "09:00", "10:30")
    assert response.status_code == 303 and response.headers["Location"].endswith("/bookings")
    html = text(client.get("/bookings?lang=en"))
    assert "X-ray diffractometer" in html and f"{monday.isoformat()} 09:00–10:30" in html and "powder XRD" in html
    assert "confirmed" in html
    # The week calendar now shows it as the visitor's own booking.
    week = text(client.get(f"/resources/{resource.id}?lang=en&week={monday.isoformat()}"))
    assert 'class="cell c-mine' in week and "Your booking" in week


@pytest.mark.parametrize("start, end, status, words", [
    ("12:30", "13:30", 422, "Outside opening hours"),
    ("09:00", "09:10", 422, "Too short"),
    ("11:00", "14:00", 422, "Outside opening hours"),  # across the lunch break
    ("08:30", "17:30", 422, "Too long"),
    ("09:30", "10:00", 409, "That time is taken"),
])
def test_refusals_are_explained_on_the_page(client, auth, lab, make_user, start, end, status, words):
    platform, resource, user, staff = lab
    monday = next_monday()
    db.session.add(Reservation(resource_id=resource.id, user_id=staff.id, start=_at(monday, "09:00"),
                               end=_at(monday, "10:00"), block_start=_at(monday, "09:00"),
                               block_end=_at(monday, "10:00"), status="confirmed"))
    db.session.commit()
    auth.login("alice@example.com")
    response = book(client, resource, monday, start, end)
    assert response.status_code == status
    html = text(response)
    assert "Not booked." in html and words in html
    if status == 409:
        assert f"{monday.isoformat()} 09:00–10:00" in html  # the booking in the way
        alternatives = re.findall(r'<ul class="alternatives">(.*?)</ul>', html, re.S)[0]
        assert f"{monday.isoformat()} 10:00–10:30" in alternatives  # the nearest free half hour


def _at(day: date, hhmm: str) -> datetime:
    return datetime.combine(day, datetime.strptime(hhmm, "%H:%M").time(), tzinfo=SHANGHAI)


def test_weekly_series_from_the_form_with_a_conflict_skipped(client, auth, lab):
    platform, resource, user, staff = lab
    monday = next_monday()
    taken = monday + timedelta(days=7)
    db.session.add(Reservation(resource_id=resource.id, user_id=staff.id, start=_at(taken, "09:00"), end=_at(taken, "10:00"),
                               block_start=_at(taken, "09:00"), block_end=_at(taken, "10:00"), status="confirmed"))
    db.session.commit()
    auth.login("alice@example.com")
    response = book(client, resource, monday, "09:00", "10:00", repeat="weekly", count="3")
    assert response.status_code == 409
    html = text(response)
    assert "1 of 3 dates cannot be booked" in html and 'class="bad"' in html
    response = book(client, resource, monday, "09:00", "10:00", repeat="weekly", count="3", skip_conflicts="y")
    assert response.status_code == 303
    mine = text(client.get("/bookings?lang=en"))
    assert mine.count("booking-row status-confirmed") == 2 and "Cancel this and later" in mine


def test_cancel_from_my_bookings(client, auth, lab, make_user):
    platform, resource, user, staff = lab
    auth.login("alice@example.com")
    book(client, resource, next_monday(), "14:00", "15:00")
    reservation = db.session.scalar(sa.select(Reservation))
    assert client.post(f"/bookings/{reservation.id}/cancel").status_code == 400  # no CSRF token
    token = csrf_token(client, "/bookings")
    response = client.post(f"/bookings/{reservation.id}/cancel", data={"csrf_token": token})
    assert response.status_code == 303
    db.session.refresh(reservation)
    assert reservation.status == "cancelled"
    html = text(client.get("/bookings?lang=en"))
    assert "No upcoming bookings." in html and "cancelled" in html


def test_a_user_cannot_see_or_cancel_anothers_booking(client, auth, lab, make_user):
    platform, resource, user, staff = lab
    make_user(email="mallory@example.com")
    auth.login("alice@example.com")
    book(client, resource, next_monday(), "14:00", "15:00")
    reservation = db.session.scalar(sa.select(Reservation))
    ics = client.get(f"/bookings/{reservation.id}.ics")
    assert ics.status_code == 200 and icalendar.Calendar.from_ical(ics.data).walk("VEVENT")
    switch_user(auth, "mallory@example.com")
    assert client.get(f"/bookings/{reservation.id}.ics").status_code == 404
    assert "X-ray" not in text(client.get("/bookings?lang=en"))
    response = client.post(f"/bookings/{reservation.id}/cancel?lang=en",
                           data={"csrf_token": csrf_token(client, "/bookings")}, headers={"Referer": "/bookings"})
    assert response.status_code == 403 and "not yours" in text(response)  # a refusal is a 403 page, not a redirect
    db.session.refresh(reservation)
    assert reservation.status == "confirmed"


def test_staff_approve_and_reject_from_the_queue(client, auth, lab, make_platform, make_user):
    platform, resource, user, staff = lab
    resource.booking_rules = {"requires_approval": True}
    db.session.commit()
    auth.login("alice@example.com")
    monday = next_monday()
    book(client, resource, monday, "09:00", "10:00")
    book(client, resource, monday, "14:00", "15:00")
    first, second = db.session.scalars(sa.select(Reservation).order_by(Reservation.start)).all()
    assert (first.status, second.status) == ("pending", "pending")

    make_user(email="other-staff@example.com", role="staff", platform=make_platform())
    switch_user(auth, "other-staff@example.com")
    html = text(client.get("/staff?lang=en"))
    assert "Nothing waits for a decision." in html and "X-ray" not in html
    token = csrf_token(client, "/staff")
    refused = client.post(f"/staff/reservations/{first.id}/approve?lang=en", data={"csrf_token": token},
                          headers={"Referer": "/staff"})
    assert refused.status_code == 403 and "Only staff of this resource" in text(refused)
    db.session.refresh(first)
    assert first.status == "pending"

    switch_user(auth, "staff@example.com")
    html = text(client.get("/staff?lang=en"))
    assert "alice@example.com" in html and html.count("Approve</button>") == 2
    token = csrf_token(client, "/staff")
    assert client.post(f"/staff/reservations/{first.id}/approve", data={"csrf_token": token}).status_code == 303
    client.post(f"/staff/reservations/{second.id}/reject", data={"csrf_token": token, "reason": ""}, headers={"Referer": "/staff"})
    assert "reason for the rejection" in text(client.get("/staff?lang=en"))
    client.post(f"/staff/reservations/{second.id}/reject", data={"csrf_token": token, "reason": "Course that day"})
    db.session.refresh(first)
    db.session.refresh(second)
    assert (first.status, second.status) == ("confirmed", "rejected")
    week = text(client.get(f"/staff?lang=en&date={monday.isoformat()}"))
    assert "09:00–10:00" in week and "Alice" in week


def test_plain_users_have_no_staff_pages(client, auth, lab):
    auth.login("alice@example.com")
    assert client.get("/staff").status_code == 403
    assert client.get("/staff/closures").status_code == 403


def test_staff_manage_maintenance_closures_and_hours(client, auth, lab):
    platform, resource, user, staff = lab
    auth.login("staff@example.com")
    monday = next_monday()
    token = csrf_token(client, "/staff/maintenance")
    response = client.post("/staff/maintenance", data={
        "csrf_token": token, "resource_id": resource.id, "start_day": monday.isoformat(), "start_time": "08:00",
        "end_day": monday.isoformat(), "end_time": "12:00", "reason": "Tube replacement"})
    assert response.status_code == 303
    assert "Tube replacement" in text(client.get("/staff/maintenance?lang=en"))
    response = client.post("/staff/closures/holidays", data={"csrf_token": token, "calendar": "cn-2027"})
    assert response.status_code == 303
    html = text(client.get("/staff/closures?lang=en"))
    assert "国庆节 / National Day" in html and "2027-10-01 00:00" in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Closure)) == 7

    bad = client.post(f"/staff/hours?resource_id={resource.id}", data={"csrf_token": token, "mon": "9 to 5"})
    assert bad.status_code == 422 and "Not understood" in text(bad)
    good = client.post("/staff/hours", data={"csrf_token": token, "resource_id": resource.id,
                                             "mon": "09:00-12:00, 13:00-18:00", "tue": "00:00-24:00"})
    assert good.status_code == 303
    db.session.refresh(resource)
    assert resource.opening_hours == {"mon": [["09:00", "12:00"], ["13:00", "18:00"]], "tue": [["00:00", "24:00"]]}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Maintenance)) == 1
    # The resource page now shows the maintenance in its week and no free time that Monday morning.
    week = text(client.get(f"/resources/{resource.id}?lang=en&week={monday.isoformat()}"))
    assert 'class="cell c-maintenance' in week and "13:00–18:00" in week


def test_admins_pick_the_platform(client, auth, lab, make_platform, make_user):
    platform, resource, user, staff = lab
    other = make_platform(name_en="Second Lab")
    make_user(email="admin@example.com", role="admin")
    auth.login("admin@example.com")
    html = text(client.get(f"/staff?lang=en&platform={other.code}"))
    assert "Second Lab" in html and "X-ray" not in html
    assert "X-ray" in text(client.get(f"/staff?lang=en&platform={platform.code}"))


def test_calendar_opens_on_this_week_or_at_the_weekend_on_the_next():
    from datetime import date

    from booking.web.resources.hour_grid import week_start

    assert week_start(None, "Asia/Shanghai", today=date(2027, 3, 3)) == date(2027, 3, 1)  # a Wednesday
    assert week_start(None, "Asia/Shanghai", today=date(2027, 3, 6)) == date(2027, 3, 8)  # a Saturday
    assert week_start("2027-03-28", "Europe/Berlin", today=date(2027, 3, 7)) == date(2027, 3, 22)
    assert week_start("not-a-date", "Asia/Shanghai", today=date(2027, 3, 3)) == date(2027, 3, 1)
