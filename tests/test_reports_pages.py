"""/staff/reports and /admin/reports: who sees what, the period picker's errors, drill-downs that
list exactly the bookings a figure counts, the XLSX and CSV downloads, and the inline SVG charts
(no script, no outside address, labels escaped, titles in the page's language).

The bookings fall in the last complete month (the pages' default period), so they have happened.
"""
from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
from openpyxl import load_workbook
from test_reports_figures import book, order

from booking.reports.figures import usage_report
from booking.reports.scope import report_scope
from booking.web.report_pages import last_complete_month

EVIL = "<script>alert('x')</script>电镜"


def _shanghai_today() -> Any:
    from zoneinfo import ZoneInfo

    return datetime.now(ZoneInfo("Asia/Shanghai")).date()


@pytest.fixture
def shop(make_platform, make_resource, make_user, make_org) -> dict[str, Any]:
    period = last_complete_month(_shanghai_today())
    day = datetime.combine(period.first + timedelta(days=1), time(1), tzinfo=UTC)  # 09:00 in Shanghai, the 2nd
    a = make_platform(code="PA", name_zh="材料平台", name_en="Materials platform", opening_hours=None)
    b = make_platform(code="PB", name_zh="柏林平台", name_en="Berlin platform", timezone="Europe/Berlin",
                      tracks_check_in=False, city_zh="柏林", city_en="Berlin")
    r1 = make_resource(platform=a, title=EVIL, title_en=EVIL)
    r2 = make_resource(platform=a, title="扫描电镜", title_en="Scanning electron microscope")
    r3 = make_resource(platform=b, title="流式细胞仪", title_en="Flow cytometer")
    test = make_resource(platform=a, kind="testing_service", title="拉伸试验", title_en="Tensile test", bookable=False,
                         orderable=True)
    inside, stranger, sme_user = make_user(name="Inside"), make_user(name="Stranger"), make_user(name="Sme")
    make_org(members={inside: "member"}, owns=[a], kind="university")
    make_org(members={sme_user: "member"}, kind="sme")
    book(r1, inside, day, day + timedelta(hours=2), checked_in=day, checked_out=day + timedelta(hours=2), actual="100")
    book(r1, stranger, day + timedelta(days=1), day + timedelta(days=1, hours=3), checked_in=day + timedelta(days=1),
         checked_out=day + timedelta(days=1, hours=3), actual="300")
    book(r1, stranger, day + timedelta(days=2), day + timedelta(days=2, hours=1), "no_show", estimate="50")
    book(r2, stranger, day + timedelta(days=3), day + timedelta(days=3, hours=1), checked_in=day + timedelta(days=3),
         checked_out=day + timedelta(days=3, hours=1), actual="80")
    book(r3, sme_user, day + timedelta(days=4), day + timedelta(days=4, hours=4), "confirmed", estimate="40")
    order(test, sme_user, 4, "600", None, {"received": day, "completed": day + timedelta(days=5)})
    return {
        "period": period, "a": a, "b": b, "r1": r1, "r2": r2, "r3": r3, "test": test,
        "staff_a": make_user(role="staff", platform=a), "staff_b": make_user(role="staff", platform=b),
        "admin": make_user(role="admin"), "user": stranger,
    }


def month_token(shop: dict[str, Any]) -> str:
    first = shop["period"].first
    return f"{first.year}-{first.month:02d}"


def svgs(html: str) -> list[str]:
    return re.findall(r"<svg\b.*?</svg>", html, flags=re.S)


