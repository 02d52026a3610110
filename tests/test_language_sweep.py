"""Every page finished in both languages (issue 12): rules in their largest unit, no raw codes
(countries, order statuses, feed keys and values), error pages in the reader's language, English
pages that lead with English (titles keep the unit, descriptions and snippets their English part)."""
from __future__ import annotations

import csv
import io
import re
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask_babel import force_locale
from werkzeug.exceptions import InternalServerError, MethodNotAllowed

from booking.engine.timefmt import duration_label
from booking.models.resource import english_title, paragraphs_first
from booking.searching.service import apply_outbox
from booking.web.filters import attribute_label, attribute_value, category_label, error_message

from support.orders import at_status

CJK = re.compile(r"[\u4e00-\u9fff]")
BILINGUAL = "本平台场发射扫描电子显微镜一台，主要功能：微观形貌观察。\nThe field-emission SEM images surfaces at high resolution."


@contextmanager
def in_language(app, lang: str):
    """A request context in `lang`, as a page would be drawn (forced: the app's context caches the locale)."""
    with app.test_request_context(f"/?lang={lang}"), force_locale(lang):
        yield


def shown_error(response) -> str:
    """The message an error page shows its reader."""
    return re.search(r'<p class="error-message">(.*?)</p>', response.get_data(as_text=True), re.S).group(1).strip()


@pytest.mark.parametrize(("minutes", "zh", "en"), [
    (2880, "2 天", "2 days"), (1440, "1 天", "1 day"), (120, "2 小时", "2 hours"), (60, "1 小时", "1 hour"),
    (90, "90 分钟", "90 minutes"), (1500, "25 小时", "25 hours"), (15, "15 分钟", "15 minutes"),
])
def test_a_rule_in_minutes_reads_in_its_largest_whole_unit(app, minutes, zh, en):
    with in_language(app, "zh"):
        assert duration_label(minutes) == zh
    with in_language(app, "en"):
        assert duration_label(minutes) == en


def test_english_titles_keep_the_unit_of_the_chinese_one():
    assert english_title("X-ray Diffractometer D8 ADVANCE", "X射线衍射仪 D8 ADVANCE（4号机）") == \
        "X-ray Diffractometer D8 ADVANCE (Unit 4)"
    assert english_title("Raman Microscope", "拉曼光谱仪") == "Raman Microscope"
    assert english_title("SEM (Unit 2)", "扫描电镜（2号机）") == "SEM (Unit 2)"  # said once only


def test_two_instruments_with_one_english_title_look_different_on_an_english_page(make_resource):
    first = make_resource(title="场发射扫描电子显微镜 Apreo 2（2号机）", title_en="Field Emission SEM Apreo 2")
    second = make_resource(title="场发射扫描电子显微镜 Apreo 2（5号机）", title_en="Field Emission SEM Apreo 2")
    assert first.display_title("en") != second.display_title("en")
    assert second.display_title("en") == "Field Emission SEM Apreo 2 (Unit 5)"
    assert second.display_title("zh") == "场发射扫描电子显微镜 Apreo 2（5号机）"


def test_a_bilingual_description_leads_with_the_readers_language():
    english_first = paragraphs_first(BILINGUAL, "en")
    assert english_first.startswith("The field-emission SEM") and english_first.endswith("微观形貌观察。")
    assert paragraphs_first(BILINGUAL, "zh") == BILINGUAL
    assert paragraphs_first("Only English.", "zh") == "Only English."


