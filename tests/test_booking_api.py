"""The reservations API (docs/contract.md §5), the iCalendar feeds and the OpenAPI description."""
from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest

from booking.extensions import db

from support import csrf_token

SHANGHAI = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")


def day_after(days: int, hour: int, minute: int = 0, tz: ZoneInfo = SHANGHAI) -> datetime:
    d = datetime.now(tz).date() + timedelta(days=days)
    return datetime(d.year, d.month, d.day, hour, minute, tzinfo=tz)


def booking_body(resource_id: int, start: datetime, minutes: int = 60, **extra) -> dict:
    return {"resource_id": resource_id, "start": start.isoformat(),
            "end": (start + timedelta(minutes=minutes)).isoformat(), "purpose": "XRD of thin films", **extra}


@pytest.fixture
def setup(make_platform, make_resource, make_user, auth):
    platform = make_platform(timezone="Asia/Shanghai")
    resource = make_resource(platform=platform, opening_hours=None)
    alice, bob = make_user(email="alice@example.com"), make_user(email="bob@example.com")
    staff = make_user(email="staff@example.com", role="staff", platform=platform)
    other_platform = make_platform()
    outsider = make_user(email="outsider@example.com", role="staff", platform=other_platform)
    # These clients read English (Accept-Language); messages in Chinese are checked where it matters.
    headers = {u.email.split("@")[0]: {**auth.token(u.email), "Accept-Language": "en"}
               for u in (alice, bob, staff, outsider)}
    return platform, resource, headers


def test_book_then_list_then_cancel(client, setup):
    platform, resource, h = setup
    start = day_after(3, 9)
    response = client.post("/api/v1/reservations", json=booking_body(resource.id, start), headers=h["alice"])
    assert response.status_code == 201, response.get_json()
    booked = response.get_json()
    assert booked["status"] == "confirmed"
    assert booked["start"] == start.isoformat() and booked["start"].endswith("+08:00")
    assert response.headers["Location"].endswith(f"/api/v1/reservations/{booked['id']}")

    mine = client.get("/api/v1/reservations?mine=1", headers=h["alice"]).get_json()
    assert [r["id"] for r in mine] == [booked["id"]]
    assert client.get("/api/v1/reservations", headers=h["bob"]).get_json() == []
    assert client.get(f"/api/v1/reservations/{booked['id']}", headers=h["bob"]).status_code == 404

    refused = client.post(f"/api/v1/reservations/{booked['id']}/cancel", json={}, headers=h["bob"])
    assert refused.status_code == 403 and refused.get_json()["error"] == "forbidden"
    done = client.post(f"/api/v1/reservations/{booked['id']}/cancel", json={"reason": "plans changed"}, headers=h["alice"])
    assert done.status_code == 200 and done.get_json()["status"] == "cancelled"
    again = client.post(f"/api/v1/reservations/{booked['id']}/cancel", headers=h["alice"])
    assert again.status_code == 409


def test_conflict_is_409_naming_the_interval(client, setup):
    platform, resource, h = setup
    start = day_after(4, 10)
    assert client.post("/api/v1/reservations", json=booking_body(resource.id, start, 90), headers=h["alice"]).status_code == 201
    response = client.post("/api/v1/reservations", json=booking_body(resource.id, start + timedelta(minutes=30)),
                           headers=h["bob"])
    assert response.status_code == 409
    body = response.get_json()
    assert body["error"] == "conflict" and body["message"]
    assert body["conflict"] == {"start": start.isoformat(), "end": (start + timedelta(minutes=90)).isoformat()}
    assert body["alternatives"] and all(a["start"].endswith("+08:00") for a in body["alternatives"])


@pytest.mark.parametrize("change, field", [
    ({"start": "tomorrow at nine"}, "start"),
    ({"start": "2027-03-08T09:00:00"}, "start"),  # no offset
    ({"end": None}, "end"),
    ({"resource_id": "1"}, "resource_id"),
    ({"purpose": 42}, "purpose"),
    ({"recurrence": {"freq": "yearly", "count": 2}}, "recurrence"),
])
def test_invalid_bodies_are_422_with_fields(client, setup, change, field):
    platform, resource, h = setup
    body = booking_body(resource.id, day_after(5, 9))
    body.update(change)
    response = client.post("/api/v1/reservations", json=body, headers=h["alice"])
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["error"] == "invalid" and field in response.get_json()["fields"]


