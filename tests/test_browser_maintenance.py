"""Maintenance over bookings in real headless Chromium (SQLite): staff type a window, see the
bookings it would hit, choose to keep them (the calendar then warns) or cancel them (users mailed).
Screenshots go to $ONESTOP_SCREENSHOTS (default /tmp/onestop-screenshots), maintenance-*.png."""
from __future__ import annotations

import os
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from booking.extensions import db
from booking.models import Maintenance, OutgoingMail, Platform, Reservation, Resource, utcnow

from support import PASSWORD, browser_log_in

SHOTS = Path(os.environ.get("ONESTOP_SCREENSHOTS", "/tmp/onestop-screenshots"))
SHANGHAI = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.browser


def seed(app: Any) -> dict[str, Any]:
    from booking.accounts.service import create_user
    from booking.engine import create_reservation

    with app.app_context():
        platform = Platform(code="NJNC", name_zh="南京纳米中心", name_en="Nanjing Nano Centre", city_zh="南京",
                            city_en="Nanjing", timezone="Asia/Shanghai", booking_rules={})
        db.session.add(platform)
        db.session.flush()
        sem = Resource(platform_id=platform.id, external_id="NJNC-I-001", kind="instrument", title="场发射扫描电镜",
                       title_en="Field emission SEM", bookable=True, keywords=[], attributes={}, opening_hours=None)
        xrd = Resource(platform_id=platform.id, external_id="NJNC-I-002", kind="instrument", title="X射线衍射仪",
                       title_en="X-ray diffractometer", bookable=True, keywords=[], attributes={}, opening_hours=None)
        db.session.add_all([sem, xrd])
        create_user("staff@njnc.example", PASSWORD, name="Zhou Lab", role="staff", platform_code="NJNC",
                    language="en", verified=True)
        ann = create_user("ann@example.com", PASSWORD, name="Ann Li", language="en", verified=True)
        bob = create_user("bob@example.com", PASSWORD, name="李博", language="zh", verified=True)
        day = (utcnow().astimezone(SHANGHAI) + timedelta(days=3)).date()

        def at(hour: int) -> datetime:
            return datetime.combine(day, time(hour), tzinfo=SHANGHAI)

        ids = [create_reservation(ann, sem, at(10), at(11), "SEM imaging of coatings").id,
               create_reservation(bob, sem, at(13), at(15), "断口形貌分析").id,
               create_reservation(ann, xrd, at(10), at(12), "Phase analysis").id,
               create_reservation(bob, sem, at(16), at(17), "").id]
        db.session.commit()
        return {"day": day, "sem": sem.id, "ids": ids}


def shoot(page: Any, name: str) -> None:
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(SHOTS / f"maintenance-{name}.png"), full_page=True)


def fill_window(page: Any, resource_id: int, day: str, start: str, end: str, reason: str) -> None:
    page.select_option("#resource_id", str(resource_id))
    page.fill("#start_day", day)
    page.fill("#start_time", start)
    page.fill("#end_day", day)
    page.fill("#end_time", end)
    page.fill("#reason", reason)
    page.click("#maintenance-form button[type=submit]")
    page.wait_for_selector("#maintenance-preview")


