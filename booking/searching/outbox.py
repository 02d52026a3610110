"""Index outbox: which resources the search index must rewrite, recorded in the same transaction."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import event, insert
from sqlalchemy.orm import Session

from ..extensions import db
from ..models import IndexOutbox, Resource, utcnow


def enqueue(resource_ids: Iterable[int]) -> None:
    """Record that these resources changed; the indexer applies the rows later, in batches."""
    now = utcnow()
    rows = [{"resource_id": rid, "created_at": now} for rid in resource_ids]
    if rows:
        db.session.execute(insert(IndexOutbox), rows)


@event.listens_for(Session, "after_flush")
def _enqueue_flushed_resources(session: Session, flush_context: Any) -> None:
    """Any resource written through the ORM is queued for the index in the same transaction.

    Bulk writers (the importer) call `enqueue` themselves.
    """
    changed = {obj.id for obj in (*session.new, *session.dirty) if isinstance(obj, Resource)}
    if changed:
        now = utcnow()
        session.connection().execute(
            insert(IndexOutbox), [{"resource_id": rid, "created_at": now} for rid in sorted(changed)]
        )
