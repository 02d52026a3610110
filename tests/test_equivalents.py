"""One-stop across platforms: equivalents elsewhere when a booking is refused (API and page), and the
compare page. Both databases; the search index is the real one (filled from the outbox)."""
from __future__ import annotations

import re
from datetime import datetime, timedelta
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from flask_babel import force_locale

from booking.engine import create_reservation
from booking.engine.equivalents import (
    compare_equivalents,
    equivalents_elsewhere,
    offers_elsewhere,
    same_test,
    similarity_query,
    sort_rows,
)
from booking.engine.pricing import set_rate
from booking.engine.vouchers import issue_vouchers
from booking.extensions import db
from booking.models import Reservation
from booking.searching.service import apply_outbox

from support import csrf_token

SHANGHAI = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")
DAY_HOURS = {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
SEM = {"kind": "instrument", "title": "场发射扫描电子显微镜", "title_en": "Field-emission SEM",
       "category": "仪器设备/电子显微镜"}


def at(days: int, hour: int, tz: ZoneInfo = SHANGHAI) -> datetime:
    d = datetime.now(tz).date() + timedelta(days=days)
    return datetime(d.year, d.month, d.day, hour, tzinfo=tz)


def body(resource_id: int, start: datetime, minutes: int = 60) -> dict:
    return {"resource_id": resource_id, "start": start.isoformat(),
            "end": (start + timedelta(minutes=minutes)).isoformat(), "purpose": "imaging"}


@pytest.fixture
def labs(make_platform, make_resource, make_user, make_org):
    """Three platforms with an SEM each (Nanjing twice, Suzhou, Berlin), a TEM-free world otherwise:
    - asked: the SEM at NJ that gets refused; twin: another SEM at NJ (same platform: never offered);
    - suzhou: an SEM at SZ, open at any hour, with a startup rate (the one offered);
    - berlin: an SEM at DE, open 09–17 Berlin time;
    - a patent about SEMs at SZ (another kind: never offered)."""
    nj = make_platform(code="NJ", name_zh="南京测试中心", name_en="Nanjing Test Centre", city_zh="南京", city_en="Nanjing")
    sz = make_platform(code="SZ", name_zh="苏州检测中心", name_en="Suzhou Testing", city_zh="苏州", city_en="Suzhou",
                       voucher_cap_percent=40)
    de = make_platform(code="DE", name_zh="柏林实验室", name_en="Berlin Lab", city_zh="柏林", city_en="Berlin",
                       timezone="Europe/Berlin")
    asked = make_resource(platform=nj, city="南京", opening_hours=DAY_HOURS, **SEM)
    twin = make_resource(platform=nj, city="南京", opening_hours=None, **{**SEM, "title": "场发射扫描电子显微镜（2号机）"})
    suzhou = make_resource(platform=sz, city="苏州", opening_hours=None, **{**SEM, "title": "蔡司场发射扫描电子显微镜"})
    berlin = make_resource(platform=de, city="柏林", opening_hours=DAY_HOURS, **SEM)
    make_resource(platform=sz, city="苏州", kind="patent", bookable=False, title="一种场发射扫描电子显微镜样品台",
                  category="仪器设备/电子显微镜")
    # Free at any hour and sharing words (蔡司, 扫描, 显微镜), but another instrument: never offered.
    make_resource(platform=sz, city="苏州", opening_hours=None, kind="instrument", title="蔡司激光扫描共聚焦显微镜",
                  title_en="Zeiss confocal laser scanning microscope", category="仪器设备/光学显微镜")
    make_resource(platform=de, city="柏林", opening_hours=None, kind="instrument", title="同步热分析仪",
                  title_en="Simultaneous thermal analyser", category="仪器设备/热分析")
    staff = make_user(email="staff-sz@example.com", role="staff", platform=sz)
    set_rate(staff, suzhou, "hour", "300", startup="200")
    alice = make_user(email="alice@example.com")
    bob = make_user(email="bob@example.com")
    org = make_org(kind="startup", members={bob: "member"})
    admin = make_user(email="admin@example.com", role="admin")
    issue_vouchers(admin, org, "50")
    db.session.commit()
    apply_outbox()
    return {"nj": nj, "sz": sz, "de": de, "asked": asked, "twin": twin, "suzhou": suzhou, "berlin": berlin,
            "alice": alice, "bob": bob}


# ---------------------------------------------------------------- the API (docs/contract.md §5)


def test_a_taken_slot_answers_409_with_equivalents_free_at_other_platforms(client, auth, labs):
    h_alice, h_bob = auth.token("alice@example.com"), auth.token("bob@example.com")
    start = at(3, 10)
    assert client.post("/api/v1/reservations", json=body(labs["asked"].id, start), headers=h_alice).status_code == 201
    # (10:00 in Nanjing is 02:00 or 03:00 in Berlin: Berlin's SEM is closed then.)
    refused = client.post("/api/v1/reservations", json=body(labs["asked"].id, start), headers=h_bob)
    assert refused.status_code == 409
    answer = refused.get_json()
    assert answer["error"] == "conflict" and answer["reason"] == "taken"
    elsewhere = answer["elsewhere"]
    assert [e["resource_id"] for e in elsewhere] == [labs["suzhou"].id]  # not the twin (same platform), not Berlin
    offer = elsewhere[0]
    assert offer["platform"] == "SZ" and offer["city"] == "苏州" and offer["kind"] == "instrument"
    assert offer["title"] and offer["start"] == start.isoformat() and offer["timezone"] == "Asia/Shanghai"
    # Bob belongs to a verified startup: the startup rate, the fee for the hour asked, the voucher share apart.
    assert offer["price"] == {"rate_kind": "startup", "unit": "hour", "rate": {"amount": "200.00", "currency": "CNY"},
                              "estimate": {"amount": "200.00", "currency": "CNY"}}
    assert offer["voucher"] == {"cap_percent": 40, "allowed": {"amount": "80.00", "currency": "CNY"},
                                "usable": {"amount": "50.00", "currency": "CNY"}}
    link = urlsplit(offer["url"])
    assert link.path == f"/resources/{labs['suzhou'].id}" and link.fragment == "book-form"
    assert parse_qs(link.query) == {"day": [start.date().isoformat()], "start": ["10:00"], "end": ["11:00"],
                                    "week": [(start.date() - timedelta(days=start.weekday())).isoformat()]}
    assert db.session.query(Reservation).count() == 1  # the refusal changed nothing


def test_equivalents_busy_then_are_not_offered(client, auth, labs, make_user):
    h_alice, h_bob = auth.token("alice@example.com"), auth.token("bob@example.com")
    start = at(4, 11)
    carol = make_user(email="carol@example.com")
    create_reservation(carol, labs["suzhou"], start - timedelta(minutes=30), start + timedelta(minutes=30))
    db.session.commit()
    assert client.post("/api/v1/reservations", json=body(labs["asked"].id, start), headers=h_alice).status_code == 201
    refused = client.post("/api/v1/reservations", json=body(labs["asked"].id, start), headers=h_bob)
    assert refused.status_code == 409
    assert refused.get_json()["elsewhere"] == []


def test_outside_opening_hours_is_422_with_equivalents_open_then(client, auth, labs):
    h_bob = auth.token("bob@example.com")
    start = at(5, 8)  # 08:00 in Nanjing: the asked SEM opens at 9, Berlin's is closed, Suzhou's open at any hour
    refused = client.post("/api/v1/reservations", json=body(labs["asked"].id, start), headers=h_bob)
    assert refused.status_code == 422
    answer = refused.get_json()
    assert answer["error"] == "invalid" and answer["reason"] == "outside_opening_hours"
    assert [e["resource_id"] for e in answer["elsewhere"]] == [labs["suzhou"].id]


def test_the_same_absolute_time_in_another_zone(client, auth, labs):
    """16:00 in Nanjing is 09:00 (winter) or 10:00 (summer) in Berlin: Berlin's SEM is open then, and its
    link fills the form in Berlin's wall-clock time."""
    h_alice, h_bob = auth.token("alice@example.com"), auth.token("bob@example.com")
    start = at(6, 16)
    assert client.post("/api/v1/reservations", json=body(labs["asked"].id, start), headers=h_alice).status_code == 201
    elsewhere = client.post("/api/v1/reservations", json=body(labs["asked"].id, start), headers=h_bob).get_json()["elsewhere"]
    berlin = next(e for e in elsewhere if e["platform"] == "DE")
    local = start.astimezone(BERLIN)
    assert berlin["start"] == local.isoformat() and berlin["timezone"] == "Europe/Berlin"
    assert parse_qs(urlsplit(berlin["url"]).query)["start"] == [f"{local:%H:%M}"]
    assert {e["platform"] for e in elsewhere} == {"SZ", "DE"}


def test_refusals_that_other_platforms_cannot_answer_carry_an_empty_list(client, auth, labs):
    h_bob = auth.token("bob@example.com")
    too_short = client.post("/api/v1/reservations", json=body(labs["asked"].id, at(3, 10), minutes=10), headers=h_bob)
    assert too_short.status_code == 422 and too_short.get_json()["reason"] == "too_short"
    assert too_short.get_json()["elsewhere"] == []
    past = client.post("/api/v1/reservations", json=body(labs["asked"].id, at(-2, 10)), headers=h_bob)
    assert past.status_code == 422 and past.get_json()["elsewhere"] == []


def test_closed_platform_offers_equivalents(client, auth, labs):
    from booking.engine.calendars import add_closure
    from booking.models import User

    admin = db.session.query(User).filter_by(email="admin@example.com").one()
    start = at(7, 10)
    add_closure(admin, labs["nj"], start - timedelta(hours=2), start + timedelta(hours=8), "Lab move")
    db.session.commit()
    refused = client.post("/api/v1/reservations", json=body(labs["asked"].id, start), headers=auth.token("bob@example.com"))
    assert refused.status_code == 409 and refused.get_json()["reason"] == "closed"
    assert [e["platform"] for e in refused.get_json()["elsewhere"]] == ["SZ"]


# ---------------------------------------------------------------- the booking page


def test_the_page_shows_equivalents_after_a_refused_booking(client, auth, labs):
    start = at(3, 10)
    create_reservation(labs["alice"], labs["asked"], start, start + timedelta(hours=1))
    db.session.commit()
    auth.login("bob@example.com")
    token = csrf_token(client, f"/resources/{labs['asked'].id}")
    response = client.post(f"/resources/{labs['asked'].id}/book?lang=en", data={
        "csrf_token": token, "day": start.date().isoformat(), "start": "10:00", "end": "11:00", "count": "4"})
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "That time is taken" in html and "Free at the same time at other platforms" in html
    items = re.findall(r'<li class="elsewhere-item" data-resource-id="(\d+)"', html)
    assert items == [str(labs["suzhou"].id)]
    assert "Suzhou Testing" in html and "¥200.00" in html  # startup rate for the hour
    assert "Vouchers may pay up to ¥80.00 (40%)" in html and "your balance covers ¥50.00" in html
    assert (f'/resources/{labs["suzhou"].id}?day={start.date().isoformat()}&amp;start=10:00&amp;end=11:00'
            in html)
    assert f'/resources/{labs["asked"].id}/compare' in html
    # In Chinese too (the words come from the translations; the numbers stay).
    zh = client.post(f"/resources/{labs['asked'].id}/book?lang=zh", data={
        "csrf_token": token, "day": start.date().isoformat(), "start": "10:00", "end": "11:00", "count": "4"})
    assert zh.status_code == 409 and 'class="elsewhere-item"' in zh.get_data(as_text=True)


def test_a_booking_refused_for_a_rule_offers_nothing(client, auth, labs):
    auth.login("bob@example.com")
    token = csrf_token(client, f"/resources/{labs['asked'].id}")
    day = at(3, 10).date().isoformat()
    response = client.post(f"/resources/{labs['asked'].id}/book?lang=en", data={
        "csrf_token": token, "day": day, "start": "10:00", "end": "10:10", "count": "4"})
    assert response.status_code == 422
    assert "elsewhere-item" not in response.get_data(as_text=True)


# ---------------------------------------------------------------- the engine


def test_the_rule_in_the_engine(app, labs):
    start = at(3, 10)
    with force_locale("en"):
        found = equivalents_elsewhere(labs["bob"], labs["asked"], start, start + timedelta(hours=1))
        assert [f.resource.id for f in found] == [labs["suzhou"].id]
        assert found[0].fee == Decimal("200.00") and found[0].voucher_allowed == Decimal("80.00")
        visitor = equivalents_elsewhere(None, labs["asked"], start, start + timedelta(hours=1))
        assert visitor[0].rate.kind == "external" and visitor[0].voucher_usable is None
        assert equivalents_elsewhere(labs["bob"], labs["asked"], start, start + timedelta(hours=1), limit=0) == []
    assert similarity_query(labs["twin"]) == "场发射扫描电子显微镜 仪器设备/电子显微镜"  # no （2号机）


def test_services_testing_to_different_standards_are_different_tests(make_resource, make_platform):
    a = make_resource(kind="testing_service", attributes={"standards": ["GB/T 228.1-2021", "ISO 6892-1:2019"]})
    b = make_resource(kind="testing_service", attributes={"standards": ["DIN EN ISO 6892-1:2020-06"]})
    c = make_resource(kind="testing_service", attributes={"standards": ["GB/T 230.1-2018"]})
    d = make_resource(kind="testing_service", attributes={})
    assert same_test(a, b) and not same_test(a, c) and same_test(a, d)


def test_offers_elsewhere_only_for_time_refusals():
    from booking.engine.errors import Closed, OutsideOpeningHours, SlotTaken, TooLong, UnderMaintenance

    assert all(offers_elsewhere(e("x")) for e in (SlotTaken, Closed, UnderMaintenance, OutsideOpeningHours))
    assert not offers_elsewhere(TooLong("x"))


# ---------------------------------------------------------------- compare


@pytest.fixture
def services(make_platform, make_resource):
    nj = make_platform(code="NJ", city_zh="南京", city_en="Nanjing", name_en="Nanjing Lab")
    sz = make_platform(code="SZ", city_zh="苏州", city_en="Suzhou", name_en="Suzhou Lab")
    de = make_platform(code="DE", city_zh="柏林", city_en="Berlin", name_en="Berlin Lab", timezone="Europe/Berlin")
    tensile = {"kind": "testing_service", "bookable": False, "orderable": True, "category": "检测服务/力学性能",
               "price_unit": "sample", "price_currency": "CNY"}
    mine = make_resource(platform=nj, city="南京", title="金属材料室温拉伸试验", title_en="Tensile test of metals",
                         price_amount=Decimal("250"), attributes={"standards": ["GB/T 228.1-2021"], "turnaround_days": 3,
                                                                  "accreditation": ["CNAS"]}, **tensile)
    cheap = make_resource(platform=sz, city="苏州", title="金属材料室温拉伸试验", title_en="Tensile test of metals",
                          price_amount=Decimal("150"), attributes={"standards": ["GB/T 228.1-2021"], "turnaround_days": 5,
                                                                   "accreditation": ["CMA", "CNAS"]}, **tensile)
    german = make_resource(platform=de, city="柏林", title="金属拉伸试验（德标）", title_en="Tensile test (DIN)",
                           price_amount=Decimal("200"), attributes={"standards": ["DIN EN ISO 6892-1:2020-06",
                                                                                  "GB/T 228.1-2021"],
                                                                    "turnaround_days": 2, "accreditation": ["DAkkS"]},
                           **tensile)
    make_resource(platform=sz, city="苏州", title="金属洛氏硬度试验", title_en="Rockwell hardness of metals",
                  price_amount=Decimal("50"), attributes={"standards": ["GB/T 230.1-2018"]}, **tensile)
    apply_outbox()
    return mine, cheap, german


def test_compare_sets_equivalents_side_by_side(client, services):
    mine, cheap, german = services
    html = client.get(f"/resources/{mine.id}/compare?lang=en").get_data(as_text=True)
    rows = re.findall(r'<tr class="compare-row[^"]*" data-resource-id="(\d+)"', html)
    assert rows[0] == str(mine.id) and set(rows) == {str(mine.id), str(cheap.id), str(german.id)}  # no hardness test
    assert "Compare across platforms" in html and "this one" in html
    assert "CMA" in html and "DAkkS" in html and "5 days" in html and "Ordered, not booked" in html
    assert "Log in to see the rates" in html
    by_price = client.get(f"/resources/{mine.id}/compare?lang=en&sort=price").get_data(as_text=True)
    assert re.findall(r'data-resource-id="(\d+)"', by_price) == [str(cheap.id), str(german.id), str(mine.id)]
    assert 'aria-sort="ascending"' in by_price
    dearest = client.get(f"/resources/{mine.id}/compare?lang=en&sort=price&dir=desc").get_data(as_text=True)
    assert re.findall(r'data-resource-id="(\d+)"', dearest) == [str(mine.id), str(german.id), str(cheap.id)]
    fastest = client.get(f"/resources/{mine.id}/compare?sort=turnaround").get_data(as_text=True)
    assert re.findall(r'data-resource-id="(\d+)"', fastest) == [str(german.id), str(mine.id), str(cheap.id)]
    zh = client.get(f"/resources/{mine.id}/compare?lang=zh&sort=nonsense")
    assert zh.status_code == 200 and '<html lang="zh-CN">' in zh.get_data(as_text=True)
    assert client.get("/resources/999999/compare").status_code == 404


def test_compare_is_linked_from_results_and_the_resource_page(client, services):
    mine, cheap, german = services
    assert f'href="/resources/{mine.id}/compare"' in client.get(f"/resources/{mine.id}?lang=en").get_data(as_text=True)
    results = client.get("/search?q=拉伸试验&lang=en").get_data(as_text=True)
    assert f'href="/resources/{cheap.id}/compare"' in results


def test_compare_shows_the_users_rate_and_the_earliest_slot(app, labs):
    rows = compare_equivalents(labs["bob"], labs["asked"])
    assert rows[0].resource.id == labs["asked"].id and rows[0].is_self
    assert labs["twin"].id not in [r.resource.id for r in rows]
    suzhou = next(r for r in rows if r.resource.id == labs["suzhou"].id)
    assert suzhou.rate.kind == "startup" and suzhou.rate.amount == Decimal("200.00")
    assert suzhou.voucher_cap_percent == 40 and suzhou.voucher_per_unit == Decimal("80.00")
    assert suzhou.earliest is not None and suzhou.earliest[0].minute % 5 == 0
    ordered = sort_rows(rows, "price")
    assert ordered[0].resource.id == labs["suzhou"].id and ordered[-1].rate is None  # no price: last either way
    assert sort_rows(rows, "price", descending=True)[-1].rate is None


def test_a_resource_without_equivalents_elsewhere_gets_none(app, labs, make_resource):
    """A search that never comes back empty still finds instruments sharing a word; none is offered."""
    cytometer = make_resource(platform=labs["nj"], city="南京", opening_hours=None, kind="instrument",
                              title="流式细胞仪", title_en="Flow cytometer", category="仪器设备/细胞分析")
    apply_outbox()
    start = at(3, 10)
    assert equivalents_elsewhere(labs["bob"], cytometer, start, start + timedelta(hours=1)) == []
    assert [row.resource.id for row in compare_equivalents(labs["bob"], cytometer)] == [cytometer.id]
