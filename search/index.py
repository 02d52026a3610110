"""The search index: a Whoosh folder behind a small interface.

:class:`Index` opens the folder (search.folder), follows a rebuild swapped in by any process,
writes documents (search.schema) and answers searches on a cached view of the latest generation
(search.snapshot, search.execute).  :func:`rebuild` writes a new generation and swaps it in, so
readers of the old one keep working and the next search of every process sees the new one.

Whoosh stores and writes the index (segments, writer lock, multiprocess writing).  Ranking,
filtering and facet counting are done by this package on cached per-segment columns and
per-term score maps (search.scoring, search.facets), because Whoosh's generic matchers and
``groupedby`` facets are too slow in pure Python at 100,000 documents.  Whoosh's private
internals are used only in search.whoosh_internals.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index
from whoosh.index import LockError

from . import whoosh_internals
from .analysis import get_segmenter
from .execute import run_search
from .folder import (
    CURRENT,
    NotAnIndexFolder,
    create_empty,
    diagnose,
    folder_lock,
    new_generation_dir,
    prepare_folder,
    read_marker,
    swap_in,
    write_marker,
)
from .results import SearchResult
from .schema import SCHEMA_VERSION, codec, doc_to_fields, make_schema
from .snapshot import Snapshot

__all__ = ["SCHEMA_VERSION", "Index", "IndexBusy", "NotAnIndexFolder", "SearchResult", "open_index",
           "rebuild"]

#: The name search.planner imports for its type hints.
_Snapshot = Snapshot

DEFAULT_LOCK_TIMEOUT = 10.0


class IndexBusy(RuntimeError):
    """Another writer holds the index's lock; try again later."""


class Index:
    """A search index folder.  Thread-safe for searching; writes take Whoosh's lock."""

    def __init__(self, path: str | os.PathLike, lock_timeout: float = DEFAULT_LOCK_TIMEOUT):
        self.path = Path(path)
        self.lock_timeout = lock_timeout
        self._lock = threading.RLock()
        self._ix: Any = None  # a whoosh FileIndex once opened
        self._target: str | None = None
        self._searcher: Any = None
        self._snapshot: Snapshot | None = None
        self._needs_rebuild = False
        self.reason: str | None = None
        self._open()

    # -- opening

    def _open(self) -> None:
        whoosh_internals.check_whoosh_version()  # before anything on disk is touched
        root = self.root = prepare_folder(self.path)
        self._link = root / CURRENT
        problem = diagnose(self._link)
        if problem:
            self._needs_rebuild = True
            self.reason = problem
            # One process puts an empty generation in place; the others, waiting here, find
            # it (or a rebuild swapped in meanwhile) and use it.
            with folder_lock(root):
                if diagnose(self._link):
                    create_empty(root)
        self._reopen()

    def _reopen(self) -> None:
        for attempt in range(5):
            target = os.path.realpath(self._link)
            try:
                ix = whoosh_index.open_dir(target)
                searcher = ix.searcher()
                break
            except (OSError, whoosh_index.IndexError):
                # a rebuild in another process swapped in a newer generation and removed the
                # one this process was about to open: follow the link again
                if attempt == 4 or os.path.realpath(self._link) == target:
                    raise
        self._ix = ix
        self._target = target
        if self._searcher is not None:
            try:
                self._searcher.close()
            except Exception:
                pass
        self._searcher = searcher
        self._generation = self._ix.latest_generation()
        self._snapshot = None
        marker = read_marker(Path(target))
        if marker and marker.get("schema_version") == SCHEMA_VERSION and marker.get("built"):
            self._needs_rebuild = False
            self.reason = None

    @property
    def needs_rebuild(self) -> bool:
        """True when the folder was missing, damaged, or built by another schema version or
        synonym table: the index may lack documents and should be rebuilt.  Becomes False
        once a rebuild (by any process) has been swapped in."""
        with self._lock:
            target = os.path.realpath(self._link)
            if target != self._target and os.path.isdir(target):
                self._reopen()
            return self._needs_rebuild

    def _current(self) -> Snapshot:
        """Refresh cheaply: follow a swapped folder, else ``searcher.refresh()``."""
        with self._lock:
            target = os.path.realpath(self._link)
            if target != self._target:
                if os.path.isdir(target):
                    self._reopen()
            else:
                new = self._refreshed(self._searcher)
                if new is not self._searcher:
                    self._searcher = new
                    self._snapshot = None
            if self._snapshot is None:
                for attempt in range(3):
                    try:
                        self._snapshot = Snapshot(self._searcher)
                        break
                    except OSError:  # files of a just-merged segment are gone: look again
                        if attempt == 2:
                            raise
                        time.sleep(0.05)
                        self._searcher = self._ix.searcher()
                        self._generation = self._ix.latest_generation()
            assert self._snapshot is not None
            return self._snapshot

    def _refreshed(self, searcher):
        """A searcher on the latest generation; the same one when nothing changed.

        Whoosh's ``searcher.refresh()`` reuses the readers of unchanged segments, but it
        keeps their *old* deletions (segments compare by id) and fails on an empty index, so
        after a change we open a new searcher; per-segment columns stay cached by segment id.
        """
        latest = self._ix.latest_generation()
        if latest == self._generation:
            return searcher
        fresh = self._ix.searcher()
        self._generation = latest
        searcher.close()
        return fresh

    def close(self) -> None:
        with self._lock:
            if self._searcher is not None:
                self._searcher.close()
                self._searcher = None
            self._snapshot = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- writing

    @contextmanager
    def writer_lock(self, timeout: float | None = None):
        """Hold the index's writer lock (as any writer does), or raise IndexBusy."""
        self._current()
        lock = whoosh_internals.index_writer_lock(self._ix)
        timeout = self.lock_timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        while not lock.acquire(False):
            if time.monotonic() >= deadline:
                raise IndexBusy(f"the search index at {self.path} is being written by "
                                f"another process; try again later")
            time.sleep(0.05)
        try:
            yield
        finally:
            lock.release()

    @contextmanager
    def _writer(self, timeout: float | None):
        self._current()
        timeout = self.lock_timeout if timeout is None else timeout
        try:
            writer = self._ix.writer(timeout=timeout, delay=0.05, codec=codec())
        except LockError as exc:
            raise IndexBusy(f"the search index at {self.path} is being written by another "
                            f"process; try again later") from exc
        try:
            yield writer
        except BaseException:
            writer.cancel()
            raise
        else:
            writer.commit()

    def add(self, docs: Iterable[dict], *, timeout: float | None = None) -> int:
        """Insert or replace documents by ``id``; one commit for the whole batch."""
        docs = list(docs)
        if not docs:
            return 0
        fields = [doc_to_fields(d) for d in docs]
        get_segmenter()
        with self._writer(timeout) as w:
            for f in fields:
                w.update_document(**f)
        return len(fields)

    def delete(self, ids: Iterable[int], *, timeout: float | None = None) -> int:
        rids = [str(int(i)) for i in ids]
        if not rids:
            return 0
        n = 0
        with self._writer(timeout) as w:
            for rid in rids:
                n += w.delete_by_term("rid", rid) or 0
        return n

    def doc_count(self) -> int:
        return self._current().live_count

    # -- searching

    def search(
        self,
        q: str | None = "",
        kind: str | Iterable[str] | None = None,
        platform: str | Iterable[str] | None = None,
        city: str | Iterable[str] | None = None,
        category: str | Iterable[str] | None = None,
        max_price: float | None = None,
        bookable: bool | None = None,
        orderable: bool | None = None,
        sort: str = "relevance",
        page: int = 1,
        per_page: int = 10,
        only_ids: Iterable[int] | None = None,
        exclude_ids: Iterable[int] | None = None,
        *,
        snippet_width: int = 120,
    ) -> SearchResult:
        for attempt in range(3):
            snap = self._current()
            try:
                with snap.lock:
                    return run_search(snap, q or "", kind=kind, platform=platform, city=city,
                                      category=category, max_price=max_price,
                                      bookable=bookable, orderable=orderable, sort=sort,
                                      page=page, per_page=per_page, only_ids=only_ids,
                                      exclude_ids=exclude_ids, snippet_width=snippet_width)
            except OSError:
                # Another process merged segments and removed files this view still
                # needed (Whoosh opens some files lazily): look again at the latest view.
                if attempt == 2:
                    raise
                self._forget_view()
        raise AssertionError("unreachable")

    def _forget_view(self) -> None:
        with self._lock:
            try:
                self._searcher.close()
            except Exception:
                pass
            self._searcher = self._ix.searcher()
            self._generation = self._ix.latest_generation()
            self._snapshot = None

    def __repr__(self) -> str:
        return f"<Index {str(self.path)!r}>"


