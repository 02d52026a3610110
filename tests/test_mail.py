"""Booking mail as the recipient reads it: received by a real SMTP server on loopback."""
from __future__ import annotations

import email.parser
import email.policy
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest
from sqlalchemy import select

from booking.engine import approve_reservation, cancel_reservation, reject_reservation
from booking.extensions import db
from booking.models import OutgoingMail, Reminder, utcnow
from booking.notify import dispatch_due
from booking.notify.mailer import MailConfigError, OutboxTransport, SmtpTransport, transport_from_url

from support.smtp import hour_from_now, move

EN_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
ZH_DAYS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")


def days_ahead(days: int, hour: int) -> datetime:
    """`hour` o'clock UTC, `days` from today (within the 180 days a booking may be ahead)."""
    return (utcnow() + timedelta(days=days)).replace(hour=hour, minute=0, second=0, microsecond=0)


def local_label(start: datetime, end: datetime, zone: str, days=EN_DAYS) -> str:
    a, b = start.astimezone(ZoneInfo(zone)), end.astimezone(ZoneInfo(zone))
    return f"{a:%Y-%m-%d} ({days[a.weekday()]}) {a:%H:%M}–{b:%H:%M}"


def calendar_of(received) -> icalendar.Calendar:
    part = received.attachment("invite.ics")
    assert part is not None, "no invite.ics attached"
    return icalendar.Calendar.from_ical(part.get_content())


def only_event(cal: icalendar.Calendar) -> icalendar.Event:
    events = list(cal.walk("VEVENT"))
    assert len(events) == 1
    return events[0]


