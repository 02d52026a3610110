"""The search index: a Whoosh folder behind a small interface.

Layout on disk: ``path`` is a folder of the index's own::

    path/
      onestop-index-folder.json   says "this folder is a OneStop index" (written first)
      current -> generations/gen-<stamp>-<pid>-<hex>     a symbolic link, swapped atomically
      generations/gen-.../        one Whoosh index each, with onestop-index.json (schema version)

The index only ever writes into, and deletes from, a folder that holds that marker, or that was
empty (or missing) when it was first opened; a folder holding anything else is refused with
:class:`NotAnIndexFolder` and left untouched.  Old generations are removed only from
``generations/``.  :func:`rebuild` writes a new generation and swaps ``current``, so readers of
the old one keep working and the next search of every process sees the new one.

Indexes of the earlier layout (``path`` a symbolic link to a sibling ``<name>.gen-...``) are
moved into the new layout when first opened.

Whoosh stores and writes the index (segments, writer lock, multiprocess writing).  Ranking,
filtering and facet counting are done here on cached per-segment columns and per-term score
maps, because Whoosh's generic matchers and ``groupedby`` facets are too slow in pure Python
at 100,000 documents.
"""

from __future__ import annotations

import bisect
import heapq
import json
import math
import os
import re
import secrets
import shutil
import threading
import time
from collections import Counter, OrderedDict
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from whoosh import index as whoosh_index
from whoosh.fields import COLUMN, ID, STORED, TEXT, Schema
from whoosh.columns import VarBytesColumn
from whoosh.index import LockError

from .aliases import alias_terms, decode_names, doc_aliases, encode_names
from .analysis import (KeyListAnalyzer, SpellingAnalyzer, WeightedAnalyzer, get_segmenter,
                       weighted_text)
from .highlight import make_snippet
from .planner import Plan, Unit, plan_query
from .spelling import Corrector

__all__ = ["SCHEMA_VERSION", "Index", "IndexBusy", "NotAnIndexFolder", "SearchResult", "open_index",
           "rebuild"]

#: Bump when the schema or the analyser changes in a way that needs a rebuild.
SCHEMA_VERSION = 6
MARKER = "onestop-index.json"  # in each generation: schema version and analyser fingerprint
#: The file that makes a folder a OneStop index folder: nothing else is ever written or deleted.
FOLDER_MARKER = "onestop-index-folder.json"
GENERATIONS = "generations"
CURRENT = "current"
LAYOUT = 2
_GENERATION_RE = re.compile(r"gen-\d{14}-\d+-[0-9a-f]{6}")
#: A generation without a finished marker younger than this may be a rebuild at work elsewhere.
UNFINISHED_GRACE = 3600.0
DEFAULT_LOCK_TIMEOUT = 10.0
FACETS = ("kind", "platform", "city", "category")

# Section weights inside the one text field "body" (BM25F field weights).
SECTION_BOOSTS = {
    "title": 5.0,
    "keywords": 3.0,
    "category": 2.0,
    "description": 1.0,
    "attributes": 0.6,
}
TEXT_FIELDS = ("body",)
K1 = 1.6
B = 0.5


class IndexBusy(RuntimeError):
    """Another writer holds the index's lock; try again later."""


class NotAnIndexFolder(RuntimeError):
    """The index path holds something that is not a OneStop index (a database, a secret key, an
    instance folder...).  Nothing in it was changed: the caller must point the index elsewhere."""

    def __init__(self, path: str | os.PathLike, why: str) -> None:
        self.path = Path(path)
        self.why = why
        super().__init__(f"{path} is not a OneStop search index folder ({why}); nothing in it was "
                         f"changed: use an empty or new folder for the index")


# --------------------------------------------------------------------------------------
# Schema and documents


def make_schema() -> Schema:
    return Schema(
        rid=ID(stored=True, unique=True),
        meta=COLUMN(VarBytesColumn()),
        external_id=STORED(),
        title_raw=STORED(),
        title_en=STORED(),
        desc=STORED(),
        price=STORED(),
        body=TEXT(analyzer=WeightedAnalyzer(), phrase=False),
        spell=TEXT(analyzer=SpellingAnalyzer(), phrase=False),
        alias=TEXT(analyzer=KeyListAnalyzer(), phrase=False),
        names=COLUMN(VarBytesColumn()),
    )


#: Attribute keys left out of the text: long lists of names and classes that users do
#: not search by and that would only slow indexing down.
SKIP_ATTRIBUTES = frozenset({"inventors", "ipc_all", "internal_price", "asset_value_wan_cny",
                             "purchase_year", "country", "training_required", "report_language",
                             "turnaround_days", "area_m2", "capacity", "age", "year",
                             "application_date"})


def _codec():
    """The W3 codec without per-block length statistics: they only serve Whoosh's own
    block-max scoring, which we do not use, and computing them looks up every posting's
    field length at commit.  (Inlining short posting lists would be faster still, but
    whoosh-reloaded 2.7.5 cannot merge inlined segments.)"""
    from whoosh.codec.whoosh3 import W3Codec

    codec = W3Codec(blocklimit=128, compression=0)
    codec.length_stats = False
    return codec


