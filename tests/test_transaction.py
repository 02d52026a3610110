"""One transaction per request: a success commits, an error (returned, raised or aborted) rolls back."""
from __future__ import annotations

from typing import Any

import pytest
from flask import Flask, abort, redirect, stream_with_context
from sqlalchemy import func, select

from booking.errors import InvalidInput
from booking.extensions import db
from booking.models import Platform
from booking.web.transaction import discard_changes, keep_changes


def _add(code: str) -> None:
    db.session.add(Platform(code=code, name_zh=code, name_en=code, city_zh="南京", city_en="Nanjing",
                            kind="university_lab", timezone="Asia/Shanghai", booking_rules={}))
    db.session.flush()


def _stored(app: Flask, code: str) -> bool:
    db.session.remove()  # read what another connection sees: only committed rows
    return bool(db.session.scalar(select(func.count()).select_from(Platform).where(Platform.code == code)))


@pytest.fixture
def routes(app: Flask) -> Flask:
    app.config["WTF_CSRF_ENABLED"] = False

    def ok() -> Any:
        _add("OK")
        return "done"

    def moved() -> Any:
        _add("MOVED")
        return redirect("/")

    def refused() -> Any:
        _add("REFUSED")
        return "no", 422

    def raised() -> Any:
        _add("RAISED")
        raise InvalidInput("bad")

    def aborted() -> Any:
        _add("ABORTED")
        abort(404)

    def kept() -> Any:
        _add("KEPT")
        keep_changes()
        return "counted", 401

    def discarded() -> Any:
        _add("DISCARDED")
        discard_changes()
        return redirect("/")

    def streamed() -> Any:
        _add("STREAMED")

        def body() -> Any:
            yield "a"
            yield "b"

        return stream_with_context(body())

    for view in (ok, moved, refused, raised, aborted, kept, discarded, streamed):
        app.add_url_rule(f"/_tx/{view.__name__}", view.__name__, view, methods=["POST"])
    return app


@pytest.mark.parametrize(("path", "code", "kept"), [
    ("ok", "OK", True),
    ("moved", "MOVED", True),  # a redirect after a successful POST commits
    ("streamed", "STREAMED", True),
    ("refused", "REFUSED", False),
    ("raised", "RAISED", False),  # the domain error handler answers with a redirect: still rolled back
    ("aborted", "ABORTED", False),
    ("kept", "KEPT", True),
    ("discarded", "DISCARDED", False),
])
def test_request_commits_on_success_and_rolls_back_on_error(routes, path, code, kept):
    client = routes.test_client()
    client.post(f"/_tx/{path}").get_data()
    assert _stored(routes, code) is kept


def test_a_mark_does_not_outlive_its_request(routes):
    client = routes.test_client()
    client.post("/_tx/kept")
    client.post("/_tx/refused")  # the earlier keep_changes() does not keep this one
    assert not _stored(routes, "REFUSED")
