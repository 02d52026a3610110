"""The waitlist: join a taken slot; when it is freed, the waiting are mailed in the order they joined;
the first to book gets it and their entry is fulfilled."""
from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from booking.engine import SlotTaken, cancel_reservation, create_reservation, reject_reservation
from booking.engine.waitlist import join_waitlist, leave_waitlist, my_entries
from booking.errors import InvalidInput
from booking.extensions import db
from booking.models import OutgoingMail, WaitlistEntry
from booking.notify.outbox import render_pending

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


def waitlist_mails() -> list[str]:
    return list(db.session.scalars(sa.select(OutgoingMail.recipient).where(OutgoingMail.kind == "waitlist_free")
                                   .order_by(OutgoingMail.id)))


@pytest.fixture
def taken(make_resource, make_user):
    resource = make_resource(opening_hours=None)
    holder = make_user(email="holder@example.com")
    reservation = create_reservation(holder, resource, sh(2027, 3, 2, 9), sh(2027, 3, 2, 11), now=NOW)
    db.session.commit()
    return resource, holder, reservation


def test_freed_slot_mails_the_waiting_in_order_and_the_first_to_book_gets_it(taken, make_user):
    resource, holder, reservation = taken
    first, second, third = (make_user(email=f"{n}@example.com", language="en") for n in ("first", "second", "third"))
    join_waitlist(first, resource, sh(2027, 3, 2, 10), sh(2027, 3, 2, 11), now=NOW)
    join_waitlist(second, resource, sh(2027, 3, 2, 9), sh(2027, 3, 2, 10), now=NOW + timedelta(minutes=1))
    join_waitlist(third, resource, sh(2027, 3, 2, 9), sh(2027, 3, 2, 11), now=NOW + timedelta(minutes=5))
    again = join_waitlist(second, resource, sh(2027, 3, 2, 9), sh(2027, 3, 2, 10), now=NOW + timedelta(minutes=9))
    db.session.commit()
    assert waitlist_mails() == []

    cancel_reservation(holder, reservation, now=NOW + timedelta(hours=1))
    db.session.commit()
    assert waitlist_mails() == ["first@example.com", "second@example.com", "third@example.com"]
    render_pending()  # mail is rendered at dispatch; render now to read it
    raw = db.session.scalar(sa.select(OutgoingMail.raw).where(OutgoingMail.recipient == "first@example.com"))
    message = email.message_from_string(raw, policy=email.policy.default)
    assert message["Subject"].startswith("Free again:")
    assert "whoever books first gets it" in message.get_body(("plain",)).get_content()

    won = create_reservation(third, resource, sh(2027, 3, 2, 9), sh(2027, 3, 2, 11), now=NOW + timedelta(hours=2))
    db.session.commit()
    statuses = dict(db.session.execute(sa.select(WaitlistEntry.user_id, WaitlistEntry.status)).all())
    assert statuses == {third.id: "fulfilled", first.id: "notified", second.id: "notified"}
    with pytest.raises(SlotTaken):
        create_reservation(second, resource, sh(2027, 3, 2, 9), sh(2027, 3, 2, 10), now=NOW + timedelta(hours=3))
    db.session.rollback()
    assert again.id == db.session.scalar(sa.select(WaitlistEntry.id).where(WaitlistEntry.user_id == second.id))
    cancel_reservation(third, won, now=NOW + timedelta(hours=4))  # nobody is waiting any more
    db.session.commit()
    assert len(waitlist_mails()) == 3


def test_a_rejected_request_frees_the_slot_too(make_platform, make_resource, make_user):
    platform = make_platform(booking_rules={"requires_approval": True})
    resource = make_resource(platform=platform, opening_hours=None)
    staff = make_user(role="staff", platform=platform)
    pending = create_reservation(make_user(), resource, sh(2027, 3, 2, 9), sh(2027, 3, 2, 10), now=NOW)
    waiting = make_user(email="waiting@example.com")
    join_waitlist(waiting, resource, sh(2027, 3, 2, 9), sh(2027, 3, 2, 10), now=NOW)
    reject_reservation(staff, pending, "Instrument reserved for a course", now=NOW)
    db.session.commit()
    assert waitlist_mails() == ["waiting@example.com"]


def test_only_a_taken_future_slot_can_be_waited_for(taken, make_user):
    resource, holder, _reservation = taken
    user = make_user()
    with pytest.raises(InvalidInput, match="free"):
        join_waitlist(user, resource, sh(2027, 3, 2, 14), sh(2027, 3, 2, 15), now=NOW)
    with pytest.raises(InvalidInput, match="already"):
        join_waitlist(holder, resource, sh(2027, 3, 2, 9), sh(2027, 3, 2, 10), now=NOW)
    entry = join_waitlist(user, resource, sh(2027, 3, 2, 9), sh(2027, 3, 2, 10), now=NOW)
    assert my_entries(user, NOW) == [entry]
    leave_waitlist(user, entry)
    assert my_entries(user, NOW) == []


def test_refusal_on_the_panel_offers_the_waitlist(client, auth, make_resource, make_user):
    resource = make_resource(opening_hours=None)
    day = (datetime.now(SHANGHAI) + timedelta(days=3)).date()
    start = datetime(day.year, day.month, day.day, 9, tzinfo=SHANGHAI)
    create_reservation(make_user(), resource, start, start + timedelta(hours=2))
    db.session.commit()
    user = make_user()
    auth.login(user.email)
    client.get("/?lang=en")  # English pages, whatever the catalogue holds
    path = f"/resources/{resource.id}"
    token = csrf_token(client, path)
    response = client.post(f"{path}/book", data={"csrf_token": token, "day": day.isoformat(), "start": "09:00",
                                                 "end": "10:00", "purpose": ""})
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "Join the waitlist" in page
    response = client.post(f"{path}/waitlist", data={"csrf_token": token, "day": day.isoformat(), "start": "09:00",
                                                     "end": "10:00"})
    assert response.status_code == 303
    assert db.session.scalar(sa.select(WaitlistEntry.status)) == "waiting"
    assert "On the waitlist" in client.get("/bookings").get_data(as_text=True)


def test_the_waiting_receive_their_mails_in_joining_order(mail_app, smtp_server, make_resource, make_user):
    from booking.notify import dispatch_due

    resource = make_resource(opening_hours=None)
    holder = make_user(email="holder@example.com")
    start = (datetime.now(UTC) + timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
    reservation = create_reservation(holder, resource, start, start + timedelta(hours=2))
    waiting = [make_user(email=f"w{i}@example.com", language="en") for i in range(4)]
    for i, user in enumerate(reversed(waiting)):  # w3 joins first, w0 last
        join_waitlist(user, resource, start, start + timedelta(hours=1), now=datetime.now(UTC) + timedelta(
            seconds=i))
    db.session.commit()
    cancel_reservation(holder, reservation)
    db.session.commit()
    dispatch_due()
    received = [m.message["To"].addresses[0].addr_spec for m in smtp_server.messages()
                if m.subject.startswith("Free again")]
    assert received == ["w3@example.com", "w2@example.com", "w1@example.com", "w0@example.com"]
