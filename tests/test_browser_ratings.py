"""Ratings in real headless Chromium (SQLite): a user rates a completed booking from My bookings
(stars as radio buttons), the platform's staff answer it publicly, and the resource page shows the
average and the answer. Screenshots go to $ONESTOP_SCREENSHOTS (default /tmp/onestop-screenshots).
"""
from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from booking.extensions import db
from booking.models import Platform, Rating, Reservation, Resource

from support import PASSWORD, browser_log_in

SHOTS = Path(os.environ.get("ONESTOP_SCREENSHOTS", "/tmp/onestop-screenshots"))
pytestmark = pytest.mark.browser


def seed(app: Any) -> tuple[int, int]:
    from booking.accounts.service import create_user

    with app.app_context():
        platform = Platform(code="NJU", name_zh="南京大学分析测试中心", name_en="NJU Analysis Centre", city_zh="南京",
                            city_en="Nanjing", timezone="Asia/Shanghai", booking_rules={})
        db.session.add(platform)
        db.session.flush()
        resource = Resource(platform_id=platform.id, external_id="NJU-SEM-1", kind="instrument", title="场发射扫描电镜",
                            title_en="Field-emission SEM", bookable=True, keywords=[], attributes={})
        db.session.add(resource)
        alice = create_user("alice@example.com", PASSWORD, name="Alice Wang", language="en", verified=True)
        create_user("staff@nju.example", PASSWORD, name="Zhou Lab", role="staff", platform_code="NJU", language="en",
                    verified=True)
        db.session.flush()
        start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=2)
        booking = Reservation(resource_id=resource.id, user_id=alice.id, start=start, end=start + timedelta(hours=2),
                              block_start=start, block_end=start + timedelta(hours=2), status="completed")
        db.session.add(booking)
        db.session.commit()
        return resource.id, booking.id


def test_rate_answer_and_read_it_on_the_resource_page(live_server: Any, browser: Any) -> None:
    app, base = live_server
    resource_id, booking_id = seed(app)
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        page.set_default_timeout(15000)
        browser_log_in(page, base, "alice@example.com")
        page.goto(f"{base}/bookings?lang=en")
        page.click(f"#reservation-{booking_id} a.rate-link")
        page.wait_for_url(f"{base}/bookings/{booking_id}/rating")
        page.check("input[name=stars][value='4']")
        page.fill("textarea[name=comment]", "Sharp images <b>and</b> a patient operator.")
        page.screenshot(path=str(SHOTS / "rating-form.png"), full_page=True)
        page.click("form.rating-form button[type=submit]")
        page.wait_for_url(f"{base}/bookings#reservation-{booking_id}")
        assert "Your rating ★4" in page.inner_text(f"#reservation-{booking_id}")

        staff = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        staff.set_default_timeout(15000)
        browser_log_in(staff, base, "staff@nju.example")
        staff.goto(f"{base}/ratings/platform?lang=en")
        with app.app_context():
            rating_id = db.session.query(Rating.id).scalar()
        staff.fill(f"#rating-{rating_id} textarea", "Thank you, Alice!")
        staff.click(f"#rating-{rating_id} button[type=submit]")
        staff.wait_for_url(f"{base}/ratings/platform#rating-{rating_id}")
        staff.context.close()

        page.goto(f"{base}/resources/{resource_id}?lang=en")
        head = page.inner_text(".resource-head")
        assert "4.00" in head and "(1 rating)" in head
        ratings = page.inner_text("#ratings")
        assert "Sharp images <b>and</b> a patient operator." in ratings  # shown as text, not markup
        assert "Thank you, Alice!" in ratings and "A**" in ratings
        page.screenshot(path=str(SHOTS / "resource-ratings.png"), full_page=True)
        page.goto(f"{base}/resources/{resource_id}?lang=zh")
        assert "用户评价" in page.inner_text("#ratings") and "平台回复" in page.inner_text("#ratings")
    finally:
        context.close()
