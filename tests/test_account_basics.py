"""Account basics as a person meets them (issue 9): confirm the address by mail, forget and reset the
password, log out everywhere, list and revoke API tokens, a log-in throttle that cannot lock anyone
else out, registration that does not reveal who has an account, password rules, clean names,
security headers and pages without inline script.

Mail is read the way its recipient reads it: the real dispatcher sends it to a real SMTP server on
loopback (tests/smtp_server.py). Every test runs on SQLite and on PostgreSQL.
"""
from __future__ import annotations

import re
import statistics
import time
from datetime import datetime, timedelta
from html.parser import HTMLParser
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient
from itsdangerous.timed import TimestampSigner
from sqlalchemy import select

from booking import create_app
from booking.accounts import service
from booking.errors import InvalidInput
from booking.extensions import db
from booking.models import ApiToken, LoginFailure, Reservation, User, utcnow
from booking.notify import dispatch_due

from support import PASSWORD, csrf_token
from support.smtp import Received, SmtpSink

SITE = "https://onestop.example.org"  # ONESTOP_BASE_URL of mail_app: links in mail start with it
NEW_PASSWORD = "plum orchard telescope 42"


# --- helpers ------------------------------------------------------------------------------------------

def register(client: FlaskClient, lang: str = "en", **fields: str) -> Any:
    data = {"email": "founder@startup.cn", "name": "Li Lei", "password": "violet kayak uphill",
            "confirm": "violet kayak uphill", "language": lang}
    data.update(fields)
    data["csrf_token"] = csrf_token(client, f"/register?lang={lang}")
    return client.post("/register", data=data)


def deliver(smtp: SmtpSink, count: int, to: str | None = None) -> list[Received]:
    """Run the real dispatcher and wait for `count` messages (to `to`, if given) at the SMTP server."""
    dispatch_due()
    return smtp.wait_for(count, where=lambda r: to is None or r.rcpt_tos == [to])


def link_in(mail: Received, path: str) -> str:
    """The site path of the link to `path` in the plain-text part, as a reader would click it."""
    match = re.search(re.escape(SITE) + r"(/" + re.escape(path.strip("/")) + r"(?:/[^\s<>\"]*)?)", mail.text())
    assert match, f"no {path} link in: {mail.text()}"
    assert f'href="{SITE}{match.group(1)}"' in mail.html()  # the HTML part's button goes to the same place
    return match.group(1)


def flashes(client: FlaskClient, path: str = "/") -> list[str]:
    html = client.get(path).get_data(as_text=True)
    return [re.sub(r"\s+", " ", m).strip() for m in re.findall(r'<div class="flash flash-\w+"[^>]*>(.*?)</div>', html, re.S)]


def log_in(client: FlaskClient, email: str, password: str = PASSWORD, remember: bool = False) -> Any:
    data = {"email": email, "password": password, "csrf_token": csrf_token(client, "/login?lang=en")}
    if remember:
        data["remember"] = "y"
    return client.post("/login", data=data)


def logged_in(client: FlaskClient) -> bool:
    return client.get("/account").status_code == 200


def token_for(client: FlaskClient, email: str, password: str = PASSWORD, addr: str = "127.0.0.1",
              **headers: str) -> Any:
    return client.post("/api/v1/tokens", json={"email": email, "password": password},
                       environ_base={"REMOTE_ADDR": addr}, headers=headers)


def bearer(client: FlaskClient, email: str, password: str = PASSWORD) -> dict[str, str]:
    response = token_for(client, email, password)
    assert response.status_code == 201, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['token']}", "Accept-Language": "en"}


def only_cookie(app: Flask, source: FlaskClient, name: str) -> FlaskClient:
    """A new browser holding nothing but a copy of `source`'s cookie `name` (a stolen remember-me cookie)."""
    cookie = source.get_cookie(name, domain=app.config["SERVER_NAME"])
    assert cookie is not None, f"no {name} cookie"
    other = app.test_client()
    other.set_cookie(name, cookie.value, domain=app.config["SERVER_NAME"])
    return other


def at_later_time(monkeypatch: pytest.MonkeyPatch, seconds: int) -> None:
    """Links are checked as if `seconds` had passed since they were made."""
    real = TimestampSigner.get_timestamp
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: real(self) + seconds)


