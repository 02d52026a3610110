"""The JSON API against a schema-driven fuzzer, and the bad inputs such a fuzzer found.

schemathesis reads /api/v1/openapi.json and sends every operation generated requests, valid and
invalid, through the real app (WSGI, in-process) over a seeded database. Any 5xx, or a status the
description does not list for that operation, fails the test. The run is bounded (a fixed number
of examples per operation, derandomized) so CI sees the same cases every time; set
ONESTOP_FUZZ_EXAMPLES to fuzz longer by hand.

The overflow cases the fuzzer found (ids above 2**31 on PostgreSQL, 2**63 on SQLite) are also
plain tests below, on both databases.
"""
from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import schemathesis
import sqlalchemy as sa
from flask import Flask
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    allow_header_conformance,
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

from booking.accounts import service as accounts
from booking.extensions import db
from booking.models import Reservation, User

EXAMPLES = int(os.environ.get("ONESTOP_FUZZ_EXAMPLES", "10"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          allow_header_conformance, unsupported_method, negative_data_rejection]
SHANGHAI = ZoneInfo("Asia/Shanghai")
BIG_IDS = [2**31, 2**31 + 1, 2**63 - 1, 2**63, 10**30]


def coming(days: int, hour: int) -> datetime:
    day = datetime.now(SHANGHAI).date() + timedelta(days=days)
    return datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI)


@pytest.fixture
def seeded(app: Flask, make_platform, make_resource, make_user, auth) -> dict[str, Any]:
    """Two platforms with instruments and a testing service; a member, staff of each platform; one
    booking and one order, so the small ids the fuzzer tries often exist."""
    platform = make_platform(code="NJ", timezone="Asia/Shanghai")
    other = make_platform(code="SZ", timezone="Asia/Shanghai")
    instrument = make_resource(platform=platform, opening_hours=None)
    make_resource(platform=platform, opening_hours=None, booking_rules={"requires_approval": True})
    service = make_resource(platform=platform, kind="testing_service", title="金属材料拉伸试验",
                            title_en="Tensile testing of metals", bookable=False, orderable=True,
                            attributes={"standards": ["GB/T 228.1-2021"], "turnaround_days": 5},
                            price_amount=300, price_currency="CNY", price_unit="sample")
    make_resource(platform=other, opening_hours=None)
    member = make_user(email="member@example.com", language="en")
    staff = make_user(email="staff@example.com", role="staff", platform=platform, language="en")
    make_user(email="other-staff@example.com", role="staff", platform=other, language="en")
    headers = {who: auth.token(email) for who, email in (("user", member.email), ("staff", staff.email))}
    start = coming(3, 9)
    booked = auth.client.post("/api/v1/reservations", headers=headers["user"], json={
        "resource_id": instrument.id, "start": start.isoformat(), "end": (start + timedelta(hours=1)).isoformat()})
    assert booked.status_code == 201, booked.get_json()
    ordered = auth.client.post("/api/v1/orders", headers=headers["user"], json={
        "resource_id": service.id, "samples": 2, "sample_description": "two dog-bone specimens"})
    assert ordered.status_code == 201, ordered.get_json()
    return {"users": {"user": member, "staff": staff}, "headers": headers}


@pytest.fixture(params=["user", "staff"])
def caller(request: pytest.FixtureRequest, seeded: dict[str, Any]) -> dict[str, Any]:
    """Who fuzzes: a member (their own bookings and orders) or staff (approve, quote, …)."""
    return {"user": seeded["users"][request.param], "headers": dict(seeded["headers"][request.param])}


@pytest.fixture
def api_schema(app: Flask, caller: dict[str, Any]) -> Any:
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    # The description says text may not hold NUL (U+0000); JSON Schema cannot say it of every key.
    schema.config.generation.update(allow_x00=False)
    return schema


#: field messages that say a value has the wrong form (as opposed to breaking a rule of the domain)
MALFORMED = {"a whole number", "not an ISO 8601 time", "needs an offset", "out of range",
             "unknown field", "true or false"}


@schemathesis.check
def valid_requests_are_not_refused_as_malformed(ctx: Any, response: Any, case: Any) -> bool | None:
    """A request that the description calls valid may be refused by a rule of the domain (a taken or
    closed time, an end before its start, a step the order's status does not allow: 400, 409 or 422
    with its message), but never as malformed: not by the schema layer, and no field error about a
    value's form."""
    if case.meta is None or not case.meta.generation.mode.is_positive or response.status_code not in (400, 422):
        return None
    body = response.json()
    if body.get("error") == "csrf":
        return None
    malformed = [name for name, text in (body.get("fields") or {}).items() if text in MALFORMED]
    if body.get("message", "").startswith(("Check the fields", "Check the parameters")) or malformed:
        raise AssertionError(f"a valid request was refused as malformed: {body}")
    return True


