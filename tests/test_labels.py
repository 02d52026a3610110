"""QR labels and the page their code opens: staff of the platform print them (one, or all of the
platform's on A4); the code holds the address of /resources/<id>/here, where anyone sees today's
booked times (never who booked) and the booker checks in within the window, and only then."""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
import segno
import sqlalchemy as sa
from flask import g
from flask_babel import force_locale

from booking.engine import create_reservation
from booking.extensions import db
from booking.models import Reservation, utcnow
from booking.web.resources import label as label_module

from support import csrf_token

BASE = "https://onestop.example.org"


def text(response) -> str:
    return unescape(response.get_data(as_text=True))


def switch_user(auth, email: str) -> None:
    g.pop("csrf_token", None)
    auth.logout()
    g.pop("_login_user", None)
    g.pop("csrf_token", None)
    assert auth.login(email).status_code == 302


def soon(minutes: int) -> datetime:
    """A whole minute `minutes` from now."""
    return (utcnow() + timedelta(minutes=minutes)).replace(second=0, microsecond=0)


def book(user, resource, start: datetime, hours: int = 1, purpose: str = "Secret alloy study") -> Reservation:
    reservation = create_reservation(user, resource, start, start + timedelta(hours=hours), purpose,
                                     now=start - timedelta(days=1))
    db.session.commit()
    return reservation


@pytest.fixture(autouse=True)
def english(app):
    app.config["ONESTOP_BASE_URL"] = BASE
    with force_locale("en"):
        yield


@pytest.fixture
def lab(make_platform, make_resource, make_user):
    platform = make_platform(name_zh="材料测试中心", name_en="Materials Lab", checkin_before_minutes=15,
                             checkin_after_minutes=30)
    resource = make_resource(platform=platform, opening_hours=None, title="X射线衍射仪（2号机）",
                             title_en="X-ray diffractometer", location="科技楼3楼301室", city="南京",
                             category="仪器设备/X射线分析")
    staff = make_user(email="staff@example.com", name="Sam", role="staff", platform=platform)
    alice = make_user(email="alice@example.com", name="Alice Zhang")
    bob = make_user(email="bob@example.com", name="Bob Li")
    return platform, resource, staff, alice, bob


def test_a_label_holds_the_code_of_the_here_page(client, auth, lab, monkeypatch):
    _platform, resource, staff, *_ = lab
    encoded: list[str] = []
    real_make = segno.make
    monkeypatch.setattr(label_module.segno, "make", lambda content, **kw: encoded.append(content) or real_make(content, **kw))
    auth.login(staff.email)
    page = client.get(f"/resources/{resource.id}/label?lang=en")
    assert page.status_code == 200
    url = f"{BASE}/resources/{resource.id}/here"
    assert encoded == [url]
    html = text(page)
    assert "<svg" in html and 'class="qr"' in html
    # the SVG on the page is exactly the code of that address (segno cannot decode, so compare)
    expected = real_make(url, error="m", micro=False).svg_inline(scale=4, border=2, omitsize=True, svgclass="qr",
                                                                 lineclass="qr-line", title=url)
    assert expected in page.get_data(as_text=True)
    for words in ("X射线衍射仪（2号机）", "X-ray diffractometer (Unit 2)", "材料测试中心", "Materials Lab",
                  "科技楼3楼301室", f"onestop.example.org/resources/{resource.id}/here"):
        assert words in html


def test_staff_print_every_label_of_their_platform(client, auth, lab, make_resource, make_platform):
    platform, resource, staff, *_ = lab
    second = make_resource(platform=platform, opening_hours=None, title="拉伸试验机", category="仪器设备/力学")
    make_resource(platform=platform, title="专利 A", bookable=False, kind="patent")
    make_resource(platform=make_platform(), title="别家的电镜")
    auth.login(staff.email)
    page = client.get("/staff/labels?lang=en")
    html = text(page)
    assert page.status_code == 200
    assert html.count('class="qr-label"') == 2 and "2 labels of 2 bookable resources." in html
    assert f'id="label-{resource.id}"' in html and f'id="label-{second.id}"' in html
    assert "专利 A" not in html and "别家的电镜" not in html
    one = client.get("/staff/labels?lang=en&category=仪器设备/力学")
    assert text(one).count('class="qr-label"') == 1
    bad = client.get("/staff/labels?lang=en&category=nonsense")
    assert bad.status_code == 400 and "No resource of this platform is in the category" in text(bad)
    assert 'href="/staff/labels"' in text(client.get("/staff?lang=en"))  # "Print labels" in the staff tabs


def test_only_staff_of_the_platform_see_labels(client, auth, lab, make_platform, make_user):
    _platform, resource, _staff, alice, _bob = lab
    assert client.get(f"/resources/{resource.id}/label").status_code == 302  # log in first
    make_user(email="other-staff@example.com", role="staff", platform=make_platform())
    auth.login("other-staff@example.com")
    assert client.get(f"/resources/{resource.id}/label").status_code == 403
    theirs = text(client.get("/staff/labels?lang=en"))
    assert "X射线衍射仪" not in theirs and "0 labels of 0 bookable resources." in theirs
    switch_user(auth, alice.email)
    assert client.get(f"/resources/{resource.id}/label").status_code == 403
    assert client.get("/staff/labels").status_code == 403


def test_no_label_or_here_page_for_what_cannot_be_booked(client, auth, lab, make_resource):
    platform, _resource, staff, *_ = lab
    patent = make_resource(platform=platform, bookable=False, kind="patent")
    auth.login(staff.email)
    assert client.get(f"/resources/{patent.id}/label").status_code == 404
    assert client.get(f"/resources/{patent.id}/here").status_code == 404
    assert client.get("/resources/99999/here").status_code == 404