def next_weekday_at(hour: int) -> datetime:
    day = datetime.now(ZoneInfo("Asia/Shanghai")).date() + timedelta(days=3)
    return datetime(day.year, day.month, day.day, hour, tzinfo=ZoneInfo("Asia/Shanghai"))


def booking_body(resource_id: int) -> dict[str, Any]:
    start = next_weekday_at(10)
    return {"resource_id": resource_id, "start": start.isoformat(), "end": (start + timedelta(hours=1)).isoformat(),
            "purpose": "XRD"}


# --- e-mail verification ------------------------------------------------------------------------------

def test_registration_mails_a_link_that_confirms_the_address_and_logs_in(mail_app, smtp_server, client):
    response = register(client)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert any("We sent a mail to founder@startup.cn" in text for text in flashes(client))
    user = db.session.scalar(select(User).where(User.email == "founder@startup.cn"))
    assert user is not None and user.email_verified_at is None
    assert not logged_in(client)  # not before the address answered

    (mail,) = deliver(smtp_server, 1)
    assert mail.rcpt_tos == ["founder@startup.cn"]
    assert mail.subject == "Confirm your e-mail address for OneStop"
    assert mail.text().startswith("Hello Li Lei,")
    link = link_in(mail, "/verify-email")

    opened = client.get(link)
    assert opened.status_code == 302 and opened.headers["Location"] == "/"
    assert any("founder@startup.cn is confirmed" in text for text in flashes(client))
    db.session.refresh(user)
    assert user.email_verified_at is not None
    account = client.get("/account?lang=en").get_data(as_text=True)
    assert "founder@startup.cn" in account and ">confirmed<" in account

    # The link again (say, from another device): nothing breaks, nobody else is logged in by it.
    stranger = mail_app.test_client()
    again = stranger.get(link)
    assert again.status_code == 302 and again.headers["Location"] == "/login"
    assert not logged_in(stranger)


def test_verification_link_expires_and_cannot_be_tampered_with(mail_app, smtp_server, client, monkeypatch):
    register(client)
    link = link_in(deliver(smtp_server, 1)[0], "/verify-email")
    user = db.session.scalar(select(User).where(User.email == "founder@startup.cn"))

    token = link.rsplit("/", 1)[1]
    for forged in (token[:-3] + ("abc" if token[-3:] != "abc" else "xyz"), token.replace(".", ".x", 1), "nonsense"):
        response = client.get(f"/verify-email/{forged}?lang=en")
        assert response.status_code == 400
        assert "This link is not valid" in response.get_data(as_text=True)

    with monkeypatch.context() as later:
        at_later_time(later, service.VERIFY_MAX_AGE + 60)
        response = client.get(link + "?lang=en")
        assert response.status_code == 400 and "This link has expired" in response.get_data(as_text=True)
    db.session.refresh(user)
    assert user.email_verified_at is None and not logged_in(client)

    with monkeypatch.context() as nearly:
        at_later_time(nearly, service.VERIFY_MAX_AGE - 60)
        assert client.get(link).status_code == 302
    db.session.refresh(user)
    assert user.email_verified_at is not None


def test_unverified_address_can_search_and_browse_but_not_book_or_order(client, make_user, make_resource,
                                                                         make_platform):
    platform = make_platform()
    instrument = make_resource(platform=platform, opening_hours=None)
    testing = make_resource(platform=platform, kind="testing_service", bookable=False, orderable=True)
    user = make_user(email="new@startup.cn", verified=False, language="en")
    headers = bearer(client, "new@startup.cn")

    assert client.get("/api/v1/search?q=", headers=headers).status_code == 200
    assert client.get(f"/api/v1/resources/{instrument.id}", headers=headers).status_code == 200

    refused = client.post("/api/v1/reservations", json=booking_body(instrument.id), headers=headers)
    assert refused.status_code == 403
    body = refused.get_json()
    assert body["error"] == "email_unverified"
    assert "Confirm your e-mail address first" in body["message"] and "new@startup.cn" in body["message"]
    order = client.post("/api/v1/orders", headers=headers, json={
        "resource_id": testing.id, "samples": 2, "sample_description": "two coupons", "needed_by": 14})
    assert order.status_code == 403 and order.get_json()["error"] == "email_unverified"
    assert db.session.scalars(select(Reservation)).all() == []

    # The pages say the same: a banner with a resend button, and the booking form refuses.
    log_in(client, "new@startup.cn")
    home = client.get("/?lang=en").get_data(as_text=True)
    assert "Confirm your e-mail address to book and order" in home
    assert client.get(f"/resources/{instrument.id}?lang=en").status_code == 200

    user.email_verified_at = utcnow()
    db.session.commit()
    booked = client.post("/api/v1/reservations", json=booking_body(instrument.id), headers=headers)
    assert booked.status_code == 201, booked.get_json()


