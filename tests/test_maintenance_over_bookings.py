"""Maintenance and closures over bookings: staff see the bookings a window would hit, then cancel
them (users told, with alternatives; the waitlist told) or keep them (pages warn of the overlap)."""
from __future__ import annotations

import email
import email.policy
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from booking.engine import approve_reservation, cancel_reservation, create_reservation
from booking.engine.maintenance import (
    add_closure_over_bookings,
    add_maintenance,
    maintenance_overlaps,
    plan_closure,
    plan_maintenance,
)
from booking.engine.waitlist import join_waitlist
from booking.errors import Forbidden, InvalidInput
from booking.extensions import db
from booking.models import Closure, Maintenance, OutgoingMail, Reservation, WaitlistEntry
from booking.notify.outbox import render_pending

from support import csrf_token

SHANGHAI = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2027, 3, 1, 0, 0, tzinfo=UTC)  # Monday 08:00 in Shanghai


def sh(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def english(app):
    with force_locale("en"):
        yield


@pytest.fixture
def lab(make_platform, make_resource, make_user):
    """A platform with two instruments (the first needs approval) and bookings around 2 March 10:00-14:00."""
    platform = make_platform(name_en="Materials Lab")
    scope = make_resource(platform=platform, opening_hours=None, title_en="Scope", booking_rules={"requires_approval": True})
    other = make_resource(platform=platform, opening_hours=None, title_en="Other instrument")
    staff = make_user(role="staff", platform=platform, language="en")
    ann, bob, cat = (make_user(email=f"{n}@example.com", language="en", name=n.title()) for n in ("ann", "bob", "cat"))
    inside = create_reservation(ann, scope, sh(2027, 3, 2, 10), sh(2027, 3, 2, 11), "inside", now=NOW)
    approve_reservation(staff, inside, now=NOW)
    partly = create_reservation(bob, scope, sh(2027, 3, 2, 13), sh(2027, 3, 2, 15), "partly", now=NOW)  # pending
    gone = create_reservation(cat, scope, sh(2027, 3, 2, 11), sh(2027, 3, 2, 12), "cancelled one", now=NOW)
    cancel_reservation(cat, gone, now=NOW)
    before = create_reservation(cat, scope, sh(2027, 3, 2, 8), sh(2027, 3, 2, 10), "ends as it starts", now=NOW)
    approve_reservation(staff, before, now=NOW)
    elsewhere = create_reservation(cat, other, sh(2027, 3, 2, 10), sh(2027, 3, 2, 12), "other resource", now=NOW)
    db.session.commit()
    return {"platform": platform, "scope": scope, "other": other, "staff": staff, "inside": inside, "partly": partly,
            "gone": gone, "before": before, "elsewhere": elsewhere, "ann": ann, "bob": bob, "cat": cat}


WINDOW = (sh(2027, 3, 2, 10), sh(2027, 3, 2, 14))


def ids(rows) -> list[int]:
    return [r.id for r in rows]


def test_plan_lists_exactly_the_pending_and_confirmed_bookings_of_that_resource_in_the_window(lab):
    hits = plan_maintenance(lab["staff"], lab["scope"], *WINDOW, "filament")
    assert ids(hits) == [lab["inside"].id, lab["partly"].id]
    assert [r.status for r in hits] == ["confirmed", "pending"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Maintenance)) == 0  # a plan saves nothing


def test_closure_plan_lists_every_resource_of_the_platform_and_no_other(lab, make_platform, make_resource, make_user):
    far = make_resource(platform=make_platform(), opening_hours=None)
    create_reservation(make_user(), far, sh(2027, 3, 2, 10), sh(2027, 3, 2, 11), now=NOW)
    db.session.commit()
    hits = plan_closure(lab["staff"], lab["platform"], *WINDOW)
    assert ids(hits) == [lab["inside"].id, lab["elsewhere"].id, lab["partly"].id]


