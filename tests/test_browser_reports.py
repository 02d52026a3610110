"""A platform's staff read their sharing-performance report in real headless Chromium (SQLite):
pick a period, see the SVG charts with their titles in English and in Chinese, follow a figure to
the bookings behind it. Screenshots (desktop and a 390 px phone) go to $ONESTOP_SCREENSHOTS.
"""
from __future__ import annotations

import random
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from test_browser_booking import verified_org
from test_browser_orders import SHOTS, shoot

from booking.extensions import db
from booking.models import Platform, Reservation, Resource
from booking.web.report_pages import last_complete_month

from support import PASSWORD, browser_log_in

pytestmark = pytest.mark.browser
INSTRUMENTS = (("场发射扫描电镜", "Field-emission SEM"), ("X 射线衍射仪", "X-ray diffractometer"),
               ("激光共聚焦显微镜", "Confocal microscope"), ("核磁共振波谱仪", "NMR spectrometer"),
               ("透射电镜", "Transmission electron microscope"), ("热重分析仪", "Thermogravimetric analyser"),
               ("流式细胞仪", "Flow cytometer"), ("原子力显微镜", "Atomic force microscope"))


def seed(app: Any) -> datetime:
    """A platform with eight instruments used over the three months before this one; returns the
    start of the last complete month."""
    from booking.accounts.service import create_user

    period = last_complete_month(datetime.now(ZoneInfo("Asia/Shanghai")).date())
    with app.app_context():
        platform = Platform(code="NJMA", name_zh="南京材料分析平台", name_en="Nanjing Materials Analysis Platform",
                            city_zh="南京", city_en="Nanjing", timezone="Asia/Shanghai", booking_rules={},
                            opening_hours={d: [["08:00", "20:00"]] for d in ("mon", "tue", "wed", "thu", "fri")})
        db.session.add(platform)
        db.session.flush()
        resources = []
        for n, (zh, en) in enumerate(INSTRUMENTS):
            resource = Resource(platform_id=platform.id, external_id=f"NJMA-{n}", kind="instrument", title=zh,
                                title_en=en, bookable=True, keywords=[], attributes={"model": f"M-{n}"})
            db.session.add(resource)
            resources.append(resource)
        create_user("staff@njma.example", PASSWORD, name="Lab Office", role="staff", platform_code="NJMA",
                            language="en", verified=True)
        inside = create_user("inside@njma.example", PASSWORD, name="Dr Inside", verified=True)
        outside = create_user("li@startup.example", PASSWORD, name="Li Startup", verified=True)
        verified_org(1, "南京大学", "Nanjing University", "university", members=[inside], owns=[platform])
        verified_org(2, "启明科技有限公司", "Qiming Tech", "startup", members=[outside])
        create_user("admin@onestop.example", PASSWORD, name="Programme Office", role="admin", language="en",
                    verified=True)
        other = Platform(code="SZBT", name_zh="苏州生物技术平台", name_en="Suzhou Biotech Platform", city_zh="苏州",
                         city_en="Suzhou", timezone="Asia/Shanghai", booking_rules={})
        db.session.add(other)
        db.session.flush()
        for n, (zh, en) in enumerate((("高通量测序仪", "High-throughput sequencer"), ("质谱仪", "Mass spectrometer"))):
            resource = Resource(platform_id=other.id, external_id=f"SZBT-{n}", kind="instrument", title=zh,
                                title_en=en, bookable=True, keywords=[], attributes={})
            db.session.add(resource)
            resources.append(resource)
        db.session.flush()
        rng = random.Random(13)
        zone = ZoneInfo("Asia/Shanghai")
        first = period.first
        start_day = (first.replace(day=1) - timedelta(days=62)).replace(day=1)
        day = start_day
        while day <= period.last:
            if day.weekday() < 5:
                for n, resource in enumerate(resources):
                    if rng.random() < 0.85 - n * 0.1:
                        hour = rng.choice((8, 9, 10, 13, 14, 15, 16))
                        length = rng.choice((1, 2, 2, 3, 4))
                        begin = datetime.combine(day, time(hour), tzinfo=zone).astimezone(UTC)
                        end = begin + timedelta(hours=length)
                        user = outside if rng.random() < 0.6 else inside
                        status = "no_show" if rng.random() < 0.05 else "completed"
                        db.session.add(Reservation(
                            resource_id=resource.id, user_id=user.id, start=begin, end=end, block_start=begin,
                            block_end=end, status=status, fee_actual=Decimal(150 * length),
                            checked_in_at=begin if status == "completed" else None,
                            checked_out_at=end if status == "completed" else None,
                            created_at=begin - timedelta(days=2)))
            day += timedelta(days=1)
        db.session.commit()
    return datetime.combine(first, time(0))


