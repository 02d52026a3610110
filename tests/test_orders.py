"""Testing-service orders: the lifecycle through the API, the rules of each step, files and rights.

Every test runs on SQLite and PostgreSQL (see conftest). The page flow is in test_orders_pages.py.
"""
from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from booking.extensions import db
from booking.models import Order, OrderFile, OutgoingMail

from support.orders import (
    ORDER,
    PDF,
    PNG,
    at_status,
    b64file,
    docx_bytes,
    events_of,
    mails,
    new_order,
    place,
    uploads,
)


def test_lifecycle_through_the_api(client, auth, world, app):
    user_h, staff_h = auth.token(world.user.email), auth.token(world.staff.email)
    response = new_order(client, user_h, world.service, attachment=b64file("specimens.pdf", PDF))
    assert response.status_code == 201, response.get_json()
    order = response.get_json()
    oid = order["id"]
    assert order["status"] == "submitted" and order["samples"] == 6 and order["price"] is None
    assert order["needed_by"] == (date.today() + timedelta(days=14)).isoformat() or order["needed_by"]
    assert [f["kind"] for f in order["files"]] == ["attachment"]
    assert order["actions"] == ["cancel"]
    assert response.headers["Location"].endswith(f"/api/v1/orders/{oid}")

    staff_view = client.get(f"/api/v1/orders/{oid}", headers=staff_h).get_json()
    assert set(staff_view["actions"]) == {"quote", "cancel"}
    promised = (date.today() + timedelta(days=10)).isoformat()
    quoted = client.post(f"/api/v1/orders/{oid}/quote", headers=staff_h,
                         json={"price": "1800.50", "promised_date": promised, "note": "Includes sample prep"})
    assert quoted.status_code == 200, quoted.get_json()
    assert quoted.get_json()["price"] == {"amount": "1800.50", "currency": "CNY"}
    assert quoted.get_json()["promised_date"] == promised

    for action, headers, body, status in [
        ("accept", user_h, {}, "accepted"),
        ("receive", staff_h, {"note": "6 specimens, intact"}, "received"),
        ("start", staff_h, None, "testing"),
        ("issue", staff_h, {"report": b64file("report-2027-001.pdf", PDF), "note": "All passed"}, "reported"),
        ("complete", user_h, {}, "completed"),
    ]:
        response = client.post(f"/api/v1/orders/{oid}/{action}", headers=headers, json=body) if body is not None \
            else client.post(f"/api/v1/orders/{oid}/{action}", headers=headers)
        assert response.status_code == 200, (action, response.get_json())
        assert response.get_json()["status"] == status

    final = client.get(f"/api/v1/orders/{oid}", headers=user_h).get_json()
    assert final["actions"] == []
    report = next(f for f in final["files"] if f["kind"] == "report")
    with client.get(report["url"], headers=user_h) as download:
        assert download.status_code == 200 and download.data == PDF
        assert "filename=report-2027-001.pdf" in download.headers["Content-Disposition"]
        assert download.headers["Content-Disposition"].startswith("attachment")

    u, s = world.user.id, world.staff.id
    assert events_of(oid) == [
        ("submit", None, "submitted", u), ("quote", "submitted", "quoted", s), ("accept", "quoted", "accepted", u),
        ("receive", "accepted", "received", s), ("start", "received", "testing", s),
        ("issue", "testing", "reported", s), ("complete", "reported", "completed", u),
    ]
    assert [e["note"] for e in final["events"]][1:4] == ["Includes sample prep", "", "6 specimens, intact"]
    assert mails() == [
        ("order_submit", world.staff.email), ("order_quote", world.user.email), ("order_accept", world.staff.email),
        ("order_receive", world.user.email), ("order_start", world.user.email), ("order_issue", world.user.email),
        ("order_complete", world.staff.email),
    ]
    # Stored under the instance folder with random names, never the user's.
    files = uploads(app)
    assert len(files) == 2 and all(p.parent.name == str(oid) for p in files)
    assert not any("report" in p.name or "specimens" in p.name for p in files)


