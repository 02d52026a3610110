"""How documents score: BM25F term maps read from posting blocks, units (a concept and its
alternatives), the weighted OR of units with coordination, the plain bag of words, their fusion,
pseudo-relevance feedback from the names the best results share, the name bonus, the soft
preferences (kinds and cities the query names) and the standard tier.

Score maps are ``{docnum: score}`` dicts; maps returned by the snapshot's caches are shared and
must never be modified."""

from __future__ import annotations

import heapq
import math
from collections import Counter
from collections.abc import Iterable
from typing import TYPE_CHECKING

from . import whoosh_internals
from .planner import Plan, Unit
from .schema import TEXT_FIELDS

if TYPE_CHECKING:
    from .snapshot import Snapshot

__all__ = ["bm25f_scores", "alternative_scores", "unit_scores", "weighted_sum", "smart_scores",
           "plain_scores", "boost_standard_text", "preferences", "apply_preferences", "fuse",
           "feedback_scores", "add_feedback", "name_bonus", "standard_ranking"]

ScoreMap = dict[int, float]

#: BM25 term-frequency saturation and length normalisation.
K1 = 1.6
B = 0.5
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


# -- terms, alternatives, units


def bm25f_scores(snap: Snapshot, token: str) -> ScoreMap:
    """BM25 score of ``token`` summed over the text fields with their boosts, live documents
    only.  The posting weight is BM25F's field-weighted term frequency (see search.schema)."""
    total: ScoreMap = {}
    n_docs = max(1, snap.live_count)
    for fname in TEXT_FIELDS:
        df = snap.reader.doc_frequency(fname, token)
        if not df:
            continue
        idf = math.log(1.0 + (n_docs - df + 0.5) / (df + 0.5))
        avg = snap.avg_len[fname]
        k1, b = K1, B
        wmul = idf * (k1 + 1)
        c0 = k1 * (1 - b)
        c1 = k1 * b / avg
        for seg, offset, data in snap.segdata:
            lens = snap.lengths(seg, data, fname)
            for ids, weights in whoosh_internals.posting_blocks(seg, fname, token):
                # one field: a document appears once per segment, so update() is safe
                total.update([(offset + d, wmul * w / (w + c0 + c1 * lens[d]))
                              for d, w in zip(ids, weights)])
    live = snap.live
    if snap.live_count != snap.n:
        total = {d: s for d, s in total.items() if live[d]}
    return total


def alternative_scores(snap: Snapshot, tokens: tuple[str, ...]) -> ScoreMap:
    """Documents with every token of an alternative, and the sum of their scores.
    May return a cached map: never modify the result."""
    if len(tokens) == 1:
        return snap.term_scores(tokens[0])
    return snap.cached(("&",) + tuple(tokens), lambda: _intersect(snap, tokens))


def _intersect(snap: Snapshot, tokens: tuple[str, ...]) -> ScoreMap:
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


