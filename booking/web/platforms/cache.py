"""An in-process cache of the public platform pages' figures, kept for an hour.

The province-wide report by platform can take seconds at scale (issue 13: up to 2 s on PostgreSQL,
5 s on SQLite, for a year of a province), one platform's up to half a second, and /platforms and
/platforms/<code> are public pages that anyone may reload. The ranking is keyed by its period, a
platform's own figures by (platform, period).
Its figures cover the last twelve *complete* months, so they change only as bookings of those
months are checked in late or corrected: an hour-old answer is good enough, and a new month gives
a new key (the period) and so a fresh computation.

Each web process keeps its own copy (one per Flask app, in `app.extensions`), so nothing is shared
between hosts or tests, and nothing needs invalidating by hand. Thread-safe: gunicorn's threaded
workers and the development server may ask at once; only one of them computes a missing entry,
the others wait for it rather than start the same seconds-long report again. The clock is
injectable so a test can move an hour forward.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Any

from flask import Flask, current_app

TTL_SECONDS = 3600.0
EXTENSION_KEY = "onestop.platform_ranking_cache"


class TimedCache:
    """Values computed on demand and kept for `ttl` seconds of `clock` (time.monotonic by default)."""

    def __init__(self, ttl: float = TTL_SECONDS, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self.clock = clock
        self._entries: dict[Hashable, tuple[float, Any]] = {}
        self._lock = threading.Lock()  # guards _entries
        self._computing = threading.Lock()  # one computation at a time: the report is the expensive part

    def _fresh(self, key: Hashable) -> tuple[bool, Any]:
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and self.clock() - entry[0] < self.ttl:
                return True, entry[1]
            return False, None

    def get(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        """The cached value of `key`, or `compute()`'s, kept from now on."""
        found, value = self._fresh(key)
        if found:
            return value
        with self._computing:
            found, value = self._fresh(key)  # another thread may have just computed it
            if found:
                return value
            value = compute()
            with self._lock:
                self._entries = {k: e for k, e in self._entries.items() if self.clock() - e[0] < self.ttl}
                self._entries[key] = (self.clock(), value)
            return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def ranking_cache(app: Flask | None = None) -> TimedCache:
    """This app's ranking cache (made on first use)."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    cache = app.extensions.get(EXTENSION_KEY)
    if cache is None:
        cache = app.extensions.setdefault(EXTENSION_KEY, TimedCache())
    assert isinstance(cache, TimedCache)
    return cache
