"""Booking exports: a user's own bookings and a platform's, as CSV (UTF-8 with BOM) and XLSX."""
from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from flask_babel import force_locale
from openpyxl import load_workbook

from booking.engine import cancel_reservation, create_reservation
from booking.extensions import db

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2027, 3, 1, 0, 0, tzinfo=UTC)


def sh(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


@pytest.fixture
def world(make_platform, make_resource, make_user, make_org):
    lab = make_platform(code="NJNC", name_en="Materials Lab", name_zh="材料实验室")
    far = make_platform(code="FAR", name_en="Far Lab")
    sem = make_resource(platform=lab, opening_hours=None, title="扫描电镜", title_en="SEM", price_amount=Decimal("200"),
                        price_currency="CNY", price_unit="hour")
    tem = make_resource(platform=far, opening_hours=None, title="透射电镜", title_en="TEM")
    ann = make_user(email="ann@example.com", name="张安", language="zh")
    bob = make_user(email="bob@example.com", name="Bob")
    make_org(members={ann: "member"}, name="南京测试科技有限公司", name_en="Nanjing Test Co.")
    with force_locale("en"):
        mine = create_reservation(ann, sem, sh(2027, 3, 2, 9), sh(2027, 3, 2, 11, 30), "=1+1 形貌表征", now=NOW)
        gone = create_reservation(ann, sem, sh(2027, 3, 3, 9), sh(2027, 3, 3, 10), "", now=NOW)
        cancel_reservation(ann, gone, now=NOW)
        far_one = create_reservation(ann, tem, sh(2027, 3, 4, 9), sh(2027, 3, 4, 10), "", now=NOW)
        bobs = create_reservation(bob, sem, sh(2027, 3, 5, 9), sh(2027, 3, 5, 10), "Bob's", now=NOW)
        later = create_reservation(ann, sem, sh(2027, 6, 1, 9), sh(2027, 6, 1, 10), "", now=NOW)
    db.session.commit()
    return {"lab": lab, "far": far, "ann": ann, "bob": bob, "mine": mine, "gone": gone, "far_one": far_one,
            "bobs": bobs, "later": later, "staff": make_user(role="staff", platform=lab, language="en"),
            "far_staff": make_user(role="staff", platform=far), "admin": make_user(role="admin")}


def parse_csv(response) -> list[list[str]]:
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")  # the BOM: Excel reads the file as UTF-8
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_my_bookings_as_csv_only_mine_in_the_range(client, auth, world):
    auth.login("ann@example.com")
    answer = client.get("/bookings/export?from=2027-03-01&to=2027-03-31&format=csv&lang=zh")
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    assert 'filename="my-bookings-2027-03-01-2027-03-31.csv"' in answer.headers["Content-Disposition"]
    rows = parse_csv(answer)
    header, data = rows[0], rows[1:]
    assert header[:3] == ["编号", "资源", "平台"]  # in the reader's language
    refs = [r[0] for r in data]
    assert refs == [f"OS-2027-{world[k].id:06d}" for k in ("mine", "gone", "far_one")]  # not Bob's, not June's
    first = dict(zip(range(len(data[0])), data[0]))
    assert first[1] == "扫描电镜" and first[2] == "材料实验室" and first[3] == "张安"
    assert first[4] == "南京测试科技有限公司"
    assert first[5] == "2027-03-02 09:00" and first[6] == "2027-03-02 11:30" and first[7] == "Asia/Shanghai"
    assert first[8] == "2.50" and first[10] == "500.00" and first[11] == "CNY"
    assert first[13] == "'=1+1 形貌表征"  # a formula typed as a purpose stays text
    assert data[1][9] == "已取消"  # the status in the reader's language


def test_my_bookings_as_xlsx(client, auth, world):
    auth.login("ann@example.com")
    answer = client.get("/bookings/export?from=2027-01-01&to=2027-12-31&format=xlsx&lang=en")
    assert answer.status_code == 200
    assert answer.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = load_workbook(io.BytesIO(answer.get_data())).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Reference" and rows[0][9] == "Status"
    assert [r[0] for r in rows[1:]] == [f"OS-2027-{world[k].id:06d}" for k in ("mine", "gone", "far_one", "later")]
    assert rows[1][5] == datetime(2027, 3, 2, 9, 0) and rows[1][8] == 2.5 and rows[1][10] == 500
    assert rows[1][1] == "SEM" and rows[2][9] == "cancelled"


def test_platform_export_for_its_staff_and_admins_only(client, auth, world):
    auth.login(world["staff"].email)
    rows = parse_csv(client.get("/staff/bookings/export?from=2027-03-01&to=2027-03-31"))
    assert [r[0] for r in rows[1:]] == [f"OS-2027-{world[k].id:06d}" for k in ("mine", "gone", "bobs")]
    assert client.get("/staff/bookings/export?platform=FAR").status_code == 403
    book = load_workbook(io.BytesIO(client.get("/staff/bookings/export?from=2027-01-01&to=2027-12-31&format=xlsx")
                                    .get_data()))
    assert book.sheetnames == ["NJNC"] and book.active.max_row == 5  # header + 4 of the platform's bookings

    auth.logout()
    auth.login(world["far_staff"].email)
    rows = parse_csv(client.get("/staff/bookings/export?from=2027-03-01&to=2027-03-31"))
    assert [r[0] for r in rows[1:]] == [f"OS-2027-{world['far_one'].id:06d}"]
    assert client.get("/staff/bookings/export?platform=NJNC").status_code == 403

    auth.logout()
    auth.login("bob@example.com")
    assert client.get("/staff/bookings/export").status_code == 403

    auth.logout()
    auth.login(world["admin"].email)
    rows = parse_csv(client.get("/staff/bookings/export?platform=FAR&from=2027-03-01&to=2027-03-31"))
    assert len(rows) == 2
    assert client.get("/staff/bookings/export").status_code == 400  # which platform?
    assert client.get("/staff/bookings/export?platform=NOPE").status_code == 404


@pytest.mark.parametrize("query, says", [
    ("from=2027-03-31&to=2027-03-01", "must not come before"),
    ("from=2020-01-01&to=2027-03-01", "three years"),
    ("from=yesterday", "must be a date"),
    ("from=2027-02-30", "must be a date"),
    ("format=pdf", "csv or xlsx"),
])
def test_bad_ranges_and_formats_are_400(client, auth, world, query, says):
    auth.login("ann@example.com")
    for path in ("/bookings/export", "/staff/bookings/export"):
        if path.startswith("/staff"):
            auth.logout()
            auth.login(world["staff"].email)
        answer = client.get(f"{path}?{query}&lang=en")
        assert answer.status_code == 400
        assert says in answer.get_data(as_text=True)


def test_export_needs_a_login(client, world):
    assert client.get("/bookings/export").status_code in (302, 401)
