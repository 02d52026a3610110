"""The public platform pages (issue 13): /platforms/<code> and the ranking at /platforms.

Two platforms in Nanjing and Suzhou; bookings forty days ago (always inside the last twelve
complete months): Nanjing's instrument used 2 h by an outsider and 2 h by a member of its owning
organisation, Suzhou's 3 h by an outsider.
"""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from html import unescape
from typing import Any

import pytest

from booking.extensions import db
from booking.models import Reservation
from booking.web.platforms.cache import ranking_cache
from booking.web.platforms.headline import last_complete_months

HOURS = {d: [["08:30", "12:00"], ["13:30", "17:30"]] for d in ("mon", "tue", "wed", "thu", "fri")}


def used(resource: Any, user: Any, hours: int, days_ago: int = 40) -> Reservation:
    start = (datetime.now(UTC) - timedelta(days=days_ago)).replace(minute=0, second=0, microsecond=0)
    end = start + timedelta(hours=hours)
    reservation = Reservation(resource_id=resource.id, user_id=user.id, start=start, end=end, block_start=start,
                              block_end=end, status="completed", checked_in_at=start, checked_out_at=end,
                              fee_actual=Decimal("100"), created_at=start - timedelta(days=2))
    db.session.add(reservation)
    db.session.commit()
    return reservation


@pytest.fixture
def province(make_platform, make_resource, make_user, make_org) -> dict[str, Any]:
    nanjing = make_platform(
        code="NJAT", name_zh="宁川大学分析测试中心", name_en="Ningchuan Analysis Centre", city_zh="南京",
        city_en="Nanjing", kind="university_lab", address="南京市栖霞区仙林大道 1 号", opening_hours=HOURS,
        introduction_zh="中心成立于 2003 年。\n\n拥有大型仪器 120 台。",
        introduction_en="Founded in 2003.\nOver 120 large instruments.",
        accreditation="CMA 2015100123; CNAS L1234", contact_name="王老师", phone="+86 25 8359 1234",
        email="service@atc.example.edu", website="https://atc.example.edu/share")
    suzhou = make_platform(code="SZTC", name_zh="苏州检测认证中心", name_en="Suzhou Testing Centre", city_zh="苏州",
                           city_en="Suzhou", kind="testing_centre", opening_hours=None)
    sem = make_resource(platform=nanjing, title="场发射扫描电镜", title_en="Field-emission SEM", opening_hours=None)
    make_resource(platform=nanjing, kind="testing_service", title="金属拉伸试验", title_en="Tensile testing",
                  bookable=False, orderable=True)
    make_resource(platform=nanjing, title="已下线的仪器", title_en="Withdrawn instrument", status="withdrawn")
    xrd = make_resource(platform=suzhou, title="X射线衍射仪", title_en="X-ray diffractometer", opening_hours=None)
    outsider, member = make_user(), make_user()
    make_org(members={member: "member"}, owns=[nanjing], kind="university")
    make_org(members={outsider: "member"}, kind="startup")
    bookings = [used(sem, outsider, 2), used(sem, member, 2), used(xrd, outsider, 3)]
    return {"nanjing": nanjing, "suzhou": suzhou, "sem": sem, "xrd": xrd, "bookings": bookings,
            "outsider": outsider, "member": member}


def text_of(response: Any) -> str:
    """The page as a reader sees it: tags out, entities decoded, spaces squeezed."""
    html = response.get_data(as_text=True)
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def figure(html: str, key: str) -> str:
    match = re.search(rf'data-figure="{key}">\s*<dt[^>]*>[^<]*</dt>\s*<dd>(.*?)</dd>', html, re.S)
    assert match, key
    return re.sub(r"<[^>]+>", "", match[1]).strip()


def test_the_public_page_shows_the_profile_in_both_languages(client, province):
    zh = client.get("/platforms/NJAT?lang=zh")
    assert zh.status_code == 200
    page = text_of(zh)
    for expected in ("宁川大学分析测试中心", "南京", "南京市栖霞区仙林大道 1 号", "中心成立于 2003 年。", "拥有大型仪器 120 台。",
                     "CMA 2015100123; CNAS L1234", "王老师", "+86 25 8359 1234", "service@atc.example.edu",
                     "场发射扫描电镜", "金属拉伸试验", "Asia/Shanghai", "08:30–12:00, 13:30–17:30"):
        assert expected in page, expected
    assert "已下线的仪器" not in page  # withdrawn resources are not offered
    html = zh.get_data(as_text=True)
    assert "<p>中心成立于 2003 年。</p>" in html and "<p>拥有大型仪器 120 台。</p>" in html  # a paragraph per line
    assert '<a href="https://atc.example.edu/share"' in html
    assert f'href="/resources/{province["sem"].id}"' in html or f'/resources/{province["sem"].id}"' in html
    en = text_of(client.get("/platforms/NJAT?lang=en"))
    for expected in ("Ningchuan Analysis Centre", "University laboratory", "Nanjing", "Founded in 2003.",
                     "Field-emission SEM", "Not rated yet", "Contact person"):
        assert expected in en, expected


