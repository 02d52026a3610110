"""The API's conventions, the same in every call: one error envelope, money as decimal strings,
lists paged, and a description generated from the views' own schemas."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

SHANGHAI = ZoneInfo("Asia/Shanghai")


def coming(days: int, hour: int) -> datetime:
    day = datetime.now(SHANGHAI).date() + timedelta(days=days)
    return datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI)


@pytest.fixture
def booker(make_platform, make_resource, make_user, auth):
    platform = make_platform(timezone="Asia/Shanghai")
    resource = make_resource(platform=platform, opening_hours=None, price_amount=120, price_currency="CNY",
                             price_unit="hour")
    user = make_user(email="member@example.com", language="en")
    return {"resource": resource, "headers": {**auth.token(user.email), "Accept-Language": "en"}}


def book(client, booker, days: int):
    start = coming(days, 9)
    return client.post("/api/v1/reservations", headers=booker["headers"], json={
        "resource_id": booker["resource"].id, "start": start.isoformat(),
        "end": (start + timedelta(hours=1)).isoformat()})


def test_errors_share_one_envelope_with_fields(client, booker):
    bad_body = client.post("/api/v1/reservations", headers=booker["headers"], json={"resource_id": "x"})
    bad_query = client.get("/api/v1/reservations?status=nope", headers=booker["headers"])
    bad_search = client.get("/api/v1/search?page=x")
    for response, status, names in ((bad_body, 422, {"resource_id", "start", "end"}),
                                    (bad_query, 400, {"status"}), (bad_search, 400, {"page"})):
        body = response.get_json()
        assert response.status_code == status, body
        assert {"error", "message", "fields"} <= set(body) and "field" not in body, body
        assert names <= set(body["fields"]), body


def test_money_is_a_decimal_string_with_its_currency(client, booker):
    booked = book(client, booker, 3)
    assert booked.status_code == 201, booked.get_json()
    for key, value in booked.get_json()["fee"].items():
        if key in ("rate", "estimate", "actual", "voucher") and value is not None:
            assert set(value) == {"amount", "currency"} and isinstance(value["amount"], str), (key, value)
    resource = client.get(f"/api/v1/resources/{booker['resource'].id}").get_json()
    assert resource["price"] == {"amount": "120.00", "currency": "CNY", "unit": "hour"}


def test_lists_are_paged_with_their_total_in_a_header(client, booker):
    for days in (3, 4, 5):
        assert book(client, booker, days).status_code == 201
    everything = client.get("/api/v1/reservations", headers=booker["headers"])
    assert len(everything.get_json()) == 3 and everything.headers["X-Total-Count"] == "3"
    second = client.get("/api/v1/reservations?page=2&per_page=2", headers=booker["headers"])
    assert len(second.get_json()) == 1 and second.headers["X-Total-Count"] == "3"
    assert second.get_json()[0]["id"] not in {r["id"] for r in everything.get_json()[:2]}
    assert client.get("/api/v1/reservations?per_page=0", headers=booker["headers"]).status_code == 400


def test_the_description_is_generated_from_the_schemas(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.") and spec["servers"][0]["url"].endswith("/api/v1")
    schemas = spec["components"]["schemas"]
    assert {"Error", "Money", "Reservation", "Order", "NewReservation", "NewOrderBody"} <= set(schemas)
    assert schemas["Error"]["required"] == ["error", "message"] and "fields" in schemas["Error"]["properties"]
    create = spec["paths"]["/reservations"]["post"]
    assert create["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/NewReservation"}
    assert {"201", "401", "403", "404", "409", "422"} <= set(create["responses"])
    listing = spec["paths"]["/reservations"]["get"]
    assert {"page", "per_page"} <= {p["name"] for p in listing["parameters"]}
    assert "X-Total-Count" in listing["responses"]["200"]["headers"]
