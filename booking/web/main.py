"""Home and resource pages."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, render_template
from sqlalchemy import func, select

from ..extensions import db
from ..models import KINDS, Platform, Resource

bp = Blueprint("main", __name__)


@bp.get("/")
def home() -> Any:
    kind_counts = dict(
        db.session.execute(
            select(Resource.kind, func.count()).where(Resource.status == "active").group_by(Resource.kind)
        ).all()
    )
    platform_counts = dict(
        db.session.execute(
            select(Resource.platform_id, func.count()).where(Resource.status == "active").group_by(Resource.platform_id)
        ).all()
    )
    platforms = db.session.scalars(select(Platform).order_by(Platform.city_en, Platform.code)).all()
    return render_template(
        "home.html", kinds=KINDS, kind_counts=kind_counts, platforms=platforms, platform_counts=platform_counts
    )


@bp.get("/resources/<int:resource_id>")
def resource(resource_id: int) -> Any:
    item = db.session.get(Resource, resource_id)
    if item is None:
        abort(404)
    return render_template("resource.html", resource=item)