@pytest.mark.parametrize("fields, bad", [
    ({"samples": 0}, "samples"),
    ({"samples": 1001}, "samples"),
    ({"samples": "many"}, "samples"),
    ({"samples": True}, "samples"),
    ({"samples": 2.5}, "samples"),
    ({"sample_description": "  "}, "sample_description"),
    ({"sample_description": None}, "sample_description"),
    ({"sample_description": ["a"]}, "sample_description"),
    ({"standard": "x" * 301}, "standard"),
    ({"notes": "x" * 4001}, "notes"),
    ({"needed_by": "2020-01-01"}, "needed_by"),
    ({"needed_by": "next week"}, "needed_by"),
    ({"needed_by": 0}, "needed_by"),
    ({"needed_by": 100000}, "needed_by"),
    ({"needed_by": "2999-01-01"}, "needed_by"),
    ({"attachment": "not a file"}, "attachment"),
    ({"attachment": {"filename": "a.pdf", "content_base64": "%%%"}}, "attachment"),
    ({"colour": "red"}, "colour"),
])
def test_bad_fields_are_422_and_store_nothing(client, auth, world, app, fields, bad):
    response = new_order(client, auth.token(world.user.email), world.service, **fields)
    assert response.status_code == 422, response.get_json()
    body = response.get_json()
    assert body["error"] == "invalid" and bad in body["fields"] and body["message"]
    assert db.session.query(Order).count() == 0 and uploads(app) == [] and mails() == []


def test_bad_requests_never_500(client, auth, world):
    headers = auth.token(world.user.email)
    for body in (None, [], "text", {"resource_id": "1"}, {"resource_id": None}, {"resource_id": 10**30}):
        response = client.post("/api/v1/orders", json=body, headers=headers)
        assert response.status_code in (404, 422), (body, response.status_code)
    assert client.post("/api/v1/orders", data="{", headers=dict(headers, **{"Content-Type": "application/json"})
                       ).status_code == 422
    assert new_order(client, headers, world.service, resource_id=999999).status_code == 404
    assert client.post("/api/v1/orders", json=dict(ORDER, resource_id=world.service.id)).status_code == 401


def test_resource_that_takes_no_orders_is_409(client, auth, world):
    headers = {**auth.token(world.user.email), "Accept-Language": "en"}
    response = new_order(client, headers, world.instrument)
    assert response.status_code == 409 and response.get_json()["error"] == "conflict"
    world.service.status = "withdrawn"
    db.session.commit()
    response = new_order(client, headers, world.service, samples=0)  # 409 wins over field errors
    assert response.status_code == 409 and "withdrawn" in response.get_json()["message"]
    assert db.session.query(Order).count() == 0


# Every (status, action) the state machine does not allow is a 409, asked by someone with the right.
ALLOWED = {
    ("submitted", "quote"), ("quoted", "quote"), ("quoted", "accept"), ("quoted", "decline"),
    ("accepted", "receive"), ("received", "start"), ("testing", "issue"), ("reported", "complete"),
    ("submitted", "cancel"), ("quoted", "cancel"), ("accepted", "cancel"), ("received", "cancel"),
    ("testing", "cancel"),
}
STATUSES = ("submitted", "quoted", "accepted", "declined", "received", "testing", "reported", "completed", "cancelled")
STAFF_ACTIONS = ("quote", "receive", "start", "issue")
USER_ACTIONS = ("accept", "decline")


def _body(action: str) -> dict[str, Any]:
    return {
        "quote": {"price": 100, "promised_date": (date.today() + timedelta(days=3)).isoformat()},
        "issue": {"report": b64file("r.pdf", PDF)},
        "cancel": {"reason": "lab closed"},
    }.get(action, {})


def test_every_illegal_transition_is_409(client, auth, world, app):
    user_h, staff_h = auth.token(world.user.email), auth.token(world.staff.email)
    orders = {status: at_status(world, status).id for status in STATUSES}
    checked = 0
    for status, oid in orders.items():
        for action in STAFF_ACTIONS + USER_ACTIONS + ("complete", "cancel"):
            if (status, action) in ALLOWED:
                continue
            headers = user_h if action in USER_ACTIONS else staff_h
            response = client.post(f"/api/v1/orders/{oid}/{action}", json=_body(action), headers=headers)
            assert response.status_code == 409, (status, action, response.get_json())
            assert response.get_json()["error"] == "conflict" and response.get_json()["message"]
            checked += 1
    assert checked == 9 * 8 - len(ALLOWED)
    db.session.expire_all()
    assert {o.id: o.status for o in db.session.scalars(select(Order))} == {v: k for k, v in orders.items()}
    assert uploads(app) == []  # no report stored by a refused "issue"