def test_an_unknown_resource_is_404_in_a_body_as_in_a_path(client, setup):
    platform, resource, h = setup
    body = booking_body(999999, day_after(5, 9))
    for path in ("/api/v1/reservations", "/api/v1/waitlist"):
        response = client.post(path, json=body, headers=h["alice"])
        assert response.status_code == 404, response.get_json()
        assert response.get_json()["error"] == "not_found" and "resource_id" in response.get_json()["fields"]
    assert client.get("/api/v1/resources/999999", headers=h["alice"]).status_code == 404


def test_rule_refusals_are_422_with_their_message(client, setup):
    platform, resource, h = setup
    resource.booking_rules = {"max_minutes": 60}
    db.session.commit()
    response = client.post("/api/v1/reservations", json=booking_body(resource.id, day_after(5, 9), 120), headers=h["alice"])
    assert response.status_code == 422
    body = response.get_json()
    assert body["reason"] == "too_long" and "at most 1 hours" in body["message"] and "end" in body["fields"]
    chinese = {**h["alice"], "Accept-Language": "zh-CN"}
    response = client.post("/api/v1/reservations", json=booking_body(resource.id, day_after(5, 9), 120), headers=chinese)
    assert response.status_code == 422 and "最多 1 小时" in response.get_json()["message"]


def test_not_json_and_not_logged_in(client, setup):
    platform, resource, h = setup
    assert client.post("/api/v1/reservations", json=booking_body(resource.id, day_after(5, 9))).status_code == 401
    response = client.post("/api/v1/reservations", data="start=now", headers=h["alice"])
    assert response.status_code == 422 and response.get_json()["error"] == "invalid"


def test_approval_through_the_api_is_for_that_platforms_staff(client, setup):
    platform, resource, h = setup
    resource.booking_rules = {"requires_approval": True}
    db.session.commit()
    booked = client.post("/api/v1/reservations", json=booking_body(resource.id, day_after(6, 9)), headers=h["alice"]).get_json()
    assert booked["status"] == "pending"
    rid = booked["id"]
    # Staff of another platform neither see, approve, reject nor cancel it.
    assert client.get("/api/v1/reservations", headers=h["outsider"]).get_json() == []
    for action in ("approve", "reject", "cancel"):
        response = client.post(f"/api/v1/reservations/{rid}/{action}", json={"reason": "mine now"}, headers=h["outsider"])
        assert response.status_code == 403, action
    assert client.post(f"/api/v1/reservations/{rid}/approve", json={}, headers=h["alice"]).status_code == 403
    # The platform's staff see it with who booked it, and decide.
    listed = client.get("/api/v1/reservations", headers=h["staff"]).get_json()
    assert [(r["id"], r["user"]["email"]) for r in listed] == [(rid, "alice@example.com")]
    response = client.post(f"/api/v1/reservations/{rid}/approve", json={"reason": "ok"}, headers=h["staff"])
    assert response.status_code == 200 and response.get_json()["status"] == "confirmed"
    assert client.post(f"/api/v1/reservations/{rid}/reject", json={"reason": "late"}, headers=h["staff"]).status_code == 409

    second = client.post("/api/v1/reservations", json=booking_body(resource.id, day_after(6, 12)), headers=h["bob"]).get_json()
    missing = client.post(f"/api/v1/reservations/{second['id']}/reject", json={}, headers=h["staff"])
    assert missing.status_code == 422 and "reason" in missing.get_json()["fields"]
    rejected = client.post(f"/api/v1/reservations/{second['id']}/reject", json={"reason": "Course that day"}, headers=h["staff"])
    assert rejected.get_json()["status"] == "rejected" and rejected.get_json()["decision_reason"] == "Course that day"


def test_too_late_to_cancel_is_409(client, setup):
    platform, resource, h = setup
    resource.booking_rules = {"cancel_notice_minutes": 60 * 24 * 3}
    db.session.commit()
    booked = client.post("/api/v1/reservations", json=booking_body(resource.id, day_after(2, 9)), headers=h["alice"]).get_json()
    response = client.post(f"/api/v1/reservations/{booked['id']}/cancel", json={}, headers=h["alice"])
    assert response.status_code == 409 and "Too late to cancel" in response.get_json()["message"]
    # Staff of the platform may still cancel, with a reason.
    response = client.post(f"/api/v1/reservations/{booked['id']}/cancel", json={"reason": "Repair"}, headers=h["staff"])
    assert response.status_code == 200