def test_staff_see_their_platform_by_default(client, auth, shop):
    auth.login(shop["staff_a"].email)
    response = client.get("/staff/reports?lang=en")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Scanning electron microscope" in html and "Flow cytometer" not in html
    assert f'value="{month_token(shop)}"' in html  # the last complete month, pre-selected
    assert "6.00" in html  # effective hours: 2 + 3 + 1
    assert "<script>alert" not in html and "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html
    assert 'href="/staff/reports"' in html or "/staff/reports?" in html  # the tab in the staff navigation
    start = html.index('id="waiting"')
    waiting = html[start:html.index("</section>", start)]
    rows = re.findall(r'<tr>\s*<th scope="row"><a href="/resources/(\d+)"', waiting)
    assert rows == [str(shop["r1"].id), str(shop["r2"].id)]  # the busiest first; PB's instrument not shown
    assert "figure=bookings" in waiting and "group=resource" in waiting  # each count opens its bookings


def test_staff_asking_for_another_platform_get_403(client, auth, shop):
    auth.login(shop["staff_a"].email)
    token = month_token(shop)
    for path in ("/staff/reports?platform=PB", f"/staff/reports/behind?figure=effective_hours&period={token}&platform=PB",
                 f"/staff/reports/export.xlsx?period={token}&platform=PB", "/admin/reports"):
        assert client.get(path).status_code == 403, path
    unknown = client.get("/staff/reports?platform=NOPE&lang=en")
    assert unknown.status_code == 400 and "No platform with code NOPE" in unknown.get_data(as_text=True)


def test_users_without_a_staff_role_are_kept_out(client, auth, shop):
    assert client.get("/staff/reports").status_code in (302, 303)  # to the login page
    auth.login(shop["user"].email)
    assert client.get("/staff/reports").status_code == 403
    assert client.get("/admin/reports").status_code == 403


def test_admin_sees_every_platform_and_the_share_chart(client, auth, shop):
    auth.login(shop["admin"].email)
    html = client.get("/admin/reports?lang=en").get_data(as_text=True)
    assert "Materials platform" in html and "Berlin platform" in html
    assert "Share rate by platform" in html
    assert "10.00" in html  # 6 hours at PA + 4 at PB
    one = client.get("/admin/reports?platform=PB&group=resource&lang=en").get_data(as_text=True)
    assert "Flow cytometer" in one and "Scanning electron microscope" not in one
    assert "The 10 instruments used most" in one
    by_city = client.get("/admin/reports?group=city&lang=en").get_data(as_text=True)
    assert "柏林" in by_city or "Berlin" in by_city
    staff_page = client.get("/staff/reports?platform=PB&lang=en")  # an administrator may read the staff page too
    assert staff_page.status_code == 200 and "Flow cytometer" in staff_page.get_data(as_text=True)


@pytest.mark.parametrize("query, message", [
    ("kind=month&month=2027-13", "Name a period as 2027"),
    ("kind=month&month=March", "Write the month as YYYY-MM"),
    ("kind=quarter&quarter=2027-Q5", "Write the quarter as YYYY-Qn"),
    ("kind=year&year=27", "Write the year as YYYY"),
    ("kind=custom&from=2027-03-10&to=2027-03-01", "The period ends before it starts."),
    ("kind=custom&from=2027-03-01&to=soon", "Write dates as YYYY-MM-DD."),
    ("kind=custom&from=2020-01-01&to=2026-01-01", "A report covers at most three years."),
    ("kind=fortnight", "Choose a month, a quarter, a year or a range of days."),
    ("period=last-year", "Name a period as 2027"),
    ("group=weekday", "Group the figures by resource, platform or city."),
])
def test_a_bad_period_or_grouping_is_a_400_page_with_a_message(client, auth, shop, query, message):
    auth.login(shop["staff_a"].email)
    response = client.get(f"/staff/reports?{query}&lang=en")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert message in html
    assert 'class="report-picker"' in html  # the picker stays, to correct the mistake
    assert "<svg" not in html


