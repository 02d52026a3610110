"""The hour grid of a resource page: which window a click chooses (min/max/step/buffer/past), local
rows on a daylight-saving day, the week the page opens on, and a refused booking's page whose links
all lead somewhere that answers (never 405)."""
from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from html import unescape
from urllib.parse import parse_qsl, urlsplit
from zoneinfo import ZoneInfo

import pytest
from flask import g

from booking.engine.rules import BookingRules
from booking.extensions import db
from booking.models import Closure, Reservation
from booking.web.resources.hour_grid import (
    build_grid,
    choose_window,
    default_length,
    first_free_start,
    first_free_week,
    grid_step,
)

from support import csrf_token

SHANGHAI = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")
DAY_HOURS = {d: [["08:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}


def at(day: date, hhmm: str, tz: ZoneInfo = SHANGHAI) -> datetime:
    return datetime.combine(day, time.fromisoformat(hhmm), tzinfo=tz)


def this_monday() -> date:
    today = datetime.now(SHANGHAI).date()
    return today - timedelta(days=today.weekday())


def hold(resource, user, start: datetime, end: datetime, buffer: int = 0, status: str = "confirmed") -> None:
    db.session.add(Reservation(resource_id=resource.id, user_id=user.id, start=start, end=end, block_start=start,
                               block_end=end + timedelta(minutes=buffer), status=status))
    db.session.commit()


def text(response) -> str:
    return response.get_data(as_text=True)


# --- the window a click chooses (no database) ----------------------------------------------------

def test_a_click_chooses_an_hour_within_the_rules():
    day = date(2027, 3, 3)
    run = (at(day, "08:00"), at(day, "18:00"))
    assert choose_window(run, at(day, "09:00"), BookingRules(), 30) == (at(day, "09:00"), at(day, "10:00"))
    # The shortest booking is longer than an hour: the click chooses the shortest booking.
    assert choose_window(run, at(day, "09:00"), BookingRules(min_minutes=90), 30) == (at(day, "09:00"), at(day, "10:30"))
    # The longest booking is shorter than an hour: the click chooses the longest one.
    assert choose_window(run, at(day, "09:00"), BookingRules(min_minutes=15, max_minutes=45), 15) == (
        at(day, "09:00"), at(day, "09:45"))


def test_a_click_near_the_end_of_free_time_ends_with_it_and_never_fills_a_window_too_long():
    day = date(2027, 3, 3)
    rules = BookingRules(min_minutes=60, max_minutes=240)
    # A 4.5-hour free window and a 4-hour maximum: the click never fills the whole window.
    run = (at(day, "13:00"), at(day, "17:30"))
    start, end = choose_window(run, at(day, "13:00"), rules, 30)
    assert (start, end) == (at(day, "13:00"), at(day, "14:00")) and end - start <= timedelta(minutes=240)
    # The last half hour cannot start an hour: the window moves back to end with the free time.
    assert choose_window(run, at(day, "17:00"), rules, 30) == (at(day, "16:30"), at(day, "17:30"))
    # Free time shorter than the shortest booking offers nothing.
    assert choose_window((at(day, "13:00"), at(day, "13:30")), at(day, "13:00"), rules, 30) is None


def test_step_fits_opening_hours_and_rules():
    assert grid_step(BookingRules(), DAY_HOURS) == 30
    assert grid_step(BookingRules(), {"mon": [["08:45", "17:00"]]}) == 15  # opens at a quarter
    assert grid_step(BookingRules(min_minutes=45, max_minutes=45), None) == 15  # only 45 minutes is allowed
    assert grid_step(BookingRules(min_minutes=20, max_minutes=20), None) == 10
    assert default_length(BookingRules(min_minutes=20, max_minutes=100), 10) == timedelta(minutes=60)
    assert default_length(BookingRules(min_minutes=75, max_minutes=100), 30) == timedelta(minutes=75)


# --- the grid of a resource ----------------------------------------------------------------------

@pytest.fixture
def lab(make_platform, make_resource, make_user):
    platform = make_platform(timezone="Asia/Shanghai")
    resource = make_resource(platform=platform, opening_hours=DAY_HOURS,
                             booking_rules={"max_minutes": 240, "buffer_minutes": 15},
                             title="X射线衍射仪", title_en="X-ray diffractometer")
    alice = make_user(email="alice@example.com", name="Alice")
    bob = make_user(email="bob@example.com", name="Bob")
    return resource, alice, bob


def cells_of(grid, day: date):
    return {c.hhmm: c for c in grid.columns[grid.days.index(day)]}


def test_grid_cells_say_what_holds_them_and_free_cells_keep_away_from_the_buffer(lab):
    resource, alice, bob = lab
    monday = this_monday() + timedelta(days=7)
    hold(resource, bob, at(monday, "10:00"), at(monday, "11:00"), buffer=15)
    hold(resource, alice, at(monday, "14:00"), at(monday, "15:00"), buffer=15)
    hold(resource, bob, at(monday, "16:00"), at(monday, "17:00"), buffer=15, status="pending")
    days = [monday + timedelta(days=i) for i in range(7)]
    grid = build_grid(resource, days, viewer_id=alice.id, now=datetime.now(UTC))
    assert grid.step == 30 and grid.times[0] == time(8) and grid.times[-1] == time(17, 30)
    cells = cells_of(grid, monday)
    assert [cells[t].kind for t in ("09:00", "09:30", "10:00", "10:30", "11:00", "11:30")] == [
        "free", "buffer", "booked", "booked", "buffer", "free"]
    assert cells["14:00"].kind == "mine" and cells["14:00"].first and not cells["14:30"].first
    assert cells["16:00"].kind == "pending"
    assert cells_of(grid, monday + timedelta(days=5))["10:00"].kind == "shut"  # Saturday: not open
    # No free cell's window touches a booking's block (the booking and the buffer before and after it).
    for column in grid.columns:
        for cell in column:
            if cell.kind == "free":
                s, e = cell.window
                assert timedelta(minutes=30) <= e - s <= timedelta(minutes=240)
                for a, b in ((at(monday, "09:45"), at(monday, "11:15")), (at(monday, "13:45"), at(monday, "15:15"))):
                    assert not (s < b and e > a)
    # A click at 09:00 has only half an hour before the buffer: its hour moves back, 08:30–09:30.
    assert cells["09:00"].window == (at(monday, "08:30"), at(monday, "09:30"))


def test_past_cells_are_not_free_and_the_first_window_is_not_in_the_past(lab):
    resource, alice, bob = lab
    monday = this_monday() + timedelta(days=7)
    wednesday = monday + timedelta(days=2)
    now = at(wednesday, "10:10").astimezone(UTC)  # pretend it is Wednesday 10:10
    grid = build_grid(resource, [monday + timedelta(days=i) for i in range(7)], now=now)
    assert cells_of(grid, monday)["15:00"].kind == "past"
    cells = cells_of(grid, wednesday)
    assert cells["10:00"].kind == "past" and cells["10:30"].kind == "free"
    assert grid.first_window() == (at(wednesday, "10:30"), at(wednesday, "11:30"))  # now, rounded up to the step
    assert first_free_start(resource, now=now) == at(wednesday, "10:30")


def test_notice_and_horizon_leave_cells_unbookable(make_platform, make_resource):
    platform = make_platform(timezone="Asia/Shanghai")
    resource = make_resource(platform=platform, opening_hours=DAY_HOURS,
                             booking_rules={"min_notice_minutes": 120, "max_advance_days": 7})
    monday = this_monday() + timedelta(days=7)
    wednesday = monday + timedelta(days=2)
    now = at(wednesday, "10:10").astimezone(UTC)
    grid = build_grid(resource, [monday + timedelta(days=i) for i in range(14)], now=now)
    cells = cells_of(grid, wednesday)
    assert cells["11:30"].kind == "unavailable" and cells["12:00"].kind == "unavailable"  # within two hours
    assert cells["12:30"].kind == "free" and grid.first_window()[0] == at(wednesday, "12:30")
    week_on = cells_of(grid, wednesday + timedelta(days=7))  # a week ahead: bookable until 10:10
    assert week_on["09:00"].kind == "free" and week_on["10:30"].kind == "unavailable"
    assert cells_of(grid, wednesday + timedelta(days=8))["09:00"].kind == "unavailable"


def test_daylight_saving_day_has_local_rows_and_no_hour_that_does_not_exist(make_platform, make_resource):
    platform = make_platform(timezone="Europe/Berlin")
    resource = make_resource(platform=platform, opening_hours=None)  # bookable at any hour
    monday = date(2026, 3, 23)
    now = datetime(2026, 3, 20, 12, tzinfo=UTC)
    grid = build_grid(resource, [monday + timedelta(days=i) for i in range(7)], now=now)
    assert len(grid.times) == 48 and grid.times[4] == time(2)  # rows are wall-clock times, 00:00 to 23:30
    sunday = cells_of(grid, date(2026, 3, 29))
    assert sunday["02:00"].kind == "none" and sunday["02:30"].kind == "none"  # clocks jump 02:00 → 03:00
    assert sunday["01:30"].kind == "free" and sunday["03:00"].kind == "free"
    assert sunday["01:30"].end == at(date(2026, 3, 29), "03:00", BERLIN)
    assert sunday["01:30"].run == sunday["03:00"].run  # free time runs on across the jump
    # A click at 01:30 chooses one real hour: 01:30 to 03:30 on the wall clock.
    s, e = sunday["01:30"].window
    assert (s.strftime("%H:%M"), e.strftime("%H:%M")) == ("01:30", "03:30")
    assert e.astimezone(UTC) - s.astimezone(UTC) == timedelta(hours=1)
    saturday = cells_of(grid, date(2026, 3, 28))
    assert saturday["02:00"].kind == "free" and saturday["02:00"].start.utcoffset() == timedelta(hours=1)
    assert sunday["03:00"].start.utcoffset() == timedelta(hours=2)


def test_the_page_draws_the_daylight_saving_day(client, make_platform, make_resource, monkeypatch):
    platform = make_platform(timezone="Europe/Berlin")
    resource = make_resource(platform=platform, opening_hours=None)
    monkeypatch.setattr("booking.web.resources.booking_panel.utcnow", lambda: datetime(2026, 3, 20, 12, tzinfo=UTC))
    html = text(client.get(f"/resources/{resource.id}?lang=en&week=2026-03-23"))
    assert "2026-03-23 – 2026-03-29" in html
    assert html.count('class="cell c-none"') == 2
    assert re.search(r'data-day="2026-03-29"\s+data-from="01:30"\s+data-to="03:00"', html)
    assert not re.search(r'data-day="2026-03-29"\s+data-from="02:00"', html)


def test_the_page_opens_on_the_first_week_with_free_time(client, auth, lab):
    resource, alice, bob = lab
    auth.login("alice@example.com")
    monday = this_monday()
    closed_until = at(monday + timedelta(days=21), "00:00")
    db.session.add(Closure(platform_id=resource.platform_id, start=datetime.now(UTC) - timedelta(days=1),
                           end=closed_until, title="Overhaul"))
    db.session.commit()
    assert first_free_week(resource) == monday + timedelta(days=21)
    html = text(client.get(f"/resources/{resource.id}?lang=en"))
    first = (monday + timedelta(days=21)).isoformat()
    assert f"{first} – {(monday + timedelta(days=27)).isoformat()}" in html
    # The form is prefilled with that week's first free hour.
    assert re.search(rf'name="day"[^>]*value="{first}"', html)
    assert re.search(r'name="start"[^>]*value="08:00"', html) and re.search(r'name="end"[^>]*value="09:00"', html)
    # An explicit week is shown as asked, with no window prefilled where nothing is free.
    closed = text(client.get(f"/resources/{resource.id}?lang=en&week={(monday + timedelta(days=7)).isoformat()}"))
    assert 'class="cell c-free' not in closed and "No free time chosen yet." in closed
    assert not re.search(r'name="start"[^>]*value="\d', closed)


def test_nothing_free_within_eight_weeks_falls_back_to_this_week(client, lab):
    resource, alice, bob = lab
    db.session.add(Closure(platform_id=resource.platform_id, start=datetime.now(UTC) - timedelta(days=1),
                           end=datetime.now(UTC) + timedelta(days=80), title="Rebuilding"))
    db.session.commit()
    assert first_free_week(resource) is None
    response = client.get(f"/resources/{resource.id}?lang=en")
    assert response.status_code == 200 and "No free time chosen yet." in text(response)


def test_free_cell_links_fill_a_legal_window(client, auth, lab):
    resource, alice, bob = lab
    auth.login("alice@example.com")
    monday = this_monday() + timedelta(days=7)
    html = text(client.get(f"/resources/{resource.id}?lang=en&week={monday.isoformat()}"))
    links = re.findall(r'<a class="slot" href="([^"]+)"', html)
    assert len(links) == 5 * 20  # ten open hours a weekday, in half hours
    for link in links:
        query = dict(parse_qsl(urlsplit(unescape(link)).query))
        s, e = time.fromisoformat(query["start"]), time.fromisoformat(query["end"])
        length = (e.hour * 60 + e.minute) - (s.hour * 60 + s.minute)
        assert 30 <= length <= 240 and time(8) <= s and e <= time(18)
    # The link of the last half hour of a day chooses the last hour: 17:00–18:00.
    last = [link for link in links if f"day={monday.isoformat()}" in link][-1]
    assert dict(parse_qsl(urlsplit(unescape(last)).query)) | {"start": "17:00", "end": "18:00"} == dict(
        parse_qsl(urlsplit(unescape(last)).query))
    # Following a link fills the form with it.
    filled = text(client.get(unescape(last)))
    assert re.search(r'name="start"[^>]*value="17:00"', filled) and "Chosen: " in filled


def test_day_view_and_bad_parameters(client, lab):
    resource, alice, bob = lab
    tuesday = this_monday() + timedelta(days=8)
    html = text(client.get(f"/resources/{resource.id}?lang=en&view=day&day={tuesday.isoformat()}"))
    assert html.count('class="day-head') == 1 and f"{tuesday.isoformat()} Tue" in html
    assert f"day={(tuesday + timedelta(days=1)).isoformat()}" in html and "Next day" in html
    for query, words in [("view=month", "is not a view"), ("week=2027-13-45", "is not a date"),
                         ("day=yesterday", "is not a date"), ("start=25:00&end=26:00", "is not a time"),
                         ("week=1900-01-01", "too far from today")]:
        response = client.get(f"/resources/{resource.id}?lang=en&{query}")
        assert response.status_code == 200 and words in text(response), query


def test_chinese_page_shows_iso_dates_and_a_24_hour_clock(client, lab):
    resource, alice, bob = lab
    monday = this_monday() + timedelta(days=7)
    html = text(client.get(f"/resources/{resource.id}?lang=zh&week={monday.isoformat()}"))
    assert f"{monday.isoformat()} – {(monday + timedelta(days=6)).isoformat()}" in html
    assert "17:30" in html and not re.search(r"\b(AM|PM)\b|上午|下午", html)
    assert 'type="time"' not in html and 'type="date"' not in html  # drawn by the page, not the browser's locale


# --- a refused booking's page ---------------------------------------------------------------------

def links_of(html: str) -> list[str]:
    found = []
    for href in re.findall(r'href="([^"]+)"', html):
        href = unescape(href)
        if href.startswith(("mailto:", "#", "http")) or "/static/" in href:
            continue
        found.append(href)
    return found


@pytest.mark.parametrize("start, end, status", [("10:30", "11:30", 409), ("09:00", "09:10", 422), ("xx", "", 422)])
def test_every_link_of_a_refused_booking_page_answers(client, auth, lab, start, end, status):
    resource, alice, bob = lab
    monday = this_monday() + timedelta(days=7)
    hold(resource, bob, at(monday, "10:00"), at(monday, "11:00"), buffer=15)
    auth.login("alice@example.com")
    token = csrf_token(client, f"/resources/{resource.id}")
    response = client.post(f"/resources/{resource.id}/book?lang=en",
                           data={"csrf_token": token, "day": monday.isoformat(), "start": start, "end": end})
    assert response.status_code == status
    html = text(response)
    assert f'value="{start}"' in html  # the input is kept
    assert f"{monday.isoformat()} – {(monday + timedelta(days=6)).isoformat()}" in html  # the week of the date asked for
    links = links_of(html)
    path = f"/resources/{resource.id}"
    week_links = [link for link in links if "week=" in link and urlsplit(link).path == path]
    assert len(week_links) >= 2 and any("lang=zh" in link for link in links)
    assert not [link for link in links if urlsplit(link).path.endswith("/book")]
    for link in links:
        g.pop("get_path", None)  # the test shares one app context between requests
        answer = client.get(link)
        assert answer.status_code in (200, 302, 303), (link, answer.status_code)
