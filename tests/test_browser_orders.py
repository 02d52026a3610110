"""A startup orders a testing service and gets the report, in real headless Chromium (SQLite).

The user orders, the platform's staff quote, the user accepts, staff record the samples, test,
upload the report, and the user downloads it. Screenshots of the order pages (desktop and a
390 px phone) go to $ONESTOP_SCREENSHOTS (default /tmp/onestop-screenshots).
"""
from __future__ import annotations

import os
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from test_browser_booking import verified_org

from booking.extensions import db
from booking.models import Order, OrderEvent, OutgoingMail, Platform, Resource

from support import PASSWORD, browser_log_in

SHOTS = Path(os.environ.get("ONESTOP_SCREENSHOTS", "/tmp/onestop-screenshots"))
REPORT = b"%PDF-1.4\n% OneStop test report\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
pytestmark = pytest.mark.browser


def seed(app: Any) -> int:
    from booking.accounts.service import create_user

    with app.app_context():
        platform = Platform(code="JSTC", name_zh="江苏省材料测试中心", name_en="Jiangsu Materials Testing Centre",
                            city_zh="南京", city_en="Nanjing", timezone="Asia/Shanghai", booking_rules={},
                            address="南京市玄武区测试路 8 号 / 8 Ceshi Road, Nanjing")
        db.session.add(platform)
        db.session.flush()
        resource = Resource(
            platform_id=platform.id, external_id="JSTC-T-0007", kind="testing_service", title="金属材料室温拉伸试验",
            title_en="Room-temperature tensile testing of metals", bookable=False, orderable=True,
            keywords=["拉伸", "tensile"], price_amount=300, price_currency="CNY", price_unit="sample",
            description="Yield strength, tensile strength and elongation of metallic specimens.",
            attributes={"standards": ["GB/T 228.1-2021", "ISO 6892-1:2019", "ASTM E8/E8M-22"], "turnaround_days": 5,
                        "accreditation": "CNAS L1234"},
            contact_email="tensile@jstc.example")
        db.session.add(resource)
        alice = create_user("alice@example.com", PASSWORD, name="Alice Wang", language="en", verified=True)
        verified_org(1, "启恒材料科技有限公司", "Qiheng Materials", "startup", members=[alice])
        create_user("staff@jstc.example", PASSWORD, name="Zhou Lab", role="staff", platform_code="JSTC", language="en",
                    verified=True)
        db.session.commit()
        return resource.id