def test_resend_verification_mail(mail_app, smtp_server, client, make_user):
    make_user(email="new@startup.cn", verified=False, language="en")
    log_in(client, "new@startup.cn")
    token = csrf_token(client, "/account?lang=en")
    response = client.post("/verify-email/resend", data={"csrf_token": token, "next": "/account"})
    assert response.status_code == 302 and response.headers["Location"] == "/account"
    (mail,) = deliver(smtp_server, 1)
    assert mail.rcpt_tos == ["new@startup.cn"]
    assert client.get(link_in(mail, "/verify-email")).status_code == 302
    assert db.session.scalar(select(User.email_verified_at).where(User.email == "new@startup.cn")) is not None

    # Confirmed: asking again sends nothing.
    client.post("/verify-email/resend", data={"csrf_token": token})
    dispatch_due()
    assert len(smtp_server.messages()) == 1


def test_resend_is_limited_so_nobody_is_mail_bombed(mail_app, smtp_server, client, make_user):
    make_user(email="new@startup.cn", verified=False, language="en")
    log_in(client, "new@startup.cn")
    token = csrf_token(client, "/account?lang=en")
    for _ in range(service.MAILS_PER_HOUR + 2):
        client.post("/verify-email/resend", data={"csrf_token": token})
    assert any("several mails in the last hour" in text for text in flashes(client, "/account?lang=en"))
    dispatch_due()
    time.sleep(0.3)
    assert len(smtp_server.messages()) == service.MAILS_PER_HOUR


# --- neutral registration -----------------------------------------------------------------------------

def test_registering_an_existing_address_answers_as_for_a_new_one_and_mails_the_owner(
        mail_app, smtp_server, app, make_user):
    owner = make_user(email="owner@startup.cn", name="Wang Fang", language="en")
    fresh, again = app.test_client(), app.test_client()

    new = register(fresh, email="newcomer@startup.cn")
    taken = register(again, email="owner@startup.cn")
    assert (new.status_code, new.headers["Location"]) == (taken.status_code, taken.headers["Location"]) == (302, "/")
    assert ([t.replace("newcomer@", "X@") for t in flashes(fresh)]
            == [t.replace("owner@", "X@") for t in flashes(again)])
    assert not logged_in(fresh) and not logged_in(again)

    # No second account, and the owner's password is untouched.
    assert db.session.query(User).filter(User.email == "owner@startup.cn").count() == 1
    db.session.refresh(owner)
    assert owner.check_password(PASSWORD) and not owner.check_password("violet kayak uphill")

    mails = {m.rcpt_tos[0]: m for m in deliver(smtp_server, 2)}
    assert mails["newcomer@startup.cn"].subject == "Confirm your e-mail address for OneStop"
    warning = mails["owner@startup.cn"]
    assert warning.subject == "Someone tried to register with your address"
    assert "Hello Wang Fang," in warning.text() and "nothing was changed" in warning.text()
    assert link_in(warning, "/forgot-password") == "/forgot-password"


# --- forgotten password -------------------------------------------------------------------------------

def ask_reset(client: FlaskClient, email: str) -> Any:
    token = csrf_token(client, "/forgot-password?lang=en")
    return client.post("/forgot-password", data={"email": email, "csrf_token": token})


