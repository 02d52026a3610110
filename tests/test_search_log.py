"""Demand that was not met: every search is logged (page and API), result clicks are recorded through
signed links, and staff and administrators read zero-result and unclicked queries by week."""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from booking.extensions import db
from booking.models import SearchLog
from booking.searching import searchlog
from booking.searching.params import SearchParams
from booking.searching.searchlog import click_token, demand_by_week, log_search
from booking.searching.service import apply_outbox

GO = re.compile(r'href="(/search/go/(\d+)/(\d+)\?t=([0-9a-f]+))"')


def rows() -> list[SearchLog]:
    db.session.rollback()  # the log is written on a connection of its own: look with a fresh transaction
    return list(db.session.scalars(sa.select(SearchLog).order_by(SearchLog.id)))


@pytest.fixture
def catalogue(make_platform, make_resource):
    nj = make_platform(code="NJ", city_zh="南京", city_en="Nanjing")
    sz = make_platform(code="SZ", city_zh="苏州", city_en="Suzhou")
    sem = make_resource(platform=nj, title="扫描电子显微镜", title_en="Scanning electron microscope")
    xrd = make_resource(platform=sz, city="苏州", title="X射线衍射仪", title_en="X-ray diffractometer")
    apply_outbox()
    return nj, sz, sem, xrd


def test_page_and_api_searches_are_logged(client, auth, catalogue, make_user):
    nj, sz, sem, xrd = catalogue
    user = make_user(email="reader@example.com")
    api = client.get("/api/v1/search?q=XRD&platform=SZ&page=1", headers={**auth.token(user.email),
                                                                          "Accept-Language": "zh"})
    assert api.status_code == 200
    assert client.get("/search?q=%20%20SEM%20&kind=instrument&lang=en").status_code == 200
    assert client.get("/search?q=冷冻电镜&lang=zh").status_code == 200
    by_api, page, nothing = rows()
    assert (page.source, page.query, page.query_key, page.lang, page.page, page.user_id) == ("web", "SEM", "sem",
                                                                                             "en", 1, None)
    assert page.filters == '{"kind":["instrument"]}' and page.total == 1 and page.platforms == ",NJ,"
    assert page.clicked_resource_id is None and page.clicks == 0
    assert page.week == page.created_at.astimezone(searchlog.ZoneInfo("Asia/Shanghai")).date() - timedelta(
        days=page.created_at.astimezone(searchlog.ZoneInfo("Asia/Shanghai")).weekday())
    assert (by_api.source, by_api.query, by_api.user_id, by_api.lang, by_api.total) == ("api", "XRD", user.id, "zh", 1)
    assert by_api.filters == '{"platform":["SZ"]}' and by_api.platforms == ",SZ,"
    assert nothing.total == 0 and nothing.query == "冷冻电镜" and nothing.platforms == ""
    # Nothing personal beyond the account id: no address, agent, session or e-mail column.
    assert {c.name for c in SearchLog.__table__.columns} == {
        "id", "created_at", "week", "source", "query", "query_key", "filters", "platforms", "total", "page", "lang",
        "user_id", "clicked_resource_id", "clicked_at", "clicks"}


def test_a_bad_search_is_not_logged_twice_nor_as_a_500(client, catalogue):
    assert client.get("/api/v1/search?kind=robot").status_code == 400
    assert rows() == []


def test_a_click_goes_through_a_signed_link_to_the_resource(client, catalogue):
    nj, sz, sem, xrd = catalogue
    html = client.get("/search?lang=en").get_data(as_text=True)  # browsing: both resources
    links = {int(rid): url for url, _log, rid, _t in GO.findall(html)}
    assert set(links) == {sem.id, xrd.id}
    first = client.get(links[xrd.id])
    assert first.status_code == 303 and first.headers["Location"] == f"/resources/{xrd.id}"
    client.get(links[sem.id])
    (logged,) = rows()
    assert logged.clicked_resource_id == xrd.id and logged.clicks == 2 and logged.clicked_at is not None

    # A forged signature, another search's id or an unknown resource record nothing.
    forged = client.get(f"/search/go/{logged.id}/{sem.id}?t=0123456789abcdef01234567")
    assert forged.status_code == 303 and forged.headers["Location"] == f"/resources/{sem.id}"
    assert client.get(f"/search/go/{logged.id}/{sem.id}").status_code == 303
    assert client.get(f"/search/go/{logged.id}/999999?t={click_token(logged.id, 999999)}").status_code == 404
    stranger = client.get(f"/search/go/{logged.id + 1}/{sem.id}?t={click_token(logged.id + 1, sem.id)}")
    assert stranger.status_code == 303
    assert rows()[0].clicks == 2
    # No open redirect: whatever else the link carries, it leads to the resource page.
    odd = client.get(f"{links[sem.id]}&next=https://evil.example/&url=//evil.example")
    assert odd.headers["Location"] == f"/resources/{sem.id}"