def fresh_headers(caller: dict[str, Any]) -> dict[str, str]:
    """The caller's bearer token, issued again when a fuzzed DELETE /tokens revoked it."""
    token = caller["headers"]["Authorization"].removeprefix("Bearer ")
    db.session.rollback()
    if accounts.user_for_token(token) is None:
        user = db.session.get(User, caller["user"].id)
        caller["headers"]["Authorization"] = f"Bearer {accounts.issue_token(user)}"
        db.session.commit()
    return {**caller["headers"], "Accept-Language": "en"}


# Times are date-times in the years 2000 to 2100 (the description says so; JSON Schema cannot).
schemathesis.openapi.format("date-time", st.datetimes(
    min_value=datetime(2000, 1, 2), max_value=datetime(2100, 12, 30),
    timezones=st.sampled_from([UTC, SHANGHAI, timezone(timedelta(hours=-5, minutes=-30))]),
).map(datetime.isoformat))
schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.mark.slow
@schema.parametrize()
@settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
def test_fuzzed_requests_never_fail_the_server_or_the_description(case: Any, caller: dict[str, Any]) -> None:
    case.call_and_validate(headers=fresh_headers(caller), checks=[*CHECKS, valid_requests_are_not_refused_as_malformed])


# --- what the fuzzer found, as plain tests on both databases ---------------------------------------

@pytest.fixture
def member(make_platform, make_resource, make_user, auth) -> dict[str, Any]:
    platform = make_platform(timezone="Asia/Shanghai")
    resource = make_resource(platform=platform, opening_hours=None)
    user = make_user(email="member@example.com", language="en")
    return {"resource": resource, "headers": {**auth.token(user.email), "Accept-Language": "en"}}


@pytest.mark.parametrize("big", BIG_IDS)
def test_ids_beyond_the_database_in_a_path_are_404(client, member, big):
    h = member["headers"]
    for method, path in (
        ("get", f"/api/v1/resources/{big}"),
        ("get", f"/api/v1/resources/{big}/availability"),
        ("get", f"/api/v1/resources/{big}/calendar.ics"),
        ("post", f"/api/v1/resources/{big}/training-requests"),
        ("get", f"/api/v1/reservations/{big}"),
        ("post", f"/api/v1/reservations/{big}/cancel"),
        ("post", f"/api/v1/reservations/{big}/approve"),
        ("post", f"/api/v1/reservations/{big}/check-in"),
        ("get", f"/api/v1/orders/{big}"),
        ("post", f"/api/v1/orders/{big}/accept"),
        ("get", f"/api/v1/orders/1/files/{big}"),
        ("delete", f"/api/v1/tokens/{big}"),
        ("get", f"/resources/{big}"),
        ("get", f"/orders/{big}"),
    ):
        response = getattr(client, method)(path, headers=h)
        assert response.status_code == 404, (method, path, response.status_code)
        if path.startswith("/api/"):
            assert response.get_json()["error"] == "not_found"


@pytest.mark.parametrize("big", BIG_IDS + [0, -1, True, 1.5, "1", None])
def test_ids_beyond_the_database_in_a_body_are_422(client, member, big):
    start = coming(2, 10)
    span = {"start": start.isoformat(), "end": (start + timedelta(hours=1)).isoformat()}
    for path, body in (
        ("/api/v1/reservations", {"resource_id": big, **span}),
        ("/api/v1/waitlist", {"resource_id": big, **span}),
        ("/api/v1/orders", {"resource_id": big, "samples": 1, "sample_description": "one specimen"}),
    ):
        response = client.post(path, json=body, headers=member["headers"])
        assert response.status_code == 422, (path, big, response.get_json())
        answer = response.get_json()
        assert answer["error"] == "invalid" and "resource_id" in answer["fields"], answer


@pytest.mark.parametrize("big", [str(2**31), str(2**63), "9" * 40, "-1", "0", "1.0", "١"])
def test_ids_beyond_the_database_in_a_query_are_400(client, member, big):
    response = client.get("/api/v1/reservations", query_string={"resource_id": big}, headers=member["headers"])
    assert response.status_code == 400, response.get_json()
    assert "resource_id" in response.get_json()["fields"]


