"""The notification outlet: the engine publishes events, booking.notify alone makes mail rows, and
a row is rendered when it is sent — still telling what happened when it was queued."""
from __future__ import annotations

import ast
import email
import email.policy
from pathlib import Path

import pytest
from sqlalchemy import select

from booking import ROOT
from booking.engine import cancel_reservation, events
from booking.extensions import db
from booking.models import OutgoingMail
from booking.notify import dispatch_due
from booking.notify.mailer import OutboxTransport, outbox_filename

ENGINE = ROOT / "booking" / "engine"


def _sent(app, message_id: str) -> email.message.EmailMessage:
    path = Path(app.instance_path) / "outbox" / outbox_filename(message_id)
    return email.message_from_bytes(path.read_bytes(), policy=email.policy.default)


def test_a_booking_queues_its_mail_unrendered_and_dispatch_renders_what_was_true_then(
        app, book, make_user, make_resource):  # noqa: F811 (fixture)
    app.config["ONESTOP_BASE_URL"] = "https://before.example.org"
    resource = make_resource(title_en="Confocal microscope")
    reservation = book(user=make_user(language="en", email="ada@example.com"), resource=resource,
                       purpose="live cells")
    mail = db.session.scalars(select(OutgoingMail)).one()
    assert (mail.raw, mail.template, mail.language) == ("", "email/confirmed", "en")
    assert mail.params["links"]["link"] == {"booking": reservation.id, "staff": False}

    # The booking changes afterwards; the confirmation still tells of the booking as it was.
    resource.title_en = "Renamed microscope"
    cancel_reservation(reservation.user, reservation, "plans changed")
    app.config["ONESTOP_BASE_URL"] = "https://after.example.org"  # links are built when sent
    db.session.commit()

    transport = OutboxTransport(Path(app.instance_path) / "outbox")
    assert dispatch_due(transport=transport)["sent"] == 2
    confirmation = _sent(app, mail.message_id)
    text = confirmation.get_body(("plain",)).get_content()
    assert confirmation["Subject"].startswith("Booking confirmed: Confocal microscope")
    assert "live cells" in text and "https://after.example.org/" in text
    db.session.expire_all()
    stored = db.session.get(OutgoingMail, mail.id)
    assert stored.status == "sent" and stored.subject.startswith("Booking confirmed") and stored.raw


def test_a_mail_that_cannot_be_rendered_fails_alone(app, book, make_user):  # noqa: F811 (fixture)
    book(user=make_user(language="en", email="one@example.com"))
    book(user=make_user(language="en", email="two@example.com"))
    first = db.session.scalars(select(OutgoingMail).order_by(OutgoingMail.id)).first()
    first.template = "email/no_such_template"
    db.session.commit()
    stats = dispatch_due(transport=OutboxTransport(Path(app.instance_path) / "outbox"))
    assert (stats["failed"], stats["sent"]) == (1, 1)
    db.session.expire_all()
    assert "cannot render" in db.session.get(OutgoingMail, first.id).last_error


def test_publishing_with_nobody_listening_fails_loudly(monkeypatch):
    monkeypatch.setattr(events, "_handlers", [])
    with pytest.raises(events.NoSubscriber):
        events.publish("reservation.created", None, None)


def _engine_imports() -> dict[str, set[str]]:
    """Module → the engine modules it imports at its top level."""
    graph: dict[str, set[str]] = {}
    for path in ENGINE.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        found = set()
        for node in tree.body:
            if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module:
                found.add(node.module.split(".")[0])
        graph[path.stem] = found
    return graph


def test_the_engine_modules_import_each_other_without_cycles():
    graph = _engine_imports()
    done: set[str] = set()

    def visit(module: str, path: tuple[str, ...]) -> None:
        assert module not in path, " → ".join((*path, module))
        if module in done:
            return
        for other in graph.get(module, ()):
            visit(other, (*path, module))
        done.add(module)

    for module in graph:
        visit(module, ())


def test_the_engine_renders_no_mail_and_builds_no_links():
    for path in ENGINE.glob("*.py"):
        source = path.read_text(encoding="utf-8")
        for word in ("render_template", "url_for", "url_map", "OutgoingMail", "from ..notify"):
            assert word not in source, f"{path.name} uses {word}"
