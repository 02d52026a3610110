"""Check-in, automatic no-shows and the restriction after too many no-shows."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask_babel import force_locale
from sqlalchemy import select

from booking.engine import create_reservation
from booking.engine.attendance import (
    CheckInRefused,
    RestrictedForNoShows,
    check_in,
    settle_attendance,
)
from booking.engine.reservations import mark_outcome
from booking.extensions import db
from booking.models import BookingRestriction, Reservation

from support import csrf_token

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2027, 3, 1, 0, 0, tzinfo=UTC)


def sh(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def english(app):
    """Messages are asserted in English, the source language (jobs default to Chinese)."""
    with force_locale("en"):
        yield


@pytest.fixture
def lab(make_platform, make_resource, make_user):
    platform = make_platform(checkin_before_minutes=15, checkin_after_minutes=30, no_show_limit=3,
                             no_show_ban_days=30, name_en="Materials Lab")
    resource = make_resource(platform=platform, opening_hours=None)
    return platform, resource, make_user(), make_user(role="staff", platform=platform)


def book(user, resource, start, hours=1, now=NOW):
    reservation = create_reservation(user, resource, start, start + timedelta(hours=hours), now=now)
    db.session.commit()
    return reservation


def test_check_in_window(lab):
    _platform, resource, user, _staff = lab
    reservation = book(user, resource, sh(2027, 3, 2, 9))
    with pytest.raises(CheckInRefused) as early:
        check_in(user, reservation, now=sh(2027, 3, 2, 8, 44))
    assert "Too early to check in" in early.value.message and "15 minutes" in early.value.message
    with pytest.raises(CheckInRefused) as late:
        check_in(user, reservation, now=sh(2027, 3, 2, 9, 31))
    assert "Too late to check in" in late.value.message and "30 minutes" in late.value.message
    check_in(user, reservation, now=sh(2027, 3, 2, 8, 45))
    db.session.commit()
    assert reservation.checked_in_at == sh(2027, 3, 2, 8, 45)


def test_not_checked_in_by_the_end_of_grace_becomes_a_no_show(lab):
    _platform, resource, user, _staff = lab
    absent = book(user, resource, sh(2027, 3, 2, 9))
    present = book(user, resource, sh(2027, 3, 2, 11))
    check_in(user, present, now=sh(2027, 3, 2, 11))
    db.session.commit()
    assert settle_attendance(now=sh(2027, 3, 2, 9, 30)) == {"no_show": 0, "completed": 0}  # still in grace
    assert settle_attendance(now=sh(2027, 3, 2, 9, 31)) == {"no_show": 1, "completed": 0}
    db.session.commit()
    assert settle_attendance(now=sh(2027, 3, 2, 12)) == {"no_show": 0, "completed": 1}
    db.session.commit()
    db.session.expire_all()
    assert (absent.status, present.status) == ("no_show", "completed")


def test_a_platform_without_check_in_completes_its_bookings_and_counts_no_no_shows(lab):
    platform, resource, user, _staff = lab
    platform.tracks_check_in = False
    db.session.commit()
    booking = book(user, resource, sh(2027, 3, 2, 9))
    assert settle_attendance(now=sh(2027, 3, 2, 9, 31)) == {"no_show": 0, "completed": 0}  # under way
    assert settle_attendance(now=sh(2027, 3, 2, 10)) == {"no_show": 0, "completed": 1}
    db.session.commit()
    db.session.expire_all()
    assert booking.status == "completed"
    assert not db.session.scalars(select(BookingRestriction)).all()


def test_too_many_no_shows_restrict_booking_with_the_reason_and_date(lab, client, auth):
    platform, resource, user, staff = lab
    for day in (2, 3):
        settle_attendance(now=book(user, resource, sh(2027, 3, day, 9)).start + timedelta(minutes=31))
    third = book(user, resource, sh(2027, 3, 4, 9))
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(BookingRestriction)) == 0
    mark_outcome(staff, third, "no_show", now=sh(2027, 3, 4, 10))  # staff mark it: the third in 90 days
    db.session.commit()
    with pytest.raises(RestrictedForNoShows) as refused:
        create_reservation(user, resource, sh(2027, 3, 8, 9), sh(2027, 3, 8, 10), now=sh(2027, 3, 5, 9))
    db.session.rollback()
    assert refused.value.status == 403
    assert "until 2027-04-03 10:00" in refused.value.message and "3 bookings" in refused.value.message
    assert "You cannot book at Materials Lab" in refused.value.message
    # after the restriction ends the user may book again; the old no-shows do not count twice
    later = sh(2027, 4, 3, 10, 1)
    reservation = create_reservation(user, resource, sh(2027, 4, 5, 9), sh(2027, 4, 5, 10), now=later)
    db.session.commit()
    mark_outcome(staff, reservation, "no_show", now=sh(2027, 4, 5, 10))
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(BookingRestriction)) == 1

    # the page says so too
    restriction = db.session.scalar(sa.select(BookingRestriction))
    restriction.until = datetime.now(UTC) + timedelta(days=30)
    db.session.commit()
    auth.login(user.email)
    client.get("/?lang=en")  # English pages, whatever the catalogue holds
    day = (datetime.now(SHANGHAI) + timedelta(days=3)).date()
    path = f"/resources/{resource.id}"
    token = csrf_token(client, path)
    response = client.post(f"{path}/book", data={"csrf_token": token, "day": day.isoformat(), "start": "09:00",
                                                 "end": "10:00", "purpose": ""})
    assert response.status_code == 403
    assert "You cannot book at" in response.get_data(as_text=True)


def test_check_in_from_my_bookings_and_the_api(lab, app, client, auth):
    app_client = app.test_client()  # the API, without the browser session (and its CSRF)
    _platform, resource, user, _staff = lab
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    soon = create_reservation(user, resource, now + timedelta(minutes=10), now + timedelta(minutes=70), now=now)
    later = create_reservation(user, resource, now + timedelta(hours=5), now + timedelta(hours=6), now=now)
    db.session.commit()
    headers = auth.token(user.email)
    auth.login(user.email)
    client.get("/?lang=en")  # English pages, whatever the catalogue holds
    page = client.get("/bookings").get_data(as_text=True)
    assert f'action="/bookings/{soon.id}/check-in"' in page
    token = csrf_token(client, "/bookings")
    response = client.post(f"/bookings/{soon.id}/check-in", data={"csrf_token": token})
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Reservation, soon.id).checked_in_at is not None
    response = app_client.post(f"/api/v1/reservations/{later.id}/check-in?lang=en", headers=headers)
    assert response.status_code == 422
    assert response.get_json()["reason"] == "check_in_window"
    assert "Too early" in response.get_json()["message"]


def test_the_scheduler_job_marks_no_shows(lab, app):
    from booking import jobs
    from booking.scheduler import PERIODIC_JOBS

    _platform, resource, user, _staff = lab
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    missed = create_reservation(user, resource, start, start + timedelta(hours=1), now=start - timedelta(days=1))
    db.session.commit()
    assert ("attendance", "booking.jobs:settle_attendance", 60) in PERIODIC_JOBS
    jobs.bind(app)
    assert jobs.settle_attendance() == 1
    db.session.expire_all()
    assert db.session.get(Reservation, missed.id).status == "no_show"


def test_the_job_leaves_old_bookings_to_staff(lab):
    _platform, resource, user, _staff = lab
    old = book(user, resource, sh(2027, 3, 2, 9))
    assert settle_attendance(now=sh(2027, 3, 20, 9)) == {"no_show": 0, "completed": 0}
    assert old.status == "confirmed"