def test_the_picker_reads_each_kind_of_period(client, auth, shop):
    auth.login(shop["staff_a"].email)
    month = month_token(shop)
    year, number = month.split("-")
    quarter = f"{year}-Q{(int(number) - 1) // 3 + 1}"
    last = shop["period"].last.isoformat()
    for query, shown in ((f"kind=month&month={month}", f"{shop['period'].first.isoformat()} – {last}"),
                         (f"kind=quarter&quarter={quarter}", f"period={quarter}"),
                         (f"kind=year&year={year}", f"{year}-01-01 – {year}-12-31"),
                         (f"kind=custom&from={shop['period'].first.isoformat()}&to={last}", "period=")):
        response = client.get(f"/staff/reports?{query}&lang=en")
        assert response.status_code == 200, query
        assert shown in response.get_data(as_text=True), query


def behind_rows(html: str) -> int:
    return html.count('class="behind-row"')


def test_drill_down_lists_what_the_figure_counts(app, client, auth, shop):
    auth.login(shop["staff_a"].email)
    token = month_token(shop)
    report = usage_report(report_scope(shop["staff_a"]), shop["period"], "resource")
    r1 = next(row for row in report.rows if row.key == shop["r1"].id)
    page = client.get(f"/staff/reports?period={token}&group=resource&lang=en").get_data(as_text=True)
    link = f"/staff/reports/behind?figure=effective_hours&amp;key={shop['r1'].id}&amp;period={token}&amp;group=resource"
    assert link in page  # each figure links to its list

    html = client.get(link.replace("&amp;", "&") + "&lang=en").get_data(as_text=True)
    assert behind_rows(html) == 2 == r1.bookings - r1.no_shows  # the member's 2 hours, the stranger's 3
    assert "Stranger" in html and "Inside" in html and "¥300.00" in html
    no_shows = client.get(f"/staff/reports/behind?figure=no_shows&key={shop['r1'].id}&period={token}&group=resource")
    assert behind_rows(no_shows.get_data(as_text=True)) == r1.no_shows == 1
    external = client.get(f"/staff/reports/behind?figure=external_hours&period={token}").get_data(as_text=True)
    assert behind_rows(external) == 2  # the stranger's sessions on r1 and r2, across the platform
    orders = client.get(f"/staff/reports/behind?figure=orders_completed&period={token}&lang=en")
    assert behind_rows(orders.get_data(as_text=True)) == report.total.orders_completed == 1
    income = client.get(f"/staff/reports/behind?figure=income_external&period={token}&lang=en").get_data(as_text=True)
    assert 'id="behind-reservation"' in income and 'id="behind-order"' in income

    for query, message in (("figure=fame", "is not one"), ("figure=no_shows&group=resource&key=abc", "its number"),
                           ("figure=no_shows&page=0", "page number"), ("figure=no_shows&period=2027-13", "Name a period")):
        response = client.get(f"/staff/reports/behind?{query}&lang=en")
        assert response.status_code == 400 and message in response.get_data(as_text=True), query


def test_xlsx_and_csv_downloads(client, auth, shop):
    auth.login(shop["staff_a"].email)
    token = month_token(shop)
    response = client.get(f"/staff/reports/export.xlsx?period={token}&group=resource")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert f"onestop-report-PA-{token}.xlsx" in response.headers["Content-Disposition"]
    book_ = load_workbook(io.BytesIO(response.data), read_only=True)
    assert book_.sheetnames[:3] == ["报告 Report", "仪器 Instruments", "机时 Hours"]
    instruments = list(book_["仪器 Instruments"].iter_rows(values_only=True))
    assert instruments[0][0] == "仪器名称" and instruments[1][0] == "Instrument"
    by_name = {row[0]: row for row in instruments[2:]}
    assert set(by_name) == {EVIL, "扫描电镜"}
    assert by_name[EVIL][7] == 5.0  # effective hours

    hours = client.get(f"/staff/reports/export.csv?period={token}&table=hours")
    assert hours.status_code == 200 and hours.mimetype == "text/csv"
    assert hours.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(hours.data.decode("utf-8-sig"))))
    assert rows[0][:3] == ["名称", "英文名称", "开放机时"] and rows[1][:2] == ["Name", "Name (English)"]
    assert rows[-1][:2] == ["合计", "Total"] and float(rows[-1][4]) == 6.0

    page = client.get(f"/staff/reports?period={token}&lang=en").get_data(as_text=True)
    assert "/staff/reports/export.xlsx?" in page and "/staff/reports/export.csv?" in page
    assert client.get(f"/staff/reports/export.csv?period={token}&table=nope").status_code == 400
    assert client.get(f"/staff/reports/export.pdf?period={token}").status_code == 400
    assert client.get("/staff/reports/export.xlsx?period=2027-13").status_code == 400


