"""The platform's public profile and check-in setting: the administrator's form and the platforms file."""
from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from booking.catalog.platforms import import_platforms
from booking.extensions import db
from booking.models import Platform

from support import csrf_token

PROFILE = {
    "introduction_zh": "中心成立于 2003 年。\n拥有大型仪器 120 台。",
    "introduction_en": "Founded in 2003.\nOver 120 large instruments.",
    "accreditation": "CMA 2015100123; CNAS L1234", "contact_name": "王老师", "phone": "+86 25 8359 1234",
    "website": "https://atc.example.edu",
}


@pytest.fixture
def admin(client, auth, make_user):
    make_user(email="boss@example.com", role="admin", language="en")
    auth.login("boss@example.com")
    return client


def form_data(client, path: str, **changes: Any) -> dict[str, Any]:
    data = {"csrf_token": csrf_token(client, path), "code": "NJAT", "name_zh": "宁川大学分析测试中心",
            "name_en": "Ningchuan Analysis Centre", "city_zh": "南京", "city_en": "Nanjing", "kind": "university_lab",
            "timezone": "Asia/Shanghai", "approval_expiry_hours": "48", "tracks_check_in": "y", **PROFILE}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def saved(code: str = "NJAT") -> Platform | None:
    db.session.expire_all()
    return db.session.scalar(sa.select(Platform).where(Platform.code == code))


def test_a_new_platform_checks_users_in_unless_told_otherwise(admin):
    page = admin.get("/admin/platforms/new?lang=en").get_data(as_text=True)
    assert 'name="tracks_check_in"' in page and "checked" in page.split('name="tracks_check_in"')[0][-200:] + \
        page.split('name="tracks_check_in"')[1][:100]
    assert "effective hours are the time between check-in and check-out" in page
    for name in ("introduction_zh", "introduction_en", "accreditation", "contact_name", "phone", "website"):
        assert f'name="{name}"' in page, name


def test_the_admin_writes_the_profile_and_the_public_page_shows_it(admin):
    response = admin.post("/admin/platforms/new", data=form_data(admin, "/admin/platforms/new"))
    assert response.status_code == 302, response.get_data(as_text=True)
    platform = saved()
    assert platform.tracks_check_in is True
    assert (platform.introduction_zh, platform.accreditation, platform.contact_name, platform.phone, platform.website) == (
        PROFILE["introduction_zh"], PROFILE["accreditation"], "王老师", "+86 25 8359 1234", "https://atc.example.edu")
    public = admin.get("/platforms/NJAT?lang=en").get_data(as_text=True)
    assert "<p>Founded in 2003.</p>" in public and '<a href="https://atc.example.edu"' in public
    path = f"/admin/platforms/{platform.id}"
    assert "Founded in 2003." in admin.get(path).get_data(as_text=True)  # the form shows what is saved
    untick = form_data(admin, path, tracks_check_in=None, website="")
    assert admin.post(path, data=untick).status_code == 302
    platform = saved()
    assert platform.tracks_check_in is False and platform.website == ""


@pytest.mark.parametrize("field, value, message", [
    ("website", "javascript:alert(1)", "starting with https://"),
    ("website", "ftp://files.example.com", "starting with https://"),
    ("website", "atc.example.edu", "starting with https://"),
    ("website", "https://", "starting with https://"),
    ("phone", "call the front desk", "A phone number has digits"),
    ("accreditation", "C" * 301, "300"),
    ("contact_name", "名" * 101, "100"),
    ("introduction_en", "x" * 5001, "5000"),
    ("introduction_zh", "bad\x00text", "not allowed"),
])
def test_bad_profile_fields_are_refused_beside_the_field(admin, make_platform, field, value, message):
    platform = make_platform(code="NJAT", website="https://old.example.edu")
    path = f"/admin/platforms/{platform.id}"
    response = admin.post(path + "?lang=en", data=form_data(admin, path, **{field: value}))
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert saved().website == "https://old.example.edu" and saved().introduction_zh == ""


def test_staff_cannot_edit_a_platform(client, auth, make_user, make_platform):
    platform = make_platform(code="NJAT")
    make_user(email="staff@example.com", role="staff", platform=platform)
    auth.login("staff@example.com")
    path = f"/admin/platforms/{platform.id}"
    assert client.get(path).status_code == 403
    data = {"csrf_token": csrf_token(client, "/account"), "code": "NJAT", "name_zh": "x", "city_zh": "南京",
            "kind": "university_lab", "timezone": "Asia/Shanghai", "approval_expiry_hours": "48", "website": "https://x.cn"}
    assert client.post(path, data=data).status_code == 403
    assert saved().website == ""


def entry(**fields: Any) -> dict[str, Any]:
    return {"code": "NJAT", "name_zh": "宁川大学分析测试中心", "city_zh": "南京", "timezone": "Asia/Shanghai", **fields}


def test_the_platforms_file_carries_the_profile(app):
    summary = import_platforms([entry(**PROFILE, tracks_check_in=False)])
    assert (summary.created, summary.rejected) == (1, 0)
    platform = saved()
    assert platform.introduction_en == PROFILE["introduction_en"] and platform.website == "https://atc.example.edu"
    assert platform.tracks_check_in is False
    # a file that leaves the keys out changes none of them
    assert import_platforms([entry(name_en="Ningchuan Analysis Centre")]).updated == 1
    platform = saved()
    assert platform.accreditation == PROFILE["accreditation"] and platform.tracks_check_in is False
    assert import_platforms([entry(tracks_check_in=True, phone="+86 25 1111 2222")]).updated == 1
    assert (saved().tracks_check_in, saved().phone) == (True, "+86 25 1111 2222")


@pytest.mark.parametrize("fields, reason", [
    ({"website": "javascript:alert(1)"}, "website must be an http:// or https:// address"),
    ({"website": 42}, "website must be a string"),
    ({"tracks_check_in": "yes"}, "tracks_check_in must be true or false"),
    ({"accreditation": "C" * 301}, "accreditation too long"),
    ({"introduction_zh": "字" * 5001}, "introduction_zh too long"),
])
def test_bad_profile_keys_in_the_platforms_file_are_rejected_with_a_reason(app, fields, reason):
    summary = import_platforms([entry(**fields)])
    assert summary.rejected == 1 and reason in summary.rejections[0][1]
    assert saved() is None


def test_the_demo_platforms_have_finished_pages(app, client):
    from booking.catalog.demo_data import PLATFORMS, PROFILES

    import_platforms([{**p, **PROFILES.get(p["code"], {})} for p in PLATFORMS])
    for code in PROFILES:
        platform = saved(code)
        assert platform.introduction_zh and platform.introduction_en and platform.contact_name and platform.website
        page = client.get(f"/platforms/{code}?lang=en")
        assert page.status_code == 200 and f'href="{platform.website}"' in page.get_data(as_text=True)
