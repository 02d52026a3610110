"""Follow-ups of helper "settings" in files it did not own: the calendar subscription is the same
event as the mailed invitation (UID, SEQUENCE), and an import that says nothing of quotas keeps
the quota staff set."""
from __future__ import annotations

import json

import icalendar
from sqlalchemy import select

from booking.catalog.importer import import_feed
from booking.engine.quotas import quota_setting, set_quota
from booking.extensions import db
from booking.models import Resource
from booking.notify import dispatch_due


def test_the_subscription_shows_the_invited_event_once(mail_app, smtp_server, client, book, make_user):
    user = make_user(language="en")
    reservation = book(user=user)
    dispatch_due()
    (mail,) = smtp_server.wait_for(1)
    (invited,) = icalendar.Calendar.from_ical(mail.attachment("invite.ics").get_content()).walk("VEVENT")
    feed = client.get(f"/calendar/{user.calendar_token}.ics")  # asked for at onestop.test
    (subscribed,) = icalendar.Calendar.from_ical(feed.data).walk("VEVENT")
    assert str(subscribed["UID"]) == str(invited["UID"]) == f"reservation-{reservation.id}@onestop.example.org"
    assert int(subscribed["SEQUENCE"]) == int(invited["SEQUENCE"])


def test_a_feed_silent_on_quotas_keeps_the_staff_quota(make_platform, make_user):
    platform = make_platform(code="NJNC")
    staff = make_user(role="staff", platform=platform)
    line = {"platform": "NJNC", "external_id": "Q-1", "kind": "instrument", "title": "热分析仪", "bookable": True,
            "opening_hours": None, "booking_rules": {"max_minutes": 240}}
    import_feed([json.dumps(line, ensure_ascii=False)])
    resource = db.session.scalar(select(Resource).where(Resource.external_id == "Q-1"))
    set_quota(staff, resource, "8", "week")
    db.session.commit()
    import_feed([json.dumps(dict(line, title="热分析仪 TGA"), ensure_ascii=False)])  # changed, no quota stated
    db.session.expire_all()
    resource = db.session.scalar(select(Resource).where(Resource.external_id == "Q-1"))
    assert quota_setting(resource.booking_rules).hours == 8 and resource.booking_rules["max_minutes"] == 240
    import_feed([json.dumps(dict(line, booking_rules={"quota_hours": None}), ensure_ascii=False)])
    db.session.expire_all()
    resource = db.session.scalar(select(Resource).where(Resource.external_id == "Q-1"))
    assert quota_setting(resource.booking_rules).hours is None


def test_the_platforms_file_sets_a_platform_quota_and_keeps_the_staff_one_when_silent(make_platform, make_user):
    from booking.catalog.platforms import import_platforms
    from booking.models import Platform

    summary = import_platforms([{"code": "NJNC", "name_zh": "宁川", "booking_rules": {"quota_hours": 30,
                                                                                   "quota_period": "week"}}])
    assert summary.created == 1
    platform = db.session.scalar(select(Platform).where(Platform.code == "NJNC"))
    assert quota_setting(platform.booking_rules).hours == 30
    staff = make_user(role="staff", platform=platform)
    set_quota(staff, platform, "12", "month")
    db.session.commit()
    import_platforms([{"code": "NJNC", "booking_rules": {"requires_approval": True}}])
    db.session.expire_all()
    platform = db.session.scalar(select(Platform).where(Platform.code == "NJNC"))
    assert platform.booking_rules["requires_approval"] is True
    assert quota_setting(platform.booking_rules).hours == 12