def test_feed_values_and_keys_are_named_in_the_readers_language(app):
    with in_language(app, "en"):
        assert attribute_value("US", "country") == "United States"
        assert attribute_value("UK", "country") == "United Kingdom"
        assert attribute_value(["委托测试", "培训后自主操作"], "service_modes") == \
            "Testing on commission, Self-operated after training"
        assert attribute_value("发明专利", "patent_type") == "Invention patent"
        assert category_label("仪器设备/电子显微镜") == "Instruments / Electron microscopy"
        assert attribute_label("force_kN") == "Force (kN)"
        assert attribute_label("load_cell_kN") == "load cell (kN)"  # an unknown key, spelt out with its unit
        assert attribute_value("Apreo 2", "model") == "Apreo 2"  # data stays as written
    with in_language(app, "zh"):
        assert attribute_value("DE", "country") == "德国"
        assert attribute_value(["委托测试"], "service_modes") == "委托测试"
        assert category_label("仪器设备/电子显微镜") == "仪器设备/电子显微镜"
        assert attribute_label("force_kN") == "力值（kN）"


def test_the_resource_page_names_the_country_in_either_language(client, make_resource):
    resource = make_resource(attributes={"country": "JP", "service_modes": ["自主上机"]})
    zh = client.get(f"/resources/{resource.id}?lang=zh").get_data(as_text=True)
    assert "日本" in zh and ">JP<" not in zh
    en = client.get(f"/resources/{resource.id}?lang=en").get_data(as_text=True)
    assert "Japan" in en and "Self-operated" in en and "自主上机" not in en


def test_a_get_of_a_post_only_address_is_a_finished_page_in_chinese(client, make_resource):
    resource = make_resource()
    response = client.get(f"/resources/{resource.id}/book?lang=zh")
    assert response.status_code == 405
    assert shown_error(response).startswith("这个地址不能这样打开")
    english = client.get(f"/resources/{resource.id}/book?lang=en")
    assert shown_error(english).startswith("This address cannot be opened like that")


def test_a_form_sent_without_its_token_says_so_in_chinese(client):
    response = client.post("/login?lang=zh", data={"email": "a@example.com", "password": "x"})
    assert response.status_code == 400
    assert shown_error(response).startswith("表单已过期")


def test_error_texts_of_werkzeug_are_replaced_and_our_own_kept(app):
    with in_language(app, "zh"):
        assert error_message(500, InternalServerError.description) == "系统出错了，没有做任何更改；请稍后再试。"
        assert error_message(405, MethodNotAllowed.description).startswith("这个地址不能这样打开")
        assert error_message(400, "日期格式不对。") == "日期格式不对。"
        assert error_message(418, None) == "无法理解这个请求。请返回后重试。"


def test_statements_name_order_statuses_on_the_page_and_in_the_csv(app, client, auth, world):
    order = at_status(world, "completed")
    month = order.created_at.strftime("%Y-%m")
    auth.login(world.user.email)
    page = client.get(f"/statements?month={month}&lang=zh").get_data(as_text=True)
    assert "已完成" in page and ">completed<" not in page
    assert f"OR-{order.created_at:%Y}-{order.id:06d}" in page  # the order's readable reference, as everywhere
    rows = list(csv.reader(io.StringIO(client.get(f"/statements.csv?month={month}&lang=en").get_data(as_text=True))))
    order_rows = [row for row in rows if row and row[0].lstrip("\ufeff") == "order"]
    assert order_rows and order_rows[0][6] == "Completed"


def test_english_search_results_lead_with_english_titles_snippets_and_categories(client, make_resource):
    make_resource(title="场发射扫描电子显微镜（3号机）", title_en="Field Emission Scanning Electron Microscope",
                  description=BILINGUAL, category="仪器设备/电子显微镜", keywords=["SEM"])
    apply_outbox()
    page = client.get("/search?q=SEM&lang=en").get_data(as_text=True)
    assert "Field Emission Scanning Electron Microscope (Unit 3)" in page
    snippet = re.search(r'<p class="snippet">(.*?)</p>', page, re.S).group(1)
    assert snippet.startswith("The field-emission") and not CJK.search(snippet)
    assert "Instruments / Electron microscopy" in page
    chinese = client.get("/search?q=SEM&lang=zh").get_data(as_text=True)
    chinese_snippet = re.search(r'<p class="snippet">(.*?)</p>', chinese, re.S).group(1)
    assert chinese_snippet.startswith("本平台") and "field-emission" not in chinese_snippet
    assert "仪器设备/电子显微镜" in chinese


