"""The staff calendar in real headless Chromium (SQLite): on a platform of 25 instruments it opens
on today with only the booked ones and says so; staff narrow it by category, show all, move to the
next day with the filters kept; on a 390 px phone the approval queue's buttons are in view and
approving works; the label page and the page its code opens. Screenshots (desktop and phone,
English and Chinese) go to $ONESTOP_SCREENSHOTS (default /tmp/onestop-screenshots).
"""
from __future__ import annotations

import os
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from booking.extensions import db
from booking.models import Platform, Reservation, Resource

from support import PASSWORD, browser_log_in

SHOTS = Path(os.environ.get("ONESTOP_SCREENSHOTS", "/tmp/onestop-screenshots"))
SHANGHAI = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.browser


def at(days: int, hour: int) -> datetime:
    day = datetime.now(SHANGHAI).date() + timedelta(days=days)
    return datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI)


def seed(app: Any) -> dict[str, Any]:
    from booking.accounts.service import create_user
    from booking.engine import create_reservation

    with app.app_context():
        platform = Platform(code="NJATC", name_zh="宁川大学分析测试中心", name_en="Ningchuan Analysis Centre",
                            city_zh="南京", city_en="Nanjing", timezone="Asia/Shanghai", booking_rules={})
        db.session.add(platform)
        db.session.flush()
        resources = []
        for n in range(25):
            group = ("仪器设备/光谱", "Spectrometer", "光谱仪") if n < 10 else ("仪器设备/电子显微镜", "Microscope", "电镜")
            resources.append(Resource(
                platform_id=platform.id, external_id=f"ATC-{n:02d}", kind="instrument", title=f"{group[2]} {n:02d}",
                title_en=f"{group[1]} {n:02d}", category=group[0], bookable=True, keywords=[], attributes={},
                location="科技楼4楼513室", booking_rules={"requires_approval": n == 12}))
        db.session.add_all(resources)
        alice = create_user("alice@example.com", PASSWORD, name="Alice Wang", language="en", verified=True)
        create_user("staff@njatc.example", PASSWORD, name="Zhou Lab", role="staff", platform_code="NJATC",
                    language="en", verified=True)
        db.session.flush()
        earlier = at(-1, 0)
        create_reservation(alice, resources[2], at(0, 9), at(0, 10), "Raman", now=earlier)
        create_reservation(alice, resources[15], at(1, 9), at(1, 10), "SEM", now=earlier)
        pending = [create_reservation(alice, resources[12], at(2, h), at(2, h + 1),
                                      "Cross-section imaging of a battery electrode, long purpose text", now=earlier)
                   for h in (9, 14)]
        db.session.commit()
        return {"booked_today": resources[2].id, "booked_tomorrow": resources[15].id,
                "pending": [r.id for r in pending], "approval": resources[12].id}


def shoot(page: Any, name: str) -> None:
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def row_ids(page: Any) -> list[str]:
    return page.eval_on_selector_all(".staff-calendar th[scope=row] a",
                                     "links => links.map(a => a.getAttribute('href').split('/').pop())")


def test_filter_the_calendar_and_approve_on_a_phone(live_server: Any, browser: Any) -> None:
    app, base = live_server
    seeded = seed(app)
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        page.set_default_timeout(15000)
        browser_log_in(page, base, "staff@njatc.example")
        page.goto(f"{base}/staff?lang=en")
        assert row_ids(page) == [str(seeded["booked_today"])]
        count = page.inner_text(".calendar-count")
        assert "Showing 1 of 25 resources." in count and "more than 20" in count
        assert page.is_checked("input[name=booked][type=checkbox]")
        shoot(page, "staff-calendar-en")

        # microscopes only, all of them: tick off "only with bookings", choose the category
        page.select_option("#filter-category", "仪器设备/电子显微镜")
        page.uncheck("input[name=booked][type=checkbox]")
        page.click(".calendar-filters button[type=submit]")
        page.wait_for_url("**booked=0**")
        assert len(row_ids(page)) == 15 and "Showing 15 of 25 resources." in page.inner_text(".calendar-count")

        # the next day keeps the filters: tomorrow's booked microscope comes first
        page.click(".week-nav a:has-text('Next')")
        page.wait_for_load_state()
        assert "category=" in page.url and "booked=0" in page.url
        assert row_ids(page)[0] == str(seeded["booked_tomorrow"]) and len(row_ids(page)) == 15
        assert page.input_value("#filter-category") == "仪器设备/电子显微镜"
        page.click(".segmented a:has-text('Week')")
        page.wait_for_load_state()
        assert "view=week" in page.url and "booked=0" in page.url and len(row_ids(page)) == 15
        shoot(page, "staff-calendar-filtered-week-en")
        page.goto(f"{base}/staff?lang=zh")
        shoot(page, "staff-calendar-zh")
    finally:
        context.close()

    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    try:
        page = phone.new_page()
        page.set_default_timeout(15000)
        browser_log_in(page, base, "staff@njatc.example")
        page.goto(f"{base}/staff?lang=en")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing off to the side
        shoot(page, "staff-calendar-phone-en")
        first = page.locator("#approvals tbody tr").first
        approve = first.locator("button:has-text('Approve')")
        reject = first.locator("button:has-text('Reject')")
        for button in (approve, reject):
            box = button.bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
            assert button.is_visible()
        approve.click()
        page.wait_for_load_state()
        assert "Approved." in page.inner_text(".flash-success")
        assert page.locator("#approvals tbody tr").count() == 1
        page.goto(f"{base}/staff?lang=zh")
        shoot(page, "staff-calendar-phone-zh")
    finally:
        phone.close()

    with app.app_context():
        statuses = db.session.scalars(sa.select(Reservation.status).where(Reservation.id.in_(seeded["pending"]))
                                      .order_by(Reservation.start)).all()
        assert statuses == ["confirmed", "pending"]


def test_label_and_the_page_its_code_opens(live_server: Any, browser: Any) -> None:
    app, base = live_server
    seeded = seed(app)
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width in (1280, 390):
        context = browser.new_context(viewport={"width": width, "height": 900})
        try:
            page = context.new_page()
            page.set_default_timeout(15000)
            page.goto(f"{base}/resources/{seeded['booked_today']}/here?lang=en")
            assert page.locator("a:has-text('Log in to check in')").is_visible()
            shoot(page, f"here-anonymous-{width}-en")
            browser_log_in(page, base, "staff@njatc.example")
            page.goto(f"{base}/resources/{seeded['booked_today']}/label?lang=en")
            svg = page.locator(".qr-code svg")
            assert svg.is_visible() and svg.bounding_box()["width"] > 80
            shoot(page, f"label-{width}-en")
            page.goto(f"{base}/staff/labels?lang=zh")
            assert page.locator(".qr-label").count() == 25
            shoot(page, f"labels-{width}-zh")
            page.emulate_media(media="print")
            shoot(page, f"labels-print-{width}")
            page.emulate_media(media="screen")
        finally:
            context.close()
