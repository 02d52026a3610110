"""GET /api/v1/reports/usage (issue 13): who may read which figures, bad queries, and the answers
as JSON, XLSX (opened with openpyxl) and CSV, over the month worked out by hand in
tests/test_reports_figures.py (March 2027, asked on 10 April 2027)."""
from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

import pytest
from openpyxl import load_workbook

import booking.reports.figures as figures_module
from tests import test_reports_figures as hand_computed
from tests.test_reports_figures import NOW

month = hand_computed.month  # the month worked out by hand, as a fixture here too
MARCH = {"from": "2027-03-01", "to": "2027-03-31"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def world(month, auth, monkeypatch) -> dict[str, Any]:
    """The hand-computed month, read on 10 April 2027, with an API token for each role."""
    monkeypatch.setattr(figures_module, "utcnow", lambda: NOW)
    tokens = {who: {**auth.token(month[who].email), "Accept-Language": "en"}
              for who in ("staff_a", "staff_b", "admin", "user")}
    return {**month, "tokens": tokens}


def usage(client, headers=None, **query) -> Any:
    return client.get("/api/v1/reports/usage", query_string={**MARCH, **query}, headers=headers or {})


def test_who_may_read_which_figures(client, world):
    t = world["tokens"]
    anonymous = usage(client)
    assert anonymous.status_code == 401 and anonymous.get_json()["error"] == "unauthorized"
    member = usage(client, t["user"])
    assert member.status_code == 403
    assert {"error", "message"} <= set(member.get_json()) and member.get_json()["error"] == "not_your_platform"
    other = usage(client, t["staff_a"], platform="PB")
    assert other.status_code == 403 and other.get_json()["error"] == "not_your_platform"
    own = usage(client, t["staff_a"])
    assert own.status_code == 200 and own.get_json()["platform"] == "PA"
    assert [row["label"]["code"] for row in own.get_json()["rows"]] == ["PA"]
    assert usage(client, t["staff_a"], platform="PA").status_code == 200
    everyone = usage(client, t["admin"])
    assert everyone.status_code == 200 and everyone.get_json()["platform"] is None
    assert [row["label"]["code"] for row in everyone.get_json()["rows"]] == ["PA", "PB"]
    assert usage(client, t["admin"], platform="PB").get_json()["platform"] == "PB"
    unknown = usage(client, t["admin"], platform="NOPE")
    assert unknown.status_code == 404 and unknown.get_json()["error"] == "unknown_platform"
    assert usage(client, t["admin"], platform="P\x00A").status_code == 404


def test_the_rows_carry_the_figures_as_the_contract_names_them(client, world):
    answer = usage(client, world["tokens"]["admin"], group="platform").get_json()
    assert answer["period"] == {"from": "2027-03-01", "to": "2027-03-31"} and answer["group"] == "platform"
    rows = {row["label"]["code"]: row for row in answer["rows"]}
    pa, pb = rows["PA"], rows["PB"]
    assert pa["key"] == world["a"].id
    for name in ("booked_hours", "effective_hours", "internal_hours", "external_hours", "share_rate", "utilisation",
                 "income", "users_served", "organisations_served", "orders_completed", "samples", "no_shows",
                 "rating"):
        assert name in pa, name
    assert (pa["booked_hours"], pa["effective_hours"], pa["internal_hours"], pa["external_hours"]) == (
        12.0, 8.33, 2.5, 5.83)
    assert pa["share_rate"] == round(5.83 / 8.33, 4) and pa["utilisation"] == round(8.33 / 174, 4)
    assert pa["income"] == {"internal": "350.00", "external": "1500.00", "voucher": "100.00"}
    assert all(isinstance(v, str) and Decimal(v) for v in pa["income"].values())
    assert pa["users_served"] == 2
    assert pa["organisations_served"] == {"university": 1, "startup": 1} and pa["organisations_served_total"] == 2
    assert (pa["orders_completed"], pa["samples"], pa["no_shows"]) == (2, 5, 1)
    assert pa["rating"] is None or 1 <= pa["rating"] <= 5
    assert pb["effective_hours"] == pb["external_hours"] == 5.0 and pb["share_rate"] == 1.0
    assert pb["organisations_served"] == {"sme": 1}
    totals = answer["totals"]
    assert answer["total"] == totals
    assert (totals["effective_hours"], totals["users_served"]) == (13.33, 3)
    assert totals["organisations_served"] == {"university": 1, "startup": 1, "sme": 1}


def test_grouped_by_resource_and_by_city(client, world):
    admin = world["tokens"]["admin"]
    by_resource = usage(client, admin, group="resource", platform="PA").get_json()
    rows = {row["key"]: row for row in by_resource["rows"]}
    assert set(rows) == {world["r1"].id, world["test"].id}
    assert rows[world["r1"].id]["label"]["model"] == "Regulus 8100" and rows[world["r1"].id]["effective_hours"] == 8.33
    assert rows[world["test"].id]["orders_completed"] == 2
    by_city = usage(client, admin, group="city").get_json()
    assert {row["key"]: row["effective_hours"] for row in by_city["rows"]} == {"南京": 8.33, "柏林": 5.0}


@pytest.mark.parametrize("query, field", [
    ({"from": "2027-13-01"}, "from"),
    ({"to": "31/03/2027"}, "to"),
    ({"from": "2027-04-01", "to": "2027-03-01"}, "to"),
    ({"from": "2020-01-01", "to": "2027-03-31"}, "to"),  # more than three years
    ({"from": "1999-12-31"}, "from"),
    ({"to": "2101-01-01"}, "to"),
    ({"from": None}, "from"),  # `to` alone
    ({"to": None}, "to"),
    ({"from": "", "to": ""}, "from"),  # empty is not absent
    ({"group": "planet"}, "group"),
    ({"group": "service"}, "group"),
    ({"format": "pdf"}, "format"),
])
def test_bad_queries_are_422_with_their_fields(client, world, query, field):
    params = {**MARCH, **query}
    params = {k: v for k, v in params.items() if v is not None}
    response = client.get("/api/v1/reports/usage", query_string=params, headers=world["tokens"]["admin"])
    assert response.status_code == 422, response.get_json()
    body = response.get_json()
    assert body["error"] in ("invalid", "bad_period", "bad_group") and field in body["fields"], body
    assert body["message"]


def test_without_dates_the_last_twelve_complete_months(client, world):
    response = client.get("/api/v1/reports/usage", headers=world["tokens"]["admin"])
    assert response.status_code == 200
    period = response.get_json()["period"]
    assert period["from"].endswith("-01") and period["from"] < period["to"]


def test_the_workbook_as_an_attachment(client, world):
    response = usage(client, world["tokens"]["admin"], format="xlsx")
    assert response.status_code == 200 and response.mimetype == XLSX
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert "usage-all-platform-2027-03-01-2027-03-31.xlsx" in response.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames[:2] == ["报告 Report", "仪器 Instruments"]
    hours = [list(r) for r in book["机时 Hours"].iter_rows(values_only=True)]
    assert hours[0][:2] == ["名称", "英文名称"] and hours[1][2] == "Open hours"
    pa = next(r for r in hours if r[0] == world["a"].name_zh)
    assert pa[4] == 8.33 and pa[6] == 5.83  # effective, external
    assert hours[-1][:2] == ["合计", "Total"] and hours[-1][4] == 13.33
    instruments = [list(r) for r in book["仪器 Instruments"].iter_rows(values_only=True)]
    assert instruments[2][0] == "扫描电镜" and instruments[2][2] == "Regulus 8100"


def test_the_table_as_csv(client, world):
    response = usage(client, world["tokens"]["staff_a"], format="csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    chinese, english = rows[0], rows[1]
    assert chinese[:2] == ["名称", "英文名称"] and "有效工作机时" in chinese and "共享率" in chinese
    assert len(english) == len(chinese) and "Effective hours" in english and "SMEs supported" in english
    figures = {name: value for name, value in zip(english, rows[2])}
    assert figures["Name"] == world["a"].name_zh
    assert float(figures["Effective hours"]) == 8.33 and float(figures["External service hours"]) == 5.83
    assert Decimal(figures["External income (CNY)"]) == Decimal("1500.00")
    assert figures["Orders completed"] == "2" and figures["No-shows"] == "1"
    assert rows[-1][:2] == ["合计", "Total"] and len(rows) == 4  # two header rows, PA, the total


def test_the_description_lists_the_operation(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    operation = spec["paths"]["/reports/usage"]["get"]
    assert {"200", "401", "403", "404", "422"} <= set(operation["responses"])
    assert set(operation["responses"]["200"]["content"]) == {"application/json", XLSX, "text/csv"}
    assert {p["name"] for p in operation["parameters"]} >= {"from", "to", "group", "platform", "format"}
    assert "UsageReport" in spec["components"]["schemas"]