def test_the_page_shows_the_last_twelve_months_figures(client, province):
    html = client.get("/platforms/NJAT?lang=en").get_data(as_text=True)
    assert figure(html, "effective_hours") == "4.0"
    assert figure(html, "external_hours") == "2.0"
    assert figure(html, "share_rate") == "50.0%"
    assert re.fullmatch(r"0\.\d%", figure(html, "utilisation"))  # 4 h of a year of the platform's weekday hours
    assert figure(html, "users_served") == "2"
    assert figure(html, "orders_completed") == "0"
    suzhou = client.get("/platforms/SZTC?lang=en").get_data(as_text=True)
    assert figure(suzhou, "share_rate") == "100.0%" and figure(suzhou, "smes_served") == "1"
    period = last_complete_months(datetime.now(UTC).date())
    assert period.first.isoformat() in text_of(client.get("/platforms/NJAT?lang=en"))


def test_the_introduction_is_escaped(client, make_platform):
    make_platform(code="EVIL", introduction_zh='<script>alert("x")</script>\n<b>粗体</b>',
                  accreditation="<i>CMA</i>", contact_name="<img src=x onerror=alert(1)>")
    html = client.get("/platforms/EVIL?lang=zh").get_data(as_text=True)
    assert "<script>alert" not in html and "<b>粗体</b>" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html or "&lt;script&gt;" in html
    assert "&lt;b&gt;粗体&lt;/b&gt;" in html and "&lt;i&gt;CMA&lt;/i&gt;" in html


@pytest.mark.parametrize("website", ["javascript:alert(1)", "JavaScript:alert(1)", "data:text/html,hi",
                                     "//evil.example", "www.example.com"])
def test_a_website_that_is_not_http_is_shown_but_not_linked(client, make_platform, website):
    make_platform(code="ODD", website=website)
    html = client.get("/platforms/ODD?lang=en").get_data(as_text=True)
    assert 'href="javascript' not in html.lower() and 'href="data:' not in html and 'href="//evil' not in html
    assert re.search(r'<dd class="website">([^<]*)</dd>', html)[1] == website.replace("&", "&amp;")


def test_an_unknown_platform_is_404(client, province):
    for path in ("/platforms/NOPE", "/platforms/" + "X" * 40, "/platforms/NJAT%00"):
        response = client.get(path + "?lang=en")
        assert response.status_code == 404, path
        assert "This page does not exist" in response.get_data(as_text=True)


def test_resources_are_paged_twenty_at_a_time_and_filtered_by_kind(client, make_platform, make_resource):
    lab = make_platform(code="BIG")
    for n in range(23):
        make_resource(platform=lab, title=f"仪器 {n:02d}", title_en=f"Instrument {n:02d}")
    for n in range(2):
        make_resource(platform=lab, kind="patent", title=f"专利 {n}", title_en=f"Patent {n}", bookable=False)
    first = text_of(client.get("/platforms/BIG?lang=en"))
    assert "Instrument 00" in first and "Instrument 19" in first and "Instrument 20" not in first
    assert "1 / 2" in first and "All (25)" in first and "Patent (2)" in first
    second = text_of(client.get("/platforms/BIG?lang=en&page=2"))
    assert "Instrument 20" in second and "Patent 1" in second and "Instrument 00" not in second
    patents = client.get("/platforms/BIG?lang=en&kind=patent").get_data(as_text=True)
    assert re.findall(r'<li><a href="/resources/\d+">([^<]+)</a>', patents) == ["Patent 0", "Patent 1"]
    for query in ("kind=rocket", "page=0", "page=x", "page=99999999999"):
        response = client.get(f"/platforms/BIG?lang=en&{query}")
        assert response.status_code == 400, query
    assert "Choose a kind of resource" in client.get("/platforms/BIG?lang=en&kind=rocket").get_data(as_text=True)


def ranked_names(response: Any) -> list[str]:
    html = response.get_data(as_text=True)
    return re.findall(r'<th scope="row"><a href="/platforms/([^"]+)"', html)


def test_the_ranking_lists_every_platform_with_its_figures(client, province, make_platform):
    make_platform(code="IDLE", name_en="Idle Park", city_zh="无锡", city_en="Wuxi", kind="science_park")
    response = client.get("/platforms?lang=en")
    assert response.status_code == 200
    page = text_of(response)
    assert "Ningchuan Analysis Centre" in page and "Suzhou Testing Centre" in page and "Idle Park" in page
    # default: share rate, highest first; a platform with nothing to divide by comes last
    assert ranked_names(response) == ["SZTC", "NJAT", "IDLE"]
    html = response.get_data(as_text=True)
    assert re.search(r'data-figure="share_rate">\s*100\.0%', html) and re.search(r'data-figure="share_rate">\s*50\.0%', html)
    zh = text_of(client.get("/platforms?lang=zh"))
    assert "宁川大学分析测试中心" in zh and "共享率" in zh