def test_an_old_search_takes_no_more_clicks(client, catalogue):
    nj, sz, sem, xrd = catalogue
    long_ago = datetime.now(UTC) - timedelta(days=3)
    log_id = log_search(SearchParams(q="SEM"), 1, ["NJ"], source="web", lang="zh", user_id=None, now=long_ago)
    response = client.get(f"/search/go/{log_id}/{sem.id}?t={click_token(log_id, sem.id)}")
    assert response.status_code == 303
    assert rows()[0].clicks == 0


def test_a_logging_failure_never_breaks_a_search(client, catalogue, monkeypatch):
    nj, sz, sem, xrd = catalogue

    def broken() -> None:
        raise RuntimeError("the log table is gone")

    monkeypatch.setattr(searchlog, "_brief_connection", broken)
    page = client.get("/search?q=SEM&lang=en")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f'href="/resources/{sem.id}"' in html and "/search/go/" not in html  # plain links then
    assert client.get("/api/v1/search?q=SEM").get_json()["total"] == 1
    assert client.get(f"/search/go/1/{sem.id}?t={click_token(1, sem.id)}").status_code == 303


def test_a_lock_on_the_log_costs_the_log_row_not_the_search(client, catalogue, database_url):
    """Another transaction holds the lock the insert needs (SQLite: the database's write lock, as a
    booking does; PostgreSQL: the table): the search answers at once, its row is given up."""
    import time

    engine = sa.create_engine(database_url)
    other = engine.connect()
    try:
        if other.dialect.name == "sqlite":
            other.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            other.begin()
            other.exec_driver_sql("LOCK TABLE search_log IN ACCESS EXCLUSIVE MODE")
        began = time.monotonic()
        assert client.get("/search?q=SEM").status_code == 200
        assert client.get("/api/v1/search?q=SEM").status_code == 200
        assert time.monotonic() - began < 5
    finally:
        other.rollback()
        other.close()
        engine.dispose()
    assert rows() == []
    assert client.get("/search?q=SEM").status_code == 200 and len(rows()) == 1  # and the next one is logged


# ---------------------------------------------------------------- reading it: demand by week


def monday(weeks_ago: int) -> datetime:
    today = datetime.now(searchlog.ZoneInfo("Asia/Shanghai")).date()
    d = today - timedelta(days=today.weekday(), weeks=weeks_ago)
    return datetime(d.year, d.month, d.day, 10, tzinfo=searchlog.ZoneInfo("Asia/Shanghai"))


def search(q: str, total: int, when: datetime, *, platform: list[str] = (), shown: list[str] = (), lang: str = "zh",
           source: str = "web", clicked: int | None = None) -> int:
    log_id = log_search(SearchParams(q=q, platform=list(platform)), total, shown, source=source, lang=lang,
                        user_id=None, now=when)
    if clicked is not None:
        assert searchlog.record_click(log_id, clicked, click_token(log_id, clicked), now=when)
    return log_id


@pytest.fixture
def history(catalogue):
    nj, sz, sem, xrd = catalogue
    this, last = monday(0), monday(1)
    search("冷冻电镜", 0, this)
    search("冷冻电镜", 0, this + timedelta(hours=1), lang="en")
    search("Cryo-EM", 0, this, platform=["NJ"])
    search("XRD", 3, this, shown=["SZ"])                      # found, nobody clicked
    search("xrd", 3, this + timedelta(hours=2), shown=["SZ"])  # the same words: one query
    search("SEM", 2, this, shown=["NJ"], clicked=sem.id)      # found and clicked
    search("SEM", 2, this + timedelta(hours=1), shown=["NJ"])  # …so SEM had a click this week
    search("SEM", 2, this, shown=["NJ"], source="api")         # API: clicks unknown, never "unclicked"
    search("", 5, this, shown=["NJ", "SZ"])                    # browsing the catalogue: no demand
    search("拉曼光谱", 0, last)
    search("AFM", 4, last, shown=["NJ"])
    search("古老的查询", 0, monday(12))                           # outside the weeks shown
    return nj, sz, sem, xrd


