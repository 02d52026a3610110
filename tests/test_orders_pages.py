"""Testing-service orders through the pages: the order form, the order page's steps (with the
CSRF tokens of the forms), the lists, file rights, and what the pages refuse."""
from __future__ import annotations

import io
import re
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from booking.extensions import db
from booking.models import Order

from support import AuthActions, csrf_token
from support.orders import PDF, PNG, at_status, events_of, mails, place, uploads


@pytest.fixture(autouse=True)
def fresh_user_per_request(app: Any) -> Any:
    """Every request of a test shares the test's app context, where Flask-Login caches the user and
    Flask-WTF the CSRF token; drop both as each request starts, so several clients (a user, the
    staff, a colleague) are each themselves, as in a real server."""
    from flask import g, request_started

    def forget(sender: Any, **extra: Any) -> None:
        g.pop("_login_user", None)
        g.pop("csrf_token", None)

    request_started.connect(forget, app)
    try:
        yield
    finally:
        request_started.disconnect(forget, app)


def login(app: Any, email: str) -> Any:
    client = app.test_client()
    assert AuthActions(client).login(email).status_code == 302
    return client


def form_token(client: Any, path: str, prefix: str = "") -> str:
    """The CSRF token of a form on the page, as a browser would send it."""
    html = client.get(path).get_data(as_text=True)
    name = f"{prefix}-csrf_token" if prefix else "csrf_token"
    match = re.search(rf'name="{re.escape(name)}" type="hidden" value="([^"]+)"', html) or \
        re.search(rf'id="{re.escape(name)}" name="{re.escape(name)}" type="hidden" value="([^"]+)"', html)
    assert match, f"no form {prefix or 'order'} on {path}"
    return match.group(1)


def order_form(client: Any, resource_id: int, **fields: Any) -> Any:
    data = {"samples": "6", "sample_description": "6 dog-bone specimens", "standard": "GB/T 228.1-2021",
            "needed_by": "", "turnaround_days": "10", "notes": "",
            "csrf_token": form_token(client, f"/resources/{resource_id}")}
    data.update(fields)
    return post_multipart(client, f"/resources/{resource_id}/order", data)


def post_multipart(client: Any, path: str, data: dict[str, Any], **options: Any) -> Any:
    """A multipart POST encoded in memory (the test client would spool a big body to a temporary
    file and leave it open)."""
    from werkzeug.datastructures import FileStorage
    from werkzeug.test import encode_multipart

    values = {k: FileStorage(stream=v[0], filename=v[1]) if isinstance(v, tuple) else v for k, v in data.items()}
    boundary, body = encode_multipart(values)
    return client.post(path, data=body, content_type=f"multipart/form-data; boundary={boundary}", **options)


def step(client: Any, order_id: int, action: str, **fields: Any) -> Any:
    data = {f"{action}-{k}": v for k, v in fields.items()}
    data[f"{action}-csrf_token"] = form_token(client, f"/orders/{order_id}", action)
    return post_multipart(client, f"/orders/{order_id}/{action}", data)


def test_the_whole_order_through_the_pages(app, world):
    user, staff = login(app, world.user.email), login(app, world.staff.email)
    page = user.get(f"/resources/{world.service.id}").get_data(as_text=True)
    assert "Order this testing service" in page or "订购" in page or 'id="order"' in page
    assert 'list="order-standards"' in page and "ISO 6892-1:2019" in page  # suggestions from the attributes

    response = order_form(user, world.service.id, attachment=(io.BytesIO(PDF), "drawing.pdf"))
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    order = db.session.scalars(select(Order)).one()
    assert response.headers["Location"].endswith(f"/orders/{order.id}")
    assert order.samples == 6 and order.needed_by is not None and order.status == "submitted"
    detail = user.get(f"/orders/{order.id}").get_data(as_text=True)
    assert "order-timeline" in detail and "drawing.pdf" in detail
    assert f"/orders/{order.id}" in user.get("/orders").get_data(as_text=True)

    staff_list = staff.get("/staff/orders").get_data(as_text=True)
    assert f"#{order.id}" in staff_list and "Li Lei" in staff_list
    promised = (date.today() + timedelta(days=7)).isoformat()
    assert step(staff, order.id, "quote", price="1200", promised_date=promised, note="Two days of prep").status_code == 303
    assert "1,200.00" in user.get(f"/orders/{order.id}").get_data(as_text=True)
    assert step(user, order.id, "accept").status_code == 303
    assert step(staff, order.id, "receive", note="All six arrived").status_code == 303
    assert step(staff, order.id, "start").status_code == 303
    assert step(staff, order.id, "issue", report=(io.BytesIO(PDF), "报告-001.pdf"), note="Passed").status_code == 303

    detail = user.get(f"/orders/{order.id}").get_data(as_text=True)
    link = re.search(r'href="(/orders/\d+/files/\d+)">\s*<span class="order-file-icon"[^>]*>⇩</span>\s*'
                     r'<span class="order-file-name">报告-001.pdf', detail)
    assert link, "no report link on the order page"
    with user.get(link.group(1)) as download:
        assert download.status_code == 200 and download.data == PDF
        assert "attachment" in download.headers["Content-Disposition"]
    assert step(user, order.id, "complete").status_code == 303

    u, s = world.user.id, world.staff.id
    assert events_of(order.id) == [
        ("submit", None, "submitted", u), ("quote", "submitted", "quoted", s), ("accept", "quoted", "accepted", u),
        ("receive", "accepted", "received", s), ("start", "received", "testing", s),
        ("issue", "testing", "reported", s), ("complete", "reported", "completed", u),
    ]
    assert [kind for kind, _ in mails()] == ["order_submit", "order_quote", "order_accept", "order_receive",
                                             "order_start", "order_issue", "order_complete"]
    history = staff.get(f"/orders/{order.id}").get_data(as_text=True)
    assert "All six arrived" in history and "Two days of prep" in history