def test_the_ordering_user_may_cancel_until_the_samples_are_received(client, auth, world):
    headers = auth.token(world.user.email)
    for status in ("submitted", "quoted", "accepted"):
        order = at_status(world, status)
        response = client.post(f"/api/v1/orders/{order.id}/cancel", json={}, headers=headers)
        assert response.status_code == 200 and response.get_json()["status"] == "cancelled"
    for status in ("received", "testing", "reported"):
        order = at_status(world, status)
        response = client.post(f"/api/v1/orders/{order.id}/cancel", json={"reason": "changed my mind"}, headers=headers)
        assert response.status_code == 409, status
    assert "ask the platform" in response.get_json()["message"] or response.get_json()["message"]


def test_staff_cancel_needs_a_reason_and_ends_before_the_report(client, auth, world):
    headers = auth.token(world.staff.email)
    order = at_status(world, "testing")
    response = client.post(f"/api/v1/orders/{order.id}/cancel", json={"reason": " "}, headers=headers)
    assert response.status_code == 422 and "reason" in response.get_json()["fields"]
    response = client.post(f"/api/v1/orders/{order.id}/cancel", json={"reason": "The tester is broken"},
                           headers=headers)
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "cancelled" and body["cancel_reason"] == "The tester is broken"
    assert events_of(order.id)[-1] == ("cancel", "testing", "cancelled", world.staff.id)
    assert mails()[-1] == ("order_cancel", world.user.email)
    reported = at_status(world, "reported")
    assert client.post(f"/api/v1/orders/{reported.id}/cancel", json={"reason": "x"},
                       headers=headers).status_code == 409


def test_decline_closes_the_order(client, auth, world):
    order = at_status(world, "quoted")
    response = client.post(f"/api/v1/orders/{order.id}/decline", json={"note": "Too dear"},
                           headers=auth.token(world.user.email))
    assert response.status_code == 200 and response.get_json()["status"] == "declined"
    assert events_of(order.id)[-1] == ("decline", "quoted", "declined", world.user.id)
    assert mails()[-1] == ("order_decline", world.staff.email)


def test_who_may_do_what(client, auth, world):
    order = place(world)
    other_staff, stranger = auth.token(world.other_staff.email), auth.token(world.stranger.email)
    user_h, staff_h = auth.token(world.user.email), auth.token(world.staff.email)
    for headers in (other_staff, stranger):
        assert client.get(f"/api/v1/orders/{order.id}", headers=headers).status_code == 403
        for action in ("quote", "accept", "decline", "receive", "start", "issue", "complete", "cancel"):
            response = client.post(f"/api/v1/orders/{order.id}/{action}", json=_body(action), headers=headers)
            assert response.status_code == 403, action
            assert response.get_json()["error"] == "forbidden"
    # The orderer cannot take the platform's steps, nor the platform the orderer's.
    assert client.post(f"/api/v1/orders/{order.id}/quote", json=_body("quote"), headers=user_h).status_code == 403
    client.post(f"/api/v1/orders/{order.id}/quote", json=_body("quote"), headers=staff_h)
    assert client.post(f"/api/v1/orders/{order.id}/accept", json={}, headers=staff_h).status_code == 403
    assert client.post(f"/api/v1/orders/{order.id}/accept", json={}, headers=auth.token(world.colleague.email)
                       ).status_code == 403
    # An administrator acts for any platform.
    admin = auth.token(world.admin.email)
    assert client.post(f"/api/v1/orders/{order.id}/quote", json=_body("quote"), headers=admin).status_code == 200
    assert client.get("/api/v1/orders/999999", headers=user_h).status_code == 404
    assert client.post(f"/api/v1/orders/{order.id}/explode", json={}, headers=staff_h).status_code == 404
    assert events_of(order.id)[-1][3] == world.admin.id


@pytest.mark.parametrize("body, bad", [
    ({"price": -1, "promised_date": "2099-01-01"}, "price"),
    ({"price": "12.345", "promised_date": "2099-01-01"}, "price"),
    ({"price": "NaN", "promised_date": "2099-01-01"}, "price"),
    ({"price": True, "promised_date": "2099-01-01"}, "price"),
    ({"price": 10, "promised_date": "2020-01-01"}, "promised_date"),
    ({"price": 10}, "promised_date"),
    ({"price": 10, "promised_date": "soon"}, "promised_date"),
    ({"price": 10, "promised_date": (date.today() + timedelta(days=3)).isoformat(), "note": 5}, "note"),
])
def test_quote_fields_are_checked(client, auth, world, body, bad):
    order = place(world)
    response = client.post(f"/api/v1/orders/{order.id}/quote", json=body, headers=auth.token(world.staff.email))
    assert response.status_code == 422, response.get_json()
    assert bad in response.get_json()["fields"]
    db.session.expire_all()
    assert db.session.get(Order, order.id).status == "submitted" and len(events_of(order.id)) == 1