def test_long_descriptions_are_cut_with_more_on_the_platform_page(client, make_platform, make_resource):
    platform = make_platform(code="LONG")
    long_text = "The instrument is described at length. " * 12
    resource = make_resource(platform=platform, description=long_text)
    page = client.get("/platforms/LONG?lang=en").get_data(as_text=True)
    summary = re.search(r'<p class="muted small resource-summary">(.*?)</p>', page, re.S).group(1)
    assert "…" in summary and f'href="/resources/{resource.id}"' in summary and ">more</a>" in summary
    assert len(re.sub(r"<[^>]+>", "", summary)) < len(long_text)
    assert ">更多</a>" in client.get("/platforms/LONG?lang=zh").get_data(as_text=True)


def test_english_pages_take_a_latin_font_first(client):
    css = (Path(__file__).resolve().parent.parent / "booking/static/style.css").read_text(encoding="utf-8")
    english = re.search(r"html:lang\(en\)\s*\{\s*font-family:\s*var\(--latin\)", css)
    chinese = re.search(r"html:lang\(zh\)\s*\{\s*font-family:\s*var\(--cjk\)", css)
    assert english and chinese
    assert '<html lang="en">' in client.get("/?lang=en").get_data(as_text=True)


def test_a_booking_says_its_time_zone_as_a_place(client, auth, make_user, make_resource):
    from datetime import UTC, datetime, timedelta

    from booking.engine.reservations import create_reservation
    from booking.extensions import db

    user = make_user()
    resource = make_resource(opening_hours=None)
    start = (datetime.now(UTC) + timedelta(days=3)).replace(hour=2, minute=0, second=0, microsecond=0)
    booking = create_reservation(user, resource, start, start + timedelta(hours=1))
    db.session.commit()
    auth.login(user.email)
    mine = client.get("/bookings?lang=zh").get_data(as_text=True)
    assert "上海时间" in mine
    detail = client.get(f"/bookings/{booking.id}?lang=en").get_data(as_text=True)
    assert "Shanghai time" in detail and 'title="Asia/Shanghai"' in detail


def test_a_list_cuts_long_texts_on_a_whole_word():
    from booking.web.filters import clip

    assert clip("short", 20) == ""  # fits: shown whole, no "more"
    cut = clip("The X-ray diffractometer is used for phase identification and crystallite size.", 40)
    assert cut == "The X-ray diffractometer is used for…"
    assert clip("本平台场发射扫描电子显微镜一台，主要功能：微观形貌观察、断口分析。", 10) == "本平台场发射扫描电子…"


def form_messages(response) -> list[str]:
    """The error messages a form page shows beside its fields and above them."""
    html = response.get_data(as_text=True)
    return [m.strip() for m in re.findall(r'class="(?:error|field-error|errors|flash flash-error)[^"]*"[^>]*>([^<]+)<', html)
            if m.strip()]


def test_registration_and_password_change_speak_chinese(client, auth, make_user):
    from support import PASSWORD, csrf_token

    client.get("/?lang=zh")
    response = client.post("/register", data={"email": "not-an-address", "name": "", "password": "short",
                                              "confirm": "other", "csrf_token": csrf_token(client, "/register")})
    messages = form_messages(response)
    assert response.status_code == 422 and messages
    assert all(CJK.search(m) and not re.search(r"[A-Za-z]{4,}", m.replace("Email", "")) for m in messages), messages
    user = make_user(language="zh")
    auth.login(user.email)
    token = csrf_token(client, "/account")
    response = client.post("/account?lang=zh", data={"pw-current_password": "wrong " + PASSWORD, "pw-new_password": "short",
                                                     "pw-confirm": "short", "csrf_token": token})
    messages = form_messages(response)
    assert response.status_code == 422 and messages
    assert all(CJK.search(m) and not re.search(r"[A-Za-z]{4,}", m) for m in messages), messages