def _flatten(value: Any) -> Iterator[str]:
    if value is None or isinstance(value, bool):
        return
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _flatten(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _flatten(v)
    elif isinstance(value, (int, float)):
        return  # numbers in attributes (years, prices) only add noise


def _timestamp(value: Any) -> float:
    if not value:
        return 0.0
    if isinstance(value, datetime):
        return value.timestamp()
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return 0.0


def _clean(value: Any) -> str:
    return str(value).replace("\t", " ").replace("\n", " ") if value is not None else ""


def doc_to_fields(doc: dict) -> dict:
    """Map a feed record (plus ``id``) to the index fields.  Only what hits, snippets,
    facets and sorting need is stored."""
    rid = int(doc["id"])
    price = doc.get("price") or None
    amount = ""
    if isinstance(price, dict) and price.get("amount") is not None:
        amount = repr(float(price["amount"]))
    updated = _timestamp(doc.get("updated_at") or doc.get("created_at"))
    meta = "\t".join([
        str(rid), _clean(doc.get("kind")), _clean(doc.get("platform")), _clean(doc.get("city")),
        _clean(doc.get("category")), "1" if doc.get("bookable") else "0",
        "1" if doc.get("orderable") else "0", amount, repr(updated),
    ])
    title = doc.get("title") or ""
    title_en = doc.get("title_en") or ""
    keywords = doc.get("keywords") or []
    if isinstance(keywords, str):
        keywords = [keywords]
    description = doc.get("description") or ""
    attributes = doc.get("attributes") or {}
    if isinstance(attributes, dict):
        attributes = {k: v for k, v in attributes.items() if k not in SKIP_ATTRIBUTES}
    # Attribute values already written in the title or description (manufacturer, model,
    # standards) are indexed there; repeating them only costs postings.
    seen_text = f"{doc.get('title') or ''} {doc.get('title_en') or ''} " \
                f"{doc.get('description') or ''}".lower()
    attrs = " ".join(v for v in _flatten(attributes) if v.lower() not in seen_text)
    if doc.get("platform_name"):
        attrs += " " + str(doc["platform_name"])
    category = doc.get("category") or ""
    aliases = doc_aliases(doc)
    return dict(
        rid=str(rid),
        meta=meta.encode("utf-8"),
        external_id=doc.get("external_id"),
        title_raw=title,
        title_en=title_en,
        desc=description,
        price=price if isinstance(price, dict) else None,
        body=weighted_text([
            (SECTION_BOOSTS["title"], f"{title} {title_en}"),
            (SECTION_BOOSTS["keywords"], " ; ".join(map(str, keywords))),
            (SECTION_BOOSTS["category"], category),
            (SECTION_BOOSTS["description"], description),
            (SECTION_BOOSTS["attributes"], attrs),
        ]),
        spell=" ".join([title, title_en, " ".join(map(str, keywords)), category, description]),
        alias=alias_terms(aliases),
        names=encode_names(aliases),
    )


# --------------------------------------------------------------------------------------
# Results


@dataclass
class SearchResult:
    total: int
    hits: list[dict]
    facets: dict[str, dict[str, int]]
    suggestion: str | None = None
    note: str | None = None
    page: int = 1
    per_page: int = 10
    query: str = ""
    #: words of the query that no admitted resource contains (they lowered scores, removed nothing)
    unmatched: list[str] = field(default_factory=list)
    #: when nothing is found: kinds of resource the words do find without the filters (or,
    #: when no word matches anything, the kinds the intent words point to), with counts
    nearest_kinds: dict[str, int] = field(default_factory=dict)
    #: True when ``nearest_kinds`` come from the words themselves (search them there), False
    #: when only from intent words (browse those kinds)
    nearest_by_words: bool = False

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page)) if self.per_page else 1


# --------------------------------------------------------------------------------------
# Per-segment and per-generation caches

_BYTE_TO_LENGTH: list[int] | None = None


def _byte_to_length_table() -> list[int]:
    global _BYTE_TO_LENGTH
    if _BYTE_TO_LENGTH is None:
        from whoosh.util.numeric import byte_to_length

        _BYTE_TO_LENGTH = [byte_to_length(b) for b in range(256)]
    return _BYTE_TO_LENGTH


@dataclass
class _SegmentData:
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

    def value_bits(self, fname: str) -> dict[str, int]:
        bits = self._bits.get(fname)
        if bits is None:
            per: dict = {}
            # a facet column, or the bookable/orderable flags (an empty segment has empty
            # facet lists: not a reason to look for an attribute of that name)
            values = self.facets[fname] if fname in self.facets else getattr(self, fname)
            for d, v in enumerate(values):
                per.setdefault(v, []).append(d)
            n = len(self.rids)
            bits = {v: _bits_from_docs(ds, n) for v, ds in per.items()}
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


_SEGMENT_CACHE: "OrderedDict[tuple, _SegmentData]" = OrderedDict()
_SEGMENT_CACHE_LOCK = threading.Lock()


def _segment_key(seg) -> tuple:
    segment = getattr(seg, "_segment", None)
    sid = segment.segment_id() if segment is not None else id(seg)
    return (str(getattr(seg, "_storage", None) and getattr(seg._storage, "folder", "")), sid)


def _load_segment(seg) -> _SegmentData:
    key = _segment_key(seg)
    with _SEGMENT_CACHE_LOCK:
        data = _SEGMENT_CACHE.get(key)
        if data is not None:
            _SEGMENT_CACHE.move_to_end(key)
            return data
    n = seg.doc_count_all()
    empty = ["-1", "", "", "", "", "0", "0", "", "0"]
    rows = [empty] * n
    if n and seg.has_column("meta"):
        col = seg.column_reader("meta")
        rows = [(raw.decode("utf-8").split("\t") if raw else empty) for raw in col]
        rows = [r if len(r) >= 9 else empty for r in rows]
    cols = list(zip(*rows)) if rows else [()] * 9
    data = _SegmentData(
        rids=list(map(int, cols[0])),
        facets={f: list(cols[i + 1]) for i, f in enumerate(FACETS)},
        bookable=bytes(map("1".__eq__, cols[5])),
        orderable=bytes(map("1".__eq__, cols[6])),
        price=[float(p) if p else None for p in cols[7]],
        updated=list(map(float, cols[8])),
        dead=bytes(map("-1".__eq__, cols[0])),
    )
    with _SEGMENT_CACHE_LOCK:
        _SEGMENT_CACHE[key] = data
        while len(_SEGMENT_CACHE) > 256:
            _SEGMENT_CACHE.popitem(last=False)
    return data


def _segment_lengths(seg, data: _SegmentData, fieldname: str) -> list[int]:
    lens = data.lengths.get(fieldname)
    if lens is None:
        n = seg.doc_count_all()
        lens = [0] * n
        try:
            from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield

            reader = seg._perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
            if reader is not None:
                table = _byte_to_length_table()
                lens = [table[b] for b in reader]
        except Exception:  # pragma: no cover - other codecs
            lens = [seg.doc_field_length(d, fieldname, 0) or 0 for d in range(n)]
        data.lengths[fieldname] = lens
    return lens


def _bits_from_docs(docs: Iterable[int], n: int) -> int:
    ba = bytearray((n >> 3) + 1)
    for d in docs:
        ba[d >> 3] |= 1 << (d & 7)
    return int.from_bytes(ba, "little")


