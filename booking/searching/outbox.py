"""Index outbox: which resources the search index must rewrite, recorded in the same transaction."""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import insert

from ..extensions import db
from ..models import IndexOutbox, utcnow


def enqueue(resource_ids: Iterable[int]) -> None:
    """Record that these resources changed; the indexer applies the rows later, in batches."""
    now = utcnow()
    rows = [{"resource_id": rid, "created_at": now} for rid in resource_ids]
    if rows:
        db.session.execute(insert(IndexOutbox), rows)
