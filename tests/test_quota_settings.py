"""Where quotas are set: staff on a resource's settings page and on the platform's settings, and
the catalogue feed; each then limits bookings with a message saying the hours left."""
from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from flask_babel import force_locale

from booking.catalog.feed import BadRecord, parse_booking_rules
from booking.catalog.importer import import_feed
from booking.engine import create_reservation
from booking.engine.quotas import QuotaExceeded, carried_quota, quota_setting, set_quota
from booking.errors import Forbidden, InvalidInput
from booking.extensions import db
from booking.models import Platform, Resource

from support import csrf_token

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2027, 2, 20, 0, 0, tzinfo=UTC)


def sh(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


@pytest.fixture
def lab(make_platform, make_resource, make_user):
    platform = make_platform(code="NJNC", name_en="Materials Lab", booking_rules={"requires_approval": False})
    resource = make_resource(platform=platform, opening_hours=None)
    other = make_resource(platform=platform, opening_hours=None)
    user = make_user(email="alice@example.com", language="en")
    staff = make_user(role="staff", platform=platform, email="staff@example.com", language="en")
    return platform, resource, other, user, staff


def book(user, resource, start, hours):
    reservation = create_reservation(user, resource, start, start + timedelta(hours=hours), now=NOW)
    db.session.commit()
    return reservation


def settings_page(client, resource_id: int) -> str:
    return f"/staff/resources/{resource_id}/settings"


def test_staff_set_a_resource_quota_on_its_settings_page(lab, client, auth):
    _platform, resource, other, user, staff = lab
    auth.login(staff.email)
    client.get("/?lang=en")
    path = settings_page(client, resource.id)
    page = client.get(path).get_data(as_text=True)
    assert 'name="quota_hours"' in page and 'name="quota_period"' in page and 'name="quota_scope"' in page
    response = client.post(path, data={"csrf_token": csrf_token(client, path), "quota_hours": "6",
                                       "quota_period": "week", "quota_scope": "user",
                                       "hour-external": "", "sample-external": "", "day-external": ""})
    assert response.status_code == 303
    db.session.expire_all()
    assert quota_setting(db.session.get(Resource, resource.id).booking_rules).hours == Decimal(6)
    assert 'value="6"' in client.get(path).get_data(as_text=True)  # shown back as set

    book(user, resource, sh(2027, 3, 1, 9), 4)  # Monday
    with force_locale("en"), pytest.raises(QuotaExceeded) as over:
        book(user, resource, sh(2027, 3, 3, 9), 3)
    assert over.value.message == "Quota reached: you have 2 hours left this week."
    db.session.rollback()
    book(user, other, sh(2027, 3, 3, 9), 3)  # another resource of the platform: its own rules


def test_a_bad_quota_is_refused_with_a_message_and_saves_nothing(lab, client, auth):
    _platform, resource, _other, _user, staff = lab
    auth.login(staff.email)
    client.get("/?lang=en")
    path = settings_page(client, resource.id)
    for bad in ("lots", "0", "-3", "800", "1.234"):
        response = client.post(path, data={"csrf_token": csrf_token(client, path), "quota_hours": bad,
                                           "quota_period": "month", "quota_scope": "user", "requires_training": "y"})
        assert response.status_code == 422, bad
        assert "Give the quota in hours, above 0 and at most 744" in response.get_data(as_text=True)
    response = client.post(path, data={"csrf_token": csrf_token(client, path), "quota_hours": "5",
                                       "quota_period": "year", "quota_scope": "user"})
    assert response.status_code == 422
    db.session.expire_all()
    stored = db.session.get(Resource, resource.id)
    assert not stored.booking_rules and not stored.requires_training


def test_the_platform_quota_counts_every_resource_and_keeps_the_other_rules(lab, client, auth, make_org):
    platform, resource, other, user, staff = lab
    auth.login(staff.email)
    client.get("/?lang=en")
    response = client.post("/staff/prices", data={
        "csrf_token": csrf_token(client, "/staff/prices"), "voucher_cap_percent": "40", "checkin_before_minutes": "15",
        "checkin_after_minutes": "30", "no_show_limit": "3", "no_show_ban_days": "30",
        "quota_hours": "5", "quota_period": "month", "quota_scope": "user"})
    assert response.status_code == 303
    db.session.expire_all()
    stored = db.session.get(Platform, platform.id)
    assert stored.voucher_cap_percent == 40
    assert stored.booking_rules == {"requires_approval": False, "quota_hours": 5, "quota_period": "month",
                                    "quota_scope": "user"}
    assert re.search(r'<input[^>]*name="quota_hours"[^>]*value="5"', client.get("/staff/prices").get_data(as_text=True))
    page = client.get(settings_page(client, resource.id)).get_data(as_text=True)
    assert "The platform’s quota applies as well: at most 5 hours per user and month." in page

    book(user, resource, sh(2027, 3, 2, 9), 3)
    with force_locale("en"), pytest.raises(QuotaExceeded) as over:
        book(user, other, sh(2027, 3, 3, 9), 3)
    assert over.value.message == "Quota reached: you have 2 hours left this month."
    db.session.rollback()

    client.post("/staff/prices", data={  # emptied: no platform quota any more
        "csrf_token": csrf_token(client, "/staff/prices"), "voucher_cap_percent": "40", "checkin_before_minutes": "15",
        "checkin_after_minutes": "30", "no_show_limit": "3", "no_show_ban_days": "30",
        "quota_hours": "", "quota_period": "month", "quota_scope": "user"})
    db.session.expire_all()
    assert db.session.get(Platform, platform.id).booking_rules == {"requires_approval": False}
    book(user, other, sh(2027, 3, 3, 9), 3)


def test_only_staff_of_the_platform_set_its_quotas(lab, make_platform, make_user, client, auth):
    platform, resource, _other, user, _staff = lab
    stranger = make_user(role="staff", platform=make_platform(code="ELSE"))
    with pytest.raises(Forbidden):
        set_quota(user, resource, "5")
    with pytest.raises(Forbidden):
        set_quota(stranger, platform, "5")
    auth.login(stranger.email)
    assert client.get(settings_page(client, resource.id)).status_code == 403


def test_set_quota_checks_its_values(lab):
    _platform, resource, _other, _user, staff = lab
    with pytest.raises(InvalidInput):
        set_quota(staff, resource, "7.5", period="fortnight")
    assert set_quota(staff, resource, "7.5", period="week", scope="organisation").hours == Decimal("7.5")
    assert resource.booking_rules == {"quota_hours": 7.5, "quota_period": "week", "quota_scope": "organisation"}
    assert set_quota(staff, resource, "").hours is None
    assert resource.booking_rules is None


def test_the_feed_states_quotas_and_bad_ones_are_rejected_with_the_reason(lab):
    assert parse_booking_rules({"max_minutes": 240, "quota_hours": 12.5, "quota_period": "week",
                                "quota_scope": "organisation"}) == {
        "max_minutes": 240, "quota_hours": 12.5, "quota_period": "week", "quota_scope": "organisation"}
    assert parse_booking_rules({"quota_hours": None}) == {"quota_hours": None}
    for bad, reason in (({"quota_hours": 0}, "quota_hours must be hours above 0 and at most 744"),
                        ({"quota_hours": "10"}, "quota_hours must be hours above 0"),
                        ({"quota_hours": True}, "quota_hours must be hours above 0"),
                        ({"quota_period": "year"}, "quota_period must be week or month, not 'year'"),
                        ({"quota_scope": "team"}, "quota_scope must be user or organisation")):
        with pytest.raises(BadRecord, match=reason):
            parse_booking_rules(bad)


def test_an_imported_quota_limits_bookings(lab, make_user):
    _platform, _resource, _other, user, _staff = lab
    line = {"platform": "NJNC", "external_id": "Q-1", "kind": "instrument", "title": "热分析仪", "bookable": True,
            "opening_hours": None, "booking_rules": {"quota_hours": 2, "quota_period": "month"}}
    bad = dict(line, external_id="Q-2", booking_rules={"quota_hours": -1})
    summary = import_feed([json.dumps(line, ensure_ascii=False), json.dumps(bad, ensure_ascii=False)])
    assert summary.created == 1 and summary.rejections[0].line == 2
    assert "quota_hours must be hours above 0" in summary.rejections[0].reason
    imported = db.session.scalar(db.select(Resource).where(Resource.external_id == "Q-1"))
    book(user, imported, sh(2027, 3, 2, 9), 2)
    with force_locale("en"), pytest.raises(QuotaExceeded):
        book(user, imported, sh(2027, 3, 9, 9), 1)


def test_a_feed_silent_on_quotas_keeps_the_one_staff_set():
    staff_set = {"quota_hours": 10, "quota_period": "week", "quota_scope": "user", "max_minutes": 60}
    assert carried_quota({"max_minutes": 120}, staff_set) == {
        "max_minutes": 120, "quota_hours": 10, "quota_period": "week", "quota_scope": "user"}
    assert carried_quota(None, staff_set) == {"quota_hours": 10, "quota_period": "week", "quota_scope": "user"}
    assert carried_quota({"quota_hours": None}, staff_set) == {"quota_hours": None}  # the feed decides
    assert carried_quota({"quota_hours": 3}, staff_set) == {"quota_hours": 3}
    assert carried_quota({"min_minutes": 30}, None) == {"min_minutes": 30}