def test_report_download_rights(app, world, make_user, make_org):

    order = at_status(world, "testing")
    staff = login(app, world.staff.email)
    assert step(staff, order.id, "issue", report=(io.BytesIO(PDF), "report.pdf")).status_code == 303
    report = db.session.get(Order, order.id).file_of("report")
    url = f"/orders/{order.id}/files/{report.id}"
    nobody = make_user(email="solo@x.cn")  # no organisation: nobody's colleague
    look_alike = make_user(email="fake@qiming.example")  # the same name, but an unverified organisation
    make_org(name="启明机器人有限公司", name_en="Qiming Robotics", kind="startup", verified=False,
             members={look_alike: "manager"})
    for email, expected in [(world.user.email, 200), (world.colleague.email, 200), (world.staff.email, 200),
                            (world.admin.email, 200), (world.stranger.email, 403),
                            (world.other_staff.email, 403), (nobody.email, 403), (look_alike.email, 403)]:
        with login(app, email).get(url) as response:
            assert response.status_code == expected, email
            if expected == 200:
                assert response.data == PDF
    with app.test_client().get(url) as anonymous:
        assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    # The colleague may download the report, not see the order, nor the user's attachment.
    colleague = login(app, world.colleague.email)
    assert colleague.get(f"/orders/{order.id}").status_code == 403
    assert colleague.get(f"/orders/{order.id}/files/999999").status_code == 404


def test_an_attachment_is_for_the_orderer_and_the_platform_only(app, world):
    user = login(app, world.user.email)
    assert order_form(user, world.service.id, attachment=(io.BytesIO(PNG), "photo.png")).status_code == 303
    order = db.session.scalars(select(Order)).one()
    url = f"/orders/{order.id}/files/{order.file_of('attachment').id}"
    for email, expected in [(world.user.email, 200), (world.staff.email, 200), (world.colleague.email, 403),
                            (world.other_staff.email, 403)]:
        with login(app, email).get(url) as response:
            assert response.status_code == expected, email


@pytest.mark.parametrize("upload, message", [
    ((PDF + b"0" * (10 * 1024 * 1024), "big.pdf"), "larger than 10 MB"),
    ((b"MZ\x90\x00", "setup.exe"), "Only these file types are accepted"),
    ((PNG, "not-really.pdf"), "not a pdf file"),
])
def test_refused_attachments_show_a_message_and_store_nothing(app, world, upload, message):
    user = login(app, world.user.email)
    data, name = upload
    user.get("/?lang=en")
    response = order_form(user, world.service.id, attachment=(io.BytesIO(data), name))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in html or "文件" in html
    assert db.session.query(Order).count() == 0 and uploads(app) == [] and mails() == []
    assert "6 dog-bone specimens" in html  # what was typed is kept


@pytest.mark.parametrize("fields, message", [
    ({"samples": "0"}, "Between 1 and 1000 samples"),
    ({"samples": "lots"}, "Not a valid integer"),
    ({"sample_description": ""}, "Describe the samples"),
    ({"needed_by": "2027-01-01", "turnaround_days": "5"}, "not both"),
    ({"needed_by": "2001-01-01", "turnaround_days": ""}, "The date has passed"),
])
def test_bad_order_form_shows_the_errors(app, world, fields, message):
    user = login(app, world.user.email)
    user.get("/?lang=en")
    response = order_form(user, world.service.id, **fields)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert db.session.query(Order).count() == 0


