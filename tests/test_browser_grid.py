"""Choosing a time on a resource's hour grid in headless Chromium: drag on a desktop, tap on a
phone in Chinese; the form follows, the rules clamp the choice, the booking is made."""
from __future__ import annotations

import os
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from booking.extensions import db
from booking.models import Closure, Platform, Reservation, Resource, User

PASSWORD = "a long browser-test password"
SHOTS = Path(os.environ.get("ONESTOP_GRID_SCREENSHOTS", "/tmp/shots/grid"))
SHANGHAI = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.browser


def at(day: date, hhmm: str) -> datetime:
    return datetime.combine(day, time.fromisoformat(hhmm), tzinfo=SHANGHAI)


def seed(app) -> tuple[int, date]:
    """A resource open 08:00–18:00 on weekdays, 4 h at most, 15 min between bookings; the platform
    closed until the week after next (so the page must look ahead); on that week's Wednesday
    another user holds 10:00–11:00. Answers the resource id and the Monday of that week."""
    from booking.accounts.service import create_user

    with app.app_context():
        today = datetime.now(SHANGHAI).date()
        monday = today - timedelta(days=today.weekday()) + timedelta(days=14)
        platform = Platform(code="NJNC", name_zh="宁川大学分析测试中心", name_en="Ningchuan University Analysis Center",
                            city_zh="南京", city_en="Nanjing", timezone="Asia/Shanghai", booking_rules={})
        db.session.add(platform)
        db.session.flush()
        resource = Resource(
            platform_id=platform.id, external_id="NJNC-2021-I00042", kind="instrument", title="场发射扫描电镜",
            title_en="Field-emission SEM", bookable=True, keywords=["SEM"],
            opening_hours={d: [["08:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
            booking_rules={"max_minutes": 240, "buffer_minutes": 15}, location="科技楼 B105")
        db.session.add(resource)
        db.session.add(Closure(platform_id=platform.id, start=datetime.now(UTC) - timedelta(days=1),
                               end=at(monday, "00:00").astimezone(UTC), title="年度检修 / Annual overhaul"))
        alice = create_user("alice@example.com", PASSWORD, name="Alice Wang", language="en", verified=True)
        bob = create_user("bob@example.com", PASSWORD, name="Bob Li", language="zh", verified=True)
        db.session.flush()
        wednesday = monday + timedelta(days=2)
        db.session.add(Reservation(resource_id=resource.id, user_id=bob.id, start=at(wednesday, "10:00"),
                                   end=at(wednesday, "11:00"), block_start=at(wednesday, "10:00"),
                                   block_end=at(wednesday, "11:15"), status="confirmed"))
        assert alice.id
        db.session.commit()
        return resource.id, monday


def login(page, base: str, lang: str = "en") -> None:
    page.goto(f"{base}/login?lang={lang}")
    page.fill("input[name=email]", "alice@example.com")
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url(f"{base}/")


def slot(page, day: date, hhmm: str):
    return page.locator(f'a.slot[data-day="{day.isoformat()}"][data-from="{hhmm}"]')


def drag(page, source, target) -> None:
    source.scroll_into_view_if_needed()
    a, b = source.bounding_box(), target.bounding_box()
    page.mouse.move(a["x"] + a["width"] / 2, a["y"] + a["height"] / 2)
    page.mouse.down()
    page.mouse.move(a["x"] + a["width"] / 2, a["y"] + a["height"] / 2 + 4, steps=2)
    page.mouse.move(b["x"] + b["width"] / 2, b["y"] + b["height"] / 2, steps=8)
    page.mouse.up()


def alices_bookings(app) -> list[tuple[datetime, datetime]]:
    with app.app_context():
        rows = db.session.scalars(sa.select(Reservation).join(User, User.id == Reservation.user_id).where(
            User.email == "alice@example.com", Reservation.status == "confirmed").order_by(Reservation.start)).all()
        return [(r.start.astimezone(SHANGHAI), r.end.astimezone(SHANGHAI)) for r in rows]


def test_drag_on_the_grid_chooses_a_clamped_window_and_books_it(live_server, browser):
    app, base = live_server
    resource_id, monday = seed(app)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.set_default_timeout(15000)
    login(page, base)

    # No week asked for: the page opens on the first week with free time, past the closure.
    page.goto(f"{base}/resources/{resource_id}?lang=en")
    assert page.locator(".week-title").inner_text().startswith(monday.isoformat())
    tuesday, wednesday = monday + timedelta(days=1), monday + timedelta(days=2)
    # The form is prefilled with the first free hour of that week, never a past time.
    assert page.input_value("input[name=day]") == monday.isoformat()
    assert (page.input_value("input[name=start]"), page.input_value("input[name=end]")) == ("08:00", "09:00")
    assert page.locator("td.c-booked").count() == 2 and page.locator("td.c-buffer").count() == 2
    page.screenshot(path=str(SHOTS / "grid-week-desktop-en.png"), full_page=True)

    # Drag from Tuesday 09:00 down to 15:30: at most 4 hours, so the choice stops at 13:00.
    drag(page, slot(page, tuesday, "09:00"), slot(page, tuesday, "15:30"))
    assert page.input_value("input[name=day]") == tuesday.isoformat()
    assert (page.input_value("input[name=start]"), page.input_value("input[name=end]")) == ("09:00", "13:00")
    choice = page.locator("[data-grid-choice]").inner_text()
    assert f"{tuesday.isoformat()} 09:00–13:00" in choice and "At most 4 hours" in choice
    assert page.locator("td.c-free.sel").count() == 8
    page.screenshot(path=str(SHOTS / "grid-drag-clamped-desktop-en.png"), full_page=True)

    # On Wednesday a drag down from 08:00 stops before the buffer ahead of another user's booking.
    drag(page, slot(page, wednesday, "08:00"), page.locator('td.c-booked').first)
    assert (page.input_value("input[name=start]"), page.input_value("input[name=end]")) == ("08:00", "09:30")

    # Keyboard: focus a cell, Enter chooses an hour from it; Shift+Down makes it longer.
    slot(page, tuesday, "14:00").focus()
    page.keyboard.press("Enter")
    assert (page.input_value("input[name=start]"), page.input_value("input[name=end]")) == ("14:00", "15:00")
    page.keyboard.press("Shift+ArrowDown")
    assert page.input_value("input[name=end]") == "15:30"

    # Times typed into the form show on the grid, with a word when they are not free.
    page.fill("input[name=day]", wednesday.isoformat())
    page.fill("input[name=start]", "08:00")
    page.fill("input[name=end]", "09:00")
    assert page.locator("td.sel").count() == 2
    assert page.locator("[data-grid-choice]").inner_text() == f"Chosen: {wednesday.isoformat()} 08:00–09:00 (1 hour)."
    page.fill("input[name=end]", "10:30")
    assert "is not all free here" in page.locator("[data-grid-choice]").inner_text()

    # Back to the clamped Tuesday window, and book it.
    drag(page, slot(page, tuesday, "09:00"), slot(page, tuesday, "15:30"))
    page.fill("textarea[name=purpose]", "Imaging of cathode particles")
    page.click("form.booking-form button[type=submit]")
    page.wait_for_url(f"{base}/bookings")
    assert "Booked Field-emission SEM" in page.locator(".flash-success").inner_text()
    assert alices_bookings(app) == [(at(tuesday, "09:00"), at(tuesday, "13:00"))]

    # The grid shows it as the visitor's own booking, and the buffer after it.
    page.goto(f"{base}/resources/{resource_id}?lang=en&week={monday.isoformat()}")
    assert page.locator("td.c-mine").count() == 8
    assert page.locator("td.c-mine .lbl").first.inner_text() == "Your booking"
    page.screenshot(path=str(SHOTS / "grid-booked-desktop-en.png"), full_page=True)


def test_tap_on_a_phone_in_chinese_books_with_a_24_hour_clock(live_server, browser):
    app, base = live_server
    resource_id, monday = seed(app)
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                  locale="en-US")  # an English browser: the page still shows 24-hour times
    page = context.new_page()
    page.set_default_timeout(15000)
    login(page, base, "zh")

    thursday = monday + timedelta(days=3)
    page.goto(f"{base}/resources/{resource_id}?lang=zh")
    assert page.locator(".week-title").inner_text().startswith(monday.isoformat())
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")  # nothing spills sideways
    # The day headings of seven narrow columns do not overlap one another.
    boxes = [page.locator("thead th.day-head").nth(i).bounding_box() for i in range(7)]
    for left, right in zip(boxes, boxes[1:]):
        assert left["x"] + left["width"] <= right["x"] + 0.5
    overflowing = page.evaluate("""Array.from(document.querySelectorAll('thead th.day-head span.wd, thead th.day-head span.dm'))
        .filter(e => e.offsetParent && e.scrollWidth > e.clientWidth + 1).length""")
    assert overflowing == 0
    page.screenshot(path=str(SHOTS / "grid-week-phone-zh.png"), full_page=True)

    # A tap chooses an hour; a second tap lower down extends the choice to that cell.
    slot(page, thursday, "14:00").tap()
    assert (page.input_value("input[name=start]"), page.input_value("input[name=end]")) == ("14:00", "15:00")
    slot(page, thursday, "16:00").tap()
    assert page.input_value("input[name=day]") == thursday.isoformat()
    assert (page.input_value("input[name=start]"), page.input_value("input[name=end]")) == ("14:00", "16:30")
    choice = page.locator("[data-grid-choice]").inner_text()
    assert f"{thursday.isoformat()} 14:00–16:30" in choice and "已选" in choice
    text = page.locator("main").inner_text()
    assert "AM" not in text and "PM" not in text and "上午" not in text and "下午" not in text
    page.screenshot(path=str(SHOTS / "grid-tap-phone-zh.png"), full_page=True)
    page.click("form.booking-form button[type=submit]")
    page.wait_for_url(f"{base}/bookings")
    assert alices_bookings(app) == [(at(thursday, "14:00"), at(thursday, "16:30"))]

    # The day view: one column, with day links instead of weeks.
    page.goto(f"{base}/resources/{resource_id}?lang=zh&view=day&day={thursday.isoformat()}")
    assert page.locator("thead th.day-head").count() == 1
    assert page.locator("td.c-mine").count() == 5
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    page.screenshot(path=str(SHOTS / "grid-day-phone-zh.png"), full_page=True)
    page.goto(f"{base}/resources/{resource_id}?lang=en&week={monday.isoformat()}")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    page.screenshot(path=str(SHOTS / "grid-week-phone-en.png"), full_page=True)
    context.close()


def test_a_refused_booking_page_links_to_get_pages(live_server, browser):
    app, base = live_server
    resource_id, monday = seed(app)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.set_default_timeout(15000)
    login(page, base)
    wednesday = monday + timedelta(days=2)
    page.goto(f"{base}/resources/{resource_id}?lang=en&week={monday.isoformat()}")
    page.fill("input[name=day]", wednesday.isoformat())
    page.fill("input[name=start]", "10:30")
    page.fill("input[name=end]", "11:30")
    page.click("form.booking-form button[type=submit]")
    assert "That time is taken" in page.locator(".refusal").inner_text()
    assert page.input_value("input[name=start]") == "10:30"  # the input is kept
    assert "is not all free here" in page.locator("[data-grid-choice]").inner_text()
    page.screenshot(path=str(SHOTS / "grid-refused-desktop-en.png"), full_page=True)
    # Next week and the language switch lead to GET pages that answer.
    with page.expect_navigation():
        page.click("a[rel=next]")
    assert page.url.startswith(f"{base}/resources/{resource_id}?") and "/book" not in page.url
    assert page.locator(".week-title").inner_text().startswith((monday + timedelta(days=7)).isoformat())
    page.go_back()
    with page.expect_navigation():
        page.click(".lang-switch a")
    assert "/book" not in page.url and page.locator("h1").inner_text() == "场发射扫描电镜"
    page.screenshot(path=str(SHOTS / "grid-week-desktop-zh.png"), full_page=True)


def spring_forward_after(day: date) -> date:
    """The first last-Sunday-of-March (Europe/Berlin's clocks go forward) on or after `day`."""
    for year in (day.year, day.year + 1):
        sunday = date(year, 3, 31) - timedelta(days=(date(year, 3, 31).weekday() + 1) % 7)
        if sunday >= day:
            return sunday
    raise AssertionError("unreachable")


def test_a_resource_open_at_all_hours_scrolls_to_the_choice_and_skips_the_missing_hour(live_server, browser):
    """Europe/Berlin, the next week clocks go forward (the last Sunday of March): rows are local
    times, the 02:00 hour of that Sunday does not exist, and the tall grid opens scrolled to the
    chosen time."""
    from booking.accounts.service import create_user

    app, base = live_server
    berlin = ZoneInfo("Europe/Berlin")
    with app.app_context():
        platform = Platform(code="BER", name_zh="柏林测试平台", name_en="Berlin Test Lab", city_zh="柏林",
                            city_en="Berlin", timezone="Europe/Berlin", booking_rules={})
        db.session.add(platform)
        db.session.flush()
        resource = Resource(platform_id=platform.id, external_id="B1", kind="instrument", title="核磁共振谱仪",
                            title_en="NMR spectrometer", bookable=True, keywords=[], attributes={},
                            opening_hours=None,
                            booking_rules={"min_minutes": 60, "max_minutes": 480, "max_advance_days": 400})
        db.session.add(resource)
        create_user("alice@example.com", PASSWORD, name="Alice Wang", language="en", verified=True)
        db.session.commit()
        resource_id = resource.id
    sunday = spring_forward_after(datetime.now(berlin).date() + timedelta(days=7))
    monday = sunday - timedelta(days=6)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.set_default_timeout(15000)
    login(page, base)
    page.goto(f"{base}/resources/{resource_id}?lang=en&week={monday}&day={sunday}&start=16:00&end=18:00")
    assert page.locator("td.c-none").count() == 2  # Sunday 02:00 and 02:30
    visible = page.evaluate("""(() => { const wrap = document.querySelector('.hour-grid-wrap').getBoundingClientRect();
        const cell = document.querySelector('td.sel').getBoundingClientRect();
        return cell.top >= wrap.top && cell.bottom <= wrap.bottom; })()""")
    assert visible and page.evaluate("document.querySelector('.hour-grid-wrap').scrollTop") > 0
    page.locator("#book").screenshot(path=str(SHOTS / "grid-dst-week-desktop-en.png"))
    # Dragging across the missing hour on Sunday: 01:00 to 03:30 is two real hours (01:00–04:00 on the wall).
    drag(page, slot(page, sunday, "01:00"), slot(page, sunday, "03:30"))
    assert (page.input_value("input[name=start]"), page.input_value("input[name=end]")) == ("01:00", "04:00")
    assert "(2 hours)" in page.locator("[data-grid-choice]").inner_text()
    page.goto(f"{base}/resources/{resource_id}?lang=zh&view=day&day={sunday}")
    page.locator("#book").screenshot(path=str(SHOTS / "grid-dst-day-desktop-zh.png"))