def test_the_ranking_sorts_by_each_column(client, province):
    assert ranked_names(client.get("/platforms?sort=share_rate&dir=asc")) == ["NJAT", "SZTC"]
    assert ranked_names(client.get("/platforms?sort=effective_hours&dir=desc")) == ["NJAT", "SZTC"]
    assert ranked_names(client.get("/platforms?sort=effective_hours&dir=asc")) == ["SZTC", "NJAT"]
    assert ranked_names(client.get("/platforms?sort=users_served")) == ["NJAT", "SZTC"]
    assert ranked_names(client.get("/platforms?sort=name&lang=en")) == ["NJAT", "SZTC"]
    assert ranked_names(client.get("/platforms?sort=name&dir=desc&lang=en")) == ["SZTC", "NJAT"]
    for key in ("city", "kind", "external_hours", "utilisation", "smes_served", "orders_completed", "rating"):
        assert client.get(f"/platforms?sort={key}").status_code == 200, key


def test_the_ranking_filters_by_city_and_kind(client, province):
    assert ranked_names(client.get("/platforms?city=苏州")) == ["SZTC"]
    assert ranked_names(client.get("/platforms?city=Nanjing")) == ["NJAT"]
    assert ranked_names(client.get("/platforms?kind=testing_centre")) == ["SZTC"]
    assert ranked_names(client.get("/platforms?kind=testing_centre&city=南京")) == []
    assert "No platform matches" in text_of(client.get("/platforms?kind=testing_centre&city=南京&lang=en"))


@pytest.mark.parametrize("query, message", [
    ("sort=price", "Sort by one of"), ("sort=share_rate&dir=up", "asc or desc"),
    ("kind=castle", "Choose a kind of platform"), ("city=Atlantis", "No platform is in the city Atlantis"),
])
def test_the_ranking_refuses_unknown_parameters_with_400(client, province, query, message):
    response = client.get(f"/platforms?{query}&lang=en")
    assert response.status_code == 400
    assert message in text_of(response)


def test_the_figures_are_cached_for_an_hour(app, client, province, make_user):
    clock = [1000.0]
    cache = ranking_cache(app)
    cache.clock = lambda: clock[0]
    cache.clear()

    def suzhou_hours() -> str:
        html = client.get("/platforms?lang=en&city=Suzhou").get_data(as_text=True)
        return re.search(r'data-figure="effective_hours">\s*([\d.,]+)', html)[1]

    assert suzhou_hours() == "3.0"
    def page_hours() -> str:
        return figure(client.get("/platforms/SZTC?lang=en").get_data(as_text=True), "effective_hours")

    assert page_hours() == "3.0"
    used(province["xrd"], make_user(), 5, days_ago=45)
    clock[0] += 59 * 60
    assert suzhou_hours() == "3.0" and page_hours() == "3.0"  # still the cached figures
    clock[0] += 2 * 60
    assert suzhou_hours() == "8.0" and page_hours() == "8.0"  # an hour later: computed again


def test_the_cache_computes_once_for_concurrent_readers():
    import threading
    import time

    from booking.web.platforms.cache import TimedCache

    calls = []

    def slow() -> int:
        calls.append(1)
        time.sleep(0.05)
        return 42

    cache = TimedCache(ttl=60)
    results: list[int] = []
    threads = [threading.Thread(target=lambda: results.append(cache.get("k", slow))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [42] * 8 and len(calls) == 1


def test_ratings_show_on_the_page_and_in_the_ranking(client, province):
    from booking.engine.ratings import rate_reservation

    first, second, suzhou = province["bookings"]
    rate_reservation(province["outsider"], first, 5, "清晰")
    rate_reservation(province["member"], second, 4, "")
    rate_reservation(province["outsider"], suzhou, 3, "")
    db.session.commit()
    page = text_of(client.get("/platforms/NJAT?lang=en"))
    assert "★★★★★ 4.5 (2 ratings)" in page  # 4.5 rounds up to five stars
    ranking_cache(client.application).clear()
    assert ranked_names(client.get("/platforms?sort=rating")) == ["NJAT", "SZTC"]
    assert ranked_names(client.get("/platforms?sort=rating&dir=asc")) == ["SZTC", "NJAT"]


def test_the_navigation_links_to_the_platforms(client):
    assert 'href="/platforms"' in client.get("/?lang=en").get_data(as_text=True)