def test_staff_read_the_report_pick_a_period_and_drill_down(live_server: Any, browser: Any) -> None:
    app, base = live_server
    first = seed(app)
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        page.set_default_timeout(20000)
        browser_log_in(page, base, "staff@njma.example")
        page.goto(f"{base}/staff/reports?lang=en")
        assert page.locator("nav.tabs a.active").inner_text() == "Reports"
        trend = page.locator("#chart-trend svg")
        trend.wait_for(state="visible")
        assert "Effective and external hours by month" in trend.inner_html()

        # The year of the last complete month, through the picker.
        page.select_option("select[name=kind]", "year")
        assert page.locator("select[name=year]").is_visible() and not page.locator("input[name=month]").is_visible()
        page.select_option("select[name=year]", str(first.year))
        page.click("form.report-picker button[type=submit]")
        page.wait_for_url("**kind=year**")
        assert f"{first.year}-01-01 – {first.year}-12-31" in page.locator(".report-meta").inner_text()
        for slug in ("trend", "heat", "top", "bottom"):
            assert page.locator(f"#chart-{slug} svg").is_visible(), slug
        assert page.locator("#chart-trend .chart-table tbody tr").count() == 12
        assert "Field-emission SEM" in page.locator("#chart-top svg").inner_html()
        assert page.evaluate("document.documentElement.scrollWidth") <= 1280
        shoot(page, "reports-staff-year-desktop-en")
        for slug in ("trend", "heat", "top"):
            page.locator(f"#chart-{slug}").screenshot(path=str(SHOTS / f"reports-chart-{slug}-en.png"))
        page.click("#chart-heat summary")
        assert page.locator("#chart-heat table caption").inner_text() == "Utilisation by weekday and hour"
        shoot(page, "reports-staff-heat-numbers-desktop-en")

        # A figure leads to the bookings behind it.
        effective = page.locator("section.figures >> nth=0").locator("tbody tr >> nth=0").locator("td >> nth=2")
        shown = effective.inner_text()
        effective.locator("a").click()
        page.wait_for_url("**/staff/reports/behind?**figure=effective_hours**")
        assert page.locator("h1").inner_text() == "Effective hours"
        assert page.locator("tr.behind-row").count() > 0
        assert float(shown.replace(",", "")) > 0
        shoot(page, "reports-staff-behind-desktop-en")
        page.click("text=Back to the report")
        page.wait_for_url("**/staff/reports?**")

        # The same report in Chinese.
        page.goto(page.url + "&lang=zh")
        zh_trend = page.locator("#chart-trend svg")
        zh_trend.wait_for(state="visible")
        assert "按月有效机时与对外服务机时" in zh_trend.inner_html()
        assert "按星期和小时的使用率" in page.locator("#chart-heat svg").inner_html()
        assert "场发射扫描电镜" in page.locator("#chart-top svg").inner_html()
        shoot(page, "reports-staff-year-desktop-zh")
        page.locator("#chart-trend").screenshot(path=str(SHOTS / "reports-chart-trend-zh.png"))

        # On a phone the page fits and the tables scroll inside their frames.
        page.set_viewport_size({"width": 390, "height": 844})
        page.reload()
        page.locator("#chart-trend svg").wait_for(state="visible")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        shoot(page, "reports-staff-year-phone-zh")
        page.locator("#chart-trend").scroll_into_view_if_needed()
        page.screenshot(path=str(SHOTS / "reports-staff-charts-phone-zh.png"))
        page.goto(page.url.replace("lang=zh", "lang=en"))
        page.locator("#chart-trend svg").wait_for(state="visible")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        shoot(page, "reports-staff-year-phone-en")

        # The programme office compares the platforms.
        admin = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        browser_log_in(admin, base, "admin@onestop.example")
        admin.goto(f"{base}/admin?lang=en")
        admin.click("a.tile >> text=Reports")
        admin.wait_for_url("**/admin/reports")
        share = admin.locator("#chart-share svg")
        share.wait_for(state="visible")
        assert "Share rate by platform" in share.inner_html() and "Suzhou Biotech Platform" in share.inner_html()
        assert admin.locator("section.figures >> nth=0").locator("tbody tr").count() == 2
        shoot(admin, "reports-admin-desktop-en")
        admin.context.close()
    finally:
        context.close()
