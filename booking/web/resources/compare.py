"""/resources/<id>/compare: a resource beside its equivalents at other platforms, side by side (booking.engine.equivalents).

Sorted on the server by the column a header link names (`?sort=price&dir=desc`): no script needed.
"""
from __future__ import annotations

from typing import Any

from flask import render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ...engine.equivalents import COMPARABLE_KINDS, COMPARE_SORTS, compare_equivalents, sort_rows
from ...extensions import db
from ...models import Resource
from ...searching.service import SearchUnavailable
from ..filters import lang
from .blueprint import bp

#: The sortable columns, in the order the table shows them, with their headings.
COLUMNS = (
    ("platform", _l("Resource and platform")),
    ("city", _l("City")),
    ("price", _l("Price for you")),
    ("voucher", _l("Voucher share allowed")),
    ("earliest", _l("Earliest free slot (14 days)")),
    (None, _l("Accreditation")),
    ("turnaround", _l("Turnaround")),
    (None, _l("Training required")),
)


def place(resource: Resource) -> str:
    """Where a resource is, in the reader's language: its own city, else its platform's."""
    platform = resource.platform
    if not resource.city or resource.city == platform.city_zh:
        return platform.city(lang())
    return resource.city


@bp.app_context_processor
def compare_globals() -> dict[str, Any]:
    return {"resource_place": place, "COMPARABLE_KINDS": COMPARABLE_KINDS}


@bp.get("/<int:resource_id>/compare")
def compare(resource_id: int) -> Any:
    resource = db.get_or_404(Resource, resource_id)
    sort = request.args.get("sort", "match")
    if sort not in COMPARE_SORTS:
        sort = "match"
    descending = request.args.get("dir") == "desc"
    user = current_user._get_current_object() if current_user.is_authenticated else None
    try:
        rows = compare_equivalents(user, resource)
    except SearchUnavailable as exc:
        return render_template("error.html", code=503, message=exc.message), 503
    return render_template("compare.html", resource=resource, rows=sort_rows(rows, sort, descending), sort=sort,
                           descending=descending, columns=COLUMNS, others=len(rows) - 1)
