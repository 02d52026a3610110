"""/staff/demand: searches that found nothing or that nobody clicked, for the platform (or all)."""
from __future__ import annotations

from typing import Any

from flask import request

from ...accounts.access import role_required
from ...searching.searchlog import demand_by_week
from ..demand import render_demand, weeks_asked
from .blueprint import bp
from .platform import current_platform, platform_choices


@bp.get("/demand")
@role_required("staff")
def demand() -> Any:
    platform = current_platform()
    scope = request.args.get("scope") if request.args.get("scope") in ("mine", "all") else "mine"
    report = demand_by_week(weeks=weeks_asked(), platform=platform.code if scope == "mine" else None)
    return render_demand("staff/demand.html", platform=platform, platforms=platform_choices(), scope=scope, report=report)