def test_a_free_quote_and_a_revised_quote(client, auth, world):
    order = place(world)
    staff_h = auth.token(world.staff.email)
    day = (date.today() + timedelta(days=3)).isoformat()
    assert client.post(f"/api/v1/orders/{order.id}/quote", json={"price": 0, "promised_date": day},
                       headers=staff_h).get_json()["price"]["amount"] == "0.00"
    body = client.post(f"/api/v1/orders/{order.id}/quote", json={"price": 99.5, "promised_date": day},
                       headers=staff_h).get_json()
    assert body["price"]["amount"] == "99.50" and [e["action"] for e in body["events"]] == ["submit", "quote", "quote"]


def test_lists_show_each_their_own(client, auth, world, make_user):
    mine = place(world)
    other_user = make_user(email="x@y.cn")
    from booking.orders import parse_draft, place_order

    theirs = place_order(other_user, world.service, parse_draft(ORDER, world.service))
    db.session.commit()
    ids = lambda r: [o["id"] for o in r.get_json()]  # noqa: E731
    assert ids(client.get("/api/v1/orders", headers=auth.token(world.user.email))) == [mine.id]
    assert ids(client.get("/api/v1/orders", headers=auth.token(world.staff.email))) == [theirs.id, mine.id]
    assert ids(client.get("/api/v1/orders", headers=auth.token(world.other_staff.email))) == []
    staff_h = auth.token(world.staff.email)
    assert ids(client.get("/api/v1/orders?status=submitted", headers=staff_h)) == [theirs.id, mine.id]
    assert ids(client.get("/api/v1/orders?status=quoted", headers=staff_h)) == []
    response = client.get("/api/v1/orders?status=lost", headers=staff_h)
    assert response.status_code == 400 and response.get_json()["error"] == "bad_request"
    assert client.get("/api/v1/orders?mine=yes", headers=staff_h).status_code == 400
    assert client.get("/api/v1/orders").status_code == 401


@pytest.mark.parametrize("name, data, ok", [
    ("photo.png", PNG, True),
    ("scan.JPG", b"\xff\xd8\xff\xe0" + b"\x00" * 20, True),
    ("sheet.csv", "样品,数量\nA,1\n".encode(), True),
    ("readme.txt", "plain words".encode("gb18030"), True),
    ("spec.docx", docx_bytes(), True),
    ("spec.xlsx", docx_bytes(), False),  # a Word package named .xlsx
    ("program.exe", b"MZ\x90\x00", False),
    ("fake.pdf", PNG, False),
    ("no-extension", PDF, False),
    ("data.txt", b"\x00\x01\x02binary", False),
    ("empty.pdf", b"", False),
], ids=lambda v: v if isinstance(v, str) else "")
def test_attachment_types(client, auth, world, app, name, data, ok):
    response = new_order(client, auth.token(world.user.email), world.service, attachment=b64file(name, data))
    if ok:
        assert response.status_code == 201, response.get_json()
        assert response.get_json()["files"][0]["filename"] == name
    else:
        assert response.status_code == 422
        assert "attachment" in response.get_json()["fields"]
        assert db.session.query(Order).count() == 0 and uploads(app) == []


def test_too_big_attachment_is_refused_and_nothing_stored(client, auth, world, app):
    big = PDF + b"0" * (10 * 1024 * 1024)
    response = new_order(client, auth.token(world.user.email), world.service, attachment=b64file("big.pdf", big))
    assert response.status_code == 422
    assert "10 MB" in response.get_json()["fields"]["attachment"]
    assert db.session.query(Order).count() == 0 and db.session.query(OrderFile).count() == 0 and uploads(app) == []


def test_issue_needs_a_report_file(client, auth, world, app):
    order = at_status(world, "testing")
    headers = auth.token(world.staff.email)
    response = client.post(f"/api/v1/orders/{order.id}/issue", json={}, headers=headers)
    assert response.status_code == 422 and "report" in response.get_json()["fields"]
    response = client.post(f"/api/v1/orders/{order.id}/issue", json={"report": b64file("r.exe", b"MZ")},
                           headers=headers)
    assert response.status_code == 422 and "report" in response.get_json()["fields"]
    assert uploads(app) == [] and events_of(order.id)[-1][0] == "submit"


