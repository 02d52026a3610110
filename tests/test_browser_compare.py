"""Compare across platforms in real headless Chromium: from a resource page, sorted by the price this
user pays (a startup's rate, not the feed price), in English and Chinese, without CSP refusals."""
from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path

import pytest

from booking.extensions import db
from booking.models import Platform, Resource, ResourceRate

PASSWORD = "a long browser-test password"
SHOTS = Path(os.environ.get("ONESTOP_SCREENSHOTS", "/tmp/onestop-screenshots"))
pytestmark = pytest.mark.browser
HOURS = {d: [["08:30", "17:30"]] for d in ("mon", "tue", "wed", "thu", "fri")}


def seed(app) -> dict[str, int]:
    """Four field-emission SEMs at four platforms, and a member of a verified startup."""
    from stdnum.cn import uscc

    from booking.accounts.service import create_user
    from booking.organisations.service import create_organisation, put_in
    from booking.searching.service import apply_outbox

    with app.app_context():
        ids = {}
        for code, city, city_en, zone, price in (("NJNC", "南京", "Nanjing", "Asia/Shanghai", "480"),
                                                 ("SZXC", "苏州", "Suzhou", "Asia/Shanghai", "300"),
                                                 ("SGBL", "柏林", "Berlin", "Europe/Berlin", "200"),
                                                 ("YCHH", "盐城", "Yancheng", "Asia/Shanghai", "250")):
            platform = Platform(code=code, name_zh=f"{city}测试中心", name_en=f"{city_en} Test Centre", city_zh=city,
                                city_en=city_en, timezone=zone, booking_rules={})
            db.session.add(platform)
            db.session.flush()
            resource = Resource(platform_id=platform.id, external_id=f"{code}-SEM", kind="instrument",
                                title=f"场发射扫描电子显微镜 {code}", title_en=f"Field-emission SEM ({city_en})",
                                category="仪器设备/电子显微镜", city=city, bookable=True, keywords=["SEM"],
                                attributes={}, opening_hours=HOURS, price_amount=Decimal(price), price_unit="hour",
                                price_currency="CNY")
            db.session.add(resource)
            db.session.flush()
            ids[code] = resource.id
        # Suzhou's feed price is the second dearest, but startups pay 150 an hour there: the cheapest for Alice.
        db.session.add(ResourceRate(resource_id=ids["SZXC"], unit="hour", external=Decimal("300"),
                                    startup=Decimal("150"), currency="CNY"))
        alice = create_user("alice@example.com", PASSWORD, name="Alice Wang", language="en", verified=True)
        base = "91320100MA0000001"
        org = create_organisation(None, name="启恒材料科技有限公司", name_en="Qiheng Materials",
                                  uscc=base + uscc.calc_check_digit(base), kind="startup", city="南京", verified=True)
        put_in(org, alice, "member")
        db.session.commit()
        apply_outbox()
        return ids


def rows(page) -> list[int]:
    return [int(x) for x in page.locator("tr.compare-row").evaluate_all("rs => rs.map(r => r.dataset.resourceId)")]


def test_compare_from_a_resource_page_and_sort_by_price(live_server, browser):
    app, base = live_server
    ids = seed(app)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.set_default_timeout(15000)
    refusals: list[str] = []
    page.on("console", lambda msg: refusals.append(msg.text) if "Content Security Policy" in msg.text else None)

    page.goto(f"{base}/login?lang=en")
    page.fill("input[name=email]", "alice@example.com")
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url(f"{base}/")

    page.goto(f"{base}/resources/{ids['NJNC']}?lang=en")
    page.click("a.compare-link")
    page.wait_for_url(f"**/resources/{ids['NJNC']}/compare")
    assert page.locator("h1").inner_text() == "Compare across platforms"
    assert rows(page)[0] == ids["NJNC"] and set(rows(page)) == set(ids.values())  # this one first, then the best matches
    first = page.locator("tr.compare-row").first
    assert "this one" in first.inner_text() and "¥480.00" in first.inner_text()
    page.screenshot(path=str(SHOTS / "compare-desktop.png"), full_page=True)

    page.click("th[data-sort-key=price] a")
    page.wait_for_url("**sort=price**")
    assert rows(page) == [ids["SZXC"], ids["SGBL"], ids["YCHH"], ids["NJNC"]]  # Alice's rates: 150, 200, 250, 480
    assert page.locator("th[data-sort-key=price]").get_attribute("aria-sort") == "ascending"
    suzhou = page.locator(f"tr.compare-row[data-resource-id='{ids['SZXC']}']").inner_text()
    assert "¥150.00" in suzhou and "Startup rate" in suzhou and "up to 50%" in suzhou and "¥75.00" in suzhou
    page.screenshot(path=str(SHOTS / "compare-by-price.png"), full_page=True)

    page.click("th[data-sort-key=price] a")  # again: dearest first
    page.wait_for_url("**dir=desc**")
    assert rows(page) == [ids["NJNC"], ids["YCHH"], ids["SGBL"], ids["SZXC"]]
    assert page.locator("th[data-sort-key=price]").get_attribute("aria-sort") == "descending"

    # A free slot books there: the link fills the other platform's booking form in.
    page.locator(f"tr.compare-row[data-resource-id='{ids['SZXC']}'] a.btn", has_text="Book this time").click()
    page.wait_for_url(f"**/resources/{ids['SZXC']}?**")
    assert page.input_value("input[name=start]") and page.input_value("input[name=day]")

    page.goto(f"{base}/resources/{ids['NJNC']}/compare?lang=zh&sort=price")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert rows(page)[0] == ids["SZXC"]
    page.screenshot(path=str(SHOTS / "compare-zh.png"), full_page=True)

    phone = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True)
    phone.context.add_cookies(page.context.cookies())
    phone.goto(f"{base}/resources/{ids['NJNC']}/compare?lang=en")
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")  # the table scrolls itself
    phone.screenshot(path=str(SHOTS / "compare-phone.png"), full_page=True)
    assert refusals == []