def test_cancel_path_cancels_tells_the_users_with_alternatives_and_the_waitlist(lab, make_user):
    waiting = make_user(email="waiting@example.com", language="en")
    join_waitlist(waiting, lab["scope"], sh(2027, 3, 2, 10), sh(2027, 3, 2, 11), now=NOW)
    db.session.commit()
    window, affected = add_maintenance(lab["staff"], lab["scope"], *WINDOW, "Filament change", True, now=NOW)
    db.session.commit()
    assert affected == [lab["inside"].id, lab["partly"].id]
    assert window.reason == "Filament change" and window.resource_id == lab["scope"].id
    for key in ("inside", "partly"):
        r = db.session.get(Reservation, lab[key].id)
        assert r.status == "cancelled" and r.decided_by_id == lab["staff"].id
        assert "Filament change" in r.decision_reason
    for key in ("before", "elsewhere"):
        assert db.session.get(Reservation, lab[key].id).status == "confirmed"
    assert db.session.get(Reservation, lab["gone"].id).status == "cancelled"

    render_pending()
    db.session.commit()
    mails = {m.recipient: m for m in db.session.scalars(sa.select(OutgoingMail).where(
        OutgoingMail.template == "email/maintenance_cancelled"))}
    assert set(mails) == {"ann@example.com", "bob@example.com"}
    message = email.message_from_string(mails["ann@example.com"].raw, policy=email.policy.default)
    assert message["Subject"].startswith("Booking cancelled for maintenance: Scope")
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert "under maintenance" in text and "Filament change" in text
    assert "2027-03-02 (Tue) 10:00–14:00" in text  # the window, in the platform's time
    assert "Free at other times on the same resource" in text
    # Up to three free hours of the same length, none of them inside the window or on another booking.
    slots = re.findall(r"- (2027-\d\d-\d\d) \(\w+\) (\d\d:\d\d)–(\d\d:\d\d): (\S+)", text)
    # The nearest free hours around 10:00 (06:00-08:00 is free, 08:00-10:00 booked, the window runs
    # to 14:00 and Bob's 13:00-15:00 was still held when Ann's was cancelled), in time order.
    assert [(day, start) for day, start, _end, _link in slots] == \
        [("2027-03-02", "06:00"), ("2027-03-02", "07:00"), ("2027-03-02", "15:00")]
    for day, start, end, link in slots:
        a = datetime.fromisoformat(f"{day}T{start}").replace(tzinfo=SHANGHAI)
        assert (datetime.fromisoformat(f"{day}T{end}") - datetime.fromisoformat(f"{day}T{start}")) == timedelta(hours=1)
        assert not (WINDOW[0] <= a < WINDOW[1]) and not (sh(2027, 3, 2, 8) <= a < sh(2027, 3, 2, 10))
        assert f"/resources/{lab['scope'].id}?" in link and f"day={day}" in link
    assert message.get_content_type() == "multipart/mixed"
    assert any(part.get_filename() == "invite.ics" and "METHOD:CANCEL" in part.get_content()
               for part in message.iter_attachments())
    # The waitlist of the freed hour is told, as with any cancellation.
    entry = db.session.scalar(sa.select(WaitlistEntry).where(WaitlistEntry.user_id == waiting.id))
    assert entry.status == "notified"
    assert db.session.scalar(sa.select(OutgoingMail.recipient).where(OutgoingMail.kind == "waitlist_free")) == \
        "waiting@example.com"


def test_keep_path_leaves_the_bookings_and_warns(lab):
    window, affected = add_maintenance(lab["staff"], lab["scope"], *WINDOW, "Vacuum pump", False, now=NOW)
    db.session.commit()
    assert affected == [lab["inside"].id, lab["partly"].id]
    assert [db.session.get(Reservation, i).status for i in affected] == ["confirmed", "pending"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutgoingMail).where(
        OutgoingMail.template == "email/maintenance_cancelled")) == 0
    warnings = maintenance_overlaps([lab["inside"], lab["partly"], lab["before"], lab["elsewhere"]])
    assert set(warnings) == {lab["inside"].id, lab["partly"].id}
    assert warnings[lab["inside"].id][0].reason == "Vacuum pump"


