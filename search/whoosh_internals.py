"""Every use of Whoosh's private internals, behind small functions.

The index reads posting blocks, field-length columns and segment ids straight from Whoosh's W3
codec because Whoosh's own matchers are too slow in pure Python at 100,000 documents.  Those are
``_``-prefixed attributes and codec details that any Whoosh release may change, so they live here
and nowhere else, and the first use checks that the installed Whoosh is the exact version they
were written against (:data:`WHOOSH_VERSION`, pinned in pyproject.toml).  Upgrading Whoosh means:
read this module against the new release's source, run ``tests/search``, then bump the constant.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import whoosh

__all__ = ["WHOOSH_VERSION", "WhooshVersionMismatch", "check_whoosh_version", "installed_version",
           "w3_codec", "byte_to_length_table", "segment_key", "field_lengths", "deleted_docs",
           "posting_blocks", "index_writer_lock", "folder_writer_lock"]

#: The whoosh-reloaded release this module was checked against (pyproject.toml pins it).
WHOOSH_VERSION = "2.7.5"


class WhooshVersionMismatch(RuntimeError):
    """The installed Whoosh is not the release whose internals search.whoosh_internals uses."""


_checked = False


def installed_version() -> str:
    """The installed Whoosh's version string ("2.7.5")."""
    return whoosh.versionstring()


def check_whoosh_version() -> None:
    """Raise :class:`WhooshVersionMismatch` unless the installed Whoosh is :data:`WHOOSH_VERSION`;
    checked once per process, at the first use of an internal."""
    global _checked
    if _checked:
        return
    found = installed_version()
    if found != WHOOSH_VERSION:
        raise WhooshVersionMismatch(
            f"search.whoosh_internals uses private internals of Whoosh {WHOOSH_VERSION}, but Whoosh "
            f"{found} is installed: read search/whoosh_internals.py against Whoosh {found}'s source, "
            f"then update WHOOSH_VERSION there (or install whoosh-reloaded=={WHOOSH_VERSION})")
    _checked = True


def w3_codec() -> Any:
    """The W3 codec without per-block length statistics: they only serve Whoosh's own
    block-max scoring, which we do not use, and computing them looks up every posting's
    field length at commit.  (Inlining short posting lists would be faster still, but
    whoosh-reloaded 2.7.5 cannot merge inlined segments.)"""
    check_whoosh_version()
    from whoosh.codec.whoosh3 import W3Codec

    codec = W3Codec(blocklimit=128, compression=0)
    codec.length_stats = False
    return codec


_BYTE_TO_LENGTH: list[int] | None = None


def byte_to_length_table() -> list[int]:
    """Field length per stored length byte (Whoosh stores lengths in one lossy byte)."""
    global _BYTE_TO_LENGTH
    if _BYTE_TO_LENGTH is None:
        check_whoosh_version()
        from whoosh.util.numeric import byte_to_length

        _BYTE_TO_LENGTH = [byte_to_length(b) for b in range(256)]
    return _BYTE_TO_LENGTH


def segment_key(seg: Any) -> tuple:
    """(storage folder, segment id) of a segment reader: the same for every reader of the same
    immutable segment, so per-segment columns can be cached by it."""
    check_whoosh_version()
    segment = getattr(seg, "_segment", None)
    sid = segment.segment_id() if segment is not None else id(seg)
    return (str(getattr(seg, "_storage", None) and getattr(seg._storage, "folder", "")), sid)


def field_lengths(seg: Any, fieldname: str) -> list[int]:
    """Every document's length of ``fieldname`` in one segment, read as one column."""
    check_whoosh_version()
    n = seg.doc_count_all()
    lens = [0] * n
    try:
        from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield

        reader = seg._perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
        if reader is not None:
            table = byte_to_length_table()
            lens = [table[b] for b in reader]
    except Exception:  # pragma: no cover - other codecs
        lens = [seg.doc_field_length(d, fieldname, 0) or 0 for d in range(n)]
    return lens


def deleted_docs(seg: Any) -> frozenset[int]:
    """Local docnums deleted in a segment (the segment reader's cached set)."""
    check_whoosh_version()
    return seg.deleted_docs_set


def posting_blocks(seg: Any, fieldname: str, token: str) -> Iterator[tuple[Any, Any]]:
    """(docnums, weights) of a term in one segment, a block at a time.

    Reads the W3 codec's blocks directly (``reader.postings()`` would wrap them in a
    deletion filter and step one posting at a time); deletions are dropped by the caller.
    """
    check_whoosh_version()
    try:
        if (fieldname, token) not in seg:
            return
        btext = seg._text_to_bytes(fieldname, token)
        fmt = seg.schema[fieldname].format
        m = seg._terms.matcher(fieldname, btext, fmt)
    except Exception:
        return
    if hasattr(m, "_read_ids") and hasattr(m, "_next_block"):
        while m.is_active():
            if m._ids is None:
                m._read_ids()
            if m._weights is None:
                m._read_weights()
            yield m._ids, m._weights
            m._next_block()
    else:  # pragma: no cover - other codecs or inlined postings
        ids, weights = [], []
        while m.is_active():
            ids.append(m.id())
            weights.append(m.weight())
            m.next()
        yield ids, weights


def index_writer_lock(ix: Any) -> Any:
    """The lock every Whoosh writer of ``ix`` takes (its name is Whoosh's)."""
    check_whoosh_version()
    return ix.lock("WRITELOCK")


def folder_writer_lock(folder: str) -> Any:
    """The same writer lock, for the index in ``folder`` without opening it (the lock file of
    the default index name "MAIN")."""
    check_whoosh_version()
    from whoosh.filedb.filestore import FileStorage

    return FileStorage(folder).lock("MAIN_WRITELOCK")
