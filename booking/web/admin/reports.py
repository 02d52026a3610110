"""/admin/reports: the province's sharing-performance figures by platform, city or resource, with
charts, drill-downs and downloads (booking.web.report_pages)."""
from __future__ import annotations

from typing import Any

from ...accounts.access import role_required
from ..report_pages import ADMIN, behind_page, export, report_page
from .blueprint import bp


@bp.get("/reports")
@role_required("admin")
def reports() -> Any:
    return report_page(ADMIN)


@bp.get("/reports/behind")
@role_required("admin")
def reports_behind() -> Any:
    return behind_page(ADMIN)


@bp.get("/reports/export.<fmt>")
@role_required("admin")
def reports_export(fmt: str) -> Any:
    return export(ADMIN, fmt)