def test_staff_of_another_platform_and_users_are_refused(lab, make_platform, make_user):
    outsider = make_user(role="staff", platform=make_platform())
    for who in (outsider, lab["ann"]):
        with pytest.raises(Forbidden):
            plan_maintenance(who, lab["scope"], *WINDOW)
        with pytest.raises(Forbidden):
            add_maintenance(who, lab["scope"], *WINDOW, "", True, now=NOW)
        with pytest.raises(Forbidden):
            add_closure_over_bookings(who, lab["platform"], *WINDOW, "Move", True, now=NOW)
    assert db.session.get(Reservation, lab["inside"].id).status == "confirmed"


@pytest.mark.parametrize("start, end", [
    (sh(2027, 3, 2, 10), sh(2027, 3, 2, 10)),
    (sh(2027, 3, 2, 10), sh(2027, 3, 2, 9)),
    (datetime(2027, 3, 2, 10), datetime(2027, 3, 2, 12)),
    (sh(2027, 3, 2, 10), sh(2028, 3, 10, 10)),
])
def test_bad_windows_are_refused(lab, start, end):
    with pytest.raises(InvalidInput):
        add_maintenance(lab["staff"], lab["scope"], start, end, "", True, now=NOW)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Maintenance)) == 0


def test_closure_cancel_path_tells_every_resource_user(lab):
    closure, affected = add_closure_over_bookings(lab["staff"], lab["platform"], *WINDOW, "Power cut", True, now=NOW)
    db.session.commit()
    assert isinstance(closure, Closure) and closure.title == "Power cut"
    assert sorted(affected) == sorted([lab["inside"].id, lab["partly"].id, lab["elsewhere"].id])
    assert {db.session.get(Reservation, i).status for i in affected} == {"cancelled"}
    render_pending()
    rows = db.session.scalars(sa.select(OutgoingMail).where(OutgoingMail.template == "email/maintenance_cancelled")).all()
    assert sorted(m.recipient for m in rows) == ["ann@example.com", "bob@example.com", "cat@example.com"]
    assert all("the platform is closed" in m.raw or "platform is closed" in m.subject for m in rows)


# --- pages --------------------------------------------------------------------------------------

def login(client, auth, user):
    auth.login(user.email)


def form_data(client, lab, **extra):
    token = csrf_token(client, "/staff/maintenance")
    return {"csrf_token": token, "resource_id": lab["scope"].id, "start_day": "2027-03-02", "start_time": "10:00",
            "end_day": "2027-03-02", "end_time": "14:00", "reason": "Filament <change>", **extra}


def test_page_two_steps_preview_then_keep(client, auth, lab):
    login(client, auth, lab["staff"])
    page = client.post("/staff/maintenance", data=form_data(client, lab, step="preview"))
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    listed = [int(x) for x in re.findall(r'data-reservation="(\d+)"', html)]
    assert listed == [lab["inside"].id, lab["partly"].id]
    assert "2 bookings fall in this window." in html and "Filament &lt;change&gt;" in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Maintenance)) == 0
    seen = re.search(r'name="seen" value="([^"]*)"', html).group(1)

    # Confirming without a choice asks for one, and saves nothing.
    refused = client.post("/staff/maintenance", data=form_data(client, lab, step="confirm", seen=seen))
    assert refused.status_code == 422 and "Choose what happens to the bookings" in refused.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Maintenance)) == 0

    done = client.post("/staff/maintenance", data=form_data(client, lab, step="confirm", seen=seen, affected="keep"),
                       follow_redirects=True)
    assert "2 bookings in it were kept" in done.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Reservation, lab["inside"].id).status == "confirmed"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Maintenance)) == 1

    calendar = client.get("/staff?view=day&date=2027-03-02").get_data(as_text=True)
    assert calendar.count("Maintenance overlaps") == 2  # the two kept bookings, not the others
    page = client.get(f"/bookings/{lab['inside'].id}").get_data(as_text=True)
    assert "Maintenance overlaps this booking: 2027-03-02" in page and "Filament &lt;change&gt;" in page
    assert "Maintenance overlaps" not in client.get(f"/bookings/{lab['before'].id}").get_data(as_text=True)