def test_confirmation_has_local_time_link_and_invitation(mail_app, smtp_server, book, make_user, make_resource, make_platform):
    platform = make_platform(timezone="Europe/Berlin", name_en="Berlin Lab")
    resource = make_resource(platform=platform, title_en="Confocal microscope")
    user = make_user(language="en", name="Ada", email="ada@example.com")
    start = days_ahead(40, 8)
    reservation = book(user=user, resource=resource, start=start, minutes=90)
    berlin = start.astimezone(ZoneInfo("Europe/Berlin"))

    assert dispatch_due()["sent"] == 1
    (mail,) = smtp_server.wait_for(1)
    assert mail.rcpt_tos == ["ada@example.com"]
    assert mail.subject.startswith("Booking confirmed: Confocal microscope")
    text = mail.text()
    assert text.startswith("Hello Ada,")
    assert f"{local_label(start, start + timedelta(minutes=90), 'Europe/Berlin')} (Europe/Berlin)" in text
    assert f"https://onestop.example.org/bookings/{reservation.id}" in text  # the booking's own page
    assert "Berlin Lab" in mail.html()

    cal = calendar_of(mail)
    assert cal["METHOD"] == "REQUEST"
    event = only_event(cal)
    assert str(event["UID"]) == f"reservation-{reservation.id}@onestop.example.org"
    assert int(event["SEQUENCE"]) == 0
    dtstart = event.decoded("DTSTART")
    assert (dtstart.hour, dtstart.minute) == (berlin.hour, 0) != (8, 0)  # local wall-clock time …
    assert event["DTSTART"].params["TZID"] == "Europe/Berlin"  # … with its zone
    assert [str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")] == ["Europe/Berlin"]
    assert dtstart == start


def test_chinese_user_gets_chinese_subject_and_greeting(mail_app, smtp_server, book, make_user, make_resource):
    user = make_user(language="zh", name="张三")
    resource = make_resource(title="扫描电镜 S-4800")
    start = days_ahead(10, 1)
    book(user=user, resource=resource, start=start)
    dispatch_due()
    (mail,) = smtp_server.wait_for(1)
    when = local_label(start, start + timedelta(hours=1), "Asia/Shanghai", ZH_DAYS)
    assert mail.subject == f"预约已确认：扫描电镜 S-4800，{when}"
    assert mail.text().startswith("张三，您好：")
    assert mail.message["Content-Language"] == "zh-CN"
    assert "张三，您好：" in mail.html()


def test_user_written_text_is_escaped_in_html(mail_app, smtp_server, book, make_user):
    user = make_user(language="en", name='Eve <img src=x onerror="alert(1)">')
    book(user=user, purpose='<script>alert("booked")</script> & more')
    dispatch_due()
    (mail,) = smtp_server.wait_for(1)
    html = mail.html()
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;alert(&#34;booked&#34;)&lt;/script&gt; &amp; more" in html
    assert '<script>alert("booked")</script> & more' in mail.text()  # plain text stays as written


def test_request_needing_approval_tells_user_and_staff_then_approval_sends_invitation(
        mail_app, smtp_server, book, make_user, make_resource, make_platform, make_org):
    platform = make_platform(booking_rules={"requires_approval": True})
    staff = make_user(role="staff", platform=platform, language="en", email="staff@example.com")
    resource = make_resource(platform=platform, title_en="NMR 600")
    user = make_user(language="en", email="booker@example.com")
    org = make_org(name="艾克美生物科技有限公司", name_en="Acme Bio", kind="startup", members={user: "member"})
    reservation = book(user=user, resource=resource, purpose="crystal structure")
    assert reservation.status == "pending"
    assert db.session.scalars(select(Reminder)).all() == []  # reminders come with the approval

    dispatch_due()
    mails = smtp_server.wait_for(2)
    by_rcpt = {m.rcpt_tos[0]: m for m in mails}
    assert by_rcpt["booker@example.com"].subject.startswith("Booking request received, awaiting approval")
    assert by_rcpt["booker@example.com"].attachment("invite.ics") is None
    to_staff = by_rcpt["staff@example.com"]
    assert to_staff.subject.startswith("New booking awaiting approval: NMR 600")
    assert "booker@example.com" in to_staff.text() and org.name_en in to_staff.text()  # the booker's verified organisation, in the reader's language
    assert f"https://onestop.example.org/bookings/{reservation.id}" in to_staff.text()  # the page staff decide on

    approve_reservation(staff, reservation)
    db.session.commit()
    dispatch_due()
    approval = smtp_server.wait_for(3)[-1]
    assert approval.rcpt_tos == ["booker@example.com"]
    assert approval.subject.startswith("Booking approved: NMR 600")
    event = only_event(calendar_of(approval))
    assert str(event["UID"]) == f"reservation-{reservation.id}@onestop.example.org"
    assert int(event["SEQUENCE"]) == 1
    assert [r.status for r in db.session.scalars(select(Reminder))] == ["pending"]


def test_rejection_gives_the_reason(mail_app, smtp_server, book, make_user, make_resource, make_platform):
    platform = make_platform(booking_rules={"requires_approval": True})
    staff = make_user(role="staff", platform=platform, language="zh")
    reservation = book(resource=make_resource(platform=platform))
    reject_reservation(staff, reservation, "Instrument booked for calibration <b>that week</b>")
    db.session.commit()
    dispatch_due()
    (rejection,) = smtp_server.wait_for(1, where=lambda m: "not approved" in m.subject)
    assert "Instrument booked for calibration <b>that week</b>" in rejection.text()
    assert "calibration &lt;b&gt;that week&lt;/b&gt;" in rejection.html()


def test_cancellation_withdraws_the_invitation(mail_app, smtp_server, book, make_user):
    user = make_user(language="en")
    reservation = book(user=user)
    cancel_reservation(user, reservation, "plans changed")
    db.session.commit()
    dispatch_due()
    confirmation, cancellation = _in_order(smtp_server.wait_for(2), ["Booking confirmed", "Booking cancelled"])
    assert "plans changed" in cancellation.text()
    first, second = only_event(calendar_of(confirmation)), only_event(calendar_of(cancellation))
    assert calendar_of(cancellation)["METHOD"] == "CANCEL"
    assert second["UID"] == first["UID"]
    assert int(second["SEQUENCE"]) > int(first["SEQUENCE"])
    assert str(second["STATUS"]) == "CANCELLED"
    assert [r.status for r in db.session.scalars(select(Reminder))] == ["cancelled"]


def _in_order(mails, prefixes):
    return [next(m for m in mails if m.subject.startswith(p)) for p in prefixes]


def test_moved_booking_gets_change_mail_with_new_time_and_newer_invitation(mail_app, smtp_server, book, make_user):
    user = make_user(language="en")
    start = days_ahead(20, 2)
    reservation = book(user=user, start=start)
    later = start + timedelta(hours=3)
    move(reservation, later)
    dispatch_due()
    confirmation, change = _in_order(smtp_server.wait_for(2), ["Booking confirmed", "Booking moved"])
    assert local_label(later, later + timedelta(hours=1), "Asia/Shanghai") in change.text()  # 13:00 local
    assert f"Previously: {local_label(start, start + timedelta(hours=1), 'Asia/Shanghai')}" in change.text()
    first, second = only_event(calendar_of(confirmation)), only_event(calendar_of(change))
    assert second["UID"] == first["UID"] and int(second["SEQUENCE"]) > int(first["SEQUENCE"])
    assert second.decoded("DTSTART").hour == 13


def test_mail_is_queued_in_the_booking_transaction(mail_app, smtp_server, book, make_user):
    """Rolled back booking: no mail. Committed booking: a mail row, sent only by the dispatcher."""
    from booking.engine import create_reservation

    user = make_user(language="en")
    resource_reservation = book(user=user)
    assert db.session.scalar(select(OutgoingMail.status)) == "pending"
    assert smtp_server.messages() == []  # nothing leaves before the dispatcher runs
    create_reservation(user, resource_reservation.resource, hour_from_now(72), hour_from_now(73))
    db.session.rollback()
    assert len(db.session.scalars(select(OutgoingMail)).all()) == 1


def test_outbox_transport_writes_readable_eml_files(app, book, make_user, tmp_path):
    outbox = tmp_path / "outbox"
    app.config["ONESTOP_MAIL_URL"] = f"outbox://{outbox}"
    book(user=make_user(language="en", email="reader@example.com"), purpose="<b>bold</b>")
    assert dispatch_due()["sent"] == 1
    (path,) = list(outbox.glob("*.eml"))
    message = email.parser.BytesParser(policy=email.policy.default).parsebytes(path.read_bytes())
    assert message["To"].addresses[0].addr_spec == "reader@example.com"
    assert str(message["Subject"]).startswith("Booking confirmed")
    assert "<b>bold</b>" in message.get_body(("plain",)).get_content()
    assert [p.get_filename() for p in message.iter_attachments()] == ["invite.ics"]


def test_mail_urls():
    assert transport_from_url("smtp://mail.example.org:2525") == SmtpTransport("mail.example.org", 2525)
    smtps = transport_from_url("smtps://bot%40example.org:p%3Ass@mail.example.org:465", timeout=5)
    assert (smtps.use_ssl, smtps.username, smtps.password, smtps.port, smtps.timeout) == (True, "bot@example.org", "p:ss", 465, 5)
    assert transport_from_url("smtp://mail.example.org").port == 25
    assert transport_from_url("outbox:///var/spool/onestop") == OutboxTransport(Path("/var/spool/onestop"))
    for bad in ("http://x", "smtp://", "outbox://", "smtp://host:notaport"):
        with pytest.raises(MailConfigError):
            transport_from_url(bad)


@pytest.mark.filterwarnings(
    # aiosmtpd's AUTH support warns that AUTH without TLS is unsafe: this test asks for exactly
    # that (a loopback server without a certificate) to check that we log in when told to.
    "ignore:Requiring AUTH while not requiring TLS can lead to security vulnerabilities!:UserWarning"
)
def test_smtp_login_when_credentials_are_given(mail_app, smtp_server, book):
    from aiosmtpd.smtp import AuthResult

    logins = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        logins.append((auth_data.login, auth_data.password))
        return AuthResult(success=auth_data.login == b"bot" and auth_data.password == b"s3cret")

    smtp_server.stop()
    smtp_server.start(authenticator=authenticator, auth_require_tls=False, auth_required=True)
    mail_app.config["ONESTOP_MAIL_URL"] = f"smtp://bot:s3cret@127.0.0.1:{smtp_server.port}"
    book()
    assert dispatch_due()["sent"] == 1
    smtp_server.wait_for(1)
    assert logins == [(b"bot", b"s3cret")]


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (openssl), trusted through ONESTOP_MAIL_CAFILE."""
    import shutil
    import subprocess

    if not shutil.which("openssl"):
        pytest.skip("openssl is needed to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-keyout", str(key),
                    "-out", str(cert), "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True, timeout=60)
    return cert, key


def _server_context(certificate):
    import ssl

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    return context


def test_smtp_upgrades_to_starttls_when_the_server_offers_it(mail_app, smtp_server, book, certificate):
    smtp_server.stop()
    smtp_server.start(tls_context=_server_context(certificate), require_starttls=True)  # plain text refused
    mail_app.config["ONESTOP_MAIL_CAFILE"] = str(certificate[0])
    book()
    assert dispatch_due()["sent"] == 1
    smtp_server.wait_for(1)


def test_smtps_speaks_tls_from_the_first_byte(mail_app, smtp_server, book, certificate):
    smtp_server.stop()
    smtp_server.start(ssl_context=_server_context(certificate))
    mail_app.config.update(ONESTOP_MAIL_URL=f"smtps://127.0.0.1:{smtp_server.port}", ONESTOP_MAIL_CAFILE=str(certificate[0]))
    book()
    assert dispatch_due()["sent"] == 1
    smtp_server.wait_for(1)


def test_smtps_refuses_a_server_it_cannot_trust(mail_app, smtp_server, book, certificate):
    smtp_server.stop()
    smtp_server.start(ssl_context=_server_context(certificate))
    mail_app.config["ONESTOP_MAIL_URL"] = f"smtps://127.0.0.1:{smtp_server.port}"  # no CA file: not trusted
    book()
    assert dispatch_due()["retry"] == 1
    assert "CERTIFICATE_VERIFY_FAILED" in db.session.scalar(select(OutgoingMail.last_error))
    assert smtp_server.messages() == []


def test_a_recurring_booking_gets_one_mail_listing_every_date(mail_app, smtp_server, fast_passwords, make_user,
                                                              make_resource, make_platform):
    from booking.engine.recurrence import cancel_rest_of_series, create_series, parse_recurrence

    platform = make_platform(booking_rules={"requires_approval": True})
    make_user(role="staff", platform=platform, language="en", email="staff@example.com")
    user = make_user(language="en", email="weekly@example.com")
    start = days_ahead(7, 2)
    series, plan = create_series(user, make_resource(platform=platform), start, start + timedelta(hours=1),
                                 parse_recurrence({"freq": "weekly", "count": 4}), "weekly run")
    db.session.commit()
    dispatch_due()
    mails = smtp_server.wait_for(2)
    assert sorted(m.rcpt_tos[0] for m in mails) == ["staff@example.com", "weekly@example.com"]
    to_staff = next(m for m in mails if m.rcpt_tos == ["staff@example.com"])
    assert "4 dates from" in to_staff.subject
    for occurrence in plan:
        assert local_label(occurrence.start, occurrence.end, "Asia/Shanghai") in to_staff.text()

    approve_reservation(make_user(role="admin"), plan[0].reservation)  # approved one by one: one mail each
    cancel_rest_of_series(user, plan[1].reservation, "project ended")
    db.session.commit()
    dispatch_due()
    mails = smtp_server.wait_for(4)
    assert len(mails) == 4  # pending (1), staff (1), approval (1), cancellation of the other three (1)
    cancellation = next(m for m in mails if m.subject.startswith("Booking cancelled"))
    cal = calendar_of(cancellation)
    assert cal["METHOD"] == "CANCEL"
    assert sorted(str(e["UID"]) for e in cal.walk("VEVENT")) == sorted(
        f"reservation-{o.reservation.id}@onestop.example.org" for o in plan[1:])


def test_a_rolled_back_series_sends_nothing(mail_app, smtp_server, fast_passwords, make_user, make_resource):
    from booking.engine.recurrence import create_series, parse_recurrence

    start = days_ahead(7, 2)
    create_series(make_user(), make_resource(), start, start + timedelta(hours=1),
                  parse_recurrence({"freq": "daily", "count": 3}))
    db.session.rollback()
    db.session.commit()
    assert db.session.scalars(select(OutgoingMail)).all() == []
