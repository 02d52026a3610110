"""Moving a booking on its own page, in real headless Chromium (SQLite): the booker opens the
booking from My bookings, changes the time, sees the new time and the history; a taken time is
refused beside the form; staff see the day view with the booking's buttons and "Book for a user".
Screenshots (desktop and a 390 px phone, English and Chinese) go to $ONESTOP_SCREENSHOTS
(default /tmp/onestop-screenshots).
"""
from __future__ import annotations

import os
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from booking.extensions import db
from booking.models import Platform, Reservation, Resource

from support import PASSWORD, browser_log_in

SHOTS = Path(os.environ.get("ONESTOP_SCREENSHOTS", "/tmp/onestop-screenshots"))
SHANGHAI = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.browser


def days_ahead(days: int, hour: int) -> datetime:
    day = datetime.now(SHANGHAI).date() + timedelta(days=days)
    return datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI)


def seed(app: Any) -> tuple[int, int]:
    from booking.accounts.service import create_user
    from booking.engine import create_reservation

    with app.app_context():
        platform = Platform(code="NJXRD", name_zh="南京结构表征平台", name_en="Nanjing Structure Lab",
                            city_zh="南京", city_en="Nanjing", timezone="Asia/Shanghai",
                            booking_rules={"cancel_notice_minutes": 120})
        db.session.add(platform)
        db.session.flush()
        resource = Resource(platform_id=platform.id, external_id="NJXRD-01", kind="instrument", title="X射线衍射仪",
                            title_en="X-ray diffractometer", bookable=True, keywords=[], attributes={},
                            price_amount=150, price_currency="CNY", price_unit="hour")
        db.session.add(resource)
        alice = create_user("alice@example.com", PASSWORD, name="Alice Wang", language="en", verified=True)
        bob = create_user("bob@example.com", PASSWORD, name="Bob Li", language="en", verified=True)
        create_user("staff@njxrd.example", PASSWORD, name="Zhou Lab", role="staff", platform_code="NJXRD",
                    language="en", verified=True)
        db.session.flush()
        mine = create_reservation(alice, resource, days_ahead(3, 9), days_ahead(3, 11), "Powder XRD of LiFePO4")
        create_reservation(bob, resource, days_ahead(4, 9), days_ahead(4, 12), "Thin films")
        db.session.commit()
        return mine.id, resource.id


def shoot(page: Any, name: str) -> None:
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_move_a_booking_on_its_page(live_server: Any, browser: Any) -> None:
    app, base = live_server
    reservation_id, _resource_id = seed(app)
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        page.set_default_timeout(15000)
        browser_log_in(page, base, "alice@example.com")
        page.goto(f"{base}/bookings?lang=en")
        page.click(f"#reservation-{reservation_id} a.booking-details")
        page.wait_for_url(f"{base}/bookings/{reservation_id}")
        assert page.inner_text(".booking-reference").startswith("OS-")
        assert "09:00–11:00" in page.inner_text(".booking-when")
        shoot(page, "booking-page-en")

        # a taken time: refused beside the form, nothing changes
        form = page.locator("form.change-form")
        form.locator("input[name=day]").fill(days_ahead(4, 0).date().isoformat())
        form.locator("input[name=start]").fill("10:00")
        form.locator("input[name=end]").fill("11:00")
        form.locator("button[type=submit]").click()
        page.wait_for_load_state()
        assert "That time is taken" in page.inner_text("#change")
        assert "09:00–11:00" in page.inner_text(".booking-when")
        shoot(page, "booking-page-refused-en")

        # a free time: moved
        form = page.locator("form.change-form")
        form.locator("input[name=day]").fill(days_ahead(5, 0).date().isoformat())
        form.locator("input[name=start]").fill("14:00")
        form.locator("input[name=end]").fill("16:30")
        form.locator("button[type=submit]").click()
        page.wait_for_url(f"{base}/bookings/{reservation_id}")
        assert "Moved to" in page.inner_text("body")
        assert "14:00–16:30" in page.inner_text(".booking-when")
        history = page.inner_text(".booking-history")
        assert "Moved from" in history and "09:00–11:00" in history and "14:00–16:30" in history
        assert "375.00" in page.inner_text(".booking-facts")  # 2.5 h at 150
        shoot(page, "booking-page-moved-en")

        page.goto(f"{base}/bookings/{reservation_id}?lang=zh")
        assert "改至" in page.inner_text(".booking-history")
        shoot(page, "booking-page-moved-zh")
        page.set_viewport_size({"width": 390, "height": 844})
        page.goto(f"{base}/bookings/{reservation_id}?lang=zh")
        shoot(page, "booking-page-moved-zh-390")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390 + 1  # nothing runs off a phone
    finally:
        context.close()
    with app.app_context():
        moved = db.session.get(Reservation, reservation_id)
        assert moved is not None and moved.start == days_ahead(5, 14)


def test_staff_day_view_and_book_for_a_user(live_server: Any, browser: Any) -> None:
    app, base = live_server
    reservation_id, resource_id = seed(app)
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        page.set_default_timeout(15000)
        browser_log_in(page, base, "staff@njxrd.example")
        day = days_ahead(6, 0).date().isoformat()
        page.goto(f"{base}/staff?view=day&date={day}&lang=en")
        form = page.locator("form.book-for-form")
        form.locator("select[name=resource_id]").select_option(str(resource_id))
        form.locator("input[name=email]").fill("bob@example.com")
        form.locator("input[name=day]").fill(day)
        form.locator("input[name=start]").fill("09:00")
        form.locator("input[name=end]").fill("10:00")
        form.locator("textarea[name=purpose]").fill("Calibration run for Bob")
        form.locator("button[type=submit]").click()
        page.wait_for_url(f"{base}/staff?*")
        assert "Booked X-ray diffractometer for Bob Li" in page.inner_text("body")
        assert "Details" in page.inner_text(".staff-calendar")
        shoot(page, "staff-day-book-for-en")
        page.click(".staff-calendar a.booking-details")
        page.wait_for_load_state()
        assert "Booked for Bob Li by platform staff." in page.inner_text(".booking-history")
        shoot(page, "staff-booking-page-en")
        page.goto(f"{base}/bookings/{reservation_id}?lang=zh")
        shoot(page, "staff-booking-page-zh")
    finally:
        context.close()
