"""/admin/demand: searches that found nothing or that nobody clicked, everywhere or for one platform."""
from __future__ import annotations

from typing import Any

from flask import request
from sqlalchemy import select

from ...accounts.access import role_required
from ...extensions import db
from ...models import Platform
from ...searching.searchlog import demand_by_week
from ..demand import render_demand, weeks_asked
from .blueprint import bp


@bp.get("/demand")
@role_required("admin")
def demand() -> Any:
    platforms = list(db.session.scalars(select(Platform).order_by(Platform.code)))
    code = request.args.get("platform", "")
    chosen = next((p for p in platforms if p.code == code), None)
    report = demand_by_week(weeks=weeks_asked(), platform=chosen.code if chosen else None)
    return render_demand("admin/demand.html", platforms=platforms, chosen=chosen, report=report)
