"""/staff/orders: the platform's testing-service orders (an administrator: every platform's, or one's)."""
from __future__ import annotations

from typing import Any

from flask import abort, render_template, request
from flask_login import current_user
from sqlalchemy import func, select

from ...accounts.access import role_required
from ...extensions import db
from ...models import ORDER_STATUSES, Order, Platform
from ...orders import service
from ..orders.pages import PAGE_SIZE, status_arg
from .blueprint import bp


@bp.get("/orders")
@role_required("staff")
def orders() -> Any:
    platforms: list[Platform] = []
    platform: Platform | None = None
    if current_user.role == "admin":
        platforms = list(db.session.scalars(select(Platform).order_by(Platform.code)))
        code = request.args.get("platform")
        platform = next((p for p in platforms if p.code == code), None)
    else:
        if current_user.platform is None:
            abort(403)
        platform = current_user.platform
    status = status_arg()
    query = service.visible_orders(current_user, status=status, platform_id=platform.id if platform else None)
    orders = db.session.scalars(query.limit(PAGE_SIZE)).all()
    counts_query = select(Order.status, func.count()).group_by(Order.status)
    if platform is not None:
        counts_query = counts_query.where(Order.platform_id == platform.id)
    counts: dict[str, int] = dict(db.session.execute(counts_query).tuples().all())
    return render_template("orders/staff_list.html", orders=orders, status=status, statuses=ORDER_STATUSES,
                           platform=platform, platforms=platforms, counts=counts)
