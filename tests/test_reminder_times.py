"""Reminder times on the account page: the usual ones as checkboxes, others typed the way people
write them (full-width commas, 、, spaces, 分钟/小时/天), a clear message for what cannot be read."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from booking.extensions import db
from booking.models import Reminder, User
from booking.web.account.reminders import UnreadableTimes, chosen_offsets, read_times

from support import csrf_token
from support.smtp import hour_from_now

H, M, D = timedelta(hours=1), timedelta(minutes=1), timedelta(days=1)


@pytest.mark.parametrize("text, times", [
    ("30m, 3h, 2d", [30 * M, 3 * H, 2 * D]),
    ("30m，3h，2d", [30 * M, 3 * H, 2 * D]),
    ("30分钟、3小时、2天", [30 * M, 3 * H, 2 * D]),
    ("30 分钟前 1 天前", [30 * M, D]),
    ("45 minutes; 2 hours before", [45 * M, 2 * H]),
    ("", []),
])
def test_typed_times_are_read_in_either_language(text, times):
    assert read_times(text) == times


@pytest.mark.parametrize("text", ["tomorrow", "30", "1h30m", "3 weeks", "9999999d"])
def test_unreadable_times_name_the_part(text):
    with pytest.raises(UnreadableTimes, match="Could not read"):
        read_times(text)


def test_checked_and_typed_times_make_one_list_within_the_limits():
    assert chosen_offsets(["24h", "1h"], "1h, 30m") == [D, H, 30 * M]
    with pytest.raises(UnreadableTimes, match="between 1 minute and 30 days"):
        chosen_offsets([], "31d")
    with pytest.raises(UnreadableTimes, match="At most 5"):
        chosen_offsets(["24h", "2h", "1h"], "30m, 10m, 5m")


def reminder_plan() -> list[tuple[int, str]]:
    db.session.expire_all()
    return [(r.offset_seconds, r.status)
            for r in db.session.scalars(select(Reminder).order_by(Reminder.offset_seconds.desc()))]


def checked_boxes(page: str) -> list[str]:
    return re.findall(r'name="reminder_times" value="(\w+)" checked', page)


def test_the_card_shows_the_site_times_checked(app, client, auth, make_user, fast_passwords):
    app.config["ONESTOP_REMINDER_OFFSETS"] = [D, H]
    user = make_user(language="zh")
    auth.login(user.email)
    page = client.get("/account?lang=en").get_data(as_text=True)
    assert "1 day before" in page and "2 hours before" in page and "1 hour before" in page
    assert checked_boxes(page) == ["24h", "1h"]


def test_checking_boxes_and_typing_chinese_times_replans_reminders(app, client, auth, book, make_user):
    app.config["ONESTOP_REMINDER_OFFSETS"] = [D, H]
    user = make_user(language="zh")
    book(user=user, start=hour_from_now(72))
    auth.login(user.email)
    token = csrf_token(client, "/account")
    response = client.post("/account/reminders", data={
        "csrf_token": token, "reminders_enabled": "y", "reminder_times": ["2h"], "reminder_offsets": "30分钟，2天"})
    assert response.status_code == 302
    assert db.session.get(User, user.id).reminder_offsets == "2d, 2h, 30m"  # stored as before
    assert reminder_plan() == [(172800, "pending"), (86400, "cancelled"), (7200, "pending"),
                               (3600, "cancelled"), (1800, "pending")]
    page = client.get("/account?lang=en").get_data(as_text=True)
    assert checked_boxes(page) == ["2h"]
    assert 'value="2d, 30m"' in page  # the others, typed


def test_choosing_the_site_times_follows_the_site_default(app, client, auth, make_user, fast_passwords):
    app.config["ONESTOP_REMINDER_OFFSETS"] = [D, H]
    user = make_user(language="en")
    user.reminder_offsets = "2h"
    db.session.commit()
    auth.login(user.email)
    token = csrf_token(client, "/account")
    client.post("/account/reminders", data={
        "csrf_token": token, "reminders_enabled": "y", "reminder_times": ["24h", "1h"], "reminder_offsets": ""})
    assert db.session.get(User, user.id).reminder_offsets is None


def test_a_bad_time_is_refused_with_its_name_and_changes_nothing(app, client, auth, make_user, fast_passwords):
    user = make_user(language="en")
    auth.login(user.email)
    token = csrf_token(client, "/account")
    response = client.post("/account/reminders?lang=en", data={
        "csrf_token": token, "reminders_enabled": "y", "reminder_times": ["1h"], "reminder_offsets": "30m, soon"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Could not read “soon”" in page
    assert checked_boxes(page) == ["1h"] and 'value="30m, soon"' in page  # what was typed stays
    assert db.session.get(User, user.id).reminder_offsets is None
