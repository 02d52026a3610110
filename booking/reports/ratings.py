"""Satisfaction in the sharing-performance figures: the average stars of the ratings of bookings
that start in the period and of orders completed in it (issue 13, "Ratings count toward the
platform's figures"), one SQL aggregate grouped like every other figure.

A rating carries `served_at` (its booking's start, or its order's completion), its resource and
its platform (booking.models.rating), so the period is read in each platform's zone exactly as
the other figures read theirs.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from ..extensions import db
from ..models import Platform, Rating, Resource

if TYPE_CHECKING:  # figures imports this module to wire it in: no import of it at run time here
    from .figures import FigureRow, Frame


def rating_query(frame: Frame) -> Any:
    """(key, average stars, ratings) per group of the frame, for ratings served in the period."""
    query = (
        select(frame.key().label("key"), func.avg(Rating.stars), func.count(Rating.id))
        .select_from(Rating)
        .join(Resource, Resource.id == Rating.resource_id)
        .join(Platform, Platform.id == Resource.platform_id)
        .where(frame.starts_in(Rating.served_at))
    )
    if frame.scope.platform_id is not None:  # ix_rating_platform_served
        query = query.where(Rating.platform_id == frame.scope.platform_id)
    return frame.grouped(frame.in_scope(query))


def rating_figures(frame: Frame, rows: dict[Any, FigureRow]) -> None:
    """Fill `FigureRow.rating` (average stars, 2 decimals; None where nobody rated) and, when the
    row has the field, `FigureRow.ratings` (how many)."""
    from .figures import SERVICE_KEY, FigureRow

    for key, average, count in db.session.execute(rating_query(frame)):
        key = SERVICE_KEY if frame.group == "service" else key
        row = rows.get(key)
        if row is None:
            row = rows[key] = FigureRow(key, {"name_zh": str(key), "name_en": str(key)})
        n = int(count or 0)
        row.rating = round(float(average), 2) if n and average is not None else None
        if hasattr(row, "ratings"):
            setattr(row, "ratings", n)  # noqa: B010  (the field arrives with the lead's wiring)


__all__ = ["rating_figures", "rating_query"]
