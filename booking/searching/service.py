"""Keeping the search index true to the database, and querying it.

The database is the truth: resource changes leave rows in `index_outbox` (same transaction), and
one indexer applies them in batches. The index can always be rebuilt from the database.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from typing import Any

from flask import current_app, has_request_context
from sqlalchemy import delete, func, select

import search
from search import NotAnIndexFolder, open_index

from ..engine.text import _
from ..errors import DomainError
from ..extensions import db
from ..models import IndexOutbox, Resource
from .params import SearchParams

log = logging.getLogger(__name__)
BATCH = 500
# Past this many pending changes a full rebuild (multi-process) beats incremental updates.
REBUILD_THRESHOLD = 20_000
_lock = threading.Lock()


class SearchUnavailable(DomainError):
    """The search index cannot be used as configured: ONESTOP_INDEX_DIR names a folder holding other
    files (the instance folder, say), which the index refuses to touch.  `message` is for visitors
    (503, no server paths); `detail` names the folder and what to do, for the log and the CLI."""

    code = "search_unavailable"
    status = 503

    def __init__(self, message: str, detail: str) -> None:
        super().__init__(message)
        self.detail = detail

    def __str__(self) -> str:  # logs and tracebacks (the scheduler's job log) say what to fix
        return self.detail


def _unavailable(exc: NotAnIndexFolder) -> SearchUnavailable:
    detail = (f"the search index folder {exc.path} (ONESTOP_INDEX_DIR) is not a OneStop index: {exc.why}. "
              f"Nothing in it was changed. Set ONESTOP_INDEX_DIR to an empty or new folder, then run "
              f"`onestop index rebuild`.")
    return SearchUnavailable(_("Search is unavailable at the moment: the search index is not set up correctly. "
                               "Please try again later, or tell the site's administrators."), detail)


def get_index() -> Any:
    """This process's handle on the index (opened once; searchers refresh before each search).

    Raises SearchUnavailable when the configured folder is not an index (it is left untouched)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    with _lock:
        index = app.extensions.get("onestop_index")
        if index is None:
            try:
                index = open_index(app.config["ONESTOP_INDEX_DIR"])
            except NotAnIndexFolder as exc:
                error = _unavailable(exc)
                if has_request_context():  # the CLI prints it; a visitor sees no path: log it
                    log.error("search unavailable: %s", error.detail)
                raise error from None
            app.extensions["onestop_index"] = index
    return index


def _reset_index() -> None:
    current_app.extensions.pop("onestop_index", None)


def active_resource_docs(batch: int = 2000) -> Iterator[dict[str, Any]]:
    """Every active resource as a search document, streamed by id."""
    last = 0
    while True:
        rows = db.session.scalars(
            select(Resource).where(Resource.status == "active", Resource.id > last).order_by(Resource.id).limit(batch)
        ).all()
        if not rows:
            return
        for row in rows:
            yield row.to_feed()
        last = rows[-1].id
        db.session.expunge_all()


def rebuild_index(progress: Callable[[int], None] | None = None) -> int:
    """Build a fresh index from the database beside the old one and swap it in."""
    total = db.session.scalar(select(func.count()).select_from(Resource).where(Resource.status == "active")) or 0
    high_water = db.session.scalar(select(func.max(IndexOutbox.id))) or 0
    try:
        search.rebuild(current_app.config["ONESTOP_INDEX_DIR"], active_resource_docs(), total=total,
                       progress=progress)
    except NotAnIndexFolder as exc:
        raise _unavailable(exc) from None
    # Changes queued before the rebuild started are in it; later ones stay for the indexer.
    db.session.execute(delete(IndexOutbox).where(IndexOutbox.id <= high_water))
    db.session.commit()
    _reset_index()
    return total


def apply_outbox(batch: int = BATCH) -> int:
    """Apply pending index changes in batches; returns how many resources were rewritten."""
    index = get_index()
    done = 0
    while True:
        rows = db.session.execute(
            select(IndexOutbox.id, IndexOutbox.resource_id).order_by(IndexOutbox.id).limit(batch)
        ).all()
        if not rows:
            return done
        max_id = rows[-1][0]
        ids = sorted({r[1] for r in rows})
        resources = db.session.scalars(select(Resource).where(Resource.id.in_(ids))).all()
        active = [r.to_feed() for r in resources if r.status == "active"]
        gone = set(ids) - {int(d["id"]) for d in active}
        if gone:
            index.delete(sorted(gone))
        if active:
            index.add(active)
        db.session.execute(delete(IndexOutbox).where(IndexOutbox.id <= max_id))
        db.session.commit()
        done += len(ids)


def sync_index(progress: Callable[[int], None] | None = None) -> str:
    """Make the index agree with the database: rebuild when missing, damaged, outdated or far behind."""
    index = get_index()
    pending = db.session.scalar(select(func.count()).select_from(IndexOutbox)) or 0
    active = db.session.scalar(select(func.count()).select_from(Resource).where(Resource.status == "active")) or 0
    if index.needs_rebuild or pending > REBUILD_THRESHOLD or (active and index.doc_count() == 0):
        rebuild_index(progress)
        return "rebuilt"
    apply_outbox()
    return "updated"


def search_resources(params: SearchParams) -> Any:
    """Run a validated search; the availability window narrows it to resources free throughout it."""
    kwargs = params.index_kwargs()
    if params.available_from and params.available_to:
        from ..engine.availability import free_resource_ids

        kwargs["only_ids"] = free_resource_ids(params.available_from, params.available_to)
        kwargs["bookable"] = True
    return get_index().search(params.q, **kwargs)