def test_page_confirm_cancel_cancels_and_mails(client, auth, lab):
    login(client, auth, lab["staff"])
    html = client.post("/staff/maintenance", data=form_data(client, lab, step="preview")).get_data(as_text=True)
    seen = re.search(r'name="seen" value="([^"]*)"', html).group(1)
    done = client.post("/staff/maintenance", data=form_data(client, lab, step="confirm", seen=seen, affected="cancel"))
    assert done.status_code == 303
    db.session.expire_all()
    assert [db.session.get(Reservation, lab[k].id).status for k in ("inside", "partly", "before")] == \
        ["cancelled", "cancelled", "confirmed"]
    assert sorted(db.session.scalars(sa.select(OutgoingMail.recipient).where(
        OutgoingMail.template == "email/maintenance_cancelled"))) == ["ann@example.com", "bob@example.com"]


def test_page_confirm_with_a_booking_the_preview_did_not_show_asks_again(client, auth, lab, make_user):
    login(client, auth, lab["staff"])
    data = form_data(client, lab, step="confirm", seen=str(lab["inside"].id), affected="cancel")
    page = client.post("/staff/maintenance", data=data)
    assert page.status_code == 200 and "More bookings fall in this window" in page.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Reservation, lab["inside"].id).status == "confirmed"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Maintenance)) == 0


def test_page_refuses_another_platforms_staff_and_csrf_is_required(client, auth, lab, make_platform, make_user):
    outsider = make_user(role="staff", platform=make_platform())
    login(client, auth, outsider)
    data = form_data(client, lab, step="confirm", affected="cancel", seen=f"{lab['inside'].id},{lab['partly'].id}")
    # Their form offers only their own platform's resources: another's is not a valid choice.
    assert client.post("/staff/maintenance", data=data).status_code == 422
    window, _ = add_maintenance(lab["staff"], lab["scope"], *WINDOW, "", False, now=NOW)
    db.session.commit()
    token = csrf_token(client, "/staff/maintenance")
    assert client.post(f"/staff/maintenance/{window.id}/delete", data={"csrf_token": token}).status_code == 403
    db.session.expire_all()
    assert db.session.get(Reservation, lab["inside"].id).status == "confirmed"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Maintenance)) == 1

    auth.logout()
    login(client, auth, lab["staff"])
    data = form_data(client, lab, step="preview")
    del data["csrf_token"]
    assert client.post("/staff/maintenance", data=data).status_code in (400, 422)


def test_closure_page_two_steps(client, auth, lab):
    login(client, auth, lab["staff"])
    token = csrf_token(client, "/staff/closures")
    base = {"csrf_token": token, "first_day": "2027-03-02", "last_day": "2027-03-02", "title": "Lab move"}
    html = client.post("/staff/closures", data={**base, "step": "preview"}).get_data(as_text=True)
    listed = sorted(int(x) for x in re.findall(r'data-reservation="(\d+)"', html))
    assert listed == sorted([lab["before"].id, lab["inside"].id, lab["partly"].id, lab["elsewhere"].id])
    seen = re.search(r'name="seen" value="([^"]*)"', html).group(1)
    assert client.post("/staff/closures", data={**base, "step": "confirm", "seen": seen, "affected": "keep"}).status_code == 303
    db.session.expire_all()
    assert db.session.scalar(sa.select(Closure.title)) == "Lab move"
    assert db.session.get(Reservation, lab["inside"].id).status == "confirmed"


# --- API ------------------------------------------------------------------------------------------

