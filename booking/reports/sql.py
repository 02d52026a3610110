"""The few SQL expressions SQLite and PostgreSQL spell differently, and grouped percentiles.

Instants are stored as naive UTC (booking.models.types.UTCDateTime), so a difference of two of
them is real elapsed time, daylight saving or not.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, Select, case, func, literal, select, text
from sqlalchemy.sql.elements import ColumnElement

from ..extensions import db
from ..models import UTCDateTime


def dialect() -> str:
    return db.session.get_bind().dialect.name


def instant(value: datetime) -> ColumnElement[Any]:
    """A UTC instant as a typed SQL value (bound the way the columns are stored)."""
    return literal(value, UTCDateTime())


def hours_between(start: Any, end: Any, name: str) -> ColumnElement[Any]:
    if name == "postgresql":
        return func.extract("epoch", end - start) / 3600.0
    return (func.julianday(end) - func.julianday(start)) * 24.0


def epoch_seconds(value: Any, name: str) -> ColumnElement[Any]:
    """Seconds since 1970-01-01 of a stored instant or a date (at its midnight)."""
    if name == "postgresql":
        return func.extract("epoch", value)
    return (func.julianday(value) - 2440587.5) * 86400.0


def least(a: Any, b: Any, name: str) -> ColumnElement[Any]:
    return func.least(a, b) if name == "postgresql" else func.min(a, b)


def greatest(a: Any, b: Any, name: str) -> ColumnElement[Any]:
    return func.greatest(a, b) if name == "postgresql" else func.max(a, b)


def zoned(values: dict[str, Any], zone_column: Any) -> Any:
    """A value that depends on the platform's zone: one literal per zone in a CASE."""
    if len(values) == 1:
        return next(iter(values.values()))
    return case(values, value=zone_column)


def analytic_session() -> None:
    """Give this transaction's sorts and hashes room on PostgreSQL (the default 4 MB sends a
    year of bookings to disk), and no JIT (compiling the figures' expressions took ~0.2 s per
    query, more than it saved); SET LOCAL ends with the transaction."""
    if dialect() == "postgresql":
        db.session.execute(text("SET LOCAL work_mem = '64MB'"))
        db.session.execute(text("SET LOCAL jit = off"))


def grouped_percentiles(source: Select[Any], percents: tuple[int, ...]) -> dict[Any, dict[int, float]]:
    """{key: {p: value}} for a select of (key, value): the p-th percentile of each key's values,
    interpolated between ranks like PostgreSQL's percentile_cont, computed with window functions
    so SQLite answers it too; {0: n} is how many values the key has."""
    inner = source.subquery()
    key, value = inner.c[0], inner.c[1]
    ranked = select(
        key.label("key"), value.label("v"),
        func.row_number().over(partition_by=key, order_by=value).label("rn"),
        func.count().over(partition_by=key).label("n"),
    ).subquery()
    columns = []
    for p in percents:
        steps = ranked.c.n * p - p  # p·(n−1): the percentile's rank above the first, in hundredths
        low = steps // 100 + 1
        frac = (steps % 100) / 100.0
        columns.append(func.sum(
            case((ranked.c.rn == low, ranked.c.v * (1.0 - frac)), else_=0.0)
            + case((ranked.c.rn == low + 1, ranked.c.v * frac), else_=0.0)
        ).cast(Float).label(f"p{p}"))
    query = select(ranked.c.key, func.count(), *columns).group_by(ranked.c.key)
    return {row[0]: {0: float(row[1])} | {p: float(row[i + 2]) for i, p in enumerate(percents)}
            for row in db.session.execute(query)}
