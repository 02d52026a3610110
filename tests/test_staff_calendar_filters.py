"""The staff calendar's filters: it opens on today; a platform with many resources starts with the
ones that have bookings and says so; resource, category, "only with bookings" and "my instruments"
narrow it, are kept on the links to other days and weeks, and a bad value is a 400 with a message."""
from __future__ import annotations

import re
from datetime import datetime, timedelta
from html import unescape
from zoneinfo import ZoneInfo

import pytest
from flask import g
from flask_babel import force_locale

from booking.engine import create_reservation
from booking.extensions import db

SHANGHAI = ZoneInfo("Asia/Shanghai")
ROW = re.compile(r'<th scope="row"><a href="[^"]*/resources/(\d+)"')


def today_at(hour: int, days: int = 0) -> datetime:
    day = datetime.now(SHANGHAI).date() + timedelta(days=days)
    return datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI)


def rows(response) -> list[int]:
    """The resources the calendar draws, in order."""
    return [int(n) for n in ROW.findall(response.get_data(as_text=True))]


def switch_user(auth, email: str) -> None:
    g.pop("csrf_token", None)
    auth.logout()
    g.pop("_login_user", None)
    g.pop("csrf_token", None)
    assert auth.login(email).status_code == 302


def text(response) -> str:
    return unescape(response.get_data(as_text=True))


@pytest.fixture
def big_lab(make_platform, make_resource, make_user):
    """25 bookable instruments (more than the calendar shows unasked): 10 spectrometers, 10
    microscopes, 5 rooms; two of them booked today, one for Tuesday next week."""
    platform = make_platform(name_en="Big Lab")
    spectra = [make_resource(platform=platform, opening_hours=None, title=f"光谱仪 {n:02d}", title_en=f"Spectrometer {n:02d}",
                             category="仪器设备/光谱") for n in range(10)]
    scopes = [make_resource(platform=platform, opening_hours=None, title=f"显微镜 {n:02d}", title_en=f"Microscope {n:02d}",
                            category="仪器设备/电子显微镜",
                            contact_email="Sam.Staff@example.com" if n < 3 else "booking@example.com")
              for n in range(10)]
    rooms = [make_resource(platform=platform, opening_hours=None, title=f"会议室 {n}", title_en=f"Room {n}",
                           category="众创空间/场地") for n in range(5)]
    user = make_user(email="alice@example.com", name="Alice")
    staff = make_user(email="sam.staff@example.com", name="Sam", role="staff", platform=platform)
    earlier = today_at(0) - timedelta(days=1)
    for resource, start in ((spectra[3], today_at(9)), (scopes[5], today_at(14)),
                            (rooms[0], today_at(10, days=7 - datetime.now(SHANGHAI).weekday() + 1))):
        create_reservation(user, resource, start, start + timedelta(hours=1), "测试", now=earlier)
    db.session.commit()
    return platform, spectra, scopes, rooms, staff


@pytest.fixture(autouse=True)
def english(app):
    with force_locale("en"):
        yield


def test_opens_on_today_with_only_the_resources_booked_and_says_so(client, auth, big_lab):
    _platform, spectra, scopes, _rooms, staff = big_lab
    auth.login(staff.email)
    page = client.get("/staff?lang=en")
    assert page.status_code == 200
    html = text(page)
    today = datetime.now(SHANGHAI).date().isoformat()
    assert f"{today}</strong> · today" in html
    assert rows(page) == [spectra[3].id, scopes[5].id]
    assert "Showing 2 of 25 resources." in html
    assert "with more than 20 resources the calendar starts so" in html


def test_all_resources_when_asked(client, auth, big_lab):
    *_, staff = big_lab
    auth.login(staff.email)
    page = client.get("/staff?lang=en&booked=0")
    assert len(rows(page)) == 25 and "Showing 25 of 25 resources." in text(page)
    # the form's hidden 0 then a ticked box's 1: only with bookings, asked for
    ticked = client.get("/staff?lang=en&booked=0&booked=1")
    assert len(rows(ticked)) == 2 and "Only those with bookings in this period." in text(ticked)


def test_small_platforms_show_every_resource(client, auth, make_platform, make_resource, make_user):
    platform = make_platform()
    resources = [make_resource(platform=platform) for _ in range(3)]
    staff = make_user(role="staff", platform=platform)
    auth.login(staff.email)
    page = client.get("/staff?lang=en")
    assert sorted(rows(page)) == sorted(r.id for r in resources)
    assert "Showing 3 of 3 resources." in text(page)


def test_category_and_its_parent(client, auth, big_lab):
    _platform, spectra, scopes, rooms, staff = big_lab
    auth.login(staff.email)
    page = client.get("/staff?lang=en&category=仪器设备/光谱&booked=0")
    assert sorted(rows(page)) == sorted(r.id for r in spectra)
    parent = client.get("/staff?lang=en&category=仪器设备&booked=0")
    assert sorted(rows(parent)) == sorted(r.id for r in spectra + scopes)
    # 20 left by the category: not more than 20, so all of them without asking
    assert sorted(rows(client.get("/staff?lang=en&category=仪器设备"))) == sorted(r.id for r in spectra + scopes)
    assert '<option value="众创空间/场地">' in page.get_data(as_text=True)