def test_only_ascii_digits_make_an_id_in_a_path(client, member):
    resource = member["resource"]
    assert client.get(f"/api/v1/resources/{resource.id}").status_code == 200
    for other_script in ("\u1c44", "\uff11", "\u0661", "\u00b2"):  # Lepcha 4, fullwidth 1, Arabic-Indic 1, ²
        response = client.get(f"/api/v1/resources/{other_script}", headers=member["headers"])
        assert response.status_code == 404, other_script


def test_an_id_at_the_limit_is_an_ordinary_unknown_id(client, member):
    limit = 2**31 - 1
    assert client.get(f"/api/v1/resources/{limit}", headers=member["headers"]).status_code == 404
    start = coming(2, 10)
    response = client.post("/api/v1/reservations", headers=member["headers"], json={
        "resource_id": limit, "start": start.isoformat(), "end": (start + timedelta(hours=1)).isoformat()})
    assert response.status_code == 404 and response.get_json()["fields"]["resource_id"] == "unknown"
    listed = client.get("/api/v1/reservations", query_string={"resource_id": limit}, headers=member["headers"])
    assert listed.status_code == 200 and listed.get_json() == []


def test_a_wrong_method_is_405_with_allow(client, member):
    resource = member["resource"]
    for method, path, allowed in (
        ("put", f"/api/v1/resources/{resource.id}", {"GET", "HEAD", "OPTIONS"}),
        ("delete", "/api/v1/reservations", {"GET", "POST", "HEAD", "OPTIONS"}),
        ("trace", "/api/v1/me", {"GET", "HEAD", "OPTIONS"}),
        ("patch", "/api/v1/search", {"GET", "HEAD", "OPTIONS"}),
    ):
        response = client.open(path, method=method.upper(), headers=member["headers"])
        assert response.status_code == 405 and response.get_json()["error"] == "method_not_allowed"
        assert set(response.headers["Allow"].replace(" ", "").split(",")) == allowed, (path, response.headers)
    page = client.delete(f"/resources/{resource.id}")
    assert page.status_code == 405 and "GET" in page.headers["Allow"]


def test_the_description_lists_what_the_tests_above_rely_on(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    create = spec["paths"]["/reservations"]["post"]
    assert {"401", "403", "409", "422"} <= set(create["responses"])
    assert "429" in spec["paths"]["/tokens"]["post"]["responses"]
    for path in ("/resources/{resource_id}", "/reservations/{reservation_id}", "/orders/{order_id}"):
        parameter = next(p for p in spec["paths"][path]["parameters"] if p["in"] == "path")
        assert parameter["schema"] == {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}


def test_text_no_database_can_store_is_422_not_500(client, member):
    """PostgreSQL text cannot hold NUL: refused at the door, on both databases alike."""
    start = coming(2, 10)
    span = {"start": start.isoformat(), "end": (start + timedelta(hours=1)).isoformat()}
    for path, body, field in (
        ("/api/v1/reservations", {"resource_id": member["resource"].id, **span, "purpose": "XRD\x00"}, "purpose"),
        ("/api/v1/tokens", {"email": "a\x00@example.com", "password": "x"}, "email"),
        ("/api/v1/orders", {"resource_id": 1, "samples": 1, "sample_description": "one", "attachment": {
            "filename": "a\x00.pdf", "content_base64": ""}}, "attachment.filename"),
        ("/api/v1/reservations/1/cancel", {"reason\x00": "x"}, "reason"),
    ):
        response = client.post(path, json=body, headers=member["headers"])
        assert response.status_code == 422, (path, response.status_code)
        assert response.get_json()["error"] == "invalid" and field in response.get_json()["fields"], response.get_json()
    assert db.session.scalar(sa.select(sa.func.count(Reservation.id))) == 0


def test_json_nested_too_deep_to_decode_is_422(client, member):
    for text in ("[" * 100_000 + "]" * 100_000, '{"a":' * 50_000 + "1" + "}" * 50_000):
        response = client.post("/api/v1/reservations", data=text, headers={
            **member["headers"], "Content-Type": "application/json"})
        assert response.status_code == 422 and response.get_json()["error"] == "invalid"


def test_a_page_refuses_a_nul_character_in_its_query_with_400(client, auth, make_platform, make_user):
    make_platform(code="NJ")
    admin = make_user(email="admin@example.com", role="admin", language="en")
    auth.login(admin.email)
    for path, query in (("/search", {"q": "SEM\x00"}), ("/staff", {"platform": "NJ\x00"})):
        response = client.get(path, query_string={**query, "lang": "en"})
        assert response.status_code == 400 and "not allowed" in response.get_data(as_text=True), path