def test_order_mail_is_rendered_in_the_recipients_language_and_sent(client, auth, world, app):
    from email import message_from_string
    from email.policy import default

    from booking.notify import dispatch_due
    from booking.notify.outbox import render_pending

    order = place(world, sample_description="<script>alert(1)</script> specimens")
    render_pending()  # mail is rendered at dispatch; render now to read it
    rows = db.session.scalars(select(OutgoingMail)).all()
    assert [(m.kind, m.recipient) for m in rows] == [("order_submit", world.staff.email)]
    staff_mail = message_from_string(rows[0].raw, policy=default)
    assert f"订单号 {order.id}" in staff_mail["Subject"] or f"order no. {order.id}" in staff_mail["Subject"]
    html = staff_mail.get_body(("html",)).get_content()
    assert "&lt;script&gt;" in html and "<script>" not in html
    assert f"/orders/{order.id}" in html and world.user.email in html
    client.post(f"/api/v1/orders/{order.id}/quote", headers=auth.token(world.staff.email),
                json={"price": 500, "promised_date": (date.today() + timedelta(days=3)).isoformat()})
    render_pending()
    user_mail = message_from_string(db.session.scalars(select(OutgoingMail).order_by(OutgoingMail.id.desc())).first().raw,
                                    policy=default)
    assert user_mail["To"].addresses[0].addr_spec == world.user.email
    assert user_mail["Subject"].startswith("Quote sent")  # the user reads English
    assert "¥500.00" in user_mail.get_body(("plain",)).get_content()
    stats = dispatch_due(budget_seconds=5)
    assert stats["sent"] == 2
    assert len(list((Path(app.instance_path) / "outbox").glob("*.eml"))) == 2


def test_openapi_describes_the_order_endpoints(client, app):
    import json
    import re

    spec = client.get("/api/v1/openapi.json").get_json()
    present = {(method, path) for path, ops in spec["paths"].items() for method in ops}
    expected = {("post", "/orders"), ("get", "/orders"), ("get", "/orders/{order_id}"),
                ("get", "/orders/{order_id}/files/{file_id}")}
    expected |= {("post", f"/orders/{{order_id}}/{a}") for a in
                 ("quote", "accept", "decline", "receive", "start", "issue", "complete", "cancel")}
    assert expected <= present
    # Every order route of the app is described, and every $ref resolves.
    routes = {re.sub(r"<(?:int:)?(\w+)>", r"{\1}", r.rule).removeprefix("/api/v1")
              for r in app.url_map.iter_rules() if r.rule.startswith("/api/v1/orders")}
    described = {p for _, p in present}
    assert {r for r in routes if "{action}" not in r} <= described
    refs = set(re.findall(r'"#/components/schemas/(\w+)"', json.dumps(spec)))
    assert refs <= set(spec["components"]["schemas"])
    assert set(spec["paths"]["/orders/{order_id}/accept"]["post"]["responses"]) >= {"200", "403", "409"}


def test_two_clicks_at_once_make_one_step(app, auth, world):
    """Staff press "samples received" twice at the same moment: one step, one event, one mail."""
    import threading

    order_id = at_status(world, "accepted").id
    headers = auth.token(world.staff.email)
    threads_n = 6
    barrier = threading.Barrier(threads_n)
    codes: list[int] = []
    lock = threading.Lock()

    def attempt() -> None:
        own_client = app.test_client()  # a request in a thread gets its own app context and session
        barrier.wait(timeout=60)
        response = own_client.post(f"/api/v1/orders/{order_id}/receive", json={}, headers=headers)
        with lock:
            codes.append(response.status_code)

    threads = [threading.Thread(target=attempt) for _ in range(threads_n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert sorted(codes) == [200] + [409] * (threads_n - 1)
    assert [e[0] for e in events_of(order_id)] == ["submit", "receive"]
    assert [k for k, _ in mails()].count("order_receive") == 1


def test_a_step_that_fails_after_the_upload_leaves_no_file(app, world, monkeypatch):
    """The report is written before the step commits; if the step then fails, the file goes too."""
    from booking.notify import orders as order_mails
    from booking.orders import files as order_files
    from booking.orders import issue_report

    order = at_status(world, "testing")

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("mail template broke")

    monkeypatch.setattr(order_mails, "queue_mail", broken)
    with pytest.raises(RuntimeError):
        issue_report(order, world.staff, order_files.Upload("report.pdf", PDF))
    assert len(uploads(app)) == 1  # written, not yet committed
    db.session.rollback()
    assert uploads(app) == []
    assert db.session.get(Order, order.id).status == "testing"