class _Snapshot:
    """Everything cached for one searcher generation (one view of the index)."""

    def __init__(self, searcher):
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
        self.segdata: list[tuple[Any, int, _SegmentData]] = []
        strings: dict[str, list[str]] = {f: [] for f in FACETS}
        for seg, offset in self.leaves:
            data = _load_segment(seg)
            _segment_lengths(seg, data, "body")  # open lazily-read files now, not mid-search
            self.segdata.append((seg, offset, data))
            self.rids.extend(data.rids)
            for fname in FACETS:
                strings[fname].extend(data.facets[fname])
            self.bookable.extend(data.bookable)
            self.orderable.extend(data.orderable)
            self.price.extend(data.price)
            self.updated.extend(data.updated)
            if seg.has_deletions():
                for d in seg.deleted_docs_set:
                    self.live[offset + d] = 0
            if any(data.dead):
                for d, dead in enumerate(data.dead):
                    if dead:
                        self.live[offset + d] = 0
        # facet values as small ints (C-speed mapping), names[id] -> value
        self.names: dict[str, list[str]] = {}
        self.values: dict[str, list[int]] = {}
        ids: dict[str, dict[str, int]] = {}
        for fname in FACETS:
            names = sorted(set(strings[fname]))
            table = {v: i for i, v in enumerate(names)}
            self.names[fname] = names
            self.values[fname] = list(map(table.__getitem__, strings[fname]))
            ids[fname] = table
        self.value_ids = ids
        self._rid_to_doc: dict[int, int] | None = None
        self._value_bits: dict[str, dict[int, int]] = {}
        self._live_bits: int | None = None
        self._order: dict[str, list[int]] = {}
        self._term_cache: "OrderedDict[tuple[str, str], dict[int, float]]" = OrderedDict()
        self._term_cache_size = 0
        self._corrector: Corrector | None = None
        self._names_cache: dict[int, tuple] = {}
        self._filter_sets: dict[tuple, frozenset[int]] = {}
        self._value_sets: dict[str, dict[int, frozenset[int]]] = {}
        self._alias_cache: dict[str, list[int]] = {}
        self._offsets = [offset for _seg, offset, _data in self.segdata]
        self.avg_len = {f: max(1.0, reader.field_length(f) / max(1, self.n)) for f in TEXT_FIELDS}
        self.lock = threading.Lock()

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
                    local &= ~_bits_from_docs(dead, n)
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
            for seg, offset, data in self.segdata:
                for value, local in data.value_bits(fname).items():
                    vid = table[value]
                    bits[vid] = bits.get(vid, 0) | (local << offset)
            self._value_bits[fname] = bits
        return bits

    def order(self, name: str) -> Iterator[int]:
        """Docnums for browsing, "newest" first or by "price" (no price last): a lazy merge
        of per-segment orders cached by segment id.  Callers skip deleted documents."""
        def shifted(pairs: list[tuple], offset: int) -> Iterator[tuple]:
            for key, d in pairs:
                yield key, offset + d

        parts = [shifted(data.order(name), offset) for seg, offset, data in self.segdata]
        return (d for _key, d in heapq.merge(*parts))

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

    def _names(self, d: int):
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
        for seg, offset, data in self.segdata:
            for ids, _weights in _posting_blocks(seg, "alias", term):
                out.extend(offset + d for d in ids if live[offset + d])
        if len(self._alias_cache) > 5000:
            self._alias_cache.clear()
        self._alias_cache[term] = out
        return out

    def match_count(self, tokens: tuple[str, ...]) -> int:
        """How many live documents hold every one of ``tokens`` in their text."""
        return len(_alternative_scores(self, tokens))

    # -- scoring

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
        while self._term_cache_size > 1_500_000 and len(cache) > 1:
            _, old = cache.popitem(last=False)
            self._term_cache_size -= len(old) + 1
        return value

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

    def term_scores(self, token: str) -> dict[int, float]:
        """BM25 score of ``token`` summed over the text fields with their boosts."""
        key = ("*", token)
        cache = self._term_cache
        hit = cache.get(key)
        if hit is not None:
            cache.move_to_end(key)
            return hit
        total: dict[int, float] = {}
        n_docs = max(1, self.live_count)
        for fname in TEXT_FIELDS:
            df = self.reader.doc_frequency(fname, token)
            if not df:
                continue
            # BM25F: the posting weight is the field-weighted term frequency.
            idf = math.log(1.0 + (n_docs - df + 0.5) / (df + 0.5))
            avg = self.avg_len[fname]
            k1, b = K1, B
            wmul = idf * (k1 + 1)
            c0 = k1 * (1 - b)
            c1 = k1 * b / avg
            for seg, offset, data in self.segdata:
                lens = _segment_lengths(seg, data, fname)
                for ids, weights in _posting_blocks(seg, fname, token):
                    # one field: a document appears once per segment, so update() is safe
                    total.update([(offset + d, wmul * w / (w + c0 + c1 * lens[d]))
                                  for d, w in zip(ids, weights)])
        live = self.live
        if self.live_count != self.n:
            total = {d: s for d, s in total.items() if live[d]}
        cache[key] = total
        self._term_cache_size += len(total) + 1
        while self._term_cache_size > 1_500_000 and len(cache) > 1:
            _, old = cache.popitem(last=False)
            self._term_cache_size -= len(old) + 1
        return total


def _posting_blocks(seg, fieldname: str, token: str) -> Iterator[tuple[Any, Any]]:
    """(docnums, weights) of a term in one segment, a block at a time.

    Reads the W3 codec's blocks directly (``reader.postings()`` would wrap them in a
    deletion filter and step one posting at a time); deletions are dropped by the caller.
    """
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


# --------------------------------------------------------------------------------------
# The index


def analyzer_fingerprint() -> str:
    """Changes when the word lists that shape tokenising (synonyms, user dictionary, intent,
    filler and stop words, the analyser's version) change:
    an index built with other lists must be rebuilt."""
    import hashlib

    from . import analysis

    h = hashlib.sha1(analysis.segmenter_name().encode())
    h.update(analysis.word_lists_text().encode("utf-8"))
    for p in (analysis._SYNONYM_FILE, analysis._DICT_FILE):
        if p.exists():
            h.update(p.read_bytes())
    return h.hexdigest()[:16]


