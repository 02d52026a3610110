"""A user turns reminders off or chooses their own times on the account page."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from booking.extensions import db
from booking.models import Reminder, User
from tests.support import csrf_token

from support.smtp import hour_from_now


def reminder_plan() -> list[tuple[int, str]]:
    db.session.expire_all()
    return [(r.offset_seconds, r.status) for r in db.session.scalars(select(Reminder).order_by(Reminder.offset_seconds.desc()))]


def test_account_page_shows_the_reminder_settings(app, client, auth, fast_passwords, make_user):
    app.config["ONESTOP_REMINDER_OFFSETS"] = [timedelta(hours=24), timedelta(hours=1)]
    user = make_user(language="en")
    auth.login(user.email)
    page = client.get("/account?lang=en").get_data(as_text=True)
    assert 'action="/account/reminders"' in page
    assert "24h, 1h" in page
    assert '<input checked id="reminders_enabled"' in page


def test_choosing_own_times_replans_upcoming_bookings(app, client, auth, book, make_user):
    app.config["ONESTOP_REMINDER_OFFSETS"] = [timedelta(hours=24), timedelta(hours=1)]
    user = make_user(language="en")
    book(user=user, start=hour_from_now(72))
    assert reminder_plan() == [(86400, "pending"), (3600, "pending")]
    auth.login(user.email)
    token = csrf_token(client, "/account")
    response = client.post("/account/reminders", data={
        "csrf_token": token, "reminders_enabled": "y", "reminder_offsets": "2d, 30m"})
    assert response.status_code == 302
    assert db.session.get(User, user.id).reminder_offsets == "2d, 30m"
    assert reminder_plan() == [(172800, "pending"), (86400, "cancelled"), (3600, "cancelled"), (1800, "pending")]


def test_turning_reminders_off_cancels_them_and_on_again_restores_them(app, client, auth, book, make_user):
    app.config["ONESTOP_REMINDER_OFFSETS"] = [timedelta(hours=1)]
    user = make_user(language="en")
    book(user=user, start=hour_from_now(72))
    auth.login(user.email)
    token = csrf_token(client, "/account")
    client.post("/account/reminders", data={"csrf_token": token, "reminder_offsets": ""})
    assert reminder_plan() == [(3600, "cancelled")]
    assert "Reminders are off" in client.get("/account?lang=en").get_data(as_text=True)
    client.post("/account/reminders", data={"csrf_token": token, "reminders_enabled": "y", "reminder_offsets": ""})
    assert reminder_plan() == [(3600, "pending")]
    assert db.session.get(User, user.id).reminder_offsets is None  # the site's times


def test_bad_times_are_refused_with_a_message_and_change_nothing(app, client, auth, book, make_user):
    user = make_user(language="en")
    auth.login(user.email)
    token = csrf_token(client, "/account")
    for bad, message in (("tomorrow", "Could not read “tomorrow”. Write times such as 24h"),
                         ("0m", "between 1 minute and 30 days before the start; 0m is not"),
                         ("90d", "between 1 minute and 30 days before the start; 90d is not"),
                         ("1h,2h,3h,4h,5h,6h", "At most 5 reminders")):
        response = client.post("/account/reminders?lang=en", data={
            "csrf_token": token, "reminders_enabled": "y", "reminder_offsets": bad})
        assert response.status_code == 422
        assert message in response.get_data(as_text=True)
    assert db.session.get(User, user.id).reminder_offsets is None