def test_api_201_403_422(client, auth, lab, make_platform, make_user):
    staff = auth.token(lab["staff"].email)
    url = f"/api/v1/resources/{lab['scope'].id}/maintenance"
    body = {"start": "2027-03-02T10:00:00+08:00", "end": "2027-03-02T14:00:00+08:00", "reason": "Filament",
            "cancel_affected": False}

    outsider = make_user(role="staff", platform=make_platform())
    for headers in (auth.token(outsider.email), auth.token(lab["ann"].email)):
        answer = client.post(url, json=body, headers=headers)
        assert answer.status_code == 403, answer.get_json()
        assert answer.get_json()["error"] == "forbidden"

    for bad, field in ((dict(body, end="2027-03-02T10:00:00+08:00"), "end"),
                       (dict(body, start="2027-03-02T10:00:00"), "start"),
                       (dict(body, end="2028-03-05T10:00:00+08:00"), "end"),
                       (dict(body, cancel_affected="yes"), "cancel_affected")):
        answer = client.post(url, json=bad, headers=staff)
        assert answer.status_code == 422, (bad, answer.get_json())
        assert field in str(answer.get_json())
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Maintenance)) == 0

    answer = client.post(url, json=body, headers=staff)
    assert answer.status_code == 201, answer.get_json()
    data = answer.get_json()
    assert data["affected"] == [lab["inside"].id, lab["partly"].id]
    assert data["maintenance"]["start"] == "2027-03-02T10:00:00+08:00" and data["maintenance"]["reason"] == "Filament"
    assert data["id"] == data["maintenance"]["id"]
    db.session.expire_all()
    assert db.session.get(Reservation, lab["inside"].id).status == "confirmed"

    again = client.post(url, json=dict(body, start="2027-03-02T07:00:00+08:00", cancel_affected=True), headers=staff)
    assert again.status_code == 201
    assert again.get_json()["affected"] == [lab["before"].id, lab["inside"].id, lab["partly"].id]
    db.session.expire_all()
    assert db.session.get(Reservation, lab["before"].id).status == "cancelled"
    assert client.post(url, json=body).status_code == 401


# --- time zones -----------------------------------------------------------------------------------

def test_berlin_window_across_the_spring_change_lists_the_right_bookings(client, auth, make_platform, make_resource,
                                                                         make_user):
    """28 March 2027: Berlin's clocks jump from 02:00 to 03:00. A window typed as 00:30 to 03:30
    local is two hours long (23:30 to 01:30 UTC); a fixed +01:00 would end it at 02:30 UTC."""
    platform = make_platform(timezone="Europe/Berlin", name_en="Berlin Lab")
    resource = make_resource(platform=platform, opening_hours=None)
    staff = make_user(role="staff", platform=platform, language="en")
    user = make_user(language="en")
    now = datetime(2027, 3, 20, tzinfo=UTC)

    def book(a: datetime, b: datetime) -> Reservation:
        return create_reservation(user, resource, a, b, now=now)

    early = book(datetime(2027, 3, 28, 0, 0, tzinfo=BERLIN), datetime(2027, 3, 28, 0, 45, tzinfo=BERLIN))
    after_jump = book(datetime(2027, 3, 28, 3, 0, tzinfo=BERLIN), datetime(2027, 3, 28, 3, 30, tzinfo=BERLIN))
    later = book(datetime(2027, 3, 28, 3, 30, tzinfo=BERLIN), datetime(2027, 3, 28, 4, 30, tzinfo=BERLIN))
    db.session.commit()
    assert later.start == datetime(2027, 3, 28, 1, 30, tzinfo=UTC)

    start, end = datetime(2027, 3, 28, 0, 30, tzinfo=BERLIN), datetime(2027, 3, 28, 3, 30, tzinfo=BERLIN)
    assert end.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=2)  # (same-zone subtraction reads the wall clock)
    assert ids(plan_maintenance(staff, resource, start, end)) == [early.id, after_jump.id]

    auth.login(staff.email)
    token = csrf_token(client, "/staff/maintenance")
    html = client.post("/staff/maintenance", data={
        "csrf_token": token, "step": "preview", "resource_id": resource.id, "start_day": "2027-03-28",
        "start_time": "00:30", "end_day": "2027-03-28", "end_time": "03:30"}).get_data(as_text=True)
    assert [int(x) for x in re.findall(r'data-reservation="(\d+)"', html)] == [early.id, after_jump.id]
