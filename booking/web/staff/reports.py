"""/staff/reports: the platform's sharing-performance figures, charts, drill-downs and downloads
(booking.web.report_pages; staff read their own platform, an administrator any)."""
from __future__ import annotations

from typing import Any

from ...accounts.access import role_required
from ..report_pages import STAFF, behind_page, export, report_page
from .blueprint import bp


@bp.get("/reports")
@role_required("staff")
def reports() -> Any:
    return report_page(STAFF)


@bp.get("/reports/behind")
@role_required("staff")
def reports_behind() -> Any:
    return behind_page(STAFF)


@bp.get("/reports/export.<fmt>")
@role_required("staff")
def reports_export(fmt: str) -> Any:
    return export(STAFF, fmt)