def test_maintenance_two_steps_keep_then_cancel(live_server: Any, browser: Any) -> None:
    app, base = live_server
    world = seed(app)
    day = world["day"].isoformat()
    inside, later_one, other_resource, evening = world["ids"]
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        page.set_default_timeout(15000)
        browser_log_in(page, base, "staff@njnc.example")
        page.goto(f"{base}/staff/maintenance?lang=en")
        shoot(page, "1-form")

        # Step 1: the window 09:00-14:00 hits the 10:00 and the 13:00 bookings of the SEM only.
        fill_window(page, world["sem"], day, "09:00", "14:00", "Electron gun replacement")
        rows = page.locator("#affected-bookings tbody tr")
        assert [rows.nth(i).get_attribute("data-reservation") for i in range(rows.count())] == \
            [str(inside), str(later_one)]
        assert "2 bookings fall in this window." in page.inner_text("#maintenance-preview")
        with app.app_context():
            assert db.session.scalar(sa.select(sa.func.count()).select_from(Maintenance)) == 0
        shoot(page, "2-preview")

        # Saving without a choice asks for one.
        page.click("#maintenance-confirm button[type=submit]")
        page.wait_for_selector("#maintenance-confirm .error")
        assert "Choose what happens" in page.inner_text("#maintenance-confirm")
        shoot(page, "3-choose")

        # Step 2: keep them. The calendar's day view then warns on exactly those two bookings.
        page.check("#maintenance-confirm input[value=keep]")
        page.click("#maintenance-confirm button[type=submit]")
        page.wait_for_selector(".flash-success")
        assert "2 bookings in it were kept" in page.inner_text(".flash-success")
        shoot(page, "4-kept")
        page.goto(f"{base}/staff?view=day&date={day}&lang=en")
        assert page.locator(".maintenance-warning").count() == 2
        shoot(page, "5-calendar-warning")
        page.goto(f"{base}/bookings/{inside}?lang=en")
        assert "Maintenance overlaps this booking" in page.inner_text(".maintenance-warning")
        shoot(page, "6-booking-warning")

        # Another window, 15:30-18:00, cancels the evening booking; its user is mailed.
        page.goto(f"{base}/staff/maintenance?lang=en")
        fill_window(page, world["sem"], day, "15:30", "18:00", "Vacuum leak")
        page.check("#maintenance-confirm input[value=cancel]")
        page.click("#maintenance-confirm button[type=submit]")
        page.wait_for_selector(".flash-success")
        assert "1 booking was cancelled and its user told" in page.inner_text(".flash-success")
        shoot(page, "7-cancelled")
        with app.app_context():
            statuses = {r.id: r.status for r in db.session.scalars(sa.select(Reservation))}
            assert statuses == {inside: "confirmed", later_one: "confirmed", other_resource: "confirmed",
                                evening: "cancelled"}
            mail = db.session.scalar(sa.select(OutgoingMail).where(OutgoingMail.template == "email/maintenance_cancelled"))
            assert mail is not None and mail.recipient == "bob@example.com" and mail.language == "zh"

        # The same two steps on a phone, in Chinese.
        phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
        try:
            small = phone.new_page()
            small.set_default_timeout(15000)
            browser_log_in(small, base, "staff@njnc.example")
            small.goto(f"{base}/staff/maintenance?lang=zh")
            shoot(small, "8-form-phone-zh")
            fill_window(small, world["sem"], day, "09:00", "14:00", "更换电子枪")
            assert "该时段内有 2 个预约。" in small.inner_text("#maintenance-preview")
            shoot(small, "9-preview-phone-zh")
        finally:
            phone.close()
    finally:
        context.close()


def test_closure_two_steps_training_switch_and_exports(live_server: Any, browser: Any) -> None:
    """The same two steps for a platform closure (every resource), the training page's feed list,
    and the export form on the staff calendar."""
    app, base = live_server
    world = seed(app)
    day = world["day"].isoformat()
    with app.app_context():
        from booking.catalog.importer import import_feed

        import_feed(['{"platform": "NJNC", "external_id": "NJNC-I-003", "kind": "instrument", "title": "透射电镜", '
                     '"title_en": "Transmission electron microscope", "training_required": true}'])
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    try:
        page = context.new_page()
        page.set_default_timeout(15000)
        browser_log_in(page, base, "staff@njnc.example")
        page.goto(f"{base}/staff/closures?lang=en")
        page.fill("#first_day", day)
        page.fill("#last_day", day)
        page.fill("#title", "Power maintenance in the building")
        page.click("#closure-form button[type=submit]")
        page.wait_for_selector("#closure-preview")
        assert page.locator("#affected-bookings tbody tr").count() == 4  # both instruments
        shoot(page, "c1-closure-preview")
        page.check("#closure-confirm input[value=keep]")
        page.click("#closure-confirm button[type=submit]")
        page.wait_for_selector(".flash-success")
        assert "4 bookings in it were kept" in page.inner_text(".flash-success")
        page.goto(f"{base}/staff?view=week&date={day}&lang=en")
        assert page.locator(".maintenance-warning").count() == 4
        shoot(page, "c2-calendar-closed")

        page.goto(f"{base}/staff/training?lang=en")
        row = page.locator("#feed-training tr", has_text="Transmission electron microscope")
        assert "Training required" in row.inner_text()
        row.locator("button[value=off]").click()
        page.wait_for_selector(".flash-success")
        row = page.locator("#feed-training tr", has_text="Transmission electron microscope")
        assert "Anyone may book" in row.inner_text() and "switched by staff" in row.inner_text()
        shoot(page, "t1-training-switched-off")

        page.goto(f"{base}/staff?view=week&date={day}&lang=en")
        page.click("details.export-bookings summary")
        page.select_option("#export-format", "csv")
        with page.expect_download() as download:
            page.click("details.export-bookings button[type=submit]")
        body = Path(download.value.path()).read_bytes()
        assert body.startswith(b"\xef\xbb\xbf") and body.decode("utf-8-sig").count("OS-") == 4
        shoot(page, "e1-export-form")
    finally:
        context.close()