def test_charts_are_inline_svg_without_script_or_outside_addresses(client, auth, shop):
    auth.login(shop["staff_a"].email)
    html = client.get(f"/staff/reports?period={month_token(shop)}&lang=en").get_data(as_text=True)
    charts = svgs(html)
    assert len(charts) == 4  # the monthly trend, the heat map, the ten used most and least
    for svg in charts:
        assert "<script" not in svg and "<!--" not in svg
        assert set(re.findall(r"https?://[^\s\"'<>]+", svg)) <= {"http://www.w3.org/2000/svg"}
        assert 'role="img"' in svg
    titles = ("Effective and external hours by month", "Utilisation by weekday and hour",
              "The 10 instruments used most", "The 10 instruments used least")
    for title, svg in zip(titles, charts):
        assert title in svg
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in charts[2] or "&lt;script&gt;" in charts[2]
    assert "<script>alert" not in html
    assert html.count("<caption>") >= len(charts)  # each chart's numbers as a table


def test_chart_titles_follow_the_page_language(client, auth, shop):
    auth.login(shop["staff_a"].email)
    token = month_token(shop)
    zh = client.get(f"/staff/reports?period={token}&lang=zh").get_data(as_text=True)
    for title in ("按月有效机时与对外服务机时", "按星期和小时的使用率", "使用率最高的 10 台仪器", "使用率最低的 10 台仪器"):
        assert title in zh
    assert "Effective and external hours by month" not in zh
    assert "时段" in zh or "月份" in zh  # an axis title
    en = client.get(f"/staff/reports?period={token}&lang=en").get_data(as_text=True)
    assert "Effective and external hours by month" in en and "按月有效机时与对外服务机时" not in en


def test_share_chart_draws_thirty_platforms_and_tabulates_all(app):
    from booking.reports.charts import share_chart
    from booking.reports.figures import FigureRow

    rows = [FigureRow(n, {"name_zh": f"平台{n}", "name_en": f"Platform {n}"}, effective_hours=10.0,
                      external_hours=float(n % 10)) for n in range(40)]
    rows.append(FigureRow(99, {"name_zh": "无机时", "name_en": "Idle"}))  # no effective hours: no share rate
    with app.test_request_context("/?lang=en"):
        chart = share_chart(rows, "en")
    svg = str(chart.svg)
    assert len(chart.rows) == 40 and chart.rows[0][1] == "90.0%"
    assert sum(f">Platform {n}<" in svg for n in range(40)) == 30
    assert "Idle" not in svg and "Share rate by platform" in svg


def test_a_drill_down_names_nothing_of_another_platform(client, auth, shop):
    """Staff who put another platform's resource id in a drill-down link get a 400, not its name."""
    auth.login(shop["staff_a"].email)
    token = month_token(shop)
    mine = client.get(f"/staff/reports/behind?figure=bookings&key={shop['r1'].id}&group=resource&period={token}&lang=en")
    assert mine.status_code == 200
    theirs = client.get(f"/staff/reports/behind?figure=bookings&key={shop['r3'].id}&group=resource"
                        f"&period={token}&lang=en")
    html = theirs.get_data(as_text=True)
    assert theirs.status_code == 400 and "Flow cytometer" not in html and "not part of this report" in html
    platform = client.get(f"/staff/reports/behind?figure=bookings&key={shop['b'].id}&group=platform&period={token}")
    assert platform.status_code == 400
