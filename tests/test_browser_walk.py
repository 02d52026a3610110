"""A scripted walk through every journey in real headless Chromium, on the demo catalogue: a visitor,
a user, platform staff and an administrator open each of their pages in Chinese and in English, on a
1280 px desktop and a 390 px phone. No page may answer 4xx/5xx (except the deliberate 404, which must
be a finished, translated page), no page may show a raw code ("testing_service"), and a Chinese page
may show no English word outside the allow-list: brand names, units and codes, and the words of the
demo's own data (titles, names, addresses the feed gives in English only). A line of a Chinese page
that is a message of the catalogue is named as a missing translation.

One screenshot per page and language (desktop, full page; the phone's first screen beside it) goes to
$ONESTOP_WALK_SHOTS (default /tmp/shots/walk).
"""
from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from babel.messages.pofile import read_po

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
SHOTS = Path(os.environ.get("ONESTOP_WALK_SHOTS", "/tmp/shots/walk"))
VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
# A word, not part of an address, a path or a code, and not cut short by a "…" (a prefix of data).
LATIN_WORD = re.compile(r"(?<![A-Za-z0-9_@./-])[A-Za-z][A-Za-z'’]{2,}(?![A-Za-z0-9_@/…'’])")
CJK = re.compile(r"[\u3400-\u9fff]")
RAW_CODE = re.compile(r"(?<![\w@./:-])[a-z]+(?:_[a-z]+)+(?![\w@./-])")
# Words a Chinese page may show: the brand and file formats, calendar programs, units, currencies and
# codes, the language switch, and the search words this walk types.
ALLOWED = {
    "OneStop", "CSV", "XLSX", "Excel", "Apple", "Google", "Outlook", "ics", "iCal", "API", "UTC", "CNY",
    "EUR", "USD", "GMT", "English", "docx", "doc", "jpg", "jpeg", "png", "txt", "zip", "SEM", "XRD", "NMR", "MHz", "GHz", "kHz", "USCC", "PDF", "JSON", "Bearer",
    "zzqqxx", "salt", "spray", "test", "steel", "specimens", "Unit", "www", "http", "https", "mailto", "QR", "outbox",
}


@dataclass
class Walk:
    """What the walk found, gathered over every page so one run names every problem."""

    msgids: set[str]
    allowed: set[str]
    prose: str
    failures: list[str] = field(default_factory=list)
    shots: list[str] = field(default_factory=list)
    visited: int = 0

    def check(self, page: Any, response: Any, name: str, lang: str, viewport: str, status: int | None = None) -> None:
        self.visited += 1
        where = f"{name} [{lang}, {viewport}] {page.url}"
        code = response.status if response is not None else 0
        if status is not None:
            if code != status:
                self.failures.append(f"{where}: answered {code}, wanted {status}")
            finished = page.locator("h1.error-code").inner_text() == str(status) and page.locator(
                "main a[href='/'], a.brand").count() and page.locator(".error-message").inner_text().strip()
            if not finished:
                self.failures.append(f"{where}: not a finished error page (code, message and a way back)")
        elif code >= 400:
            self.failures.append(f"{where}: answered {code}")
        text = page.inner_text("body")
        codes = sorted({c for c in RAW_CODE.findall(text)} - self.allowed)
        if codes:
            self.failures.append(f"{where}: raw codes {codes}")
        if lang == "zh" and viewport == "desktop":
            lines = {line.strip() for line in text.splitlines() if line.strip()}
            missing = sorted(line for line in lines if line in self.msgids and LATIN_WORD.search(line))
            own = "\n".join(line for line in lines if not quoted(line, self.prose))
            english = sorted({w for w in LATIN_WORD.findall(own) if w.lower() not in self.allowed})
            if missing:
                self.failures.append(f"{where}: untranslated messages {missing}")
            if english:
                self.failures.append(f"{where}: English words {english}")
        if lang == "en" and viewport == "desktop":
            heads = [h for h in page.locator("h1, h2").all_inner_texts() if CJK.search(h)]
            if heads:
                self.failures.append(f"{where}: Chinese headings on an English page {heads}")
        if viewport == "phone":
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > VIEWPORTS["phone"]["width"] + 1:
                self.failures.append(f"{where}: {width} px wide, wider than the phone's screen")
        if viewport == "desktop":
            page.evaluate("window.scrollTo(0, 0)")
            path = SHOTS / f"{name}-{lang}-desktop.png"
            page.screenshot(path=str(path), full_page=True)
            self.shots.append(str(path))
        elif name in PHONE_SHOTS:
            path = SHOTS / f"{name}-{lang}-phone.png"
            page.screenshot(path=str(path))
            self.shots.append(str(path))


