"""In real headless Chromium: register and confirm the address from the mail; forget the password and
choose a new one from the mail. Mail goes through the real dispatcher to an SMTP server on loopback."""
from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest

from booking.extensions import db
from booking.notify import dispatch_due

from support.smtp import SmtpSink

SHOTS = Path(os.environ.get("ONESTOP_SCREENSHOTS", "/tmp/onestop-screenshots"))
pytestmark = pytest.mark.browser


def mail_to_live_server(app: Any, base: str, smtp: SmtpSink) -> None:
    app.config.update(ONESTOP_MAIL_URL=smtp.url, ONESTOP_BASE_URL=base, ONESTOP_MAIL_RETRY_SECONDS=1)


def read_link(app: Any, smtp: SmtpSink, base: str, to: str, path: str) -> str:
    """Send what is due, then find the link to `path` in the mail that reached `to`."""
    with app.app_context():
        dispatch_due()
    (mail,) = smtp.wait_for(1, where=lambda r: r.rcpt_tos == [to])
    match = re.search(re.escape(base) + re.escape(path) + r"/\S+", mail.text())
    assert match, mail.text()
    return match.group(0)


def new_page(browser: Any) -> Any:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.set_default_timeout(15000)
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if "Content Security Policy" in msg.text else None)
    page.csp_refusals = errors  # Chromium reports what the policy blocked on the console
    return page


def test_register_then_confirm_the_address_from_the_mail(live_server, browser, smtp_server):
    app, base = live_server
    mail_to_live_server(app, base, smtp_server)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = new_page(browser)

    page.goto(f"{base}/register?lang=en")
    page.fill("input[name=email]", "mei@qiheng.example")
    page.fill("input[name=name]", "Chen Mei")
    page.fill("input[name=password]", "password1234")
    page.fill("input[name=confirm]", "password1234")
    page.select_option("select[name=language]", "en")
    page.click("form button[type=submit]")
    assert "too easy to guess" in page.locator(".field.has-error").inner_text()  # the reason, in place

    page.fill("input[name=password]", "lantern mosaic harbour 7")
    page.fill("input[name=confirm]", "lantern mosaic harbour 7")
    page.click("form button[type=submit]")
    page.wait_for_url(f"{base}/")
    assert "We sent a mail to mei@qiheng.example" in page.locator(".flash-success").inner_text()
    page.screenshot(path=str(SHOTS / "register-check-mail.png"), full_page=True)

    link = read_link(app, smtp_server, base, "mei@qiheng.example", "/verify-email")
    page.goto(link)
    page.wait_for_url(f"{base}/")
    assert "mei@qiheng.example is confirmed" in page.locator(".flash-success").inner_text()
    assert page.locator(".unverified-notice").count() == 0
    page.click("nav >> text=Account")
    assert "confirmed" in page.locator(".facts").inner_text()
    assert page.locator(".facts .badge").inner_text() == "confirmed"
    with app.app_context():
        from booking.models import User

        user = db.session.query(User).filter_by(email="mei@qiheng.example").one()
        assert user.email_verified_at is not None and user.name == "Chen Mei"
    assert page.csp_refusals == []


def test_forgot_password_by_mail_in_a_real_browser(live_server, browser, smtp_server):
    from booking.accounts.service import create_user

    app, base = live_server
    mail_to_live_server(app, base, smtp_server)
    with app.app_context():
        create_user("ada@example.com", "first long passphrase 1", name="Ada", language="en", verified=True)
        db.session.commit()
    page = new_page(browser)

    page.goto(f"{base}/login?lang=en")
    page.click("text=Forgot your password?")
    page.wait_for_url(f"{base}/forgot-password")
    page.fill("input[name=email]", "ada@example.com")
    page.click("form button[type=submit]")
    page.wait_for_url(f"{base}/login")
    assert "If an account uses ada@example.com" in page.locator(".flash-info").inner_text()

    link = read_link(app, smtp_server, base, "ada@example.com", "/reset-password")
    page.goto(link)
    assert page.locator("h1").inner_text() == "Choose a new password"
    page.fill("input[name=password]", "second long passphrase 2")
    page.fill("input[name=confirm]", "second long passphrase 2")
    page.click("form button[type=submit]")
    page.wait_for_url(f"{base}/")
    assert "Your new password is set" in page.locator(".flash-success").inner_text()

    # The link worked once.
    page.goto(link)
    assert "used already" in page.locator(".link-problem").inner_text()

    # Log out, then in with the new password.
    page.click("nav button:has-text('Log out')")
    page.wait_for_url(f"{base}/")
    page.goto(f"{base}/login?lang=en")
    page.fill("input[name=email]", "ada@example.com")
    page.fill("input[name=password]", "second long passphrase 2")
    page.click("form button[type=submit]")
    page.wait_for_url(f"{base}/")
    assert page.locator("nav >> text=Account").count() == 1
    assert page.csp_refusals == []