def _read_marker(folder: Path) -> dict | None:
    try:
        return json.loads((folder / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _write_marker(folder: Path, **extra) -> None:
    data = {"schema_version": SCHEMA_VERSION, "analyzer": analyzer_fingerprint(),
            "created": time.time(), **extra}
    tmp = folder / (MARKER + ".tmp")
    tmp.write_text(json.dumps(data), encoding="utf-8")
    os.replace(tmp, folder / MARKER)


@contextmanager
def _folder_lock(folder: Path) -> Iterator[None]:
    """An exclusive lock between processes preparing the same index folder (flock on the
    folder itself: no lock file is left behind)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        yield
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - unreadable parent: go on unlocked
        yield
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _write_folder_marker(root: Path) -> None:
    data = {"what": "OneStop search index folder", "layout": LAYOUT, "created": time.time(),
            "note": "Written by OneStop. Everything under generations/ is rebuilt and deleted by "
                    "the index; keep nothing else in this folder."}
    tmp = root / f".{FOLDER_MARKER}.tmp-{secrets.token_hex(3)}"
    tmp.write_text(json.dumps(data), encoding="utf-8")
    os.replace(tmp, root / FOLDER_MARKER)


def _legacy_generation_re(name: str) -> re.Pattern[str]:
    return re.compile(re.escape(name) + r"\.gen-\d{14}-\d+-[0-9a-f]{6}")


def _is_legacy_link(path: Path) -> bool:
    """``path`` is a symbolic link made by the earlier layout: to a sibling ``<name>.gen-...``."""
    if not path.is_symlink():
        return False
    try:
        target = os.readlink(path)
    except OSError:
        return False
    return _legacy_generation_re(path.name).fullmatch(target) is not None


def _migrate_legacy(path: Path) -> None:
    """Move an index of the earlier layout into a folder of its own (caller holds the lock on
    ``path.parent``).  Only the link and ``<name>.gen-...`` siblings are touched: both were made
    by the index."""
    parent = path.parent
    legacy = parent / os.readlink(path)
    staging = parent / f".{path.name}.layout-{secrets.token_hex(4)}"
    staging.mkdir()
    moved: Path | None = None
    try:
        _write_folder_marker(staging)
        (staging / GENERATIONS).mkdir()
        if legacy.is_dir() and not legacy.is_symlink() and (legacy / MARKER).is_file():
            moved = staging / GENERATIONS / _generation_name()
            os.rename(legacy, moved)
            os.symlink(f"{GENERATIONS}/{moved.name}", staging / CURRENT)
        os.unlink(path)
        os.rename(staging, path)
    except BaseException:
        if moved is not None and moved.is_dir():  # put it back as the earlier layout had it
            os.rename(moved, legacy)
            if not path.is_symlink() and not path.exists():
                os.symlink(legacy.name, path)
        shutil.rmtree(staging, ignore_errors=True)
        raise
    pattern = _legacy_generation_re(path.name)
    for old in parent.iterdir():
        if pattern.fullmatch(old.name) and old.is_dir() and not old.is_symlink():
            shutil.rmtree(old, ignore_errors=True)


def _prepare_folder(path: Path) -> Path:
    """The folder that holds the index at ``path``, ready for generations: created when missing,
    adopted when empty, moved out of the earlier layout.  Raises :class:`NotAnIndexFolder` for
    anything else, having changed nothing."""
    if (path / FOLDER_MARKER).is_file():
        return Path(os.path.realpath(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    with _folder_lock(path.parent):
        if _is_legacy_link(path):
            _migrate_legacy(path)
        if path.is_symlink() and not path.exists():
            raise NotAnIndexFolder(path, "it is a symbolic link to a missing folder")
        root = Path(os.path.realpath(path))
        if not root.exists():
            root.mkdir()
        elif not root.is_dir():
            raise NotAnIndexFolder(path, "it is a file, not a folder")
        if (root / FOLDER_MARKER).is_file():
            return root
        try:
            entries = sorted(e.name for e in os.scandir(root))
        except OSError as exc:
            raise NotAnIndexFolder(path, f"it cannot be read: {exc.strerror}") from None
        if entries:
            shown = ", ".join(entries[:3]) + (f" and {len(entries) - 3} more" if len(entries) > 3 else "")
            raise NotAnIndexFolder(path, f"it holds other files: {shown}")
        _write_folder_marker(root)
        (root / GENERATIONS).mkdir(exist_ok=True)
        return root


def _generation_name() -> str:
    return f"gen-{time.strftime('%Y%m%d%H%M%S')}-{os.getpid()}-{secrets.token_hex(3)}"


def _new_generation_dir(root: Path) -> Path:
    (root / GENERATIONS).mkdir(exist_ok=True)  # never parents: root is ours, and exists
    gen = root / GENERATIONS / _generation_name()
    gen.mkdir()
    return gen


def _swap_in(root: Path, gen: Path) -> None:
    """Point ``root/current`` at ``gen`` atomically (a symlink replaced with os.replace)."""
    tmp = root / f".{CURRENT}.swap-{secrets.token_hex(4)}"
    os.symlink(f"{GENERATIONS}/{gen.name}", tmp)
    os.replace(tmp, root / CURRENT)
    _cleanup_generations(root, keep={gen.name})


def _cleanup_generations(root: Path, keep: set[str]) -> None:
    """Remove generations older than the newest two (readers of the previous one may still be
    open in another process), and unfinished ones left by a crash.  Only folders named like a
    generation under ``generations/`` are ever removed."""
    now = time.time()
    gens = []
    for p in (root / GENERATIONS).iterdir():
        if p.name in keep or not _GENERATION_RE.fullmatch(p.name) or p.is_symlink() or not p.is_dir():
            continue
        try:
            gens.append((p.stat().st_mtime, p))
        except OSError:
            continue
    gens.sort(reverse=True)
    for mtime, old in gens[1:]:
        if not (old / MARKER).is_file() and now - mtime < UNFINISHED_GRACE:
            continue  # perhaps a rebuild at work in another process
        shutil.rmtree(old, ignore_errors=True)
    for tmp in root.glob(f".{CURRENT}.swap-*"):
        try:
            if tmp.is_symlink() and now - tmp.lstat().st_mtime > 60:
                tmp.unlink()
        except OSError:
            pass


def _check_quietly(path: Path, wait: float = 2.0) -> str | None:
    """Check the folder while holding the writer lock, so that a writer merging segments
    in another process cannot make a healthy index look damaged.  If the lock stays busy,
    a writer is at work on the folder: it is not treated as damaged."""
    from whoosh.filedb.filestore import FileStorage

    try:
        lock = FileStorage(str(path)).lock("MAIN_WRITELOCK")
    except Exception as exc:
        return f"index folder damaged ({type(exc).__name__})"
    deadline = time.monotonic() + wait
    while not lock.acquire(False):
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.05)
    try:
        return _check_whoosh_folder(path)
    finally:
        lock.release()


def _check_whoosh_folder(path: Path) -> str | None:
    """None if Whoosh can open the folder and read every segment, else the problem."""
    from whoosh.filedb.filestore import FileStorage

    class TrackingStorage(FileStorage):
        # Whoosh leaves a file open when it fails to read it: close them all ourselves.
        opened: list = []

        def open_file(self, name, *args, **kwargs):
            f = super().open_file(name, *args, **kwargs)
            self.opened.append(f)
            return f

    storage = TrackingStorage(str(path))
    storage.opened = []
    try:
        ix = storage.open_index()
        with ix.searcher() as s:
            for seg, _ in s.reader().leaf_readers():
                if seg.doc_count_all():
                    seg.stored_fields(0)
        return None
    except Exception as exc:  # damaged TOC, missing segment files, ...
        return f"index folder damaged ({type(exc).__name__})"
    finally:
        for f in storage.opened:
            try:
                f.close()
            except Exception:
                pass


def _diagnose(current: Path) -> str | None:
    """Why the generation behind the link ``current`` cannot serve as it is, or None."""
    if not current.is_symlink():
        return "index folder new or empty"
    if not current.exists():
        return "index folder deleted"
    marker = _read_marker(current)
    if marker is None:
        return "index folder damaged (no version marker)"
    if marker.get("schema_version") != SCHEMA_VERSION:
        return f"index schema version {marker.get('schema_version')} != {SCHEMA_VERSION}"
    if marker.get("analyzer") != analyzer_fingerprint():
        return "synonym table, dictionary or segmenter changed since the index was built"
    return _check_quietly(Path(os.path.realpath(current)))


def _create_empty(root: Path) -> None:
    gen = _new_generation_dir(root)
    whoosh_index.create_in(str(gen), make_schema())
    _write_marker(gen)
    _swap_in(root, gen)


class Index:
    """A search index folder.  Thread-safe for searching; writes take Whoosh's lock."""

    def __init__(self, path: str | os.PathLike, lock_timeout: float = DEFAULT_LOCK_TIMEOUT):
        self.path = Path(path)
        self.lock_timeout = lock_timeout
        self._lock = threading.RLock()
        self._ix = None
        self._target: str | None = None
        self._searcher = None
        self._snapshot: _Snapshot | None = None
        self._needs_rebuild = False
        self.reason: str | None = None
        self._open()

    # -- opening

    def _open(self) -> None:
        root = self.root = _prepare_folder(self.path)
        self._link = root / CURRENT
        problem = _diagnose(self._link)
        if problem:
            self._needs_rebuild = True
            self.reason = problem
            # One process puts an empty generation in place; the others, waiting here, find
            # it (or a rebuild swapped in meanwhile) and use it.
            with _folder_lock(root):
                if _diagnose(self._link):
                    _create_empty(root)
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
        marker = _read_marker(Path(target))
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

    def _current(self) -> _Snapshot:
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
                        self._snapshot = _Snapshot(self._searcher)
                        break
                    except OSError:  # files of a just-merged segment are gone: look again
                        if attempt == 2:
                            raise
                        time.sleep(0.05)
                        self._searcher = self._ix.searcher()
                        self._generation = self._ix.latest_generation()
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
        lock = self._ix.lock("WRITELOCK")
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
            writer = self._ix.writer(timeout=timeout, delay=0.05, codec=_codec())
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
        ids = [str(int(i)) for i in ids]
        if not ids:
            return 0
        n = 0
        with self._writer(timeout) as w:
            for rid in ids:
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
                    return _search(self, snap, q or "", kind=kind, platform=platform,
                                   city=city, category=category, max_price=max_price,
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


def open_index(path: str | os.PathLike, **kwargs) -> Index:
    """Open (or create, empty) the index at ``path``.  Check ``needs_rebuild``."""
    return Index(path, **kwargs)


# --------------------------------------------------------------------------------------
# Searching

#: A document of a kind the query's intent words point to (送样 -> testing_service).
KIND_BOOST = 2.0
#: A document in a city the query names (苏州, Suzhou): soft, never a filter.
CITY_BOOST = 1.25
#: The plain words' score, relative to the smart one (each scaled to its best document).
PLAIN_WEIGHT = 0.15
#: A best result whose name is made of the query's words scores up to this much more.
NAME_BONUS = 0.2
NAME_BONUS_DEPTH = 100
#: Added to the fused score of documents citing a standard the query names (per standard).
STD_TIER = 100.0
#: Coordination: a document's smart score is multiplied by the share of the query (idf-weighted)
#: it matches, to this power (0: off).
COORDINATION = 0.5
#: Feedback: names shared by at least FEEDBACK_MIN_VOTES of the FEEDBACK_DOCS best results
#: (at most FEEDBACK_NAMES of them) are searched too, at FEEDBACK_WEIGHT.
FEEDBACK_DOCS = 10
FEEDBACK_MIN_VOTES = 4
FEEDBACK_NAMES = 3
FEEDBACK_WEIGHT = 0.5
#: A word in more than this share of the documents adds too little to be worth a full pass over
#: its postings: it is only added to documents that other words found.
COMMON_SHARE = 0.1
#: ... and in more than this many (a full pass over a few hundred postings costs nothing).
COMMON_FLOOR = 500


def _as_set(value) -> set[str] | None:
    if value is None or value == "" or value == []:
        return None
    if isinstance(value, str):
        return {value}
    return {str(v) for v in value}


def _alternative_scores(snap: _Snapshot, tokens: tuple[str, ...]) -> dict[int, float]:
    """Documents with every token of an alternative, and the sum of their scores.
    May return a cached map: never modify the result."""
    if len(tokens) == 1:
        return snap.term_scores(tokens[0])
    return snap.cached(("&",) + tuple(tokens), lambda: _intersect(snap, tokens))


def _intersect(snap: _Snapshot, tokens: tuple[str, ...]) -> dict[int, float]:
    maps = [snap.term_scores(t) for t in tokens]
    if not maps or any(not m for m in maps):
        return {}
    maps.sort(key=len)
    both = maps[0].keys() & maps[1].keys()  # set operations run at C speed
    for m in maps[2:]:
        if not both:
            break
        both &= m.keys()
    return {d: sum(m[d] for m in maps) for d in both}


def _unit_scores(snap: _Snapshot, unit) -> dict[int, float]:
    """Best alternative per document (the typed words, or a synonym at a lower weight).
    May return a cached map: never modify the result."""
    found = [(m, w) for m, w in ((_alternative_scores(snap, toks), w)
                                 for toks, w in unit.alternatives) if m]
    if not found:
        return {}
    if len(found) == 1 and found[0][1] == 1.0:
        return found[0][0]
    found.sort(key=lambda mw: -mw[1])  # typed words first
    m0, w0 = found[0]
    best = dict(m0) if w0 == 1.0 else {d: s * w0 for d, s in m0.items()}
    get = best.get
    for m, w in found[1:]:
        for d, s in m.items():
            s *= w
            if s > get(d, 0.0):
                best[d] = s
    return best


def _weighted_sum(snap: _Snapshot, maps: list[tuple[dict[int, float], float]],
                  coverage: dict[int, float] | None = None,
                  extra: list[tuple[dict[int, float], float]] = ()) -> dict[int, float]:
    """Sum of weighted score maps (OR): a document found by any map scores the sum of its
    parts.  Maps of very common words, and the ``extra`` maps (intent and filler words), only
    add to documents other maps found, unless no other map finds anything.

    With ``coverage``, also how much of the query each document matches: the sum, over the
    maps that find it, of the map's weight times its idf (rare words count more)."""
    common = max(snap.live_count * COMMON_SHARE, COMMON_FLOOR)
    rare = [(m, w) for m, w in maps if m and len(m) <= common]
    frequent = [(m, w) for m, w in maps if m and len(m) > common]
    if not rare and not frequent:
        maps = [(m, w) for m, w in extra if m]
        rare = [(m, w) for m, w in maps if len(m) <= common]
        frequent = [(m, w) for m, w in maps if len(m) > common]
    else:
        frequent += [(m, w) for m, w in extra if m]
    if not rare:
        rare, frequent = frequent, []
    rare.sort(key=lambda mw: -len(mw[0]))
    if not rare:
        return {}
    m0, w0 = rare[0]
    acc = dict(m0) if w0 == 1.0 else {d: s * w0 for d, s in m0.items()}
    get = acc.get
    for m, w in rare[1:]:
        for d, s in m.items():
            acc[d] = get(d, 0.0) + s * w
    for m, w in frequent:
        mget = m.get
        for d in acc:
            v = mget(d)
            if v is not None:
                acc[d] += v * w
    if coverage is not None:
        n = max(1, snap.live_count)
        cget = coverage.get
        for m, w in rare:
            c = w * math.log(1.0 + n / len(m))
            for d in m:
                coverage[d] = cget(d, 0.0) + c
        for m, w in frequent:
            c = w * math.log(1.0 + n / len(m))
            mget = m.get
            for d in acc:
                if d in m:
                    coverage[d] = cget(d, 0.0) + c
    return acc


def _search(index: Index, snap: _Snapshot, q: str, *, kind, platform, city, category,
            max_price, bookable, orderable, sort, page, per_page, only_ids, exclude_ids,
            snippet_width) -> SearchResult:
    page = max(1, int(page or 1))
    per_page = max(1, min(int(per_page or 10), 200))
    plan: Plan = plan_query(q, snap)

    # ---- filters as per-value id sets (for per-doc checks) and bitsets (for browsing)
    conds: list[tuple[list, set[int]]] = []
    for fname, value in (("kind", kind), ("platform", platform), ("city", city),
                         ("category", category)):
        wanted = _as_set(value)
        if wanted is not None:
            vids = {snap.value_ids[fname][v] for v in wanted if v in snap.value_ids[fname]}
            conds.append((snap.values[fname], vids))
    flags: list[bytearray] = []
    if bookable is not None:
        flags.append((snap.bookable, 1 if bookable else 0))
    if orderable is not None:
        flags.append((snap.orderable, 1 if orderable else 0))
    only = None
    if only_ids is not None:
        r2d = snap.rid_to_doc
        only = {r2d[i] for i in map(int, only_ids) if i in r2d}
    exclude = None
    if exclude_ids is not None:
        r2d = snap.rid_to_doc
        exclude = {r2d[i] for i in map(int, exclude_ids) if i in r2d}
    price = snap.price
    live = snap.live

    def admitted(d: int) -> bool:
        if not live[d]:
            return False
        for arr, vids in conds:
            if arr[d] not in vids:
                return False
        for arr, want in flags:
            if arr[d] != want:
                return False
        if max_price is not None:
            p = price[d]
            if p is None or p > max_price:
                return False
        if only is not None and d not in only:
            return False
        if exclude is not None and d in exclude:
            return False
        return True

    filtered = bool(conds or flags or max_price is not None or only is not None
                    or exclude is not None)
    # facet filters alone (kind, platform, city, category): cached document sets
    facet_only = bool(conds) and not (flags or max_price is not None or only is not None
                                      or exclude is not None)

    def keep(scores: dict[int, float]) -> dict[int, float]:
        if facet_only:
            allowed = scores.keys()
            for fname, value in (("kind", kind), ("platform", platform), ("city", city),
                                 ("category", category)):
                wanted = _as_set(value)
                if wanted is not None:
                    allowed = allowed & snap.docs_with(fname, frozenset(wanted))
            return {d: scores[d] for d in allowed}
        return {d: v for d, v in scores.items() if admitted(d)}
    start = (page - 1) * per_page
    matching = [u for u in plan.units if u.role != "intent"]
    if not matching:
        # ---- browsing: everything the filters admit, newest first (or by price)
        bits = _filter_bits(snap, conds, flags, max_price, only, exclude)
        total = bits.bit_count()
        facets = {f: _facet_from_bits(snap, f, bits) for f in FACETS}
        # Intent or city words alone ("预约 南京") prefer, not filter: documents matching
        # both preferences come first, then one, then the rest.
        tiers = [bits]
        if plan.kinds or plan.cities:
            kb = _preference_bits(snap, "kind", plan.kinds) if plan.kinds else None
            cb = _preference_bits(snap, "city", plan.cities) if plan.cities else None
            if kb is not None and cb is not None:
                both, either = bits & kb & cb, bits & (kb | cb)
                tiers = [both, either & ~both, bits & ~either]
            else:
                pref = bits & (kb if kb is not None else cb)
                tiers = [pref, bits & ~pref]
        picked = []
        skip = start
        for tier in tiers:
            count = tier.bit_count()
            if skip >= count:
                skip -= count
                continue
            flag_bytes = tier.to_bytes((snap.n >> 3) + 1, "little")
            for d in snap.order("price" if sort == "price" else "newest"):
                if flag_bytes[d >> 3] >> (d & 7) & 1:
                    if skip:
                        skip -= 1
                        continue
                    picked.append((d, 0.0))
                    if len(picked) >= per_page:
                        break
            if len(picked) >= per_page:
                break
        hits = [_hit(snap, d, s, plan, snippet_width) for d, s in picked]
        return SearchResult(total, hits, facets, plan.suggestion, plan.note, page, per_page, q)

    # ---- the smart ranking: every unit (concept, word, standard, intent, alias) adds its best
    # alternative's BM25F score; nothing is required
    unit_maps = [_unit_scores(snap, u) for u in plan.units]
    coverage: dict[int, float] | None = {} if COORDINATION else None
    counted = [(m, u.weight) for m, u in zip(unit_maps, plan.units)
               if u.role in ("content", "std", "wild")]
    smart = _weighted_sum(snap, [(m, u.weight) for m, u in zip(unit_maps, plan.units)
                                 if u.role != "intent"],
                          extra=[(m, u.weight) for m, u in zip(unit_maps, plan.units)
                                 if u.role == "intent"])
    if coverage is not None and len(counted) > 1:
        _weighted_sum(snap, counted, coverage)
        n = max(1, snap.live_count)
        whole = sum(w * math.log(1.0 + n / max(1, len(m) or n)) for m, w in counted)
        if whole:
            for d in smart:
                smart[d] *= (coverage.get(d, 0.0) / whole) ** COORDINATION
    # ---- the plain ranking: the typed words as a bag of words
    plain_maps = [_alternative_scores(snap, toks) for toks in plan.plain]
    plain = _weighted_sum(snap, [(m, 1.0) for m, soft in zip(plain_maps, plan.plain_soft) if not soft],
                          extra=[(m, 1.0) for m, soft in zip(plain_maps, plan.plain_soft) if soft])
    if filtered:
        smart = keep(smart)
        plain = keep(plain)
    # a standard the query names: the standard's own text scores its number twice, unless the
    # query asks for another kind (IEC 62133-2 送测 wants the services that test by it)
    for u, m in zip(plan.units, unit_maps):
        if u.role == "std" and m and (not plan.kinds or "document" in plan.kinds):
            for d in snap.alias_docs("i:" + u.alternatives[0][0][0]):
                if d in smart and d in m:
                    smart[d] += m[d] * u.weight
    prefer = _preferences(snap, plan, smart.keys() | plain.keys())
    for d, f in prefer.items():
        if d in smart:
            smart[d] *= f
    fused = _fuse(smart, plain, prefer)
    # ---- feedback: the names the best results share are what the query is about
    if FEEDBACK_DOCS and sort not in ("price", "newest") and fused:
        unit = _feedback_unit(snap, fused)
        if unit is not None:
            fb = _unit_scores(snap, unit)
            if filtered:
                fb = keep(fb)
            if fb:
                new = fb.keys() - smart.keys()
                prefer.update(_preferences(snap, plan, new - plain.keys()))
                intents = [(m, u.weight) for m, u in zip(unit_maps, plan.units)
                           if u.role == "intent" and m]
                for d, v in fb.items():
                    if d in new:  # found by the names alone: its intent words count too
                        v += sum(w * m[d] for m, w in intents if d in m)
                    smart[d] = smart.get(d, 0.0) + v * prefer.get(d, 1.0)
                fused = _fuse(smart, plain, prefer)

    if NAME_BONUS and sort not in ("price", "newest") and fused:
        _name_bonus(snap, plan, fused)
    unmatched = _unmatched(plan, [any(d in smart for d in m) for m in unit_maps])
    candidates = fused.keys()
    total = len(candidates)
    facets = {}
    for fname in FACETS:
        arr = snap.values[fname]
        names = snap.names[fname]
        c = Counter(map(arr.__getitem__, candidates))
        facets[fname] = {names[v]: k for v, k in c.most_common() if names[v]}

    want = start + per_page
    rids = snap.rids
    # documents of a standard the query names come first, whatever else it says
    std_maps = [m for u, m in zip(plan.units, unit_maps) if u.role == "std" and m]
    ranking = fused
    if std_maps:
        # fused scores are at most a few units: a standard tier lifts above all of them
        ranking = dict(fused)
        for m in std_maps:
            for d in m.keys() & fused.keys():
                ranking[d] += STD_TIER
    sget = smart.get

    def key(d: int):
        return (ranking[d], sget(d, 0.0), -rids[d])

    if sort == "price":
        ordered = sorted(candidates, key=lambda d: (price[d] is None, price[d] or 0.0,
                                                    -fused[d], rids[d]))
        picked = [(d, fused[d]) for d in ordered[start:want]]
    elif sort == "newest":
        upd = snap.updated
        top = heapq.nlargest(want, candidates, key=lambda d: (upd[d], fused[d], -rids[d]))
        picked = [(d, fused[d]) for d in top[start:want]]
    else:
        # C-speed preselection, then a stable order for ties (smart score, lower id first)
        pre = heapq.nlargest(want + 20, ranking, key=ranking.__getitem__)
        top = sorted(pre, key=key, reverse=True)[:want]
        picked = [(d, fused[d]) for d in top[start:want]]
    hits = [_hit(snap, d, s, plan, snippet_width) for d, s in picked]
    result = SearchResult(total, hits, facets, plan.suggestion, plan.note, page, per_page, q)
    result.unmatched = unmatched
    if not total:
        result.nearest_kinds, result.nearest_by_words = _nearest_kinds(snap, unit_maps, plan)
    return result


def _name_bonus(snap: _Snapshot, plan: Plan, fused: dict[int, float]) -> None:
    """Among the best results, a record whose name is all query words (or their synonyms) is a
    closer match than one whose name has more: "X-ray diffractometer" before "single crystal
    X-ray diffractometer" for the query "x-ray diffractometer"."""
    words = {t for u in plan.units if u.role in ("content", "std")
             for toks, _w in u.alternatives for t in toks}
    if not words:
        return
    for d in heapq.nlargest(NAME_BONUS_DEPTH, fused, key=fused.__getitem__):
        best = 0.0
        for name in snap.doc_names(d):
            toks = name.split(" ")
            best = max(best, sum(1 for t in toks if t in words) / len(toks))
        if best:
            fused[d] *= 1.0 + NAME_BONUS * best


def _unmatched(plan: Plan, found: list[bool]) -> list[str]:
    """The query's words that no admitted record matches (by any of their units), as typed;
    neighbours joined (绿幕棚 is cut 绿 / 幕 / 棚 but was one word to the user; "Raman
    spectrometer" is one phrase)."""
    spans: list[list[int]] = []
    for start, end, units in plan.words:
        if any(found[i] for i in units):
            continue
        gap = plan.shown[spans[-1][1]:start] if spans else None
        if gap == "" or (gap is not None and not gap.strip() and plan.shown[start].isascii()
                         and plan.shown[spans[-1][1] - 1].isascii()):
            spans[-1][1] = end
        else:
            spans.append([start, end])
    return list(dict.fromkeys(plan.label(a, b) for a, b in spans))


def _preferences(snap: _Snapshot, plan: Plan, docs) -> dict[int, float]:
    """Soft preferences of the query (kinds its intent words name, cities it names):
    a factor per document, never a filter."""
    if not (plan.kinds or plan.cities):
        return {}
    kinds = {snap.value_ids["kind"][k] for k in plan.kinds if k in snap.value_ids["kind"]}
    cities = {snap.value_ids["city"][c] for c in plan.cities if c in snap.value_ids["city"]}
    karr, carr = snap.values["kind"], snap.values["city"]
    prefer: dict[int, float] = {}
    for d in docs:
        f = 1.0
        if karr[d] in kinds:
            f *= KIND_BOOST
        if carr[d] in cities:
            f *= CITY_BOOST
        if f != 1.0:
            prefer[d] = f
    return prefer


def _fuse(smart: dict[int, float], plain: dict[int, float], prefer: dict[int, float]
          ) -> dict[int, float]:
    """One score from both rankings: the smart score plus the plain words' score as a
    should-clause (each scaled to its best document), the preferences applied to both."""
    top_s = max(smart.values(), default=0.0) or 1.0
    top_p = max(plain.values(), default=0.0) or 1.0
    ws, wp = 1.0 / top_s, PLAIN_WEIGHT / top_p
    fused = {d: s * ws for d, s in smart.items()}
    get = fused.get
    pget = prefer.get
    for d, s in plain.items():
        fused[d] = get(d, 0.0) + s * wp * pget(d, 1.0)
    return fused


def _feedback_unit(snap: _Snapshot, fused: dict[int, float]) -> Unit | None:
    """Names shared by several of the best results (what the catalogue calls the thing the
    query found), as a unit weighted below the typed words; None when they do not agree."""
    top = heapq.nlargest(FEEDBACK_DOCS, fused, key=fused.__getitem__)
    votes: Counter[str] = Counter()
    for d in top:
        votes.update(set(snap.doc_names(d)))
    alts = [(tuple(name.split(" ")), FEEDBACK_WEIGHT)
            for name, n in votes.most_common(FEEDBACK_NAMES) if n >= FEEDBACK_MIN_VOTES]
    return Unit(alts, role="feedback") if alts else None


def _nearest_kinds(snap: _Snapshot, unit_maps: list[dict[int, float]], plan: Plan
                   ) -> tuple[dict[str, int], bool]:
    """When nothing is found: the kinds the words find without the filters (True), or else the
    kinds the intent words point to, with how many resources each holds (False)."""
    counts: Counter[str] = Counter()
    seen: set[int] = set()
    karr, names = snap.values["kind"], snap.names["kind"]
    for m in unit_maps:
        for d in m:
            if d not in seen:
                seen.add(d)
                counts[names[karr[d]]] += 1
    if counts:
        return {k: n for k, n in counts.most_common() if n}, True
    for k in sorted(plan.kinds):
        vid = snap.value_ids["kind"].get(k)
        if vid is not None:
            counts[k] = (snap.value_bits("kind").get(vid, 0) & snap.live_bits).bit_count()
    return {k: n for k, n in counts.most_common() if n}, False


def _filter_bits(snap: _Snapshot, conds, flags, max_price, only, exclude) -> int:
    bits = snap.live_bits
    for arr, vids in conds:
        fname = next(f for f in FACETS if snap.values[f] is arr)
        vb = snap.value_bits(fname)
        acc = 0
        for v in vids:
            acc |= vb.get(v, 0)
        bits &= acc
    for arr, want in flags:
        fname = "bookable" if arr is snap.bookable else "orderable"
        acc = 0
        for seg, offset, data in snap.segdata:
            acc |= data.value_bits(fname).get(want, 0) << offset
        bits &= acc
    if max_price is not None:
        bits &= _bits_from_docs((d for d, p in enumerate(snap.price)
                                 if p is not None and p <= max_price), snap.n)
    if only is not None:
        bits &= _bits_from_docs(only, snap.n)
    if exclude:
        bits &= ~_bits_from_docs(exclude, snap.n)
    return bits


def _preference_bits(snap: _Snapshot, fname: str, values: set[str]) -> int:
    table = snap.value_ids[fname]
    vb = snap.value_bits(fname)
    acc = 0
    for v in values:
        if v in table:
            acc |= vb.get(table[v], 0)
    return acc


def _facet_from_bits(snap: _Snapshot, fname: str, bits: int) -> dict[str, int]:
    names = snap.names[fname]
    counts = []
    for v, vb in snap.value_bits(fname).items():
        c = (vb & bits).bit_count()
        if c and names[v]:
            counts.append((names[v], c))
    counts.sort(key=lambda kv: (-kv[1], kv[0]))
    return dict(counts)


def _hit(snap: _Snapshot, d: int, score: float, plan: Plan, width: int) -> dict:
    stored = snap.reader.stored_fields(d)
    desc = stored.get("desc") or ""
    title = stored.get("title_raw") or ""
    title_en = stored.get("title_en") or ""
    text = desc or " ".join(x for x in (title, title_en) if x)
    return {
        "id": snap.rids[d],
        "platform": snap.names["platform"][snap.values["platform"][d]],
        "external_id": stored.get("external_id"),
        "kind": snap.names["kind"][snap.values["kind"][d]],
        "title": title,
        "title_en": title_en or None,
        "snippet": make_snippet(text, plan.highlight, width) if text else "",
        "score": round(float(score), 4),
        "city": snap.names["city"][snap.values["city"][d]] or None,
        "category": snap.names["category"][snap.values["category"][d]] or None,
        "price": stored.get("price"),
    }


# --------------------------------------------------------------------------------------
# Rebuild


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
    root = _prepare_folder(Path(path))
    gen = _new_generation_dir(root)
    try:
        ix = whoosh_index.create_in(str(gen), make_schema())
        get_segmenter()  # load once in the parent; forked writers inherit it
        if procs is None:
            procs = min(2, os.cpu_count() or 1)
            if total is not None and total < 2000:
                procs = 1
        def new_writer():
            if procs > 1:
                return ix.writer(procs=procs, multisegment=True, limitmb=limitmb,
                                 batchsize=200, codec=_codec())
            return ix.writer(limitmb=limitmb, codec=_codec())

        # Whoosh sorts each segment's postings in memory up to ``limitmb`` and otherwise
        # spills sorted runs to disk and merges them in Python, which costs more than half
        # again as much time.  So the build goes in rounds of ``segment_docs`` documents
        # per writer process, each round committed as new segments without merging.
        count = 0
        it = iter(docs)
        while True:
            writer = new_writer()
            in_round = 0
            try:
                for doc in it:
                    writer.add_document(**doc_to_fields(doc))
                    count += 1
                    in_round += 1
                    if progress is not None and count % batch == 0:
                        progress(count)
                    if in_round >= segment_docs * procs:
                        break
            except BaseException:
                writer.cancel()
                raise
            if in_round == 0:
                writer.cancel()
                break
            writer.commit(merge=False)
            if in_round < segment_docs * procs:
                break
        if progress is not None:
            progress(count)
        _write_marker(gen, built=True, doc_count=count)
        _swap_in(root, gen)
        return count
    except BaseException:
        shutil.rmtree(gen, ignore_errors=True)
        raise