def unit_scores(snap: Snapshot, unit: Unit) -> ScoreMap:
    """Best alternative per document (the typed words, or a synonym at a lower weight).
    May return a cached map: never modify the result."""
    found = [(m, w) for m, w in ((alternative_scores(snap, toks), w)
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


# -- sums of units


Weighted = list[tuple[ScoreMap, float]]


def _split_common(snap: Snapshot, maps: Weighted, extra: Weighted) -> tuple[Weighted, Weighted]:
    """(rare, frequent) maps: the frequent ones (very common words, and the ``extra`` maps) only
    add to documents the rare ones found; the rare ones come largest first."""
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
    return rare, frequent


def _add_coverage(snap: Snapshot, rare: Weighted, frequent: Weighted, acc: ScoreMap,
                  coverage: ScoreMap) -> None:
    n = max(1, snap.live_count)
    cget = coverage.get
    for m, w in rare:
        c = w * math.log(1.0 + n / len(m))
        for d in m:
            coverage[d] = cget(d, 0.0) + c
    for m, w in frequent:
        c = w * math.log(1.0 + n / len(m))
        for d in acc:
            if d in m:
                coverage[d] = cget(d, 0.0) + c


def weighted_sum(snap: Snapshot, maps: Weighted, coverage: ScoreMap | None = None,
                 extra: Weighted | None = None) -> ScoreMap:
    """Sum of weighted score maps (OR): a document found by any map scores the sum of its
    parts.  Maps of very common words, and the ``extra`` maps (intent and filler words), only
    add to documents other maps found, unless no other map finds anything.

    With ``coverage``, also how much of the query each document matches: the sum, over the
    maps that find it, of the map's weight times its idf (rare words count more)."""
    rare, frequent = _split_common(snap, maps, extra or [])
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
        _add_coverage(snap, rare, frequent, acc, coverage)
    return acc


def smart_scores(snap: Snapshot, plan: Plan, unit_maps: list[ScoreMap]) -> ScoreMap:
    """The smart ranking: every unit (concept, word, standard, intent, alias) adds its best
    alternative's BM25F score, nothing is required; then coordination scales each document by
    the share of the query it matches."""
    pairs = list(zip(unit_maps, plan.units))
    smart = weighted_sum(snap, [(m, u.weight) for m, u in pairs if u.role != "intent"],
                         extra=[(m, u.weight) for m, u in pairs if u.role == "intent"])
    counted = [(m, u.weight) for m, u in pairs if u.role in ("content", "std", "wild")]
    if COORDINATION and len(counted) > 1:
        coverage: ScoreMap = {}
        weighted_sum(snap, counted, coverage)
        n = max(1, snap.live_count)
        whole = sum(w * math.log(1.0 + n / max(1, len(m) or n)) for m, w in counted)
        if whole:
            for d in smart:
                smart[d] *= (coverage.get(d, 0.0) / whole) ** COORDINATION
    return smart


def plain_scores(snap: Snapshot, plan: Plan) -> ScoreMap:
    """The plain ranking: the typed words as a bag of words."""
    plain_maps = [alternative_scores(snap, toks) for toks in plan.plain]
    return weighted_sum(snap, [(m, 1.0) for m, soft in zip(plain_maps, plan.plain_soft) if not soft],
                        extra=[(m, 1.0) for m, soft in zip(plain_maps, plan.plain_soft) if soft])


def boost_standard_text(snap: Snapshot, plan: Plan, unit_maps: list[ScoreMap],
                        smart: ScoreMap) -> None:
    """A standard the query names: the standard's own text scores its number twice, unless the
    query asks for another kind (IEC 62133-2 送测 wants the services that test by it)."""
    for u, m in zip(plan.units, unit_maps):
        if u.role == "std" and m and (not plan.kinds or "document" in plan.kinds):
            for d in snap.alias_docs("i:" + u.alternatives[0][0][0]):
                if d in smart and d in m:
                    smart[d] += m[d] * u.weight


# -- preferences and fusion


def preferences(snap: Snapshot, plan: Plan, docs: Iterable[int]) -> ScoreMap:
    """Soft preferences of the query (kinds its intent words name, cities it names):
    a factor per document, never a filter."""
    if not (plan.kinds or plan.cities):
        return {}
    kinds = {snap.value_ids["kind"][k] for k in plan.kinds if k in snap.value_ids["kind"]}
    cities = {snap.value_ids["city"][c] for c in plan.cities if c in snap.value_ids["city"]}
    karr, carr = snap.values["kind"], snap.values["city"]
    prefer: ScoreMap = {}
    for d in docs:
        f = 1.0
        if karr[d] in kinds:
            f *= KIND_BOOST
        if carr[d] in cities:
            f *= CITY_BOOST
        if f != 1.0:
            prefer[d] = f
    return prefer


def apply_preferences(smart: ScoreMap, prefer: ScoreMap) -> None:
    for d, f in prefer.items():
        if d in smart:
            smart[d] *= f


def fuse(smart: ScoreMap, plain: ScoreMap, prefer: ScoreMap) -> ScoreMap:
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


# -- feedback and the name bonus


def _feedback_unit(snap: Snapshot, fused: ScoreMap) -> Unit | None:
    """Names shared by several of the best results (what the catalogue calls the thing the
    query found), as a unit weighted below the typed words; None when they do not agree."""
    top = heapq.nlargest(FEEDBACK_DOCS, fused, key=fused.__getitem__)
    votes: Counter[str] = Counter()
    for d in top:
        votes.update(set(snap.doc_names(d)))
    alts = [(tuple(name.split(" ")), FEEDBACK_WEIGHT)
            for name, n in votes.most_common(FEEDBACK_NAMES) if n >= FEEDBACK_MIN_VOTES]
    return Unit(alts, role="feedback") if alts else None


def feedback_scores(snap: Snapshot, fused: ScoreMap) -> ScoreMap | None:
    """Scores of the names the best results share (the feedback unit), or None when off or
    when they share none."""
    if not FEEDBACK_DOCS:
        return None
    unit = _feedback_unit(snap, fused)
    return unit_scores(snap, unit) if unit is not None else None


def add_feedback(snap: Snapshot, plan: Plan, unit_maps: list[ScoreMap], fb: ScoreMap,
                 smart: ScoreMap, plain: ScoreMap, prefer: ScoreMap) -> None:
    """Add the feedback scores to ``smart`` (with the preferences; a document found by the
    names alone also gets its intent words' scores), and the new documents' preferences."""
    new = fb.keys() - smart.keys()
    prefer.update(preferences(snap, plan, new - plain.keys()))
    intents = [(m, u.weight) for m, u in zip(unit_maps, plan.units) if u.role == "intent" and m]
    for d, v in fb.items():
        if d in new:  # found by the names alone: its intent words count too
            v += sum(w * m[d] for m, w in intents if d in m)
        smart[d] = smart.get(d, 0.0) + v * prefer.get(d, 1.0)


def name_bonus(snap: Snapshot, plan: Plan, fused: ScoreMap) -> None:
    """Among the best results, a record whose name is all query words (or their synonyms) is a
    closer match than one whose name has more: "X-ray diffractometer" before "single crystal
    X-ray diffractometer" for the query "x-ray diffractometer"."""
    if not NAME_BONUS:
        return
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


def standard_ranking(plan: Plan, unit_maps: list[ScoreMap], fused: ScoreMap) -> ScoreMap:
    """The fused scores with documents of a standard the query names lifted above all others
    (fused scores are at most a few units: a tier of STD_TIER per standard)."""
    std_maps = [m for u, m in zip(plan.units, unit_maps) if u.role == "std" and m]
    if not std_maps:
        return fused
    ranking = dict(fused)
    for m in std_maps:
        for d in m.keys() & fused.keys():
            ranking[d] += STD_TIER
    return ranking
