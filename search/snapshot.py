"""One view of the index (a searcher generation) and everything cached for it: per-document
columns (ids, facet value ids, flags, prices, update times), bitsets, browse orders, term score
maps, mined names and the spelling corrector.

Per-segment columns are immutable, so they are cached by segment id across generations: a new
generation after a small change re-reads only its new segments."""

from __future__ import annotations

import bisect
import heapq
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from . import whoosh_internals
from .aliases import decode_names
from .schema import FACETS, TEXT_FIELDS
from .scoring import alternative_scores, bm25f_scores
from .spelling import Corrector

__all__ = ["Snapshot", "SegmentData", "bits_from_docs", "load_segment", "segment_lengths"]

#: Term score maps kept per snapshot, in documents (the least recently used go first).
TERM_CACHE_SIZE = 1_500_000
SEGMENT_CACHE_SIZE = 256


def bits_from_docs(docs: Iterable[int], n: int) -> int:
    """A bitset (a Python int, bit d set for each docnum d) of ``docs`` below ``n``."""
    ba = bytearray((n >> 3) + 1)
    for d in docs:
        ba[d >> 3] |= 1 << (d & 7)
    return int.from_bytes(ba, "little")


@dataclass
class SegmentData:
    """Per-document columns of one segment (immutable, so cached by segment id)."""

    rids: list[int]
    facets: dict[str, list[str]]  # kind, platform, city, category
    bookable: bytes
    orderable: bytes
    price: list[float | None]
    updated: list[float]
    dead: bytes  # 1 where the segment has no OneStop record (should not happen)
    lengths: dict[str, list[int]] = field(default_factory=dict)
    names: list | None = None  # raw "names" column values, read on first use
    _bits: dict[str, dict[str, int]] = field(default_factory=dict)
    _orders: dict[str, list[tuple]] = field(default_factory=dict)

    def value_bits(self, fname: str) -> dict[Any, int]:
        bits = self._bits.get(fname)
        if bits is None:
            per: dict = {}
            # a facet column, or the bookable/orderable flags (an empty segment has empty
            # facet lists: not a reason to look for an attribute of that name)
            values = self.facets[fname] if fname in self.facets else getattr(self, fname)
            for d, v in enumerate(values):
                per.setdefault(v, []).append(d)
            n = len(self.rids)
            bits = {v: bits_from_docs(ds, n) for v, ds in per.items()}
            self._bits[fname] = bits
        return bits

    def order(self, name: str) -> list[tuple]:
        """[(sort key, local docnum)] ascending."""
        o = self._orders.get(name)
        if o is None:
            upd, rids, price = self.updated, self.rids, self.price
            if name == "newest":
                o = sorted(((-upd[d], -rids[d]), d) for d in range(len(rids)))
            else:
                o = sorted(((price[d] is None, price[d] or 0.0, -upd[d], -rids[d]), d)
                           for d in range(len(rids)))
            self._orders[name] = o
        return o


_SEGMENT_CACHE: OrderedDict[tuple, SegmentData] = OrderedDict()
_SEGMENT_CACHE_LOCK = threading.Lock()
_EMPTY_ROW = ["-1", "", "", "", "", "0", "0", "", "0"]


def _read_segment(seg: Any) -> SegmentData:
    """Parse the "meta" column of one segment (see search.schema)."""
    n = seg.doc_count_all()
    empty = _EMPTY_ROW
    rows = [empty] * n
    if n and seg.has_column("meta"):
        col = seg.column_reader("meta")
        rows = [(raw.decode("utf-8").split("\t") if raw else empty) for raw in col]
        rows = [r if len(r) >= 9 else empty for r in rows]
    cols = list(zip(*rows)) if rows else [()] * 9
    return SegmentData(
        rids=list(map(int, cols[0])),
        facets={f: list(cols[i + 1]) for i, f in enumerate(FACETS)},
        bookable=bytes(map("1".__eq__, cols[5])),
        orderable=bytes(map("1".__eq__, cols[6])),
        price=[float(p) if p else None for p in cols[7]],
        updated=list(map(float, cols[8])),
        dead=bytes(map("-1".__eq__, cols[0])),
    )


def load_segment(seg: Any) -> SegmentData:
    """The columns of segment reader ``seg``, from the cache when another view read them."""
    key = whoosh_internals.segment_key(seg)
    with _SEGMENT_CACHE_LOCK:
        data = _SEGMENT_CACHE.get(key)
        if data is not None:
            _SEGMENT_CACHE.move_to_end(key)
            return data
    data = _read_segment(seg)
    with _SEGMENT_CACHE_LOCK:
        _SEGMENT_CACHE[key] = data
        while len(_SEGMENT_CACHE) > SEGMENT_CACHE_SIZE:
            _SEGMENT_CACHE.popitem(last=False)
    return data


