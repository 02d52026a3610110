"""The public platform pages in real headless Chromium (SQLite): the ranking in Chinese and in English,
sorted by share rate, then one platform's page. Screenshots (desktop and a 390 px phone) go to
$ONESTOP_SCREENSHOTS (default /tmp/onestop-screenshots)."""
from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from booking.extensions import db
from booking.models import Platform, Reservation, Resource

SHOTS = Path(os.environ.get("ONESTOP_SCREENSHOTS", "/tmp/onestop-screenshots"))
HOURS = {d: [["08:30", "12:00"], ["13:30", "17:30"]] for d in ("mon", "tue", "wed", "thu", "fri")}
pytestmark = pytest.mark.browser


def seed(app: Any) -> None:
    """Three platforms: Nanjing's instruments used half by outsiders, Suzhou's all by outsiders, a
    park in Wuxi with no use at all; a member of Nanjing's owning university among the users."""
    from booking.accounts.service import create_user
    from booking.organisations.service import create_organisation, put_in

    from support import PASSWORD, valid_uscc

    with app.app_context():
        nanjing = Platform(
            code="NJAT", name_zh="宁川大学分析测试中心", name_en="Ningchuan University Analysis and Testing Center",
            city_zh="南京", city_en="Nanjing", kind="university_lab", timezone="Asia/Shanghai", booking_rules={},
            opening_hours=HOURS, address="南京市栖霞区仙林大道 163 号 科技楼",
            introduction_zh="宁川大学分析测试中心成立于 2003 年，是学校面向校内外开放的大型仪器共享平台。\n"
                            "中心拥有电子显微镜、X 射线衍射、核磁共振等大型仪器 120 余台。",
            introduction_en="Founded in 2003, the centre shares the university's large instruments with researchers "
                            "and companies.\nOver 120 instruments: electron microscopy, X-ray diffraction, NMR.",
            accreditation="CMA 2015100123；CNAS L5678", contact_name="王老师 / Ms Wang", phone="+86 25 8359 1234",
            email="service@atc.example.edu", website="https://atc.example.edu")
        suzhou = Platform(code="SZTC", name_zh="苏州相城检测认证中心", name_en="Suzhou Xiangcheng Testing Center",
                          city_zh="苏州", city_en="Suzhou", kind="testing_centre", timezone="Asia/Shanghai",
                          booking_rules={}, website="javascript:alert(1)")
        wuxi = Platform(code="WXXC", name_zh="无锡锡创众创空间", name_en="Wuxi Xichuang Maker Space", city_zh="无锡",
                        city_en="Wuxi", kind="incubator", timezone="Asia/Shanghai", booking_rules={})
        db.session.add_all([nanjing, suzhou, wuxi])
        db.session.flush()
        titles = [("场发射扫描电子显微镜", "Field-emission scanning electron microscope"),
                  ("X射线单晶衍射仪", "Single-crystal X-ray diffractometer"),
                  ("600 MHz 核磁共振波谱仪", "600 MHz NMR spectrometer")]
        resources = [Resource(platform_id=nanjing.id, external_id=f"NJAT-{n}", kind="instrument", title=zh,
                              title_en=en, bookable=True, keywords=[], attributes={}, price_amount=Decimal("300"),
                              price_currency="CNY", price_unit="hour") for n, (zh, en) in enumerate(titles)]
        resources += [Resource(platform_id=nanjing.id, external_id="NJAT-T1", kind="testing_service",
                               title="材料成分分析", title_en="Materials composition analysis", bookable=False,
                               orderable=True, keywords=[], attributes={})]
        xrd = Resource(platform_id=suzhou.id, external_id="SZ-1", kind="instrument", title="X射线衍射仪",
                       title_en="X-ray diffractometer", bookable=True, keywords=[], attributes={})
        db.session.add_all([*resources, xrd])
        outsider = create_user("startup@example.com", PASSWORD, name="Startup", verified=True)
        member = create_user("member@example.com", PASSWORD, name="Member", verified=True)
        university = create_organisation(None, verified=True, name="宁川大学", name_en="Ningchuan University",
                                         uscc=valid_uscc(1), kind="university", city="南京")
        startup = create_organisation(None, verified=True, name="启恒科技", name_en="Qiheng Tech", uscc=valid_uscc(2),
                                      kind="startup", city="南京")
        put_in(university, member, "member")
        put_in(startup, outsider, "member")
        nanjing.owner_org_id = university.id
        db.session.flush()
        start = (datetime.now(UTC) - timedelta(days=40)).replace(hour=1, minute=0, second=0, microsecond=0)
        for resource, user, hours, offset in ((resources[0], outsider, 3, 0), (resources[0], member, 3, 1),
                                              (resources[1], outsider, 2, 2), (xrd, outsider, 4, 0)):
            begin = start + timedelta(days=offset)
            end = begin + timedelta(hours=hours)
            db.session.add(Reservation(resource_id=resource.id, user_id=user.id, start=begin, end=end,
                                       block_start=begin, block_end=end, status="completed", checked_in_at=begin,
                                       checked_out_at=end, created_at=begin - timedelta(days=2)))
        db.session.commit()