def test_forgot_password_answers_the_same_for_unknown_addresses(mail_app, smtp_server, app, make_user):
    make_user(email="ada@example.com", language="en")
    known_client, unknown_client = app.test_client(), app.test_client()
    login_page = known_client.get("/login?lang=en").get_data(as_text=True)
    assert 'href="/forgot-password"' in login_page and "Forgot your password?" in login_page

    known = ask_reset(known_client, "ada@example.com")
    unknown = ask_reset(unknown_client, "bob@example.com")
    assert (known.status_code, known.headers["Location"]) == (unknown.status_code, unknown.headers["Location"])
    assert known.headers["Location"] == "/login"
    said_known = [t.replace("ada@", "X@") for t in flashes(known_client, "/login?lang=en")]
    said_unknown = [t.replace("bob@", "X@") for t in flashes(unknown_client, "/login?lang=en")]
    assert said_known == said_unknown and "If an account uses X@example.com" in said_known[0]

    (mail,) = deliver(smtp_server, 1)
    assert mail.rcpt_tos == ["ada@example.com"] and mail.subject == "Choose a new OneStop password"
    time.sleep(0.3)
    assert len(smtp_server.messages()) == 1  # nothing to bob@, who has no account


def test_reset_by_mail_ends_every_session_cookie_and_token_and_works_once(mail_app, smtp_server, app, make_user):
    make_user(email="ada@example.com", language="en")
    laptop = app.test_client()
    assert log_in(laptop, "ada@example.com", remember=True).status_code == 302
    stolen = only_cookie(app, laptop, "remember_token")
    assert logged_in(stolen)  # a remember-me cookie alone logs in …
    script = bearer(app.test_client(), "ada@example.com")
    assert app.test_client().get("/api/v1/me", headers=script).status_code == 200

    phone = app.test_client()
    ask_reset(phone, "ada@example.com")
    link = link_in(deliver(smtp_server, 1)[0], "/reset-password")
    page = phone.get(link + "?lang=en")
    assert page.status_code == 200 and "Choose a new password" in page.get_data(as_text=True)
    assert page.headers["Referrer-Policy"] == "no-referrer"  # the address holds the secret

    weak = phone.post(link, data={"password": "password1234", "confirm": "password1234",
                                  "csrf_token": csrf_token(phone, link)})
    assert weak.status_code == 422 and "too easy to guess" in weak.get_data(as_text=True)
    done = phone.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD,
                                  "csrf_token": csrf_token(phone, link)})
    assert done.status_code == 302 and logged_in(phone)

    assert not logged_in(laptop)  # … but not after the reset: every session ended,
    assert not logged_in(only_cookie(app, laptop, "session"))
    assert not logged_in(stolen)  # every remember-me cookie,
    assert app.test_client().get("/api/v1/me", headers=script).status_code == 401  # every token
    assert db.session.query(ApiToken).count() == 0

    used = phone.get(link + "?lang=en")
    assert used.status_code == 400 and "used already" in used.get_data(as_text=True)
    fresh = app.test_client()
    assert log_in(fresh, "ada@example.com", PASSWORD).status_code == 401
    assert log_in(fresh, "ada@example.com", NEW_PASSWORD).status_code == 302


def test_reset_link_expires_after_an_hour(mail_app, smtp_server, client, make_user, monkeypatch):
    make_user(email="ada@example.com", language="en")
    ask_reset(client, "ada@example.com")
    link = link_in(deliver(smtp_server, 1)[0], "/reset-password")
    with monkeypatch.context() as later:
        at_later_time(later, 59 * 60)
        assert client.get(link).status_code == 200
    with monkeypatch.context() as later:
        at_later_time(later, 61 * 60)
        expired = client.get(link + "?lang=en")
        assert expired.status_code == 400 and "This link has expired" in expired.get_data(as_text=True)
        refused = client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD,
                                          "csrf_token": csrf_token(client, "/forgot-password")})
        assert refused.status_code == 400
    user = db.session.scalar(select(User).where(User.email == "ada@example.com"))
    db.session.refresh(user)
    assert user.check_password(PASSWORD)


# --- password change and log-out ----------------------------------------------------------------------

def change_password(client: FlaskClient, current: str, new: str) -> Any:
    token = csrf_token(client, "/account?lang=en")
    return client.post("/account", data={"csrf_token": token, "pw-current_password": current,
                                         "pw-new_password": new, "pw-confirm": new})


