"""The search flow: plan the query, build the filters, then either browse (no words to rank by)
or score → fuse → feedback → rank → page, and make the hits.

Each step is a function of search.planner, search.scoring, search.facets or search.results;
this module only says in which order they run."""

from __future__ import annotations

import heapq
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .facets import Filters, browse_page, browse_tiers, facet_counts, facets_from_bits, nearest_kinds
from .planner import Plan, plan_query
from .results import SearchResult, make_hit, unmatched_words
from .scoring import (
    ScoreMap,
    add_feedback,
    apply_preferences,
    boost_standard_text,
    feedback_scores,
    fuse,
    name_bonus,
    plain_scores,
    preferences,
    smart_scores,
    standard_ranking,
    unit_scores,
)
from .snapshot import Snapshot

__all__ = ["run_search", "MAX_PER_PAGE"]

MAX_PER_PAGE = 200
#: Sort orders that ignore relevance (no feedback, no name bonus).
FIELD_SORTS = ("price", "newest")


@dataclass(frozen=True)
class Request:
    """What the caller asked for beyond the words and the filters."""

    q: str
    sort: str
    page: int
    per_page: int
    snippet_width: int

    @property
    def start(self) -> int:
        return (self.page - 1) * self.per_page

    @property
    def end(self) -> int:
        return self.start + self.per_page


@dataclass
class Scores:
    """The score maps of one query (docnum -> score), admitted documents only."""

    unit_maps: list[ScoreMap]  # per unit of the plan, unfiltered (cached: never modify)
    smart: ScoreMap
    plain: ScoreMap
    prefer: ScoreMap
    fused: ScoreMap


def run_search(snap: Snapshot, q: str, *, kind: Any, platform: Any, city: Any, category: Any,
               max_price: float | None, bookable: bool | None, orderable: bool | None, sort: str,
               page: int, per_page: int, only_ids: Iterable[int] | None,
               exclude_ids: Iterable[int] | None, snippet_width: int) -> SearchResult:
    """Search one view of the index (the caller holds ``snap.lock``)."""
    req = Request(q, sort, max(1, int(page or 1)), max(1, min(int(per_page or 10), MAX_PER_PAGE)),
                  snippet_width)
    plan: Plan = plan_query(q, snap)
    filters = Filters.build(snap, kind=kind, platform=platform, city=city, category=category,
                            max_price=max_price, bookable=bookable, orderable=orderable,
                            only_ids=only_ids, exclude_ids=exclude_ids)
    if not any(u.role != "intent" for u in plan.units):
        return _browse(snap, plan, filters, req)
    return _ranked(snap, plan, filters, req)


def _result(snap: Snapshot, plan: Plan, req: Request, total: int,
            facets: dict[str, dict[str, int]], picked: list[tuple[int, float]]) -> SearchResult:
    hits = [make_hit(snap, d, s, plan, req.snippet_width) for d, s in picked]
    return SearchResult(total, hits, facets, plan.suggestion, plan.note, req.page, req.per_page,
                        req.q)


def _browse(snap: Snapshot, plan: Plan, filters: Filters, req: Request) -> SearchResult:
    """No words to rank by: everything the filters admit, newest first (or by price), the
    documents the query's intent and city words prefer first."""
    bits = filters.bits()
    tiers = browse_tiers(snap, plan, bits)
    order = "price" if req.sort == "price" else "newest"
    picked = [(d, 0.0) for d in browse_page(snap, tiers, order, req.start, req.per_page)]
    return _result(snap, plan, req, bits.bit_count(), facets_from_bits(snap, bits), picked)


def _ranked(snap: Snapshot, plan: Plan, filters: Filters, req: Request) -> SearchResult:
    scores = _score(snap, plan, filters)
    if req.sort not in FIELD_SORTS and scores.fused:
        scores.fused = _with_feedback(snap, plan, filters, scores)
        name_bonus(snap, plan, scores.fused)
    fused = scores.fused
    unmatched = unmatched_words(plan, [any(d in scores.smart for d in m) for m in scores.unit_maps])
    total = len(fused)
    facets = facet_counts(snap, fused.keys())
    ranking = standard_ranking(plan, scores.unit_maps, fused)
    picked = [(d, fused[d]) for d in _top(snap, req, scores, ranking)]
    result = _result(snap, plan, req, total, facets, picked)
    result.unmatched = unmatched
    if not total:
        result.nearest_kinds, result.nearest_by_words = nearest_kinds(snap, scores.unit_maps, plan)
    return result


def _score(snap: Snapshot, plan: Plan, filters: Filters) -> Scores:
    """The smart and plain rankings of the admitted documents, the query's preferences, and
    their fusion."""
    unit_maps = [unit_scores(snap, u) for u in plan.units]
    smart = smart_scores(snap, plan, unit_maps)
    plain = plain_scores(snap, plan)
    if filters.active:
        smart = filters.keep(smart)
        plain = filters.keep(plain)
    boost_standard_text(snap, plan, unit_maps, smart)
    prefer = preferences(snap, plan, smart.keys() | plain.keys())
    apply_preferences(smart, prefer)
    return Scores(unit_maps, smart, plain, prefer, fuse(smart, plain, prefer))


def _with_feedback(snap: Snapshot, plan: Plan, filters: Filters, scores: Scores) -> ScoreMap:
    """The fused scores after adding the names the best results share (what the query is
    about), or the same map when they share none."""
    fb = feedback_scores(snap, scores.fused)
    if fb is not None and filters.active:
        fb = filters.keep(fb)
    if not fb:
        return scores.fused
    add_feedback(snap, plan, scores.unit_maps, fb, scores.smart, scores.plain, scores.prefer)
    return fuse(scores.smart, scores.plain, scores.prefer)


def _top(snap: Snapshot, req: Request, scores: Scores, ranking: ScoreMap) -> list[int]:
    """The docnums of the requested page, in the requested order."""
    fused, rids = scores.fused, snap.rids
    start, want = req.start, req.end
    if req.sort == "price":
        price = snap.price
        ordered = sorted(fused, key=lambda d: (price[d] is None, price[d] or 0.0, -fused[d], rids[d]))
        return ordered[start:want]
    if req.sort == "newest":
        upd = snap.updated
        return heapq.nlargest(want, fused, key=lambda d: (upd[d], fused[d], -rids[d]))[start:want]
    # C-speed preselection, then a stable order for ties (smart score, lower id first)
    sget = scores.smart.get
    pre = heapq.nlargest(want + 20, ranking, key=ranking.__getitem__)
    top = sorted(pre, key=lambda d: (ranking[d], sget(d, 0.0), -rids[d]), reverse=True)[:want]
    return top[start:want]