def segment_lengths(seg: Any, data: SegmentData, fieldname: str) -> list[int]:
    """Field lengths of one segment's documents, cached with its columns."""
    lens = data.lengths.get(fieldname)
    if lens is None:
        lens = data.lengths[fieldname] = whoosh_internals.field_lengths(seg, fieldname)
    return lens


class Snapshot:
    """Everything cached for one searcher generation (one view of the index)."""

    def __init__(self, searcher: Any) -> None:
        self.searcher = searcher
        self.reader = reader = searcher.reader()
        self.leaves = list(reader.leaf_readers())
        self.n = reader.doc_count_all()
        self.live_count = reader.doc_count()
        self.rids: list[int] = []
        self.bookable = bytearray()
        self.orderable = bytearray()
        self.price: list[float | None] = []
        self.updated: list[float] = []
        self.live = bytearray(b"\x01") * self.n
        self.segdata: list[tuple[Any, int, SegmentData]] = []
        strings = self._read_columns()
        # facet values as small ints (C-speed mapping), names[id] -> value
        self.names: dict[str, list[str]] = {}
        self.values: dict[str, list[int]] = {}
        self.value_ids: dict[str, dict[str, int]] = {}
        for fname in FACETS:
            names = sorted(set(strings[fname]))
            table = {v: i for i, v in enumerate(names)}
            self.names[fname] = names
            self.values[fname] = list(map(table.__getitem__, strings[fname]))
            self.value_ids[fname] = table
        self._rid_to_doc: dict[int, int] | None = None
        self._value_bits: dict[str, dict[int, int]] = {}
        self._live_bits: int | None = None
        self._term_cache: OrderedDict[tuple, dict[int, float]] = OrderedDict()
        self._term_cache_size = 0
        self._corrector: Corrector | None = None
        self._names_cache: dict[int, tuple] = {}
        self._filter_sets: dict[tuple, frozenset[int]] = {}
        self._value_sets: dict[str, dict[int, frozenset[int]]] = {}
        self._alias_cache: dict[str, list[int]] = {}
        self._offsets = [offset for _seg, offset, _data in self.segdata]
        self.avg_len = {f: max(1.0, reader.field_length(f) / max(1, self.n)) for f in TEXT_FIELDS}
        self.lock = threading.Lock()

    def _read_columns(self) -> dict[str, list[str]]:
        """Concatenate the segments' columns; mark deleted documents; the facet strings."""
        strings: dict[str, list[str]] = {f: [] for f in FACETS}
        for seg, offset in self.leaves:
            data = load_segment(seg)
            segment_lengths(seg, data, "body")  # open lazily-read files now, not mid-search
            self.segdata.append((seg, offset, data))
            self.rids.extend(data.rids)
            for fname in FACETS:
                strings[fname].extend(data.facets[fname])
            self.bookable.extend(data.bookable)
            self.orderable.extend(data.orderable)
            self.price.extend(data.price)
            self.updated.extend(data.updated)
            if seg.has_deletions():
                for d in whoosh_internals.deleted_docs(seg):
                    self.live[offset + d] = 0
            if any(data.dead):
                for d, dead in enumerate(data.dead):
                    if dead:
                        self.live[offset + d] = 0
        return strings

    # -- id mapping and bitsets

    @property
    def rid_to_doc(self) -> dict[int, int]:
        if self._rid_to_doc is None:
            live = self.live
            self._rid_to_doc = {rid: d for d, rid in enumerate(self.rids) if live[d]}
        return self._rid_to_doc

    @property
    def live_bits(self) -> int:
        if self._live_bits is None:
            bits = 0
            live = self.live
            for seg, offset, data in self.segdata:
                n = len(data.rids)
                local = (1 << n) - 1
                if seg.has_deletions() or any(data.dead):
                    dead = [d for d in range(n) if not live[offset + d]]
                    local &= ~bits_from_docs(dead, n)
                bits |= local << offset
            self._live_bits = bits
        return self._live_bits

    def value_bits(self, fname: str) -> dict[int, int]:
        """Facet value id -> bitset of its documents (deleted ones included; callers
        AND with live bits).  Built from per-segment bitsets cached by segment id."""
        bits = self._value_bits.get(fname)
        if bits is None:
            table = self.value_ids[fname]
            bits = {}
            for _seg, offset, data in self.segdata:
                for value, local in data.value_bits(fname).items():
                    vid = table[value]
                    bits[vid] = bits.get(vid, 0) | (local << offset)
            self._value_bits[fname] = bits
        return bits

    def flag_bits(self, fname: str, want: int) -> int:
        """Bitset of the documents whose flag ``fname`` (bookable, orderable) is ``want``."""
        acc = 0
        for _seg, offset, data in self.segdata:
            acc |= data.value_bits(fname).get(want, 0) << offset
        return acc

    def order(self, name: str) -> Iterator[int]:
        """Docnums for browsing, "newest" first or by "price" (no price last): a lazy merge
        of per-segment orders cached by segment id.  Callers skip deleted documents."""
        def shifted(pairs: list[tuple], offset: int) -> Iterator[tuple]:
            for key, d in pairs:
                yield key, offset + d

        parts = [shifted(data.order(name), offset) for _seg, offset, data in self.segdata]
        return (d for _key, d in heapq.merge(*parts))

    def docs_with(self, fname: str, values: frozenset) -> frozenset[int]:
        """Live documents whose ``fname`` is one of ``values`` (a facet filter), cached."""
        key = (fname, values)
        hit = self._filter_sets.get(key)
        if hit is None:
            per_value = self._value_sets.get(fname)
            if per_value is None:  # one pass over the column for all its values
                lists: dict[int, list[int]] = {}
                live = self.live
                for d, v in enumerate(self.values[fname]):
                    if live[d]:
                        lists.setdefault(v, []).append(d)
                per_value = self._value_sets[fname] = {v: frozenset(ds) for v, ds in lists.items()}
            table = self.value_ids[fname]
            sets = [per_value.get(table[v], frozenset()) for v in values if v in table]
            hit = frozenset().union(*sets) if len(sets) != 1 else sets[0]
            if len(self._filter_sets) > 64:
                self._filter_sets.clear()
            self._filter_sets[key] = hit
        return hit

    # -- spelling

    @property
    def corrector(self) -> Corrector:
        if self._corrector is None:
            freqs: dict[str, int] = {}
            for text, info in self.reader.iter_field("spell"):
                word = text.decode("utf-8") if isinstance(text, bytes) else text
                freqs[word] = info.doc_frequency()
            self._corrector = Corrector(freqs)
        return self._corrector

    def doc_frequency(self, fieldname: str, token: str) -> int:
        return self.reader.doc_frequency(fieldname, token)

    # -- mined aliases

    def doc_names(self, d: int) -> tuple[str, ...]:
        """What document ``d`` is called (analysed names, see search.aliases)."""
        return self._names(d)[0]

    def doc_makers(self, d: int) -> tuple[str, ...]:
        return self._names(d)[1]

    def doc_pairs(self, d: int) -> tuple[tuple[str, str], ...]:
        return self._names(d)[2]

    def _names(self, d: int) -> tuple:
        cache = self._names_cache
        hit = cache.get(d)
        if hit is None:
            seg, offset, data = self.segdata[bisect.bisect_right(self._offsets, d) - 1]
            if data.names is None:
                data.names = (list(seg.column_reader("names")) if seg.has_column("names")
                              else [b""] * len(data.rids))
            hit = cache[d] = decode_names(data.names[d - offset])
        return hit

    def alias_docs(self, term: str) -> list[int]:
        """Live documents stating the alias key ``term`` ("n:arm200f", "m:agilent")."""
        hit = self._alias_cache.get(term)
        if hit is not None:
            return hit
        out: list[int] = []
        live = self.live
        for seg, offset, _data in self.segdata:
            for ids, _weights in whoosh_internals.posting_blocks(seg, "alias", term):
                out.extend(offset + d for d in ids if live[offset + d])
        if len(self._alias_cache) > 5000:
            self._alias_cache.clear()
        self._alias_cache[term] = out
        return out

    # -- score maps

    def lengths(self, seg: Any, data: SegmentData, fieldname: str) -> list[int]:
        """Field lengths of the documents of one of this view's segments."""
        return segment_lengths(seg, data, fieldname)

    def match_count(self, tokens: tuple[str, ...]) -> int:
        """How many live documents hold every one of ``tokens`` in their text."""
        return len(alternative_scores(self, tokens))

    def cached(self, key: tuple, compute: Callable[[], dict[int, float]]) -> dict[int, float]:
        """A score map kept with the term maps (same size limit): never modify it."""
        cache = self._term_cache
        hit = cache.get(key)
        if hit is not None:
            cache.move_to_end(key)
            return hit
        value = compute()
        cache[key] = value
        self._term_cache_size += len(value) + 1
        while self._term_cache_size > TERM_CACHE_SIZE and len(cache) > 1:
            _, old = cache.popitem(last=False)
            self._term_cache_size -= len(old) + 1
        return value

    def term_scores(self, token: str) -> dict[int, float]:
        """BM25F score of ``token`` (see search.scoring.bm25f_scores), cached: never modify it."""
        return self.cached(("*", token), lambda: bm25f_scores(self, token))
