"""The site's address in mail (ONESTOP_BASE_URL) follows what is served unless it is set, and a
booking is one calendar event wherever it comes from: the invitation mailed with it and its .ics
download carry the same UID (whatever host the browser used) and the same SEQUENCE, which a move
raises in both."""
from __future__ import annotations

import socket
from datetime import timedelta

import icalendar
import pytest
from click.testing import CliRunner

from booking.engine.reservations import move_reservation
from booking.extensions import db
from booking.ical import uid_domain
from booking.notify import dispatch_due
from booking.notify.links import absolute_url
from booking.notify.settings import SERVED_URL, served_url

from support.smtp import hour_from_now


def ics_event(client, reservation_id: int) -> icalendar.Event:
    response = client.get(f"/bookings/{reservation_id}.ics")
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    (event,) = icalendar.Calendar.from_ical(response.data).walk("VEVENT")
    return event


def mailed_event(received) -> icalendar.Event:
    part = received.attachment("invite.ics")
    assert part is not None, "no invitation attached"
    (event,) = icalendar.Calendar.from_ical(part.get_content()).walk("VEVENT")
    return event


def served_app(monkeypatch, tmp_path, *args: str):
    """Run `onestop serve ARGS` up to the point where it would listen; return the app it would
    serve and hand to its scheduler."""
    import booking.scheduler
    from booking.serve import serve_command

    monkeypatch.setenv("ONESTOP_INSTANCE", str(tmp_path))
    monkeypatch.setenv("ONESTOP_DATABASE_URL", f"sqlite:///{tmp_path / 'onestop.db'}")
    monkeypatch.setenv("ONESTOP_SECRET_KEY", "test")
    monkeypatch.setenv(SERVED_URL, "")  # recorded, so what serve sets is undone afterwards
    started = {}
    monkeypatch.setattr(booking.scheduler, "start_background_scheduler", lambda app: started.setdefault("app", app))
    monkeypatch.setattr("flask.Flask.run", lambda self, **kwargs: started.setdefault("run", kwargs))
    result = CliRunner().invoke(serve_command, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert started["run"]["host"] == args[args.index("--host") + 1]
    return started["app"]


def test_serve_gives_its_own_address_to_mail_links_and_uids(monkeypatch, tmp_path):
    monkeypatch.delenv("ONESTOP_BASE_URL", raising=False)
    app = served_app(monkeypatch, tmp_path, "--host", "127.0.0.1", "--port", "8123")
    with app.app_context():
        assert absolute_url("/bookings/7") == "http://127.0.0.1:8123/bookings/7"
        assert uid_domain() == "127.0.0.1:8123"


def test_a_given_base_url_wins_over_the_served_address(monkeypatch, tmp_path):
    monkeypatch.setenv("ONESTOP_BASE_URL", "https://onestop.example.org/")
    app = served_app(monkeypatch, tmp_path, "--host", "127.0.0.1", "--port", "8123")
    with app.app_context():
        assert absolute_url("/bookings/7") == "https://onestop.example.org/bookings/7"
        assert uid_domain() == "onestop.example.org"


def test_a_wildcard_address_is_reached_by_the_machine_name():
    assert served_url("0.0.0.0", 5000) == f"http://{socket.getfqdn()}:5000"
    assert served_url("::1", 8000) == "http://[::1]:8000"
    assert served_url("onestop.example.org", 443, "https") == "https://onestop.example.org"


def test_without_any_address_mail_falls_back_to_the_development_server(app, monkeypatch):
    monkeypatch.delenv("ONESTOP_BASE_URL", raising=False)
    monkeypatch.delenv(SERVED_URL, raising=False)
    assert absolute_url("/") == "http://127.0.0.1:5000/"
    assert uid_domain() == "127.0.0.1:5000"


def test_download_and_invitation_are_one_event_and_a_move_raises_both(
        mail_app, smtp_server, client, auth, book, make_user):
    user = make_user(language="en")
    start = hour_from_now(72)
    reservation = book(user=user, start=start)
    dispatch_due()
    (confirmation,) = smtp_server.wait_for(1)
    invited = mailed_event(confirmation)

    auth.login(user.email)
    downloaded = ics_event(client, reservation.id)  # asked for at http://onestop.test, not the mailed host
    assert str(downloaded["UID"]) == str(invited["UID"]) == f"reservation-{reservation.id}@onestop.example.org"
    assert int(downloaded["SEQUENCE"]) == int(invited["SEQUENCE"]) == 0

    later = start + timedelta(hours=2)
    move_reservation(user, db.session.merge(reservation), later, later + timedelta(hours=1))
    db.session.commit()
    dispatch_due()
    changed = next(m for m in smtp_server.wait_for(2) if m is not confirmation and m.subject != confirmation.subject)
    moved = mailed_event(changed)
    assert str(moved["UID"]) == str(invited["UID"])
    assert int(moved["SEQUENCE"]) == 1

    downloaded = ics_event(client, reservation.id)
    assert str(downloaded["UID"]) == str(moved["UID"])
    assert int(downloaded["SEQUENCE"]) == int(moved["SEQUENCE"]) == 1
    assert downloaded.decoded("DTSTART") == later


@pytest.mark.parametrize("served", ["http://192.0.2.7:8080"])
def test_without_a_setting_both_use_the_served_address(mail_app, smtp_server, client, auth, book, make_user,
                                                        monkeypatch, served):
    mail_app.config["ONESTOP_BASE_URL"] = None
    monkeypatch.delenv("ONESTOP_BASE_URL", raising=False)
    monkeypatch.setenv(SERVED_URL, served)
    user = make_user(language="en")
    reservation = book(user=user)
    dispatch_due()
    (confirmation,) = smtp_server.wait_for(1)
    assert f"{served}/bookings/{reservation.id}" in confirmation.text()
    auth.login(user.email)
    assert str(ics_event(client, reservation.id)["UID"]) == str(mailed_event(confirmation)["UID"]) \
        == f"reservation-{reservation.id}@192.0.2.7:8080"


@pytest.mark.parametrize("bad", ["onestop.example.org", "ftp://onestop.example.org", "http://host:99999",
                                 "https://onestop.example.org/?x=1"])
def test_a_bad_base_url_stops_the_server_with_a_clear_message(monkeypatch, tmp_path, bad):
    from booking.serve import serve_command

    monkeypatch.setenv("ONESTOP_INSTANCE", str(tmp_path))
    monkeypatch.setenv("ONESTOP_DATABASE_URL", f"sqlite:///{tmp_path / 'onestop.db'}")
    monkeypatch.setenv(SERVED_URL, "")
    monkeypatch.setenv("ONESTOP_BASE_URL", bad)
    monkeypatch.setattr("flask.Flask.run", lambda self, **kwargs: pytest.fail("served despite a bad setting"))
    result = CliRunner().invoke(serve_command, ["--no-scheduler"])
    assert result.exit_code == 1
    assert f"configuration: bad ONESTOP_BASE_URL {bad!r}" in result.output
