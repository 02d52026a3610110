"""Turn what a user typed into a plan: units to match, kinds and cities to prefer.

The input is treated as plain words, never as query syntax: ``AND``, ``(``, ``"``, ``*``,
``~``, ``^`` or ``title:`` are ordinary characters (mostly dropped by the tokenizer).

* Words are cut into *slots* (a Chinese word, an English word, or a code with its parts).
* Runs of slots found in the synonym table become one *concept unit*: the typed words, or
  any of their synonyms with a lower weight.
* Other slots of a whitespace-separated chunk form one unit whose tokens are AND-ed.
* Intent words (送样, 预约, 专利, standard ...) steer the ranking towards a kind; some of them
  (检测, 专利, 标准) are also optional words that add to the score when present.
* City names (南京, Nanjing) prefer that city; they are not required to match.
* Unknown English words are corrected against the index vocabulary ("did you mean").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .analysis import normalize
from .synonyms import (
    INTENT_WORDS,
    SOFT_WORDS,
    Slot,
    city_of,
    known_english_words,
    load_synonyms,
    slots_for,
)

if TYPE_CHECKING:  # pragma: no cover
    from .index import _Snapshot

MAX_QUERY_CHARS = 200
MAX_SLOTS = 32
SYNONYM_WEIGHT = 0.7


@dataclass
class Unit:
    alternatives: list[tuple[tuple[str, ...], float]]
    required: bool = True
    label: str = ""


@dataclass
class Plan:
    units: list[Unit] = field(default_factory=list)
    kinds: set[str] = field(default_factory=set)
    cities: set[str] = field(default_factory=set)
    highlight: list[str] = field(default_factory=list)
    suggestion: str | None = None
    note: str | None = None


MAX_WILDCARD_TERMS = 30
MAX_WILDCARD_SCAN = 2000


def _wildcard_unit(prefix: str, snap: "_Snapshot", plan: Plan) -> Unit | None:
    """``word*``: the index terms starting with ``word``, at most MAX_WILDCARD_TERMS of
    them (the most frequent), after looking at no more than MAX_WILDCARD_SCAN terms."""
    from .analysis import _RUN

    m = _RUN.fullmatch(prefix)
    if m is None:
        return None
    found: list[tuple[int, str]] = []
    scanned = 0
    truncated = False
    for text in snap.reader.expand_prefix("body", prefix):
        term = text.decode("utf-8") if isinstance(text, bytes) else text
        scanned += 1
        if scanned > MAX_WILDCARD_SCAN:
            truncated = True
            break
        found.append((snap.reader.doc_frequency("body", term), term))
    if not found:
        return None
    found.sort(reverse=True)
    if len(found) > MAX_WILDCARD_TERMS:
        truncated = True
    terms = [t for _, t in found[:MAX_WILDCARD_TERMS]]
    if truncated:
        plan.note = plan.note or (f"{prefix}* matches many words; only the "
                                  f"{MAX_WILDCARD_TERMS} most common were used")
    plan.highlight.append(prefix)
    return Unit([((t,), 1.0) for t in terms], required=True, label=prefix + "*")


def _is_word(surface: str) -> bool:
    return surface.isascii() and surface.isalpha()


def plan_query(raw: str, snap: "_Snapshot | None" = None) -> Plan:
    plan = Plan()
    text = normalize(raw or "")
    if len(text) > MAX_QUERY_CHARS:
        text = text[:MAX_QUERY_CHARS]
        plan.note = f"query was shortened to {MAX_QUERY_CHARS} characters"
    chunks = text.split()
    slots: list[Slot] = []
    wildcard_units: list[Unit] = []
    for ci, chunk in enumerate(chunks):
        if snap is not None and chunk.endswith("*") and len(chunk.rstrip("*")) >= 2:
            unit = _wildcard_unit(chunk.rstrip("*"), snap, plan)
            if unit is not None:
                wildcard_units.append(unit)
                continue
        slots.extend(slots_for(chunk, ci))
    if len(slots) > MAX_SLOTS:
        slots = slots[:MAX_SLOTS]
        plan.note = plan.note or f"only the first {MAX_SLOTS} words were used"

    # ---- typos: unknown English words are replaced by the closest index word
    if snap is not None and slots:
        corrector = snap.corrector
        known = known_english_words()
        corrected_text = text
        changed = False
        fixed: list[Slot] = []
        for s in slots:
            word = s.surface
            if (_is_word(word) and 4 <= len(word) <= 24 and word not in corrector
                    and word not in known and city_of(word) is None):
                better = corrector.suggest(word)
                if better:
                    new = slots_for(better, s.chunk)
                    if new:
                        fixed.append(new[0])
                        corrected_text = corrected_text.replace(word, better, 1)
                        changed = True
                        continue
            fixed.append(s)
        if changed:
            slots = fixed
            plan.suggestion = corrected_text

    # ---- intent and city words
    for s in slots:
        kinds = INTENT_WORDS.get(s.key) or INTENT_WORDS.get(s.surface)
        if kinds:
            plan.kinds.update(kinds)
        c = city_of(s.key) or city_of(s.surface)
        if c:
            plan.cities.add(c)

    table = load_synonyms()
    # Intent and filler words do not take part in synonym matching ("RoHS检测" is the
    # concept RoHS plus the intent 检测), unless the query has nothing else.
    content = [i for i, s in enumerate(slots)
               if s.key not in INTENT_WORDS and s.key not in SOFT_WORDS]
    if not content:
        content = list(range(len(slots)))
    keys = [slots[i].key for i in content]
    covered: set[int] = set()
    matches = []
    for ci, cj, alts in table.match(keys):
        i, j = content[ci], content[cj - 1] + 1
        if j - i != cj - ci:  # an intent word sits inside the run: match only its start
            continue
        if all(city_of(s.key) for s in slots[i:j]):
            continue
        # Neighbouring concepts from the same synonym group (金属3D打印 SLM) are one concept.
        if matches and matches[-1][1] == i and (
                {a.keys for a in matches[-1][2]} & {a.keys for a in alts}
                or tuple(keys[i:j]) in {a.keys for a in matches[-1][2]}):
            pi, _, palts = matches[-1]
            have = {a.keys for a in palts}
            matches[-1] = (pi, j, palts + [a for a in alts if a.keys not in have])
            continue
        matches.append((i, j, alts))
    for i, j, alts in matches:
        span = slots[i:j]
        typed = tuple(t for s in span for t in s.tokens)
        alternatives = [(typed, 1.0)]
        for alt in alts:
            toks = tuple(t for s in alt.slots for t in s.tokens)
            if toks and toks != typed:
                alternatives.append((toks, SYNONYM_WEIGHT))
                plan.highlight.extend(s.surface for s in alt.slots)
        soft = all(s.key in INTENT_WORDS or s.key in SOFT_WORDS for s in span)
        plan.units.append(Unit(alternatives, required=not soft,
                               label=" ".join(s.surface for s in span)))
        plan.highlight.extend(s.surface for s in span)
        covered.update(range(i, j))

    by_chunk: dict[int, list[Slot]] = {}
    for idx, s in enumerate(slots):
        if idx in covered:
            continue
        if s.key in SOFT_WORDS or s.surface in SOFT_WORDS or city_of(s.key):
            continue
        if s.key in INTENT_WORDS:
            plan.units.append(Unit([(s.tokens, 1.0)], required=False, label=s.surface))
            plan.highlight.append(s.surface)
            continue
        by_chunk.setdefault(s.chunk, []).append(s)
    for chunk_slots in by_chunk.values():
        toks = tuple(dict.fromkeys(t for s in chunk_slots for t in s.tokens))
        plan.units.append(Unit([(toks, 1.0)], required=True,
                               label=" ".join(s.surface for s in chunk_slots)))
        plan.highlight.extend(s.surface for s in chunk_slots)
        for s in chunk_slots:
            if len(s.tokens) > 1:
                plan.highlight.extend(s.tokens[1:])

    plan.units.extend(wildcard_units)
    # Only intent or city words ("预约 南京", "Suzhou"): no units; the index browses
    # everything, preferred kinds and cities first.
    # The stem is a good highlight too (microscop matches "microscopes").
    plan.highlight.extend(t for u in plan.units for alt, _ in u.alternatives[:1] for t in alt
                          if t.isalpha())
    plan.highlight = list(dict.fromkeys(h for h in plan.highlight if h))
    return plan