# The phone's first screen is kept for the pages a phone is most used on.
PHONE_SHOTS = {"home", "search", "resource", "book", "order", "bookings", "booking", "staff-calendar", "staff-orders",
               "404"}


def catalogue_messages() -> set[str]:
    with (ROOT / "booking/translations/zh/LC_MESSAGES/messages.po").open("rb") as fh:
        return {(m.id if isinstance(m.id, str) else m.id[0]) for m in read_po(fh) if m.id}


# Long texts a page quotes (descriptions, introductions): their English paragraphs are allowed as
# quoted, line by line, not word by word, so their words never excuse the page's own English.
PROSE = ("description", "introduction_zh", "introduction_en")


def demo_data() -> tuple[set[str], str]:
    """The words of the demo's own data (what the platforms and users wrote, shown as written) and
    its prose. JSON attributes give their values only (their keys are named by the catalogue); codes
    the pages must name (kind, status, role) give nothing."""
    import sqlalchemy as sa

    from booking.extensions import db

    words: set[str] = set()
    prose: list[str] = []

    def leaves(value: Any) -> Iterator[str]:
        if isinstance(value, dict):
            for v in value.values():
                yield from leaves(v)
        elif isinstance(value, (list, tuple)):
            for v in value:
                yield from leaves(v)
        elif value is not None and not isinstance(value, bool):
            yield str(value)

    for table in ("resource", "platform", "user_account", "organisation", "reservation", "closure", "maintenance",
                  "voucher_entry"):
        for row in db.session.execute(sa.text(f"SELECT * FROM {table}")).mappings():  # noqa: S608 (our own names)
            for column, value in row.items():
                if column in ("kind", "status", "role"):
                    continue
                if column in PROSE:
                    prose.append(value or "")
                    continue
                if isinstance(value, str) and value[:1] in "[{":
                    try:
                        value = json.loads(value)
                    except ValueError:
                        pass
                for text in leaves(value):
                    words.update(w.lower() for w in LATIN_WORD.findall(text))
    return words, "\n".join(prose)


def quoted(line: str, prose: str) -> bool:
    """Whether a line of a page is a quotation of the data's prose (whole, or cut with "…")."""
    pieces = [p.strip() for p in re.sub(r"\s*(更多|more)$", "", line).split("…")]
    return all(p in prose for p in pieces if len(p) > 3) and any(len(p) > 3 for p in pieces)


def seed() -> dict[str, int]:
    """The demo catalogue and accounts, the search index built, and the ids the walk opens."""
    import sqlalchemy as sa

    from booking.catalog.demo import seed_demo
    from booking.extensions import db
    from booking.models import Reservation, Resource
    from booking.searching.service import rebuild_index

    seed_demo()
    rebuild_index()
    instrument = db.session.scalar(sa.select(Reservation.resource_id).order_by(Reservation.id))
    booking = db.session.scalar(sa.select(Reservation.id).order_by(Reservation.id))
    service = db.session.scalar(sa.select(Resource.id).where(Resource.orderable.is_(True), Resource.kind == "testing_service")
                                .order_by(Resource.id))
    free = db.session.scalar(sa.select(Resource.id).where(Resource.bookable.is_(True), Resource.kind == "instrument",
                                                          Resource.booking_rules.is_(None)).order_by(Resource.id.desc()))
    return {"instrument": instrument, "booking": booking, "service": service, "free": free or instrument}


def visitor_pages(ids: dict[str, int]) -> list[tuple[str, str]]:
    return [
        ("home", "/"), ("search", "/search?q=扫描电镜"), ("search-none", "/search?q=zzqqxx"),
        ("search-bad-filter", "/search?kind=instrument&date=2020-13-45&start=9&end=x"),
        ("resource", f"/resources/{ids['instrument']}"), ("compare", f"/resources/{ids['instrument']}/compare"),
        ("service", f"/resources/{ids['service']}"),
        ("platforms", "/platforms"), ("platform", "/platforms/NJNC"), ("login", "/login"), ("register", "/register"),
        ("forgot-password", "/forgot-password"),
    ]


USER_PAGES = [("bookings", "/bookings"), ("orders", "/orders"), ("account", "/account"), ("organisation", "/organisation"),
              ("statements", "/statements")]