def test_here_shows_booked_times_but_not_who_booked(client, auth, lab):
    _platform, resource, _staff, alice, bob = lab
    later = soon(120)
    book(bob, resource, later, purpose="Secret alloy study")
    page = client.get(f"/resources/{resource.id}/here?lang=en")
    html = text(page)
    assert page.status_code == 200 and "X-ray diffractometer (Unit 2)" in html
    assert "Booked" in html
    for private in ("Bob", "bob@example.com", "Secret alloy study"):
        assert private not in html
    login = re.search(r'href="([^"]*/login\?next=[^"]+)"', html).group(1)
    assert "Log in to check in" in html and f"next=/resources/{resource.id}/here" in unescape(login).replace("%2F", "/")
    # logged in as someone else: still only "Booked", no check-in
    auth.login(alice.email)
    html = text(client.get(f"/resources/{resource.id}/here?lang=en"))
    assert "Bob" not in html and "Check in</button>" not in html and "You have no booking of this resource today." in html


def test_log_in_from_here_comes_back_here(client, lab):
    _platform, resource, _staff, alice, _bob = lab
    token = csrf_token(client, "/login")
    done = client.post(f"/login?next=/resources/{resource.id}/here",
                       data={"email": alice.email, "password": "correct horse battery", "csrf_token": token})
    assert done.status_code == 302 and done.location.endswith(f"/resources/{resource.id}/here")


def test_check_in_from_here_within_the_window(client, auth, lab):
    _platform, resource, _staff, alice, _bob = lab
    reservation = book(alice, resource, soon(10))
    auth.login(alice.email)
    html = text(client.get(f"/resources/{resource.id}/here?lang=en"))
    assert "Check in</button>" in html and "Your booking" in html
    token = csrf_token(client, f"/resources/{resource.id}/here")
    done = client.post(f"/resources/{resource.id}/here/check-in?lang=en",
                       data={"csrf_token": token, "reservation_id": reservation.id})
    assert done.status_code == 303 and done.location.endswith(f"/resources/{resource.id}/here")
    db.session.refresh(reservation)
    assert reservation.checked_in_at is not None
    after = text(client.get(done.location + "?lang=en"))
    assert "Checked in." in after and "Check out</button>" in after and "Check in</button>" not in after
    client.post(f"/resources/{resource.id}/here/check-out",
                data={"csrf_token": token, "reservation_id": reservation.id})
    db.session.refresh(reservation)
    assert reservation.status == "completed" and reservation.checked_out_at is not None


def test_check_in_is_refused_outside_the_window(client, auth, lab):
    _platform, resource, _staff, alice, _bob = lab
    reservation = book(alice, resource, soon(180))
    auth.login(alice.email)
    html = text(client.get(f"/resources/{resource.id}/here?lang=en"))
    assert "Check in</button>" not in html and "Check-in opens at" in html
    token = csrf_token(client, f"/resources/{resource.id}/here")
    refused = client.post(f"/resources/{resource.id}/here/check-in?lang=en",
                          data={"csrf_token": token, "reservation_id": reservation.id})
    assert refused.status_code == 303
    assert "Too early to check in" in text(client.get(refused.location + "?lang=en"))
    db.session.refresh(reservation)
    assert reservation.checked_in_at is None


def test_nobody_checks_in_someone_elses_booking(client, auth, lab):
    _platform, resource, _staff, alice, bob = lab
    bobs = book(bob, resource, soon(5))
    auth.login(alice.email)
    token = csrf_token(client, f"/resources/{resource.id}/here")
    for rid in (bobs.id, "abc", "", 99999999999999):
        answer = client.post(f"/resources/{resource.id}/here/check-in", data={"csrf_token": token, "reservation_id": rid})
        assert answer.status_code == 404
    assert client.post(f"/resources/{resource.id}/here/check-in", data={"reservation_id": bobs.id}).status_code == 400
    db.session.refresh(bobs)
    assert bobs.checked_in_at is None


def test_not_logged_in_a_check_in_leads_to_the_log_in_then_back(client, lab):
    _platform, resource, _staff, alice, _bob = lab
    reservation = book(alice, resource, soon(5))
    token = csrf_token(client, f"/resources/{resource.id}/here")  # e.g. logged out in another tab
    answer = client.post(f"/resources/{resource.id}/here/check-in", data={"csrf_token": token,
                                                                          "reservation_id": reservation.id})
    assert answer.status_code == 303 and answer.location == f"/login?next=/resources/{resource.id}/here"
    assert db.session.scalar(sa.select(Reservation.checked_in_at)) is None


def test_a_booking_just_after_midnight_can_check_in_before_it(client, auth, lab, monkeypatch):
    """At 23:55 local time a booking at 00:05 is in its window although it is tomorrow's."""
    _platform, resource, _staff, alice, _bob = lab
    midnight = datetime(2030, 6, 1, 16, 0, tzinfo=UTC)  # 00:00 in Shanghai
    reservation = create_reservation(alice, resource, midnight + timedelta(minutes=5), midnight + timedelta(minutes=65),
                                     now=midnight - timedelta(days=1))
    db.session.commit()
    monkeypatch.setattr(label_module, "utcnow", lambda: midnight - timedelta(minutes=5))
    auth.login(alice.email)
    html = text(client.get(f"/resources/{resource.id}/here?lang=en"))
    assert "Check in</button>" in html and f'value="{reservation.id}"' in html


def test_a_resource_settings_page_offers_its_label(client, auth, lab):
    _platform, resource, staff, *_ = lab
    auth.login(staff.email)
    html = text(client.get(f"/staff/resources/{resource.id}/settings?lang=en"))
    assert f'href="/resources/{resource.id}/label"' in html and "Print its QR label" in html