def shoot(page: Any, name: str) -> None:
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def ranked(page: Any) -> list[str]:
    return page.locator("table.ranking-table tbody th[scope=row] a").all_inner_texts()


def test_the_ranking_and_a_platform_page_in_a_real_browser(live_server: Any, browser: Any) -> None:
    app, base = live_server
    seed(app)
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        page.set_default_timeout(15000)

        # In Chinese, from the navigation.
        page.goto(f"{base}/?lang=zh")
        page.click("nav.nav >> text=平台")
        page.wait_for_url(f"{base}/platforms")
        assert page.locator("h1").inner_text() == "平台与共享绩效"
        assert ranked(page) == ["苏州相城检测认证中心", "宁川大学分析测试中心", "无锡锡创众创空间"]  # share rate, highest first
        headers = page.locator("table.ranking-table thead").inner_text()
        assert "共享率" in headers and "有效工作机时" in headers
        shoot(page, "platforms-ranking-zh-desktop")

        # In English; share rate lowest first, then a city filter.
        page.goto(f"{base}/platforms?lang=en")
        assert "Platforms and their sharing performance" in page.locator("h1").inner_text()
        page.click("table.ranking-table thead >> text=Share rate")
        page.wait_for_url("**sort=share_rate&dir=asc**")
        assert ranked(page)[:2] == ["Ningchuan University Analysis and Testing Center", "Suzhou Xiangcheng Testing Center"]
        nanjing_row = page.locator("table.ranking-table tbody tr", has_text="Ningchuan")
        assert nanjing_row.locator("[data-figure=share_rate]").inner_text().strip() == "62.5%"  # 5 of 8 hours by outsiders
        shoot(page, "platforms-ranking-en-desktop")
        page.select_option("select[name=city]", "南京")
        page.click("form.ranking-filters button[type=submit]")
        page.wait_for_url("**city=**")
        assert ranked(page) == ["Ningchuan University Analysis and Testing Center"]

        # One platform's page.
        page.click("table.ranking-table tbody th[scope=row] a")
        page.wait_for_url(f"{base}/platforms/NJAT")
        assert page.locator("h1").inner_text() == "Ningchuan University Analysis and Testing Center"
        assert "Founded in 2003" in page.locator(".platform-introduction").inner_text()
        assert "CNAS L5678" in page.locator(".platform-introduction").inner_text()
        contacts = page.locator(".platform-contacts")
        assert contacts.locator("a[href='https://atc.example.edu']").count() == 1
        assert "+86 25 8359 1234" in contacts.inner_text()
        assert page.locator(".platform-hours table.hours tr").count() == 7
        assert page.locator(".platform-resources li a").count() == 4
        shoot(page, "platform-page-en-desktop")
        page.click(".platform-resources li a >> text=Field-emission scanning electron microscope")
        page.wait_for_url("**/resources/*")

        page.goto(f"{base}/platforms/SZTC?lang=zh")
        assert page.locator(".platform-contacts a[href^='javascript']").count() == 0
        shoot(page, "platform-page-zh-desktop")

        # On a phone.
        page.set_viewport_size({"width": 390, "height": 844})
        page.goto(f"{base}/platforms?lang=zh")
        shoot(page, "platforms-ranking-zh-phone")
        page.goto(f"{base}/platforms/NJAT?lang=zh")
        shoot(page, "platform-page-zh-phone")
    finally:
        context.close()