def test_one_resource_is_shown_even_without_bookings(client, auth, big_lab):
    _platform, spectra, *_rest, staff = big_lab
    auth.login(staff.email)
    page = client.get(f"/staff?lang=en&resource={spectra[0].id}")
    assert rows(page) == [spectra[0].id] and "Showing 1 of 25 resources." in text(page)


def test_my_instruments_are_those_naming_me_as_contact(client, auth, big_lab, make_user):
    platform, _spectra, scopes, _rooms, staff = big_lab
    auth.login(staff.email)
    page = client.get("/staff?lang=en&mine=1")
    assert sorted(rows(page)) == sorted(r.id for r in scopes[:3])  # e-mail matched without regard to case
    assert "contact e-mail in the catalogue is yours (sam.staff@example.com)" in text(page)
    # a colleague named by no resource is told why the list is empty
    colleague = make_user(email="kim@example.com", role="staff", platform=platform)
    switch_user(auth, colleague.email)
    empty = client.get("/staff?lang=en&mine=1")
    assert rows(empty) == [] and "No resource of this platform names kim@example.com as its contact" in text(empty)


def test_filters_are_kept_on_the_links_to_other_days_and_weeks(client, auth, big_lab):
    *_, staff = big_lab
    auth.login(staff.email)
    html = client.get("/staff?lang=en&category=仪器设备&mine=1&booked=0&view=week").get_data(as_text=True)
    nav = re.search(r'<nav class="week-nav">(.*?)</nav>', html, re.S).group(1)
    links = [unescape(h) for h in re.findall(r'href="([^"]+)"', nav)]
    assert len(links) == 5  # previous, today, next, day, week
    for link in links:
        assert "category=%E4%BB%AA%E5%99%A8%E8%AE%BE%E5%A4%87" in link and "mine=1" in link and "booked=0" in link
    week_of = datetime.now(SHANGHAI).date() - timedelta(days=datetime.now(SHANGHAI).weekday())
    assert any(f"date={(week_of + timedelta(days=7)).isoformat()}" in link for link in links)


def test_next_week_shows_next_weeks_booking(client, auth, big_lab):
    _platform, _spectra, _scopes, rooms, staff = big_lab
    auth.login(staff.email)
    next_monday = datetime.now(SHANGHAI).date() + timedelta(days=7 - datetime.now(SHANGHAI).weekday())
    page = client.get(f"/staff?lang=en&view=week&date={next_monday.isoformat()}")
    assert rows(page) == [rooms[0].id]


@pytest.mark.parametrize(("query", "message"), [
    ("resource=abc", "No bookable resource abc on this platform"),
    ("resource=99999999999999", "No bookable resource 99999999999999 on this platform"),
    ("category=nonsense", "No resource of this platform is in the category “nonsense”"),
    ("booked=yes", "booked is 1 or 0."),
    ("mine=2", "mine is 1 or 0."),
    ("view=month", "“month” is not a view: day or week."),
    ("date=2026-13-01", "“2026-13-01” is not a date between 2000 and 2100"),
    ("date=99999-01-01", "“99999-01-01” is not a date between 2000 and 2100"),
    ("date=0001-01-01", "“0001-01-01” is not a date between 2000 and 2100"),
    ("date=2026-W49-6", "“2026-W49-6” is not a date"),
])
def test_bad_parameters_are_a_400_with_a_message(client, auth, big_lab, query, message):
    *_, staff = big_lab
    auth.login(staff.email)
    page = client.get(f"/staff?lang=en&{query}")
    assert page.status_code == 400
    assert message in text(page)
    assert "Showing " in text(page)  # the calendar is still there, without the bad filter


def test_another_platforms_resource_is_not_a_filter(client, auth, big_lab, make_platform, make_resource, make_user):
    other = make_platform()
    theirs = make_resource(platform=other, title_en="Their secret instrument")
    *_, staff = big_lab
    auth.login(staff.email)
    page = client.get(f"/staff?lang=en&resource={theirs.id}")
    assert page.status_code == 400 and "Their secret instrument" not in text(page)


def test_a_refused_book_for_links_back_to_the_calendar_not_to_its_post_url(client, auth, big_lab):
    _platform, spectra, *_rest, staff = big_lab
    auth.login(staff.email)
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/staff").get_data(as_text=True)).group(1)
    refused = client.post("/staff/book-for?lang=en", data={
        "csrf_token": token, "resource_id": spectra[0].id, "day": today_at(0, days=3).date().isoformat(),
        "start": "09:00", "end": "10:00", "email": "not-an-address"})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert 'href="/staff?lang=zh"' in html and "/staff/book-for?lang=zh" not in html
    assert client.get("/staff?lang=zh").status_code == 200
