"""In real headless Chromium: the fee estimate follows the chosen times, vouchers pay part of it
(Alice is a member of a verified startup holding vouchers; the platform belongs to a university)."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from test_browser_booking import PASSWORD, SHOTS, verified_org

from booking.extensions import db
from booking.models import Platform, Resource

pytestmark = pytest.mark.browser


def seed(app) -> tuple[int, str]:
    from booking.accounts.service import create_user
    from booking.engine.pricing import set_rate
    from booking.engine.vouchers import issue_vouchers

    with app.app_context():
        platform = Platform(code="NJNC", name_zh="宁川大学分析测试中心", name_en="Ningchuan University Analysis Center",
                            city_zh="南京", city_en="Nanjing", timezone="Asia/Shanghai", booking_rules={},
                            voucher_cap_percent=50)
        db.session.add(platform)
        db.session.flush()
        resource = Resource(platform_id=platform.id, external_id="NJNC-XRD", kind="instrument", title="X射线衍射仪",
                            title_en="X-ray diffractometer", bookable=True, keywords=[], attributes={},
                            opening_hours=None)
        db.session.add(resource)
        staff = create_user("staff@example.com", PASSWORD, role="staff", platform_code="NJNC", verified=True)
        admin = create_user("admin@example.com", PASSWORD, role="admin", verified=True)
        alice = create_user("alice@example.com", PASSWORD, name="Alice Wang", language="en", verified=True)
        verified_org(1, "宁川大学", "Ningchuan University", "university", owns=[platform])
        startup = verified_org(2, "启恒材料科技有限公司", "Qiheng Materials", "startup", members=[alice])
        db.session.flush()
        set_rate(staff, resource, "hour", "200", internal="80", startup="100")
        issue_vouchers(admin, startup, "1000")
        db.session.commit()
        day = datetime.now(ZoneInfo("Asia/Shanghai")).date() + timedelta(days=3)
        return resource.id, day.isoformat()


def test_fee_estimate_follows_the_times_and_vouchers_pay_half(live_server, browser):
    app, base = live_server
    resource_id, day = seed(app)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.set_default_timeout(15000)
    page.goto(f"{base}/login?lang=en")
    page.fill("input[name=email]", "alice@example.com")
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url(f"{base}/")

    page.goto(f"{base}/resources/{resource_id}?lang=en&day={day}&start=09:00&end=10:00")
    fee = page.locator(".fee-box [data-fee]")
    assert "Startup rate" in page.locator(".fee-box").inner_text()
    assert fee.inner_text() == "¥100.00"
    page.fill("input[name=end]", "11:30")
    assert fee.inner_text() == "¥250.00"  # recomputed in the page for the chosen duration
    page.check("input[name=use_voucher]")
    page.screenshot(path=str(SHOTS / "services-fee-desktop.png"), full_page=True)
    page.click("form.booking-form button[type=submit]")
    page.wait_for_url(f"{base}/bookings")
    row = page.locator("tr.booking-row").first
    assert "¥250.00" in row.inner_text() and "vouchers ¥125.00" in row.inner_text()
    page.screenshot(path=str(SHOTS / "services-bookings-desktop.png"), full_page=True)
