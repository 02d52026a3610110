"""The administrator's outbox pages: the .eml folder, one message shown safely, the failures."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from booking.extensions import db
from booking.models import OutgoingMail, Reminder, utcnow
from booking.notify import dispatch_due

from support.smtp import hour_from_now


def test_outbox_lists_messages_newest_first_and_shows_one_escaped(app, client, auth, book, make_user, tmp_path):
    app.config["ONESTOP_MAIL_URL"] = f"outbox://{tmp_path / 'outbox'}"
    admin = make_user(role="admin", language="en")
    first = make_user(language="en", email="first@example.com")
    second = make_user(language="en", email="second@example.com")
    book(user=first, purpose="<script>alert('x')</script>")
    dispatch_due()
    book(user=second)
    dispatch_due()
    # the file times say which came first, whatever the clock's resolution
    import os

    (old,) = [p for p in (tmp_path / "outbox").iterdir() if "u2" in p.name]
    os.utime(old, (old.stat().st_atime, old.stat().st_mtime - 60))

    auth.login(admin.email)
    page = client.get("/admin/outbox").get_data(as_text=True)
    assert page.index("second@example.com") < page.index("first@example.com")
    assert "Booking confirmed" in page
    assert "/admin/outbox" in client.get("/admin/").get_data(as_text=True)

    html = client.get(f"/admin/outbox/{old.name}").get_data(as_text=True)
    assert "first@example.com" in html
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html
    assert "invite.ics" in html


def test_outbox_message_names_cannot_leave_the_folder(app, client, auth, fast_passwords, make_user, tmp_path):
    app.config["ONESTOP_MAIL_URL"] = f"outbox://{tmp_path / 'outbox'}"
    (tmp_path / "secret.eml").write_text("Subject: secret\n\nno")
    admin = make_user(role="admin")
    auth.login(admin.email)
    for name in ("..%2Fsecret.eml", "../secret.eml", "nothing.eml", "secret.txt"):
        assert client.get(f"/admin/outbox/{name}").status_code == 404


def test_outbox_is_for_administrators_only(app, client, auth, fast_passwords, make_user):
    user = make_user()
    assert client.get("/admin/outbox").status_code in (302, 401)
    auth.login(user.email)
    assert client.get("/admin/outbox").status_code == 403
    assert client.get("/admin/outbox/failures").status_code == 403


def test_failures_page_shows_what_could_not_be_sent_and_retries_it(mail_app, smtp_server, client, auth, book, make_user):
    from tests.support import csrf_token

    mail_app.config["ONESTOP_MAIL_MAX_ATTEMPTS"] = 1
    smtp_server.stop()
    book(user=make_user(language="en", email="unlucky@example.com"), start=hour_from_now(3))
    db.session.execute(update(Reminder).values(next_attempt_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert dispatch_due()["failed"] == 2
    admin = make_user(role="admin", language="en")
    auth.login(admin.email)
    page = client.get("/admin/outbox/failures").get_data(as_text=True)
    assert page.count("unlucky@example.com") == 2  # the confirmation and the reminder
    assert "Connection refused" in page

    smtp_server.start()
    mail = db.session.scalar(select(OutgoingMail))
    token = csrf_token(client, "/admin/outbox/failures")
    response = client.post(f"/admin/outbox/failures/mail/{mail.id}/retry", data={"csrf_token": token})
    assert response.status_code == 302
    assert dispatch_due()["sent"] == 1
    (received,) = smtp_server.wait_for(1)
    assert received.rcpt_tos == ["unlucky@example.com"]