def test_recurring_booking_skips_conflicts_and_cancels_the_rest(client, setup):
    platform, resource, h = setup
    first = day_after(7, 9)
    client.post("/api/v1/reservations", json=booking_body(resource.id, first + timedelta(days=14)), headers=h["bob"])
    body = booking_body(resource.id, first, recurrence={"freq": "weekly", "count": 4})
    conflict = client.post("/api/v1/reservations", json=body, headers=h["alice"])
    assert conflict.status_code == 409
    assert [o.get("reason") for o in conflict.get_json()["occurrences"]] == [None, None, "taken", None]
    body["skip_conflicts"] = True
    created = client.post("/api/v1/reservations", json=body, headers=h["alice"])
    assert created.status_code == 201
    data = created.get_json()
    assert len(data["skipped"]) == 1 and data["series_id"]
    booked_ids = [o["id"] for o in data["occurrences"] if "id" in o]
    assert len(booked_ids) == 3
    rest = client.post(f"/api/v1/reservations/{booked_ids[1]}/cancel", json={"scope": "rest"}, headers=h["alice"])
    assert rest.status_code == 200 and sorted(rest.get_json()["cancelled"]) == booked_ids[1:]
    mine = client.get("/api/v1/reservations?mine=1&status=confirmed", headers=h["alice"]).get_json()
    assert [r["id"] for r in mine] == booked_ids[:1]


def test_availability(client, make_platform, make_resource):
    platform = make_platform(timezone="Asia/Shanghai")
    resource = make_resource(platform=platform, opening_hours={d: [["08:30", "12:00"], ["13:30", "17:30"]]
                                                                  for d in ("mon", "tue", "wed", "thu", "fri")})
    monday = day_after(7, 0)
    monday -= timedelta(days=monday.weekday())
    response = client.get(f"/api/v1/resources/{resource.id}/availability",
                          query_string={"from": monday.isoformat(), "to": (monday + timedelta(days=7)).isoformat()})
    assert response.status_code == 200
    slots = response.get_json()["slots"]
    assert len(slots) == 10
    assert slots[0] == {"start": monday.replace(hour=8, minute=30).isoformat(), "end": monday.replace(hour=12).isoformat()}
    by_date = client.get(f"/api/v1/resources/{resource.id}/availability",
                         query_string={"from": monday.date().isoformat(), "to": (monday + timedelta(days=1)).date().isoformat()})
    assert len(by_date.get_json()["slots"]) == 2


@pytest.mark.parametrize("query", [
    {"from": "yesterday"},
    {"from": "2027-03-08T09:00:00"},
    {"from": "2027-03-10T00:00:00+08:00", "to": "2027-03-09T00:00:00+08:00"},
    {"from": "2027-03-01T00:00:00+08:00", "to": "2027-06-01T00:00:00+08:00"},
    {"from": "9999-99-99"},
])
def test_bad_availability_queries_are_400(client, make_resource, query):
    resource = make_resource(opening_hours=None)
    response = client.get(f"/api/v1/resources/{resource.id}/availability", query_string=query)
    assert response.status_code == 400
    assert response.get_json()["error"] == "bad_request" and response.get_json()["message"]


def test_bad_list_queries_are_400(client, setup):
    platform, resource, h = setup
    for query in ({"resource_id": "x"}, {"from": "soon"}, {"mine": "maybe"}, {"status": "lost"}):
        assert client.get("/api/v1/reservations", query_string=query, headers=h["alice"]).status_code == 400
    assert client.get("/api/v1/resources/999999/availability").status_code == 404


def test_session_writes_need_csrf(client, setup, auth):
    platform, resource, h = setup
    auth.login("alice@example.com")
    body = booking_body(resource.id, day_after(5, 15))
    refused = client.post("/api/v1/reservations", json=body)
    assert refused.status_code == 400 and refused.get_json()["error"] == "csrf"
    token = csrf_token(client, f"/resources/{resource.id}")
    assert client.post("/api/v1/reservations", json=body, headers={"X-CSRFToken": token}).status_code == 201