def test_demand_by_week_reads_zero_result_and_unclicked_queries(app, history):
    weeks = demand_by_week(weeks=8)
    assert [w.week for w in weeks] == [monday(0).date(), monday(1).date()]
    this, last = weeks
    assert this.searches == 9 and this.zero_searches == 3 and this.unclicked_searches == 3
    assert [(r.query, r.searches, r.langs, r.filters) for r in this.zero] == [
        ("冷冻电镜", 2, ["en", "zh"], {}), ("Cryo-EM", 1, ["zh"], {"platform": ["NJ"]})]
    assert [(r.query.lower(), r.searches, r.results) for r in this.unclicked] == [("xrd", 2, 3)]
    assert [r.query for r in last.zero] == ["拉曼光谱"] and [r.query for r in last.unclicked] == ["AFM"]
    assert this.iso_week.startswith(str(monday(0).isocalendar()[0]))
    # One platform: searches filtered to it, or showing its resources.
    nj_this, nj_last = demand_by_week(weeks=8, platform="NJ")
    assert [r.query for r in nj_this.zero] == ["Cryo-EM"] and nj_this.unclicked == []
    assert [r.query for r in nj_last.unclicked] == ["AFM"] and nj_last.zero == []
    (sz_this,) = demand_by_week(weeks=8, platform="SZ")
    assert [r.query.lower() for r in sz_this.unclicked] == ["xrd"] and sz_this.zero == []
    assert len(demand_by_week(weeks=52)) == 3


def test_staff_see_their_platforms_demand_and_all_of_it_on_asking(client, auth, history, make_user):
    nj, sz, sem, xrd = history
    make_user(email="staff@example.com", role="staff", platform=nj)
    auth.login("staff@example.com")
    mine = client.get("/staff/demand?lang=en").get_data(as_text=True)
    assert "Cryo-EM" in mine and "AFM" in mine
    assert '<span class="tag">Test Platform 1</span>' in mine  # Cryo-EM's filter, by the platform's name
    assert "冷冻电镜" not in mine and "XRD" not in mine and "拉曼光谱" not in mine
    assert f"Week of {monday(0).date().isoformat()}" in mine and "Found nothing" in mine
    everything = client.get("/staff/demand?scope=all&lang=en").get_data(as_text=True)
    assert "冷冻电镜" in everything and "拉曼光谱" in everything and "古老的查询" not in everything
    assert "古老的查询" in client.get("/staff/demand?scope=all&weeks=26").get_data(as_text=True)
    assert client.get("/staff/demand?weeks=banana&scope=nonsense").status_code == 200
    assert 'href="/staff/demand"' in client.get("/staff?lang=en").get_data(as_text=True)  # a tab of the staff pages
    assert client.get("/admin/demand").status_code == 403
    zh = client.get("/staff/demand?lang=zh")
    assert zh.status_code == 200 and '<html lang="zh-CN">' in zh.get_data(as_text=True)


def test_admins_see_all_and_users_get_403(client, auth, history, make_user):
    make_user(email="admin@example.com", role="admin")
    make_user(email="user@example.com")
    assert client.get("/admin/demand").status_code == 302  # log in first
    auth.login("user@example.com")
    assert client.get("/staff/demand").status_code == 403
    assert client.get("/admin/demand").status_code == 403
    auth.logout()
    auth.login("admin@example.com")
    html = client.get("/admin/demand?lang=en").get_data(as_text=True)
    assert "冷冻电镜" in html and "Cryo-EM" in html and "AFM" in html
    only_sz = client.get("/admin/demand?platform=SZ&lang=en").get_data(as_text=True)
    assert "XRD" in only_sz.upper() and "冷冻电镜" not in only_sz and "AFM" not in only_sz
    assert 'href="/admin/demand"' in client.get("/admin/?lang=en").get_data(as_text=True)
    assert client.get("/admin/demand?platform=NOPE").status_code == 200  # an unknown code: all platforms


def test_filters_read_as_labels(app):
    from flask_babel import force_locale

    from booking.web.demand import describe_filters

    with app.test_request_context("/?lang=en"), force_locale("en"):
        labels = describe_filters({"kind": ["instrument"], "platform": ["NJ", "GONE"], "city": ["苏州"],
                                   "max_price": 500.0, "bookable": True,
                                   "available_from": "2027-03-02T09:00:00+08:00",
                                   "available_to": "2027-03-02T12:00:00+08:00"}, {"NJ": "Nanjing Lab"})
    assert labels == ["Instrument", "Nanjing Lab", "GONE", "苏州", "at most ¥500", "bookable",
                      "free 2027-03-02 09:00–12:00"]