STAFF_PAGES = [("staff-calendar", "/staff"), ("staff-prices", "/staff/prices"), ("staff-hours", "/staff/hours"),
               ("staff-closures", "/staff/closures"), ("staff-maintenance", "/staff/maintenance"),
               ("staff-training", "/staff/training"), ("staff-reports", "/staff/reports"),
               ("staff-demand", "/staff/demand"), ("staff-orders", "/staff/orders")]
ADMIN_PAGES = [("admin", "/admin/"), ("admin-platforms", "/admin/platforms"), ("admin-users", "/admin/users"),
               ("admin-organisations", "/admin/organisations"), ("admin-vouchers", "/admin/vouchers"),
               ("admin-outbox", "/admin/outbox"), ("admin-reports", "/admin/reports"), ("admin-demand", "/admin/demand")]
ACCOUNTS = {"user": ("demo@onestop.example", "demo-password"), "staff": ("staff@onestop.example", "staff-password"),
            "admin": ("admin@onestop.example", "admin-password")}


def log_in(page: Any, base: str, role: str, lang: str) -> None:
    email, password = ACCOUNTS[role]
    page.goto(f"{base}/login?lang={lang}")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("main form button[type=submit]")


def visit(walk: Walk, page: Any, base: str, name: str, path: str, lang: str, viewport: str,
          status: int | None = None) -> None:
    sep = "&" if "?" in path else "?"
    response = page.goto(f"{base}{path}{sep}lang={lang}")
    walk.check(page, response, name, lang, viewport, status)


def book(walk: Walk, page: Any, base: str, resource_id: int, lang: str, viewport: str) -> None:
    """The user books the time the resource's page offers: the answer (the booking, or the form again
    with the reason it refused) is a finished page, never an error."""
    visit(walk, page, base, "book-form", f"/resources/{resource_id}", lang, viewport)
    form = page.locator("form.booking-form")
    if not form.count():
        walk.failures.append(f"book [{lang}, {viewport}]: resource {resource_id} shows no booking form")
        return
    with page.expect_navigation() as navigation:
        form.locator("button[type=submit]").click()
    walk.check(page, navigation.value, "book", lang, viewport)


def order(walk: Walk, page: Any, base: str, service_id: int, lang: str, viewport: str) -> None:
    """The user orders the testing service: the answer is the order's own page (or the form with
    what to mend), finished in the reader's language."""
    visit(walk, page, base, "order-form", f"/resources/{service_id}", lang, viewport)
    form = page.locator("form.order-form")
    if not form.count():
        walk.failures.append(f"order [{lang}, {viewport}]: service {service_id} shows no order form")
        return
    form.locator("input[name=samples]").fill("3")
    form.locator("[name=sample_description]").fill("3 steel specimens 钢板试样")
    with page.expect_navigation() as navigation:
        form.locator("button[type=submit]").click()
    walk.check(page, navigation.value, "order", lang, viewport)


def test_every_journey_in_both_languages_on_desktop_and_phone(live_server: Any, browser: Any) -> None:
    app, base = live_server
    with app.app_context():
        ids = seed()
        words, prose = demo_data()
        walk = Walk(msgids=catalogue_messages(), allowed={w.lower() for w in ALLOWED} | words, prose=prose)
    SHOTS.mkdir(parents=True, exist_ok=True)
    for viewport, size in VIEWPORTS.items():
        for lang in ("zh", "en"):
            for role in (None, "user", "staff", "admin"):
                context = browser.new_context(viewport=size, locale="zh-CN" if lang == "zh" else "en-GB")
                try:
                    page = context.new_page()
                    page.set_default_timeout(15000)
                    if role is None:
                        for name, path in visitor_pages(ids):
                            visit(walk, page, base, name, path, lang, viewport)
                        visit(walk, page, base, "404", "/no-such-page", lang, viewport, status=404)
                        continue
                    log_in(page, base, role, lang)
                    if role == "user":
                        book(walk, page, base, ids["free"], lang, viewport)
                        order(walk, page, base, ids["service"], lang, viewport)
                        visit(walk, page, base, "booking", f"/bookings/{ids['booking']}", lang, viewport)
                        for name, path in USER_PAGES:
                            visit(walk, page, base, name, path, lang, viewport)
                    elif role == "staff":
                        for name, path in STAFF_PAGES:
                            visit(walk, page, base, name, path, lang, viewport)
                    else:
                        for name, path in ADMIN_PAGES:
                            visit(walk, page, base, name, path, lang, viewport)
                finally:
                    context.close()
    assert walk.visited >= 160  # 40 pages × 2 languages × 2 screens
    assert not walk.failures, f"{len(walk.failures)} problems:\n" + "\n".join(walk.failures)