def ics_events(data: bytes) -> tuple[icalendar.Calendar, list[icalendar.Event]]:
    cal = icalendar.Calendar.from_ical(data)
    return cal, [c for c in cal.walk("VEVENT")]


def test_resource_feed_has_local_times_and_no_personal_data(client, make_platform, make_resource, make_user, auth):
    platform = make_platform(timezone="Europe/Berlin")
    resource = make_resource(platform=platform, opening_hours=None, booking_rules={"max_advance_days": 365})
    make_user(email="carol@example.com", name="Carol Secret")
    start = day_after(10, 9, tz=BERLIN)
    client.post("/api/v1/reservations", json=booking_body(resource.id, start, purpose="confidential project"),
                headers=auth.token("carol@example.com"))
    response = client.get(f"/api/v1/resources/{resource.id}/calendar.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    text = response.get_data(as_text=True)
    assert "Carol" not in text and "carol@" not in text and "confidential" not in text
    cal, events = ics_events(response.data)
    assert [tz["TZID"] for tz in cal.walk("VTIMEZONE")] == ["Europe/Berlin"]
    (event,) = events
    assert event["DTSTART"].params["TZID"] == "Europe/Berlin"
    assert event.decoded("DTSTART").strftime("%Y-%m-%d %H:%M") == start.strftime("%Y-%m-%d %H:%M")
    assert event.decoded("DTSTART").utcoffset() == start.utcoffset()
    assert "DTSTART;TZID=Europe/Berlin:" in text


def test_user_feed_and_me(client, setup):
    platform, resource, h = setup
    start = day_after(3, 14, 30)
    client.post("/api/v1/reservations", json=booking_body(resource.id, start), headers=h["alice"])
    client.post("/api/v1/reservations", json=booking_body(resource.id, start + timedelta(days=1)), headers=h["bob"])
    url = client.get("/api/v1/me", headers=h["alice"]).get_json()["calendar_url"]
    assert url and url.endswith(".ics")
    response = client.get(url.split("onestop.test", 1)[1])  # no login needed: the secret is the key
    assert response.status_code == 200
    cal, events = ics_events(response.data)
    assert len(events) == 1  # Alice's only, not Bob's
    assert events[0]["DTSTART"].params["TZID"] == "Asia/Shanghai"
    assert events[0].decoded("DTSTART").strftime("%H:%M") == "14:30"
    assert "XRD of thin films" in str(events[0]["DESCRIPTION"])
    assert client.get("/calendar/not-a-token.ics").status_code == 404


def test_openapi_describes_all_of_section_5(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    expected = {
        ("get", "/search"), ("get", "/resources/{resource_id}"), ("get", "/resources/{resource_id}/availability"),
        ("post", "/tokens"), ("post", "/reservations"), ("get", "/reservations"),
        ("post", "/reservations/{reservation_id}/cancel"), ("post", "/reservations/{reservation_id}/approve"),
        ("post", "/reservations/{reservation_id}/reject"), ("get", "/me"),
        ("get", "/resources/{resource_id}/calendar.ics"), ("get", "/openapi.json"),
    }
    present = {(method, path) for path, ops in spec["paths"].items() for method in ops}
    assert expected <= present
    assert set(spec["paths"]["/reservations"]["post"]["responses"]) >= {"201", "401", "409", "422"}
    # Every $ref points at a schema that exists.
    refs = set(re.findall(r'"#/components/schemas/(\w+)"', json.dumps(spec)))
    assert refs <= set(spec["components"]["schemas"])


@pytest.mark.parametrize("day, offset", [("2027-03-28", "+02:00"), ("2027-10-31", "+01:00")])
def test_availability_across_daylight_saving_in_berlin(client, make_platform, make_resource, day, offset):
    platform = make_platform(timezone="Europe/Berlin")
    resource = make_resource(platform=platform, booking_rules={"max_advance_days": 1000},
                             opening_hours={d: [["08:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")})
    next_day = (datetime.fromisoformat(day) + timedelta(days=1)).date().isoformat()
    response = client.get(f"/api/v1/resources/{resource.id}/availability", query_string={"from": day, "to": next_day})
    assert response.status_code == 200
    assert response.get_json()["slots"] == [{"start": f"{day}T08:00:00{offset}", "end": f"{day}T18:00:00{offset}"}]
