"""Quotas: at most N hours per user or organisation and (local) week or month, on a resource or a
whole platform; staff exempt; a clear message with the hours left; checked on moves too."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask_babel import force_locale

from booking.engine import create_reservation
from booking.engine.quotas import QuotaExceeded, period_of
from booking.engine.reservations import book_for, cancel_reservation, move_reservation
from booking.engine.rules import effective_rules, validate_rules
from booking.errors import InvalidInput
from booking.extensions import db

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2027, 2, 20, 0, 0, tzinfo=UTC)


def sh(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def english(app):
    with force_locale("en"):
        yield


@pytest.fixture
def lab(make_platform, make_resource, make_user):
    platform = make_platform(name_en="Materials Lab")
    resource = make_resource(platform=platform, opening_hours=None)
    other = make_resource(platform=platform, opening_hours=None)
    user = make_user(email="alice@example.com")
    staff = make_user(role="staff", platform=platform, email="staff@example.com")
    return platform, resource, other, user, staff


def book(user, resource, start, hours, **kwargs):
    reservation = create_reservation(user, resource, start, start + timedelta(hours=hours), now=NOW, **kwargs)
    db.session.commit()
    return reservation


def test_a_resource_quota_per_user_and_month(lab, make_user):
    _platform, resource, other, user, _staff = lab
    resource.booking_rules = {"quota_hours": 10, "quota_period": "month"}
    db.session.commit()
    book(user, resource, sh(2027, 3, 2, 9), 4)
    book(user, resource, sh(2027, 3, 9, 9), 2.5)
    with pytest.raises(QuotaExceeded) as over:
        book(user, resource, sh(2027, 3, 16, 9), 4)
    assert over.value.message == "Quota reached: you have 3.5 hours left this month."
    assert over.value.status == 422 and over.value.details["hours_left"] == 3.5
    db.session.rollback()
    book(user, resource, sh(2027, 3, 16, 9), 3.5)  # exactly what is left
    book(user, resource, sh(2027, 4, 1, 9), 8)  # April is a new month
    book(user, other, sh(2027, 3, 20, 9), 8)  # another resource: not counted
    book(make_user(), resource, sh(2027, 3, 21, 9), 8)  # another user: their own quota


def test_cancelled_hours_come_back(lab):
    _platform, resource, _other, user, _staff = lab
    resource.booking_rules = {"quota_hours": 4, "quota_period": "week"}
    db.session.commit()
    first = book(user, resource, sh(2027, 3, 2, 9), 4)
    with pytest.raises(QuotaExceeded):
        book(user, resource, sh(2027, 3, 3, 9), 1)
    db.session.rollback()
    cancel_reservation(user, first, now=NOW)
    db.session.commit()
    book(user, resource, sh(2027, 3, 3, 9), 4)


def test_a_platform_quota_counts_every_resource_of_it(lab):
    platform, resource, other, user, _staff = lab
    platform.booking_rules = {"quota_hours": 6, "quota_period": "week"}
    db.session.commit()
    book(user, resource, sh(2027, 3, 2, 9), 4)
    with pytest.raises(QuotaExceeded) as over:
        book(user, other, sh(2027, 3, 3, 9), 3)
    assert "2 hours left this week" in over.value.message


def test_organisation_scope_counts_colleagues(lab, make_user, make_org):
    _platform, resource, _other, user, _staff = lab
    colleague = make_user()
    make_org(members={user: "manager", colleague: "member"})
    outsider = make_user()
    resource.booking_rules = {"quota_hours": 5, "quota_period": "month", "quota_scope": "organisation"}
    db.session.commit()
    book(colleague, resource, sh(2027, 3, 2, 9), 4)
    book(outsider, resource, sh(2027, 3, 3, 9), 4)  # not a colleague
    with pytest.raises(QuotaExceeded) as over:
        book(user, resource, sh(2027, 3, 4, 9), 2)
    assert over.value.message == "Quota reached: your organisation has 1 hours left this month."
    assert over.value.details["scope"] == "organisation"


def test_the_week_is_the_platforms_local_week(lab, make_platform, make_resource, make_user):
    """Monday 00:00 in Shanghai is Sunday 16:00 UTC: a booking then belongs to the new week."""
    _platform, resource, _other, user, _staff = lab
    resource.booking_rules = {"quota_hours": 3, "quota_period": "week"}
    db.session.commit()
    first, after = period_of(sh(2027, 3, 8, 0, 30), "week", "Asia/Shanghai")
    assert (first, after) == (datetime(2027, 3, 7, 16, tzinfo=UTC), datetime(2027, 3, 14, 16, tzinfo=UTC))
    book(user, resource, sh(2027, 3, 7, 21), 3)  # Sunday evening local (13:00 UTC): the old week, full
    book(user, resource, sh(2027, 3, 8, 0, 30), 3)  # Monday 00:30 local, still Sunday in UTC: a new week
    with pytest.raises(QuotaExceeded):
        book(user, resource, sh(2027, 3, 8, 9), 1)
    db.session.rollback()
    # and in Berlin the same UTC instants fall elsewhere: Sunday 17:30 Berlin is still the old week
    berlin = make_platform(timezone="Europe/Berlin", booking_rules={"quota_hours": 3, "quota_period": "week"})
    lab_b = make_resource(platform=berlin, opening_hours=None)
    guest = make_user()
    book(guest, lab_b, datetime(2027, 3, 7, 14, tzinfo=UTC), 2)  # Sunday 15:00 Berlin
    with pytest.raises(QuotaExceeded):
        book(guest, lab_b, datetime(2027, 3, 7, 16, 30, tzinfo=UTC), 2)  # Sunday 17:30 Berlin: same week
    db.session.rollback()
    book(guest, lab_b, datetime(2027, 3, 7, 23, 30, tzinfo=UTC), 2)  # Monday 00:30 Berlin: a new week


def test_staff_are_exempt_also_when_booking_for_someone(lab):
    _platform, resource, _other, user, staff = lab
    resource.booking_rules = {"quota_hours": 2, "quota_period": "week"}
    db.session.commit()
    book(staff, resource, sh(2027, 3, 2, 9), 6)
    book(user, resource, sh(2027, 3, 3, 9), 2)
    reservation = book_for(staff, user.email, resource, sh(2027, 3, 4, 9), sh(2027, 3, 4, 13), now=NOW)
    db.session.commit()
    assert reservation.user_id == user.id
    with pytest.raises(QuotaExceeded) as over:
        book(user, resource, sh(2027, 3, 5, 9), 1)
    assert "0 hours left this week" in over.value.message


def test_a_move_is_checked_without_counting_itself(lab):
    _platform, resource, _other, user, staff = lab
    resource.booking_rules = {"quota_hours": 4, "quota_period": "week"}
    db.session.commit()
    reservation = book(user, resource, sh(2027, 3, 2, 9), 3)
    move_reservation(user, reservation, sh(2027, 3, 3, 9), sh(2027, 3, 3, 13), now=NOW)
    db.session.commit()
    with pytest.raises(QuotaExceeded):
        move_reservation(user, reservation, sh(2027, 3, 3, 9), sh(2027, 3, 3, 14), now=NOW)
    db.session.rollback()
    move_reservation(staff, reservation, sh(2027, 3, 3, 9), sh(2027, 3, 3, 15), reason="longer run", now=NOW)
    db.session.commit()


def test_the_message_in_chinese(lab):
    _platform, resource, _other, user, _staff = lab
    resource.booking_rules = {"quota_hours": 5, "quota_period": "month"}
    db.session.commit()
    book(user, resource, sh(2027, 3, 2, 9), 1.5)
    with force_locale("zh"), pytest.raises(QuotaExceeded) as over:
        book(user, resource, sh(2027, 3, 3, 9), 4)
    assert "本月您还可预约 3.5 小时" in over.value.message


def test_the_api_answers_422_with_hours_left(client, auth, lab):
    _platform, resource, _other, user, _staff = lab
    resource.booking_rules = {"quota_hours": 1, "quota_period": "week"}
    db.session.commit()
    start = datetime.now(SHANGHAI).replace(hour=9, minute=0, second=0, microsecond=0) + timedelta(days=14)
    body = {"resource_id": resource.id, "start": start.isoformat(), "end": (start + timedelta(hours=2)).isoformat()}
    answer = client.post("/api/v1/reservations?lang=en", json=body, headers=auth.token(user.email))
    assert answer.status_code == 422
    data = answer.get_json()
    assert data["reason"] == "quota" and data["hours_left"] == 1.0
    assert "1 hours left this week" in data["message"]


def test_rules_validation_knows_quotas():
    assert validate_rules({"quota_hours": 3.5, "quota_period": "week", "quota_scope": "organisation"}) == {
        "quota_hours": 3.5, "quota_period": "week", "quota_scope": "organisation"}
    with pytest.raises(InvalidInput) as bad:
        validate_rules({"quota_hours": 0, "quota_period": "year", "quota_scope": "team"})
    assert set(bad.value.details["fields"]) == {"quota_hours", "quota_period", "quota_scope"}
    with pytest.raises(InvalidInput):
        validate_rules({"quota_hours": True})


def test_stored_junk_is_ignored(lab):
    _platform, resource, _other, user, _staff = lab
    resource.booking_rules = {"quota_hours": "lots", "quota_period": "decade"}
    db.session.commit()
    assert effective_rules(resource).quota_hours is None
    book(user, resource, sh(2027, 3, 2, 9), 8)
