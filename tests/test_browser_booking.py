"""A person books and cancels in real headless Chromium (SQLite is enough here)."""
from __future__ import annotations

import os
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from booking.extensions import db
from booking.models import Platform, Resource

PASSWORD = "a long browser-test password"
SHOTS = Path(os.environ.get("ONESTOP_SCREENSHOTS", "/tmp/onestop-screenshots"))
pytestmark = pytest.mark.browser


def verified_org(n: int, name: str, name_en: str, kind: str, *, members=(), owns=()):
    """A verified organisation (a well-formed USCC distinct for each n) with members and platforms."""
    from stdnum.cn import uscc

    from booking.organisations.service import create_organisation, put_in

    base = f"91320100MA{n:07d}"
    org = create_organisation(None, name=name, name_en=name_en, uscc=base + uscc.calc_check_digit(base), kind=kind,
                              city="南京", verified=True)
    for user in members:
        put_in(org, user, "member")
    for platform in owns:
        platform.owner_org_id = org.id
    db.session.flush()
    return org


def seed(app) -> tuple[int, date]:
    from booking.accounts.service import create_user

    with app.app_context():
        platform = Platform(code="NJNC", name_zh="宁川大学分析测试中心", name_en="Ningchuan University Analysis Center",
                            city_zh="南京", city_en="Nanjing", timezone="Asia/Shanghai", booking_rules={})
        db.session.add(platform)
        db.session.flush()
        resource = Resource(
            platform_id=platform.id, external_id="NJNC-2021-I00042", kind="instrument", title="场发射扫描电镜",
            title_en="Field-emission SEM", bookable=True, keywords=["SEM"], attributes={"manufacturer": "Hitachi"},
            opening_hours={d: [["08:30", "12:00"], ["13:30", "17:30"]] for d in ("mon", "tue", "wed", "thu", "fri")},
            booking_rules={"max_minutes": 240, "buffer_minutes": 15}, location="科技楼 B105")
        db.session.add(resource)
        alice = create_user("alice@example.com", PASSWORD, name="Alice Wang", language="en", verified=True)
        verified_org(1, "启恒材料科技有限公司", "Qiheng Materials", "startup", members=[alice])
        db.session.commit()
        today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
        return resource.id, today + timedelta(days=7 - today.weekday())


def test_book_see_and_cancel_in_a_real_browser(live_server, browser):
    app, base = live_server
    resource_id, monday = seed(app)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.set_default_timeout(15000)

    page.goto(f"{base}/login?lang=en")
    page.fill("input[name=email]", "alice@example.com")
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url(f"{base}/")

    page.goto(f"{base}/resources/{resource_id}?lang=en&week={monday.isoformat()}")
    assert page.locator("h1").inner_text() == "Field-emission SEM"
    free = page.locator("a.slot")
    assert free.count() == 5 * 15  # half hours of the mornings (08:30–12:00) and afternoons (13:30–17:30)
    page.screenshot(path=str(SHOTS / "resource-desktop.png"), full_page=True)

    # Click Tuesday's first afternoon cell: the form fills in its date and an hour from there.
    page.locator(f'a.slot[data-day="{(monday + timedelta(days=1)).isoformat()}"][data-from="13:30"]').click()
    assert page.input_value("input[name=day]") == (monday + timedelta(days=1)).isoformat()
    assert page.input_value("input[name=start]") == "13:30" and page.input_value("input[name=end]") == "14:30"
    page.fill("textarea[name=purpose]", "Imaging of cathode particles")
    page.click("form.booking-form button[type=submit]")
    page.wait_for_url(f"{base}/bookings")
    assert "Booked Field-emission SEM" in page.locator(".flash-success").inner_text()
    row = page.locator("tr.booking-row").first
    assert f"{(monday + timedelta(days=1)).isoformat()} 13:30–14:30" in row.inner_text()
    assert "confirmed" in row.inner_text()
    page.screenshot(path=str(SHOTS / "bookings-desktop.png"), full_page=True)

    # The same slot is now taken: trying it again explains why and offers the nearest free times.
    page.goto(f"{base}/resources/{resource_id}?lang=en&week={monday.isoformat()}&day={(monday + timedelta(days=1)).isoformat()}&start=14:00&end=15:00")
    page.click("form.booking-form button[type=submit]")
    refusal = page.locator(".refusal")
    assert "That time is taken" in refusal.inner_text()
    assert page.locator(".alternatives a").count() >= 1
    page.screenshot(path=str(SHOTS / "refusal-desktop.png"), full_page=True)

    phone = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True)
    phone.context.add_cookies(page.context.cookies())
    phone.goto(f"{base}/resources/{resource_id}?lang=en&week={monday.isoformat()}")
    phone.screenshot(path=str(SHOTS / "resource-phone.png"), full_page=True)
    phone.goto(f"{base}/bookings?lang=en")
    phone.screenshot(path=str(SHOTS / "bookings-phone.png"), full_page=True)
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")  # nothing spills sideways

    page.goto(f"{base}/bookings?lang=en")
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("tr.booking-row").first.locator("button", has_text="Cancel").first.click()
    page.wait_for_load_state()
    assert "Cancelled" in page.locator(".flash-success").inner_text()
    assert "No upcoming bookings." in page.content()
    assert "cancelled" in page.locator("tr.booking-row").first.inner_text()
