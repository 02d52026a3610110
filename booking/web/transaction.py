"""One transaction per request: the only place a web request commits.

Views and the operations they call only flush. When the request ends, `finish` commits if the
answer is a success (2xx or 3xx: a redirect after a successful POST commits) and rolls back if it
is an error (4xx or 5xx, whether a view returned it or an error handler made it from an exception
or `abort()`). Mail, reminder and index outbox rows written in the request are in the same
transaction, so they are committed with the change that caused them or not at all.

Two views need to say more than their status does:
- `keep_changes()` — commit although the answer is an error (a failed log-in keeps its count);
- `discard_changes()` — roll back although the answer is a redirect (a domain error on a page).

A commit that fails (a constraint checked only at commit, a lost connection) raises, and Flask
answers 500 after rolling back, so the client never sees success for work that was not stored.
A streamed body is produced after the commit, with the state as committed.

The CLI and the scheduler are not requests: they commit at their own boundary.
"""
from __future__ import annotations

from flask import Flask, Response, g

from ..extensions import db

_KEEP = "_onestop_keep_changes"
_DISCARD = "_onestop_discard_changes"


def keep_changes() -> None:
    """Commit this request's changes even though it answers with an error status."""
    setattr(g, _KEEP, True)


def discard_changes() -> None:
    """Roll this request's changes back now and whatever the answer's status."""
    setattr(g, _DISCARD, True)
    db.session.rollback()


def _session_in_use() -> bool:
    """Whether this request opened a database session (a static file or a 304 never does)."""
    return bool(db.session.registry.has())


def finish(response: Response) -> Response:
    """Commit on success, roll back on error: the request's one transaction ends here."""
    keep = g.pop(_KEEP, False)
    discard = g.pop(_DISCARD, False)
    if _session_in_use():
        if discard or (response.status_code >= 400 and not keep):
            db.session.rollback()
        else:
            db.session.commit()
    return response


def _forget_marks(exc: BaseException | None) -> None:
    """A test client's requests share one `g`: no mark outlives its request. An exception that
    escaped every handler rolls back (Flask-SQLAlchemy closes the session after this)."""
    g.pop(_KEEP, None)
    g.pop(_DISCARD, None)
    if exc is not None and _session_in_use():
        db.session.rollback()


def init_transactions(app: Flask) -> None:
    """Register the request boundary app-wide: pages and the API alike."""
    app.after_request(finish)
    app.teardown_request(_forget_marks)
