"""In real headless Chromium, the way a newcomer joins their company: register, confirm the address
from the mail, find the company by its code and ask to join; the manager opens the mail, approves;
the newcomer books at the startup rate and pays half with the company's vouchers. Mail goes through
the real dispatcher to an SMTP server on loopback."""
from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from test_browser_accounts import SHOTS, mail_to_live_server, new_page, read_link

from booking.extensions import db
from booking.models import Platform, Resource

from support import valid_uscc

pytestmark = pytest.mark.browser
BOSS_PASSWORD = "copper kettle orchard 9"
NEW_PASSWORD = "lantern mosaic harbour 7"


def seed(app: Any) -> tuple[int, str, str]:
    from booking.accounts.service import create_user
    from booking.engine.pricing import set_rate
    from booking.engine.vouchers import issue_vouchers
    from booking.organisations.service import create_organisation, put_in

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
        staff = create_user("staff@example.com", BOSS_PASSWORD, role="staff", platform_code="NJNC", verified=True)
        boss = create_user("boss@qiheng.example", BOSS_PASSWORD, name="Boss Zhang", language="en", verified=True)
        code = valid_uscc(31)
        startup = create_organisation(None, name="启恒材料科技有限公司", name_en="Qiheng Materials", uscc=code,
                                      kind="startup", city="南京", verified=True)
        put_in(startup, boss, "manager")
        db.session.flush()
        set_rate(staff, resource, "hour", "200", startup="100")
        issue_vouchers(None, startup, "1000")
        db.session.commit()
        day = datetime.now(ZoneInfo("Asia/Shanghai")).date() + timedelta(days=3)
        return resource.id, day.isoformat(), code


def log_in(page: Any, base: str, email: str, password: str) -> None:
    page.goto(f"{base}/login?lang=en")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("form button[type=submit]")
    page.wait_for_url(f"{base}/")


def test_register_confirm_join_approve_and_book_with_vouchers(live_server, browser, smtp_server):
    app, base = live_server
    mail_to_live_server(app, base, smtp_server)
    resource_id, day, code = seed(app)
    SHOTS.mkdir(parents=True, exist_ok=True)
    newcomer = new_page(browser)

    newcomer.goto(f"{base}/register?lang=en")
    newcomer.fill("input[name=email]", "mei@qiheng.example")
    newcomer.fill("input[name=name]", "Chen Mei")
    newcomer.fill("input[name=password]", NEW_PASSWORD)
    newcomer.fill("input[name=confirm]", NEW_PASSWORD)
    newcomer.select_option("select[name=language]", "en")
    newcomer.click("form button[type=submit]")
    newcomer.wait_for_url(f"{base}/")
    newcomer.goto(read_link(app, smtp_server, base, "mei@qiheng.example", "/verify-email"))
    newcomer.wait_for_url(f"{base}/")

    newcomer.click("nav >> text=Organisation")
    newcomer.fill("input[name=q]", code.lower())  # people type codes in any case
    newcomer.click("#find button[type=submit]")
    result = newcomer.locator(".org-results li").first
    assert "启恒材料科技有限公司" in result.inner_text() and "Verified" in result.inner_text()
    result.locator("textarea[name=message]").fill("I joined the materials team this week.")
    result.locator("button:has-text('Ask to join')").click()
    newcomer.wait_for_url(f"{base}/organisation")
    assert "Request waiting" in newcomer.locator("#pending").inner_text()
    newcomer.screenshot(path=str(SHOTS / "org-request-waiting.png"), full_page=True)
    with app.app_context():
        from booking.models import User

        assert db.session.query(User).filter_by(email="mei@qiheng.example").one().organisation_id is None

    manager = browser.new_context().new_page()
    manager.set_default_timeout(15000)
    log_in(manager, base, "boss@qiheng.example", BOSS_PASSWORD)
    with app.app_context():
        from booking.notify import dispatch_due

        dispatch_due()
    (asked,) = smtp_server.wait_for(1, where=lambda r: r.rcpt_tos == ["boss@qiheng.example"])
    assert asked.subject == "Chen Mei asks to join 启恒材料科技有限公司"
    manager.goto(re.search(re.escape(base) + r"/organisation\b", asked.text()).group(0))
    requests = manager.locator("#requests")
    assert "Chen Mei" in requests.inner_text() and "I joined the materials team this week." in requests.inner_text()
    manager.screenshot(path=str(SHOTS / "org-manager-approves.png"), full_page=True)
    requests.locator("button:has-text('Approve')").click()
    manager.wait_for_url(f"{base}/organisation")
    assert "Chen Mei is now a member." in manager.locator(".flash-success").inner_text()
    assert "mei@qiheng.example" in manager.locator("#members").inner_text()

    with app.app_context():
        dispatch_due()
    smtp_server.wait_for(1, where=lambda r: r.rcpt_tos == ["mei@qiheng.example"]
                         and r.subject == "You are now a member of 启恒材料科技有限公司")

    newcomer.goto(f"{base}/resources/{resource_id}?lang=en&day={day}&start=09:00&end=11:00")
    assert "Startup rate" in newcomer.locator(".fee-box").inner_text()
    assert newcomer.locator(".fee-box [data-fee]").inner_text() == "¥200.00"
    newcomer.check("input[name=use_voucher]")
    newcomer.click("form.booking-form button[type=submit]")
    newcomer.wait_for_url(f"{base}/bookings")
    row = newcomer.locator("tr.booking-row").first
    assert "¥200.00" in row.inner_text() and "vouchers ¥100.00" in row.inner_text()
    newcomer.screenshot(path=str(SHOTS / "org-booked-with-vouchers.png"), full_page=True)
    assert newcomer.csp_refusals == []
    assert re.search(r"Qiheng|启恒", newcomer.locator("nav").inner_text()) is None  # nothing leaks into the nav