def test_anonymous_visitors_are_asked_to_log_in(client, world):
    page = client.get(f"/resources/{world.service.id}?lang=en").get_data(as_text=True)
    assert "Log in to order" in page and 'enctype="multipart/form-data"' not in page
    assert f"/login?next=/resources/{world.service.id}" in page or "next=%2Fresources" in page
    response = client.post(f"/resources/{world.service.id}/order", data={"samples": "1"})
    assert response.status_code in (302, 400)
    assert client.get("/orders").status_code == 302
    assert db.session.query(Order).count() == 0


def test_order_form_only_on_orderable_resources(app, world):
    user = login(app, world.user.email)
    assert 'id="order"' not in user.get(f"/resources/{world.instrument.id}").get_data(as_text=True)
    user.get("/?lang=en")
    response = user.post(f"/resources/{world.instrument.id}/order",
                         data={"samples": "1", "sample_description": "x", "csrf_token": csrf_token(user, "/account")})
    assert response.status_code == 303
    assert "does not take orders" in user.get(response.headers["Location"]).get_data(as_text=True)
    assert db.session.query(Order).count() == 0


def test_form_without_csrf_is_refused(app, world):
    user = login(app, world.user.email)
    response = user.post(f"/resources/{world.service.id}/order",
                         data={"samples": "1", "sample_description": "x"})
    assert response.status_code in (400, 422)
    assert db.session.query(Order).count() == 0


def test_user_input_is_escaped(app, world):

    order = place(world, sample_description='<img src=x onerror="alert(1)">', notes="<b>bold</b>")
    for email in (world.user.email, world.staff.email):
        html = login(app, email).get(f"/orders/{order.id}").get_data(as_text=True)
        assert "&lt;img src=x" in html and "<img src=x" not in html and "<b>bold</b>" not in html


def test_pages_refuse_other_platforms_and_illegal_steps(app, world, make_user):

    order = place(world)
    other = login(app, world.other_staff.email)
    assert other.get(f"/orders/{order.id}").status_code == 403
    token = csrf_token(other, "/account")
    assert other.post(f"/orders/{order.id}/quote", data={"quote-price": "1", "quote-csrf_token": token}).status_code == 403
    assert f"#{order.id}" not in other.get("/staff/orders").get_data(as_text=True)
    assert login(app, world.user.email).get("/staff/orders").status_code == 403
    assert login(app, world.stranger.email).get(f"/orders/{order.id}").status_code == 403
    assert login(app, world.user.email).get("/orders/424242").status_code == 404

    staff = login(app, world.staff.email)
    staff.get("/?lang=en")
    token = csrf_token(staff, "/account")
    # Receiving samples of an order nobody has quoted: a conflict, shown on the order's page.
    response = staff.post(f"/orders/{order.id}/receive", data={"receive-csrf_token": token})
    assert response.status_code == 409 and "cannot mark as received" in response.get_data(as_text=True)
    # Staff must give a reason to cancel.
    response = step(staff, order.id, "cancel", reason="")
    assert response.status_code == 422 and "This field is required" in response.get_data(as_text=True)
    assert step(staff, order.id, "cancel", reason="Machine broken").status_code == 303
    assert events_of(order.id)[-1] == ("cancel", "submitted", "cancelled", world.staff.id)
    # The orderer cannot cancel once the samples are in.
    received = at_status(world, "received")
    user = login(app, world.user.email)
    user.get("/?lang=en")
    response = user.post(f"/orders/{received.id}/cancel",
                         data={"cancel-csrf_token": csrf_token(user, "/account"), "cancel-reason": "oops"})
    assert response.status_code == 409 and "ask the platform" in response.get_data(as_text=True)


def test_lists_filter_by_status(app, world):

    quoted, testing = at_status(world, "quoted"), at_status(world, "testing")
    user = login(app, world.user.email)
    html = user.get("/orders?status=quoted").get_data(as_text=True)
    assert f"#{quoted.id}" in html and f"#{testing.id}" not in html
    assert f"#{testing.id}" in user.get("/orders?status=nonsense").get_data(as_text=True)
    staff = login(app, world.staff.email)
    html = staff.get("/staff/orders?status=testing").get_data(as_text=True)
    assert f"#{testing.id}" in html and f"#{quoted.id}" not in html
    admin = login(app, world.admin.email)
    assert f"#{quoted.id}" in admin.get("/staff/orders").get_data(as_text=True)
    assert f"#{quoted.id}" not in admin.get(f"/staff/orders?platform={world.other_platform.code}").get_data(as_text=True)


def test_switching_language_after_a_refused_form_lands_on_the_page(app, world):

    user = login(app, world.user.email)
    response = user.get(f"/resources/{world.service.id}/order?lang=zh")
    assert response.status_code == 303 and response.headers["Location"].endswith(
        f"/resources/{world.service.id}?lang=zh#order")
    order = place(world)
    response = user.get(f"/orders/{order.id}/accept?lang=en")
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/orders/{order.id}?lang=en")