def open_index(path: str | os.PathLike, **kwargs: Any) -> Index:
    """Open (or create, empty) the index at ``path``.  Check ``needs_rebuild``."""
    return Index(path, **kwargs)


def rebuild(
    path: str | os.PathLike,
    docs: Iterable[dict],
    total: int | None = None,
    progress: Callable[[int], None] | None = None,
    *,
    procs: int | None = None,
    limitmb: int = 128,
    batch: int = 1000,
    segment_docs: int = 12_500,
) -> int:
    """Build a fresh index from ``docs`` in a new generation folder, then swap it in.

    Raises :class:`NotAnIndexFolder` (before reading ``docs``) when ``path`` holds other files.

    Uses Whoosh's multiprocess writer (one process per core, at most 2 by default) for
    large inputs.  Returns the number of documents written.
    """
    whoosh_internals.check_whoosh_version()
    root = prepare_folder(Path(path))
    gen = new_generation_dir(root)
    try:
        ix = whoosh_index.create_in(str(gen), make_schema())
        get_segmenter()  # load once in the parent; forked writers inherit it
        if procs is None:
            procs = min(2, os.cpu_count() or 1)
            if total is not None and total < 2000:
                procs = 1
        count = _write_in_rounds(ix, iter(docs), procs, limitmb, segment_docs * procs,
                                 progress, batch)
        if progress is not None:
            progress(count)
        write_marker(gen, built=True, doc_count=count)
        swap_in(root, gen)
        return count
    except BaseException:
        shutil.rmtree(gen, ignore_errors=True)
        raise


def _write_in_rounds(ix: Any, it: Iterator[dict], procs: int, limitmb: int, per_round: int,
                     progress: Callable[[int], None] | None, batch: int) -> int:
    """Write every document of ``it``, ``per_round`` at a time, each round committed as new
    segments without merging; returns how many were written.

    Whoosh sorts each segment's postings in memory up to ``limitmb`` and otherwise spills
    sorted runs to disk and merges them in Python, which costs more than half again as much
    time: rounds keep each writer process's segment within memory."""
    count = 0
    while True:
        if procs > 1:
            writer = ix.writer(procs=procs, multisegment=True, limitmb=limitmb, batchsize=200,
                               codec=codec())
        else:
            writer = ix.writer(limitmb=limitmb, codec=codec())
        in_round = 0
        try:
            for doc in it:
                writer.add_document(**doc_to_fields(doc))
                count += 1
                in_round += 1
                if progress is not None and count % batch == 0:
                    progress(count)
                if in_round >= per_round:
                    break
        except BaseException:
            writer.cancel()
            raise
        if in_round == 0:
            writer.cancel()
            return count
        writer.commit(merge=False)
        if in_round < per_round:
            return count