def shoot(page: Any, name: str) -> None:
    page.evaluate("window.scrollTo(0, 0)")  # else the sticky header is drawn mid-page
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_order_quote_accept_report_download_in_a_real_browser(live_server: Any, browser: Any, tmp_path: Path) -> None:
    app, base = live_server
    resource_id = seed(app)
    SHOTS.mkdir(parents=True, exist_ok=True)
    drawing = tmp_path / "specimen-drawing.pdf"
    drawing.write_bytes(REPORT)
    report_file = tmp_path / "JSTC-2027-0042 report.pdf"
    report_file.write_bytes(REPORT)

    user_ctx = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    staff_ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        user, staff = user_ctx.new_page(), staff_ctx.new_page()
        for page in (user, staff):
            page.set_default_timeout(15000)

        # Anonymous visitors are asked to log in first.
        user.goto(f"{base}/resources/{resource_id}?lang=en")
        assert "Log in to order" in user.locator("#order").inner_text()

        # The startup orders.
        browser_log_in(user, base, "alice@example.com")
        user.goto(f"{base}/resources/{resource_id}?lang=en")
        shoot(user, "order-form-desktop")
        # A form with mistakes comes back with the messages beside the fields.
        user.fill("input[name=samples]", "0")
        user.fill("input[name=needed_by]", "2001-01-01")
        user.click("form.order-form button[type=submit]")
        assert "Between 1 and 1000 samples" in user.locator("#order").inner_text()
        assert "Describe the samples" in user.locator("#order").inner_text()
        assert "The date has passed" in user.locator("#order").inner_text()
        shoot(user, "order-form-errors-desktop")
        user.fill("input[name=needed_by]", "")
        user.fill("input[name=samples]", "6")
        user.fill("input[name=standard]", "GB/T 228.1-2021")
        user.fill("textarea[name=sample_description]", "6 dog-bone specimens of Q235 steel, 10 mm gauge, <b>no</b> coating")
        user.fill("input[name=turnaround_days]", "10")
        user.fill("textarea[name=notes]", "Please keep the broken halves for us.")
        user.set_input_files("input[name=attachment]", str(drawing))
        user.click("form.order-form button[type=submit]")
        user.wait_for_url(f"{base}/orders/*")
        order_url = user.url.split("#")[0]  # the form's #order anchor rides along the redirect
        assert "Submitted" in user.locator("h1").inner_text()
        assert "<b>no</b> coating" in user.locator(".facts").first.inner_text()  # shown as text
        shoot(user, "order-submitted-desktop")

        # The platform quotes.
        browser_log_in(staff, base, "staff@jstc.example")
        staff.goto(f"{base}/staff/orders?lang=en")
        shoot(staff, "staff-orders-desktop")
        staff.click("table.orders-table a >> nth=0")
        staff.wait_for_url(order_url)
        staff.fill("input[name=quote-price]", "1800")
        staff.fill("input[name=quote-promised_date]", (date.today() + timedelta(days=9)).isoformat())
        staff.fill("textarea[name=quote-note]", "Includes specimen preparation.")
        shoot(staff, "order-staff-quote-desktop")
        staff.click("form.order-action-quote button[type=submit]")
        assert "Quoted" in staff.locator("h1").inner_text()

        # The startup accepts.
        user.goto(order_url)
        assert "1,800.00" in user.locator(".order-next").inner_text()
        shoot(user, "order-quoted-desktop")
        user.click("form.order-action-accept button[type=submit]")
        assert "Accepted" in user.locator("h1").inner_text()

        # Samples arrive, testing runs, the report is uploaded.
        staff.goto(order_url)
        staff.click("form.order-action-receive button[type=submit]")
        assert "Samples received" in staff.locator("h1").inner_text()
        staff.click("form.order-action-start button[type=submit]")
        assert "Testing" in staff.locator("h1").inner_text()
        staff.set_input_files("input[name=issue-report]", str(report_file))
        staff.fill("textarea[name=issue-note]", "All six specimens meet the requirement.")
        staff.click("form.order-action-issue button[type=submit]")
        assert "Report issued" in staff.locator("h1").inner_text()

        # The startup downloads the report.
        user.goto(order_url)
        with user.expect_download() as info:
            user.click(".order-report a.order-file")
        download = info.value
        assert download.suggested_filename == "JSTC-2027-0042 report.pdf"
        assert Path(download.path()).read_bytes() == REPORT
        shoot(user, "order-reported-desktop")
        user.goto(f"{base}/orders?lang=en")
        shoot(user, "my-orders-desktop")

        # The same pages on a phone.
        user.set_viewport_size({"width": 390, "height": 844})
        user.goto(order_url)
        shoot(user, "order-reported-phone")
        user.goto(f"{base}/orders?lang=en")
        shoot(user, "my-orders-phone")
        user.goto(f"{base}/resources/{resource_id}?lang=en")
        shoot(user, "order-form-phone")
        staff.set_viewport_size({"width": 390, "height": 844})
        staff.goto(f"{base}/staff/orders?lang=en")
        shoot(staff, "staff-orders-phone")
    finally:
        user_ctx.close()
        staff_ctx.close()

    with app.app_context():
        order = db.session.query(Order).one()
        assert order.status == "reported"
        actions = [e.action for e in db.session.query(OrderEvent).order_by(OrderEvent.id)]
        assert actions == ["submit", "quote", "accept", "receive", "start", "issue"]
        assert db.session.query(OutgoingMail).count() == 6