def test_password_change_ends_other_sessions_and_tokens_but_not_this_one(app, make_user):
    make_user(email="ada@example.com")
    here, elsewhere = app.test_client(), app.test_client()
    log_in(here, "ada@example.com", remember=True)
    log_in(elsewhere, "ada@example.com", remember=True)
    old_cookie = only_cookie(app, here, "remember_token")
    script = bearer(app.test_client(), "ada@example.com")

    response = change_password(here, PASSWORD, NEW_PASSWORD)
    assert response.status_code == 302
    assert logged_in(here)  # this browser stays logged in …
    assert not logged_in(elsewhere)  # … the other one is out,
    assert not logged_in(old_cookie)  # a remember-me cookie from before is worthless,
    assert app.test_client().get("/api/v1/me", headers=script).status_code == 401  # and so is the token
    assert logged_in(only_cookie(app, here, "remember_token"))  # this browser's new cookie works


def test_logout_ends_remember_me_cookies_other_sessions_and_tokens(app, make_user):
    make_user(email="ada@example.com")
    here, elsewhere = app.test_client(), app.test_client()
    log_in(here, "ada@example.com", remember=True)
    log_in(elsewhere, "ada@example.com")
    copy = only_cookie(app, here, "remember_token")
    script = bearer(app.test_client(), "ada@example.com")

    response = here.post("/logout", data={"csrf_token": csrf_token(here, "/account")})
    assert response.status_code == 302
    assert not logged_in(here) and not logged_in(copy) and not logged_in(elsewhere)
    assert app.test_client().get("/api/v1/me", headers=script).status_code == 401


# --- API tokens ---------------------------------------------------------------------------------------

def test_list_and_revoke_tokens(client, make_user):
    make_user(email="ada@example.com")
    make_user(email="bob@example.com")
    first, second = bearer(client, "ada@example.com"), bearer(client, "ada@example.com")
    bobs = bearer(client, "bob@example.com")

    listed = client.get("/api/v1/tokens", headers=first)
    assert listed.status_code == 200
    tokens = listed.get_json()
    assert len(tokens) == 2 and [t["current"] for t in tokens].count(True) == 1
    current = next(t for t in tokens if t["current"])
    other = next(t for t in tokens if not t["current"])
    assert set(current) == {"id", "created_at", "expires_at", "current"}
    assert datetime.fromisoformat(current["expires_at"]) > datetime.fromisoformat(current["created_at"])
    assert all(first["Authorization"].split()[1] not in str(t) for t in tokens)  # never the token itself

    bob_token_id = client.get("/api/v1/tokens", headers=bobs).get_json()[0]["id"]
    refused = client.delete(f"/api/v1/tokens/{bob_token_id}", headers=first)
    assert refused.status_code == 404 and refused.get_json()["error"] == "not_found"
    assert client.get("/api/v1/me", headers=bobs).status_code == 200  # Bob's token still works
    assert client.delete("/api/v1/tokens/99999999999999999999", headers=first).status_code == 404

    assert client.delete(f"/api/v1/tokens/{other['id']}", headers=first).status_code == 204
    assert client.get("/api/v1/me", headers=second).status_code == 401
    assert client.delete("/api/v1/tokens", headers=first).status_code == 204  # log this program out
    assert client.get("/api/v1/me", headers=first).status_code == 401
    assert client.get("/api/v1/tokens").status_code == 401


def test_account_page_lists_tokens_with_a_revoke_button(client, auth, make_user):
    make_user(email="ada@example.com")
    script = bearer(client, "ada@example.com")
    auth.login("ada@example.com")
    page = client.get("/account?lang=en").get_data(as_text=True)
    assert "API tokens" in page
    (token_id,) = re.findall(r'action="/account/tokens/(\d+)/revoke"', page)
    response = client.post(f"/account/tokens/{token_id}/revoke", data={"csrf_token": csrf_token(client, "/account")})
    assert response.status_code == 302
    assert client.get("/api/v1/me", headers=script).status_code == 401
    assert "API tokens" not in client.get("/account?lang=en").get_data(as_text=True)


