"""Half-open time intervals [start, end) as pairs of aware datetimes."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

Interval = tuple[datetime, datetime]


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Sort and join overlapping or touching intervals."""
    result: list[Interval] = []
    for start, end in sorted(i for i in intervals if i[0] < i[1]):
        if result and start <= result[-1][1]:
            if end > result[-1][1]:
                result[-1] = (result[-1][0], end)
        else:
            result.append((start, end))
    return result


def subtract(base: list[Interval], holes: Iterable[Interval]) -> list[Interval]:
    """`base` (merged) minus every interval of `holes`."""
    result: list[Interval] = []
    holes = merge(holes)
    i = 0
    for start, end in base:
        cursor = start
        while i < len(holes) and holes[i][1] <= cursor:
            i += 1
        j = i
        while j < len(holes) and holes[j][0] < end:
            if holes[j][0] > cursor:
                result.append((cursor, holes[j][0]))
            cursor = max(cursor, holes[j][1])
            j += 1
        if cursor < end:
            result.append((cursor, end))
    return result


def clip(intervals: Iterable[Interval], start: datetime, end: datetime) -> list[Interval]:
    return [(max(s, start), min(e, end)) for s, e in intervals if s < end and e > start]


def covers(intervals: Iterable[Interval], start: datetime, end: datetime) -> bool:
    """True when one of the (merged) intervals contains all of [start, end)."""
    return any(s <= start and end <= e for s, e in intervals)
