"""Lists in the API: the body stays a JSON list (docs/contract.md §5); `page` and `per_page` pick a page and
the `X-Total-Count` header says how many there are in all."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

import sqlalchemy as sa

from ...extensions import db

T = TypeVar("T")
TOTAL_HEADER = "X-Total-Count"
TOTAL_DOC = {TOTAL_HEADER: {"description": "how many items there are in all pages", "schema": {"type": "integer"}}}


def page_of_query(query: sa.Select[Any], page: int, per_page: int | None, cap: int) -> tuple[list[Any], dict[str, str]]:
    """One page of a select (at most `cap` rows, the default page size) and its total as a header."""
    size = min(per_page or cap, cap)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.order_by(None).subquery())) or 0
    rows = list(db.session.scalars(query.limit(size).offset((page - 1) * size)))
    return rows, {TOTAL_HEADER: str(total)}


def page_of_list(items: Sequence[T], page: int, per_page: int | None, cap: int) -> tuple[list[T], dict[str, str]]:
    size = min(per_page or cap, cap)
    return list(items[(page - 1) * size:page * size]), {TOTAL_HEADER: str(len(items))}