def test_openapi_describes_the_token_routes(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert set(spec["paths"]["/tokens"]) == {"post", "get", "delete"}
    assert set(spec["paths"]["/tokens/{token_id}"]["delete"]["responses"]) >= {"204", "404"}
    for path in ("/reservations", "/orders"):
        assert "email_unverified" in spec["paths"][path]["post"]["responses"]["403"]["description"]


# --- log-in throttling --------------------------------------------------------------------------------

def test_failures_on_one_account_never_block_another_account_from_the_same_address(client, make_user, app):
    make_user(email="x@example.com")
    make_user(email="y@example.com")
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        assert token_for(client, "x@example.com", "guess", addr="10.0.0.1").status_code == 401
    # X is locked at this address, even with the right password …
    locked = token_for(client, "x@example.com", addr="10.0.0.1")
    assert locked.status_code == 429 and locked.get_json()["error"] == "throttled"
    # … Y logs in from the same address, and X from another one (the attacker cannot lock X out).
    assert token_for(client, "y@example.com", addr="10.0.0.1").status_code == 201
    assert token_for(client, "x@example.com", addr="10.0.0.2").status_code == 201
    web = app.test_client()
    page = web.post("/login", data={"email": "y@example.com", "password": PASSWORD,
                                    "csrf_token": csrf_token(web, "/login")}, environ_base={"REMOTE_ADDR": "10.0.0.1"})
    assert page.status_code == 302


def test_an_address_with_a_hundred_failures_in_15_minutes_is_blocked(client, make_user, app, fast_passwords):
    make_user(email="y@example.com")
    for i in range(99):  # many accounts (here: unknown ones), a few tries each
        assert token_for(client, f"guess{i // 4}@example.com", "guess", addr="10.0.0.9").status_code == 401
    assert token_for(client, "y@example.com", addr="10.0.0.9").status_code == 201  # 99: still let in
    assert token_for(client, "z@example.com", "guess", addr="10.0.0.9").status_code == 401  # the 100th
    assert token_for(client, "y@example.com", addr="10.0.0.9").status_code == 429
    assert token_for(client, "y@example.com", addr="10.0.0.10").status_code == 201  # other addresses unaffected

    # Fifteen minutes later the address may try again.
    for failure in db.session.scalars(select(LoginFailure)):
        failure.at -= timedelta(minutes=16)
    db.session.commit()
    assert token_for(client, "y@example.com", addr="10.0.0.9").status_code == 201


def other_app(app: Flask, **settings: Any) -> Flask:
    """The same site and database, configured differently (as another deployment would be)."""
    keys = ("TESTING", "SQLALCHEMY_DATABASE_URI", "INSTANCE_PATH", "ONESTOP_INDEX_DIR", "ONESTOP_MAIL_URL",
            "SECRET_KEY", "SERVER_NAME")
    return create_app({**{k: app.config[k] for k in keys}, **settings})


def test_x_forwarded_for_counts_only_behind_a_configured_proxy(client, make_user, app):
    make_user(email="x@example.com")
    for i in range(app.config["LOGIN_MAX_FAILURES"]):  # a guesser claiming a new address each time
        token_for(client, "x@example.com", "guess", addr="10.0.0.1", **{"X-Forwarded-For": f"203.0.113.{i}"})
    assert token_for(client, "x@example.com", addr="10.0.0.1",
                     **{"X-Forwarded-For": "198.51.100.7"}).status_code == 429  # ignored: it is one address

    proxied = other_app(app, ONESTOP_PROXY_COUNT=1)
    try:
        behind = proxied.test_client()
        for _ in range(app.config["LOGIN_MAX_FAILURES"]):
            token_for(behind, "x@example.com", "guess", addr="10.0.0.254", **{"X-Forwarded-For": "203.0.113.50"})
        assert token_for(behind, "x@example.com", addr="10.0.0.254",
                         **{"X-Forwarded-For": "203.0.113.50"}).status_code == 429
        # The proxy's other clients are other addresses.
        assert token_for(behind, "x@example.com", addr="10.0.0.254",
                         **{"X-Forwarded-For": "198.51.100.7"}).status_code == 201
    finally:
        with proxied.app_context():
            db.engine.dispose()


def test_login_takes_as_long_for_an_unknown_address(client, make_user):
    make_user(email="ada@example.com")
    took: dict[str, list[float]] = {"ada@example.com": [], "nobody-here@example.com": []}
    for i in range(6):  # alternating, so that a busy machine slows both alike
        for email, times in took.items():
            started = time.perf_counter()
            assert token_for(client, email, "wrong password", addr=f"10.1.{len(email)}.{i}").status_code == 401
            times.append(time.perf_counter() - started)
    known, unknown = (statistics.median(t) for t in took.values())
    # Without hashing, an unknown address would answer some twenty times faster.
    assert unknown > 0.4 * known, (known, unknown)


# --- password rules -----------------------------------------------------------------------------------

@pytest.mark.parametrize("password, reason", [
    ("short1!", "too short: use at least 10 characters"),
    ("password1234", "one of the most common passwords"),
    ("aaaaaaaaaaaa", "repeats characters or words"),
    ("asdfghjkl;", "row or pattern of keys"),
    ("abcdefghijkl", "sequence such as abc or 6543"),
    ("ada.lovelace1815", "contains your e-mail address or your name"),
])
def test_weak_passwords_are_refused_with_the_reason(app, password, reason):
    with pytest.raises(InvalidInput) as refused:
        service.create_user("ada.lovelace@example.com", password, name="Ada Lovelace")
    assert reason in refused.value.message
    assert db.session.query(User).count() == 0


def test_the_test_and_demo_passwords_pass_the_rule(app):
    from booking.catalog.demo import DEMO_ACCOUNTS

    service.check_password_strength(PASSWORD, email="user1@example.com", name="User 1")
    for email, password, _role, _platform in DEMO_ACCOUNTS:
        service.check_password_strength(password, email=email)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_registration_says_why_a_password_is_refused_in_the_readers_language(client, lang):
    from flask_babel import force_locale, gettext

    response = register(client, lang=lang, password="password1234", confirm="password1234")
    assert response.status_code == 422
    with force_locale(lang):
        expected = gettext("This password is too easy to guess: %(reason)s. Add a few uncommon words or make it "
                           "longer.", reason=gettext("it is one of the most common passwords, or close to one"))
    assert expected in response.get_data(as_text=True).replace("&#39;", "'")
    assert db.session.query(User).count() == 0


# --- display names ------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["Eve\r\nBcc: victim@example.com", "Eve\tTab", "Eve\x00", "Eve\u202eevil"])
def test_names_with_control_characters_are_refused(client, auth, make_user, name):
    with pytest.raises(InvalidInput) as refused:
        service.create_user("eve@example.com", PASSWORD, name=name)
    assert "control characters" in refused.value.message

    response = register(client, name=name)
    assert response.status_code == 422
    assert "may not contain line breaks" in response.get_data(as_text=True)
    assert db.session.query(User).count() == 0

    make_user(email="ada@example.com", name="Ada")
    auth.login("ada@example.com")
    token = csrf_token(client, "/account?lang=en")
    saved = client.post("/account", data={"csrf_token": token, "acc-name": name, "acc-language": "en"})
    assert saved.status_code == 422 and "may not contain line breaks" in saved.get_data(as_text=True)
    assert db.session.scalar(select(User.name).where(User.email == "ada@example.com")) == "Ada"


# --- security headers, cookies, no inline script ------------------------------------------------------

def assert_security_headers(response: Any) -> None:
    csp = response.headers.get("Content-Security-Policy", "")
    directives = {part.split()[0]: part.split()[1:] for part in csp.split(";") if part.strip()}
    assert directives["script-src"] == ["'self'"] and "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
    assert directives["default-src"] == ["'self'"] and directives["frame-ancestors"] == ["'none'"]
    assert directives["form-action"] == ["'self'"] and directives["base-uri"] == ["'self'"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_security_headers_on_pages_api_answers_errors_and_files(client, make_resource):
    resource = make_resource()
    for path, status in (("/", 200), (f"/resources/{resource.id}", 200), ("/api/v1/search?q=", 200),
                         (f"/api/v1/resources/{resource.id}", 200), ("/no-such-page", 404),
                         ("/api/v1/resources/999999", 404), ("/static/app.js", 200)):
        response = client.get(path)
        response.close()
        assert response.status_code == status, path
        assert_security_headers(response)


def set_cookies(response: Any) -> dict[str, str]:
    return {value.split("=", 1)[0]: value for value in response.headers.getlist("Set-Cookie")}


def test_cookies_are_httponly_lax_and_secure_over_https(app, make_user):
    make_user(email="ada@example.com")
    plain = app.test_client()
    cookie = set_cookies(plain.get("/login"))["session"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie

    https = app.test_client()
    token = csrf_token(https, "https://onestop.test/login")
    login = https.post("https://onestop.test/login", data={"email": "ada@example.com", "password": PASSWORD,
                                                           "remember": "y", "csrf_token": token},
                       headers={"Referer": "https://onestop.test/login"})  # CSRF over https checks it
    assert login.status_code == 302
    cookies = set_cookies(login)
    for name in ("session", "remember_token"):
        assert "Secure" in cookies[name] and "HttpOnly" in cookies[name] and "SameSite=Lax" in cookies[name], name

    # X-Forwarded-Proto is believed only behind a configured proxy.
    spoofed = app.test_client().get("/login", headers={"X-Forwarded-Proto": "https"})
    assert "Secure" not in set_cookies(spoofed)["session"]
    proxied = other_app(app, ONESTOP_PROXY_COUNT=1)
    try:
        behind = proxied.test_client().get("/login", headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "1.2.3.4"})
        assert "Secure" in set_cookies(behind)["session"]
    finally:
        with proxied.app_context():
            db.engine.dispose()


class InlineScripts(HTMLParser):
    """Collects what a script-src 'self' policy would block: inline <script> and on… attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        if tag == "script" and not names.get("src"):
            self.found.append("<script> without src")
        self.found += [f"<{tag} {k}=…>" for k in names if k.startswith("on")]
        self.found += [f"<{tag} {k}=javascript:…>" for k, v in attrs if (v or "").strip().lower().startswith("javascript:")]


def inline_scripts(html: str) -> list[str]:
    parser = InlineScripts()
    parser.feed(html)
    return parser.found


def test_no_page_carries_inline_script(app, make_platform, make_resource, make_user):
    from booking.engine.pricing import set_rate

    platform = make_platform()
    resource = make_resource(platform=platform, opening_hours=None)
    staff = make_user(email="staff@example.com", role="staff", platform=platform)
    make_user(email="admin@example.com", role="admin")
    make_user(email="ada@example.com")
    set_rate(staff, resource, "hour", "200")
    db.session.commit()
    simple_pages = sorted({rule.rule for rule in app.url_map.iter_rules()
                           if "GET" in rule.methods and not rule.arguments and not rule.rule.startswith("/api/")
                           and rule.endpoint != "static"})
    assert {"/", "/login", "/register", "/forgot-password", "/account", "/bookings"} <= set(simple_pages)

    checked = 0
    for who in (None, "ada@example.com", "staff@example.com", "admin@example.com"):
        browser = app.test_client()
        if who:
            assert log_in(browser, who).status_code == 302
        for path in [*simple_pages, f"/resources/{resource.id}", "/search?q=", "/staff/hours"]:
            response = browser.get(path + ("&" if "?" in path else "?") + "lang=en")
            if response.status_code != 200 or response.mimetype != "text/html":
                continue
            assert inline_scripts(response.get_data(as_text=True)) == [], (who, path)
            assert_security_headers(response)
            checked += 1
    assert checked >= 20
    # The booking form's fee estimate is among them, driven by app.js instead of an inline script.
    browser = app.test_client()
    log_in(browser, "ada@example.com")
    page = browser.get(f"/resources/{resource.id}?lang=en").get_data(as_text=True)
    assert 'class="fee-box" data-rate="200' in page and "/static/app.js" in page


def test_inline_script_detector_finds_what_it_should():
    assert inline_scripts('<script>alert(1)</script><a onclick="x()">') == ["<script> without src", "<a onclick=…>"]
    assert inline_scripts('<script src="/static/app.js" defer></script><select data-autosubmit>') == []


def test_proxy_count_setting():
    from booking.config import ConfigError, load_config

    assert load_config({})["ONESTOP_PROXY_COUNT"] == 0  # by default nobody's X-Forwarded-For is believed
    assert load_config({"ONESTOP_PROXY_COUNT": "2"})["ONESTOP_PROXY_COUNT"] == 2
    for junk in ("-1", "one", "99"):
        with pytest.raises(ConfigError, match="ONESTOP_PROXY_COUNT"):
            load_config({"ONESTOP_PROXY_COUNT": junk})
