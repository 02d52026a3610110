"""Issue 10, "Bugs to fix on the way", seen from the outside: the web, the API and the command line,
on SQLite and PostgreSQL.

1. ONESTOP_INDEX_DIR pointed at a folder holding other files (the instance folder): nothing in it is
   deleted; the CLI exits 1 with one line, the web answers 503.
2. An empty catalogue (a fresh install) searches without a 500.
3. A page past the last one says which pages exist.
4. The free-time filter refuses a past interval, speaks the visitor's language, prints the year.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from booking.searching.service import apply_outbox

SHANGHAI = ZoneInfo("Asia/Shanghai")


def snapshot(folder: Path) -> dict[str, bytes | str]:
    out: dict[str, bytes | str] = {}
    for p in sorted(folder.rglob("*")):
        rel = str(p.relative_to(folder))
        out[rel] = ("-> " + os.readlink(p)) if p.is_symlink() else p.read_bytes() if p.is_file() else "dir"
    return out


def sqlite_side_files(names: set[str]) -> set[str]:
    return {n for n in names if n.endswith(("-wal", "-shm", "-journal"))}


@pytest.fixture
def crowded_instance(app, database_url, tmp_path):
    """An instance folder as an operator has it: the database file, the secret key, the outbox."""
    folder = tmp_path / "crowded"
    folder.mkdir()
    if database_url.startswith("sqlite:///"):
        shutil.copy(database_url.removeprefix("sqlite:///"), folder / "onestop.db")
        url = f"sqlite:///{folder / 'onestop.db'}"
    else:
        (folder / "onestop.db").write_bytes(b"SQLite format 3\x00 an old database kept beside")
        url = database_url
    (folder / "secret_key").write_text("do-not-lose-me")
    (folder / "outbox").mkdir()
    (folder / "outbox" / "1.eml").write_text("Subject: kept")
    return folder, url


# ---------------------------------------------------------------- 1. data loss


def test_web_search_with_the_index_in_a_crowded_folder_is_503_and_deletes_nothing(app, client, crowded_instance,
                                                                                   caplog):
    folder, _url = crowded_instance
    app.config["ONESTOP_INDEX_DIR"] = str(folder)
    app.extensions.pop("onestop_index", None)
    before = snapshot(folder.parent)

    page = client.get("/search?q=电镜&lang=en")
    assert page.status_code == 503
    html = page.get_data(as_text=True)
    assert "Search is unavailable" in html and str(folder) not in html  # no server paths to visitors
    assert client.get("/search?lang=zh").status_code == 503

    api = client.get("/api/v1/search?q=SEM")
    assert api.status_code == 503
    body = api.get_json()
    assert body["error"] == "search_unavailable" and body["message"] and str(folder) not in body["message"]

    assert snapshot(folder.parent) == before  # nothing deleted, moved or added
    assert any(str(folder) in r.getMessage() and "ONESTOP_INDEX_DIR" in r.getMessage() for r in caplog.records)


def test_cli_with_the_index_in_a_crowded_folder_exits_1_and_deletes_nothing(app, crowded_instance):
    folder, url = crowded_instance
    env = {**os.environ, "ONESTOP_DATABASE_URL": url, "ONESTOP_INDEX_DIR": str(folder),
           "ONESTOP_INSTANCE": str(folder)}
    before = snapshot(folder.parent)
    for args in (["search", "电镜"], ["search", "SEM", "--json"], ["index", "rebuild"], ["index", "sync"]):
        run = subprocess.run([sys.executable, "-m", "booking", *args], env=env, capture_output=True, text=True,
                             timeout=120)
        assert run.returncode == 1, (args, run.stdout, run.stderr)
        lines = run.stderr.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in run.stderr, run.stderr
        assert str(folder) in lines[0] and "not a OneStop index" in lines[0] and "onestop.db" in lines[0]
        after = snapshot(folder.parent)
        assert {k: after[k] for k in before} == before, args  # every file still there, unchanged
        assert set(after) - set(before) <= sqlite_side_files(set(after)), args


def test_import_with_the_index_in_a_crowded_folder_says_so_in_one_line(app, database_url, crowded_instance,
                                                                        make_platform):
    make_platform(code="NJNC")
    folder, _copy = crowded_instance
    url = database_url  # the live database, with the platform
    feed = folder.parent / "feed.jsonl"
    feed.write_text('{"platform": "NJNC", "external_id": "S1", "kind": "testing_service", "title": "盐雾试验"}\n',
                    encoding="utf-8")
    env = {**os.environ, "ONESTOP_DATABASE_URL": url, "ONESTOP_INDEX_DIR": str(folder),
           "ONESTOP_INSTANCE": str(folder)}
    secret = (folder / "secret_key").read_text()
    run = subprocess.run([sys.executable, "-m", "booking", "import", str(feed)], env=env, capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 1 and "1 created" in run.stdout
    assert "Traceback" not in run.stderr and "the search index was not updated" in run.stderr
    assert (folder / "secret_key").read_text() == secret and (folder / "outbox" / "1.eml").exists()


# ---------------------------------------------------------------- 2. the empty catalogue


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_an_empty_catalogue_searches_without_error(client, lang):
    for url in ("/search", "/search?q=", "/search?q=电镜", "/search?kind=instrument&sort=price",
                "/search?q=&page=2"):
        response = client.get(f"{url}{'&' if '?' in url else '?'}lang={lang}")
        assert response.status_code == 200, url
    empty = client.get(f"/search?lang={lang}").get_data(as_text=True)
    assert ("Nothing found." if lang == "en" else "没有找到") in empty
    for url in ("/api/v1/search", "/api/v1/search?q=", "/api/v1/search?q=SEM&bookable=1",
                "/api/v1/search?sort=newest&kind=patent"):
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.get_json()
        assert body["total"] == 0 and body["hits"] == []
        assert body["facets"] == {"kind": {}, "platform": {}, "city": {}, "category": {}}


# ---------------------------------------------------------------- 3. past the last page


def test_a_page_past_the_last_says_which_pages_exist(client, make_resource):
    for i in range(23):
        make_resource(title=f"拉力试验机 {i}", title_en=f"Tensile tester {i}")
    apply_outbox()
    html = client.get("/search?q=拉力试验机&page=7&lang=en").get_data(as_text=True)
    assert "23 results" in html
    assert "Nothing found." not in html
    assert "There are only 3 pages of results." in html
    assert "page=3" in html and "Page 7 of 3" not in html
    assert "Nothing found." not in client.get("/search?page=5&lang=en").get_data(as_text=True)

    last = client.get("/search?q=拉力试验机&page=3&lang=en").get_data(as_text=True)
    assert "Page 3 of 3" in last and "There are only" not in last

    api = client.get("/api/v1/search?q=拉力试验机&page=7")
    assert api.status_code == 200
    body = api.get_json()
    assert body["total"] == 23 and body["hits"] == [] and body["page"] == 7


def test_one_page_of_results_past_it(client, make_resource):
    make_resource(title="拉力试验机")
    apply_outbox()
    html = client.get("/search?q=拉力试验机&page=2&lang=en").get_data(as_text=True)
    assert "There is only 1 page of results." in html and "Nothing found." not in html


# ---------------------------------------------------------------- 4. the free-time filter


def future_day(days: int = 10) -> str:
    return (datetime.now(SHANGHAI) + timedelta(days=days)).date().isoformat()


def test_a_past_interval_is_refused_by_the_api_with_its_field(client):
    response = client.get("/api/v1/search?available_from=2020-03-02T09:00%2B08:00"
                          "&available_to=2020-03-02T12:00%2B08:00&lang=en")
    assert response.status_code == 400
    body = response.get_json()
    assert body["error"] == "bad_request" and "available_from" in body["fields"]
    assert "2020-03-02 09:00" in body["message"] and "past" in body["message"]


@pytest.mark.parametrize("day", ["2020-03-02", "0001-01-01", "9999-12-31", "2027-02-30"])
def test_a_bad_day_is_an_error_beside_the_form_not_a_500(client, make_resource, day):
    make_resource(title="扫描电镜", kind="instrument")
    make_resource(title="扫描电镜检测", kind="testing_service", bookable=False, orderable=True)
    apply_outbox()
    response = client.get(f"/search?q=扫描电镜&kind=instrument&date={day}&start=09:00&end=12:00&lang=en")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'id="avail-error"' in html and 'aria-invalid="true"' in html
    assert "1 results" in html  # the words and the kind filter are kept, the window dropped
    if day == "2020-03-02":
        assert "2020-03-02 09:00 is in the past" in html


def test_an_end_before_the_start_names_both_with_the_year(client):
    day = future_day()
    html = client.get(f"/search?date={day}&start=12:00&end=09:00&lang=en").get_data(as_text=True)
    assert f"must be after its start ({day} 12:00)" in html and 'id="avail-error"' in html


def test_a_coming_interval_is_shown_with_its_year(client, make_resource):
    make_resource(title="扫描电镜", opening_hours=None)
    apply_outbox()
    day = future_day()
    html = client.get(f"/search?date={day}&start=09:00&end=12:00&lang=en").get_data(as_text=True)
    assert f"free {day} 09:00–12:00" in html and 'id="avail-error"' not in html
    assert "1 resources" in html
    body = client.get(f"/api/v1/search?available_from={day}T09:00%2B08:00&available_to={day}T12:00%2B08:00")
    assert body.status_code == 200 and body.get_json()["total"] == 1


def test_the_free_time_messages_are_translatable(tmp_path):
    """Every message of the filter goes through gettext, so the Chinese catalogue can carry it."""
    from babel.messages.pofile import read_po

    root = Path(__file__).resolve().parent.parent
    pot = tmp_path / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg", "-o", str(pot), "."],
                   cwd=root, check=True, capture_output=True)
    with pot.open("rb") as fh:
        ids = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(fh) if m.id}
    for msgid in ("%(start)s is in the past: choose a day and time from now on.",
                  "The end of the free time (%(end)s) must be after its start (%(start)s).",
                  "The free time can span at most %(days)s days.",
                  "give both %(start)s and %(end)s",
                  "%(name)s must be a whole number",
                  "There is only %(num)s page of results.",
                  "Search is unavailable at the moment: the search index is not set up correctly. Please try "
                  "again later, or tell the site's administrators."):
        assert msgid in ids, msgid


def test_a_chinese_page_shows_the_free_time_error_in_chinese(client, monkeypatch):
    """With the message in the catalogue (as a translator will add it), the Chinese page shows it."""
    import flask_babel

    msgid = "%(start)s is in the past: choose a day and time from now on."
    original = flask_babel.Domain.get_translations

    def with_message(self):
        translations = original(self)
        if str(flask_babel.get_locale()) == "zh":
            monkeypatch.setitem(translations._catalog, msgid, "%(start)s 已经过去：请选择今后的日期和时间。")
        return translations

    monkeypatch.setattr(flask_babel.Domain, "get_translations", with_message)
    html = client.get("/search?date=2020-03-02&start=09:00&end=12:00&lang=zh").get_data(as_text=True)
    assert "2020-03-02 09:00 已经过去" in html
    assert "is in the past" not in html
