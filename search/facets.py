"""Filters and facets: which documents the filters admit (as a per-document test, a set
intersection or a bitset), facet counts, the browse order when the query has no words to rank
by, and the kinds to suggest when nothing is found."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from typing import Any

from .planner import Plan
from .schema import FACETS
from .snapshot import Snapshot, bits_from_docs

__all__ = ["Filters", "as_set", "facet_counts", "facets_from_bits", "browse_tiers", "browse_page",
           "nearest_kinds"]

ScoreMap = dict[int, float]


def as_set(value: Any) -> set[str] | None:
    """A filter argument (a value, a list of values, or nothing) as a set, or None for none."""
    if value is None or value == "" or value == []:
        return None
    if isinstance(value, str):
        return {value}
    return {str(v) for v in value}


def _doc_set(snap: Snapshot, rids: Iterable[int] | None) -> set[int] | None:
    if rids is None:
        return None
    r2d = snap.rid_to_doc
    return {r2d[i] for i in map(int, rids) if i in r2d}


@dataclass
class Filters:
    """What the search's filters admit: facet values, flags, a price cap, ids to keep or drop."""

    snap: Snapshot
    wanted: dict[str, set[str]]  # facet -> values (kind, platform, city, category order)
    conds: list[tuple[list[int], set[int]]]  # (facet column, admitted value ids)
    flags: list[tuple[str, int]]  # ("bookable" or "orderable", 1 or 0)
    max_price: float | None
    only: set[int] | None
    exclude: set[int] | None

    @classmethod
    def build(cls, snap: Snapshot, *, kind: Any, platform: Any, city: Any, category: Any,
              max_price: float | None, bookable: bool | None, orderable: bool | None,
              only_ids: Iterable[int] | None, exclude_ids: Iterable[int] | None) -> Filters:
        wanted = {}
        for fname, value in (("kind", kind), ("platform", platform), ("city", city),
                             ("category", category)):
            values = as_set(value)
            if values is not None:
                wanted[fname] = values
        conds = [(snap.values[f], {snap.value_ids[f][v] for v in vs if v in snap.value_ids[f]})
                 for f, vs in wanted.items()]
        flags = [(fname, 1 if want else 0)
                 for fname, want in (("bookable", bookable), ("orderable", orderable))
                 if want is not None]
        return cls(snap, wanted, conds, flags, max_price, _doc_set(snap, only_ids),
                   _doc_set(snap, exclude_ids))

    @property
    def active(self) -> bool:
        return bool(self.conds or self.flags or self.max_price is not None or self.only is not None
                    or self.exclude is not None)

    @property
    def facets_only(self) -> bool:
        """Facet filters alone (kind, platform, city, category): cached document sets serve."""
        return bool(self.conds) and not (self.flags or self.max_price is not None
                                         or self.only is not None or self.exclude is not None)

    def admitted(self) -> Callable[[int], bool]:
        """A fast test of one docnum (live, and admitted by every filter)."""
        snap = self.snap
        live, price, max_price = snap.live, snap.price, self.max_price
        conds, only, exclude = self.conds, self.only, self.exclude
        flags = [(getattr(snap, fname), want) for fname, want in self.flags]

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
            return (only is None or d in only) and (exclude is None or d not in exclude)

        return admitted

    def keep(self, scores: ScoreMap) -> ScoreMap:
        """The admitted part of a score map (a new map)."""
        if self.facets_only:
            allowed: Any = scores.keys()
            for fname, values in self.wanted.items():
                allowed = allowed & self.snap.docs_with(fname, frozenset(values))
            return {d: scores[d] for d in allowed}
        admitted = self.admitted()
        return {d: v for d, v in scores.items() if admitted(d)}

    def bits(self) -> int:
        """The admitted live documents as a bitset."""
        snap = self.snap
        bits = snap.live_bits
        for (_arr, vids), fname in zip(self.conds, self.wanted):
            vb = snap.value_bits(fname)
            acc = 0
            for v in vids:
                acc |= vb.get(v, 0)
            bits &= acc
        for fname, want in self.flags:
            bits &= snap.flag_bits(fname, want)
        if self.max_price is not None:
            cap = self.max_price
            bits &= bits_from_docs((d for d, p in enumerate(snap.price)
                                    if p is not None and p <= cap), snap.n)
        if self.only is not None:
            bits &= bits_from_docs(self.only, snap.n)
        if self.exclude:
            bits &= ~bits_from_docs(self.exclude, snap.n)
        return bits


# -- facet counts


def facet_counts(snap: Snapshot, docs: Collection[int]) -> dict[str, dict[str, int]]:
    """Per facet, value -> how many of ``docs`` hold it, most first (empty values left out)."""
    facets = {}
    for fname in FACETS:
        arr = snap.values[fname]
        names = snap.names[fname]
        c = Counter(map(arr.__getitem__, docs))
        facets[fname] = {names[v]: k for v, k in c.most_common() if names[v]}
    return facets


def _facet_from_bits(snap: Snapshot, fname: str, bits: int) -> dict[str, int]:
    names = snap.names[fname]
    counts = []
    for v, vb in snap.value_bits(fname).items():
        c = (vb & bits).bit_count()
        if c and names[v]:
            counts.append((names[v], c))
    counts.sort(key=lambda kv: (-kv[1], kv[0]))
    return dict(counts)


def facets_from_bits(snap: Snapshot, bits: int) -> dict[str, dict[str, int]]:
    """Facet counts of the documents in a bitset (most first, then by value)."""
    return {f: _facet_from_bits(snap, f, bits) for f in FACETS}


# -- browsing


def _preference_bits(snap: Snapshot, fname: str, values: set[str]) -> int:
    table = snap.value_ids[fname]
    vb = snap.value_bits(fname)
    acc = 0
    for v in values:
        if v in table:
            acc |= vb.get(table[v], 0)
    return acc


def browse_tiers(snap: Snapshot, plan: Plan, bits: int) -> list[int]:
    """Intent or city words alone ("预约 南京") prefer, not filter: documents matching both
    preferences come first, then one, then the rest (bitsets, in that order)."""
    if not (plan.kinds or plan.cities):
        return [bits]
    kb = _preference_bits(snap, "kind", plan.kinds) if plan.kinds else None
    cb = _preference_bits(snap, "city", plan.cities) if plan.cities else None
    if kb is not None and cb is not None:
        both, either = bits & kb & cb, bits & (kb | cb)
        return [both, either & ~both, bits & ~either]
    pref = bits & (kb if kb is not None else cb)  # type: ignore[operator]
    return [pref, bits & ~pref]


def browse_page(snap: Snapshot, tiers: list[int], order: str, start: int, per_page: int
                ) -> list[int]:
    """Docnums ``start`` to ``start + per_page`` of the tiers, each tier in browse ``order``."""
    picked: list[int] = []
    skip = start
    for tier in tiers:
        count = tier.bit_count()
        if skip >= count:
            skip -= count
            continue
        flag_bytes = tier.to_bytes((snap.n >> 3) + 1, "little")
        for d in snap.order(order):
            if flag_bytes[d >> 3] >> (d & 7) & 1:
                if skip:
                    skip -= 1
                    continue
                picked.append(d)
                if len(picked) >= per_page:
                    break
        if len(picked) >= per_page:
            break
    return picked


# -- nothing found


def nearest_kinds(snap: Snapshot, unit_maps: list[ScoreMap], plan: Plan
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
