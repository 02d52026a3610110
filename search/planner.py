"""Turn what a user typed into a plan: weighted units to score, kinds and cities to prefer.

The input is treated as plain words, never as query syntax: ``AND``, ``(``, ``"``, ``*``,
``~``, ``^`` or ``title:`` are ordinary characters (mostly dropped by the tokenizer).

No word is ever required.  A result that lacks a word scores lower; only a query none of whose
words matches anything comes back empty.

* Words are cut into *slots* (a Chinese word, an English word, a code, a standard number).
* Runs of slots found in the synonym table become one *concept unit*: the typed words, or any
  of their synonyms with a lower weight.  Other slots are units of their own.
* Units are scored with BM25F and summed (the "smart" ranking).  Beside it the index runs the
  *plain* words (``Plan.plain``: every typed word, no synonyms, no preferences) and fuses both
  rankings, so that a plan can re-order but never lose what the plain words find.
* Intent words (送样, 预约, 专利, standard ...) prefer a kind; they also count as words, lightly.
* Filler words (where, can, 哪里, 找 ...) only say what the user wants to do: no unit of their own.
* City names (南京, Nanjing) prefer that city.
* Unknown English words get the closest index word as an alternative ("did you mean").
* Mined aliases (see ``search.aliases``) add the names the catalogue itself gives to the things
  a query names: a model number finds what that model is, a Chinese title its English title.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from . import homophones
from .aliases import vote
from .analysis import _cjk_query, normalize, query_words
from .synonyms import (
    FILLER_WORDS,
    INTENT_WORDS,
    Slot,
    city_of,
    known_english_words,
    load_synonyms,
    slots_for,
)

if TYPE_CHECKING:  # pragma: no cover
    from .index import _Snapshot

MAX_QUERY_CHARS = 200
_CJK_RUN = re.compile(r"[\u3400-\u9fff]+")
#: English words shorter than this are never "corrected" (too many real words are near them).
MIN_CORRECTED = 5
#: A word at least this frequent in pyspellchecker's English counts is never "corrected".
COMMON_ENGLISH_COUNT = 500
MAX_SLOTS = 32
#: A synonym from the hand table, relative to the words typed.
SYNONYM_WEIGHT = 0.7
#: A spelling correction, relative to the word typed (which usually matches nothing).
CORRECTION_WEIGHT = 0.9
#: A piece of a Chinese compound (测定 of 含量测定), or of a word no record contains (阻燃 of 阻燃剂).
SUBWORD_WEIGHT = 0.6
#: A part held by more than this share of the records says little and costs the most: left out.
PART_MAX_SHARE = 0.05
#: Intent words ("检测", "patent") as text: they add a little; their real job is the kind.
INTENT_WEIGHT = 0.3
#: A single Chinese character cut out of a phrase (新, 出, 上): often a fragment, not a word.
SINGLE_CHAR_WEIGHT = 0.5
#: A name the catalogue gives to what a key of the query identifies (search.aliases).
ALIAS_WEIGHT = 0.3
#: A key of one English word is used when at least this share of the documents holding the word
#: state it as a key.
ALIAS_MIN_SHARE = 0.5
#: Names given by at least this share of the documents stating a key, at most ALIAS_MAX_NAMES.
ALIAS_NAME_SHARE = 0.15
ALIAS_MAX_NAMES = 4
ALIAS_MAX_WORDS = 4
#: Which relations of search.aliases a query uses, in this order: identifying keys (models,
#: standard numbers, abbreviations in titles), pairs "X（ABBR）", names and keywords, makers.
ALIAS_RELATIONS = ("k", "m")


@dataclass
class Unit:
    """One thing the query asks for, found by any of its alternatives.

    ``alternatives``: (index tokens that must all be present, weight); the first is the words
    as typed (weight 1).  ``role``: "content", "std" (a standard number), "intent" or "wild".
    """

    alternatives: list[tuple[tuple[str, ...], float]]
    role: str = "content"
    label: str = ""
    weight: float = 1.0

    @property
    def required(self) -> bool:  # older interface: nothing is required any more
        return False


@dataclass
class Plan:
    units: list[Unit] = field(default_factory=list)
    #: the plain words: every typed word's own index tokens, one group per word
    plain: list[tuple[str, ...]] = field(default_factory=list)
    #: per plain word: True for filler, intent and city words (they add to what other words
    #: find, and find on their own only when nothing else does)
    plain_soft: list[bool] = field(default_factory=list)
    kinds: set[str] = field(default_factory=set)
    cities: set[str] = field(default_factory=set)
    highlight: list[str] = field(default_factory=list)
    suggestion: str | None = None
    note: str | None = None
    #: words of the query that take part in matching: (start, end) in ``shown``, and the units
    #: that find them
    words: list[tuple[int, int, list[int]]] = field(default_factory=list)
    #: the query as typed (NFKC), or as normalised when the two do not line up
    shown: str = ""

    def label(self, start: int, end: int) -> str:
        return self.shown[start:end]


MAX_WILDCARD_TERMS = 30
MAX_WILDCARD_SCAN = 2000


def _wildcard_unit(prefix: str, snap: _Snapshot, plan: Plan) -> Unit | None:
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
    return Unit([((t,), 1.0) for t in terms], role="wild", label=prefix + "*")


@lru_cache(maxsize=1)
def common_english_words() -> frozenset[str]:
    """Words common in general English (pyspellchecker's frequency list): a real word is not a
    typo of a catalogue word ("cable" is not "table")."""
    from spellchecker import SpellChecker

    counts = SpellChecker(distance=1).word_frequency.dictionary
    return frozenset(w for w, n in counts.items() if n >= COMMON_ENGLISH_COUNT)


def _indexed_parts(word: str, snap: _Snapshot) -> list[tuple[str, int]]:
    """The longest pieces of a Chinese word that the index holds (阻燃剂 -> 阻燃), with how many
    records hold each."""
    found: list[tuple[str, int]] = []
    for size in range(len(word) - 1, 1, -1):
        for i in range(len(word) - size + 1):
            part = word[i:i + size]
            if any(part in f for f, _n in found):
                continue
            held = snap.doc_frequency("body", part)
            if held:
                found.append((part, held))
    return found


def _part_alternatives(s: Slot, snap: _Snapshot | None) -> list[tuple[tuple[str, ...], float]]:
    """The parts of a Chinese compound (测定 of 含量测定: records say 蛋白质的测定), or of a
    three-character word no record holds (阻燃 of 阻燃剂), each scoring below the word."""
    if snap is None or s.kind != "cjk" or len(s.key) < 3:
        return []
    if len(s.key) == 3 and snap.doc_frequency("body", s.key):
        return []
    common = snap.live_count * PART_MAX_SHARE
    return [((part,), SUBWORD_WEIGHT) for part, held in _indexed_parts(s.key, snap) if held <= common]


def _is_word(surface: str) -> bool:
    return surface.isascii() and surface.isalpha()


def _typed_in_capitals(word: str, raw: str) -> bool:
    """ATCC, PRC: typed in capitals, an acronym rather than a misspelt word."""
    typed = unicodedata.normalize("NFKC", raw or "")
    return re.search(rf"(?<![A-Za-z]){re.escape(word.upper())}(?![A-Za-z])", typed) is not None


def _is_intent(s: Slot) -> bool:
    return s.key in INTENT_WORDS or s.surface in INTENT_WORDS


def _is_filler(s: Slot) -> bool:
    return s.key in FILLER_WORDS or s.surface in FILLER_WORDS


def _alias_units(slots: list[Slot], snap: _Snapshot, plan: Plan) -> list[Unit]:
    """Units for runs of query words that the catalogue states as keys (a model, a keyword, an
    abbreviation, a standard number, a title): the names the records stating the key share, and
    the maker's name in the other language.  Longest runs first; a run is used only when its
    words are mostly used as that key in the catalogue."""
    units: list[Unit] = []
    usable = [i for i, s in enumerate(slots) if not _is_filler(s) and not city_of(s.key)]
    taken: set[int] = set()
    for n in range(min(ALIAS_MAX_WORDS, len(usable)), 0, -1):
        for a in range(len(usable) - n + 1):
            idx = usable[a:a + n]
            if idx[-1] - idx[0] != n - 1 or taken & set(idx):
                continue
            span = [slots[i] for i in idx]
            if n == 1 and _is_intent(span[0]):
                continue
            tokens = tuple(t for s in span for t in s.tokens)
            key = " ".join(tokens)
            label = plan.label(span[0].start, span[-1].end)
            found = False
            for rel in ALIAS_RELATIONS:
                docs = snap.alias_docs(f"{rel}:{key}")
                if not docs:
                    continue
                if n == 1 and span[0].kind == "word" and rel != "m":
                    # one English word: is it mostly this key ("Orbitrap"), or a word that a
                    # model happens to contain ("Form 3")?
                    holding = snap.match_count(tokens)
                    if holding and len(docs) / holding < ALIAS_MIN_SHARE:
                        continue
                names_of: Callable[[int], Sequence[str]]
                if rel == "p":
                    def names_of(d: int, key: str = key) -> Sequence[str]:
                        return [b if a == key else a for a, b in snap.doc_pairs(d)
                                if key in (a, b)]
                elif rel == "m":
                    names_of = snap.doc_makers
                else:
                    names_of = snap.doc_names
                votes = vote(names_of, docs)
                floor = max(1, ALIAS_NAME_SHARE * min(len(docs), 2000))
                # most votes first; among equals the more specific name (fewer records)
                named = sorted(((count, tuple(name.split(" "))) for name, count in votes.items()
                                if count >= floor), key=lambda ct: (-ct[0], ct[1]))
                ranked = sorted(named[:3 * ALIAS_MAX_NAMES],
                                key=lambda ct: (-ct[0], snap.match_count(ct[1]), ct[1]))
                alts = [(toks, ALIAS_WEIGHT) for _count, toks in ranked
                        if toks != tokens][:ALIAS_MAX_NAMES]
                if alts:
                    units.append(Unit(alts, role="alias", label=label))
                    found = True
                    break
            if found:
                taken.update(idx)
    return units


def _sound_alike_corrections(slots: list[Slot], text: str, snap: _Snapshot
                              ) -> list[tuple[int, int, tuple[str, ...]]]:
    """Chinese typos (search.homophones) in each run of adjacent Chinese content words:
    (first slot, last slot + 1, the index tokens of the word meant)."""
    def records(word: str) -> int:
        """Records holding the word, or else all of its words when it cuts into words of two
        characters or more (联邦学习 is 联邦 + 学习 in the index)."""
        held = snap.doc_frequency("body", word)
        if held:
            return held
        parts = _cjk_query(word)
        if len(parts) < 2 or any(len(p) < 2 or not snap.doc_frequency("body", p) for p in parts):
            return 0
        return snap.match_count(parts)

    runs: list[list[int]] = []
    for idx, s in enumerate(slots):
        if s.kind != "cjk" or _is_filler(s) or _is_intent(s) or city_of(s.key):
            continue
        # one common character between two words (的, 帮) is part of the run
        between = text[slots[runs[-1][-1]].end:s.start] if runs else " "
        if runs and (not between or (len(between) == 1 and _CJK_RUN.fullmatch(between))):
            runs[-1].append(idx)
        else:
            runs.append([idx])
    found: list[tuple[int, int, tuple[str, ...]]] = []
    for run in runs:
        pieces = [(slots[k].start, slots[k].end,
                   len(slots[k].surface) == 1 or not records(slots[k].key)) for k in run]
        for a, b, word in homophones.correct(pieces, text, records):
            tokens = (word,) if snap.doc_frequency("body", word) else _cjk_query(word)
            found.append((run[a], run[b - 1] + 1, tokens))
    return found


def plan_query(raw: str, snap: _Snapshot | None = None) -> Plan:
    plan = Plan()
    text = normalize(raw or "")
    if len(text) > MAX_QUERY_CHARS:
        text = text[:MAX_QUERY_CHARS]
        plan.note = f"query was shortened to {MAX_QUERY_CHARS} characters"
    # what the user typed, where it lines up with the normalised text, for labels
    typed = unicodedata.normalize("NFKC", raw or "")[:len(text)]
    plan.shown = typed if len(typed) == len(text) else text
    wildcard_units: list[Unit] = []
    rest = text
    for m in re.finditer(r"\S+", text):
        chunk = m.group()
        if snap is not None and chunk.endswith("*") and len(chunk.rstrip("*")) >= 2:
            unit = _wildcard_unit(chunk.rstrip("*"), snap, plan)
            if unit is not None:
                wildcard_units.append(unit)
                rest = rest[:m.start()] + " " * len(chunk) + rest[m.end():]
    # the words of the whole text at once: a standard's number may follow its organisation
    # after a space (GB/T 228.1, ASTM B117)
    slots: list[Slot] = slots_for(rest)
    if len(slots) > MAX_SLOTS:
        slots = slots[:MAX_SLOTS]
        plan.note = plan.note or f"only the first {MAX_SLOTS} words were used"

    # ---- typos: an unknown English word also looks for the closest index word
    corrections: dict[int, Slot] = {}
    if snap is not None and slots:
        corrector = snap.corrector
        known = known_english_words()
        corrected_text = text
        for i, s in enumerate(slots):
            word = s.surface
            if (_is_word(word) and MIN_CORRECTED <= len(word) <= 24 and word not in corrector
                    and not _typed_in_capitals(word, raw) and word not in known
                    and word not in common_english_words() and city_of(word) is None):
                better = corrector.suggest(word)
                if better and snap.doc_frequency("body", s.key):
                    # the word's stem is in the catalogue ("spraying" of "spray"): only a
                    # spelling of that same stem is a correction ("scintilation"), not another
                    # word ("spacing")
                    if query_words(better)[0].key != s.key:
                        better = None
                if better:
                    new = slots_for(better, s.chunk)
                    if new:
                        corrections[i] = new[0]
                        corrected_text = corrected_text.replace(word, better, 1)
        sound_fixes = _sound_alike_corrections(slots, text, snap)
        for i, j, tokens in sound_fixes:
            corrected_text = corrected_text.replace(text[slots[i].start:slots[j - 1].end],
                                                    "".join(tokens), 1)
        if corrections or sound_fixes:
            plan.suggestion = corrected_text
    else:
        sound_fixes = []

    # ---- the plain words: every typed word as it is (and its correction, as typed words go)
    soft: set[tuple[str, ...]] = set()
    for i, s in enumerate(slots):
        plan.plain.append(s.tokens)
        if _is_filler(s) or _is_intent(s) or city_of(s.key):
            soft.add(s.tokens)
        if s.kind == "std" and len(s.alternatives) > 2:
            plan.plain.append(s.alternatives[-1][0])  # the number as typed codes
        if i in corrections:
            plan.plain.append(corrections[i].tokens)
    for _i, _j, tokens in sound_fixes:
        plan.plain.append(tokens)
    plan.plain = list(dict.fromkeys(plan.plain))
    plan.plain_soft = [toks in soft for toks in plan.plain]

    # ---- intent and city words
    for s in slots:
        kinds = INTENT_WORDS.get(s.key) or INTENT_WORDS.get(s.surface)
        if kinds:
            plan.kinds.update(kinds)
        c = city_of(s.key) or city_of(s.surface)
        if c:
            plan.cities.add(c)

    # ---- concepts of the synonym table, longest first, over the words that are not fillers
    # or cities ("RoHS检测" is the group member RoHS检测; "salt spray test" a phrase of its own)
    table = load_synonyms()
    content = [i for i, s in enumerate(slots) if not _is_filler(s) and not city_of(s.key)]
    keys = [slots[i].key for i in content]
    covered: set[int] = set()
    matches: list[tuple[int, int, list[Any]]] = []
    for ci, cj, alts in table.match(keys):
        i, j = content[ci], content[cj - 1] + 1
        if j - i != cj - ci:  # a filler or city sits inside the run: match only its start
            continue
        # Neighbouring concepts from the same synonym group (金属3D打印 SLM) are one concept.
        if matches and matches[-1][1] == i and (
                {a.keys for a in matches[-1][2]} & {a.keys for a in alts}
                or tuple(keys[ci:cj]) in {a.keys for a in matches[-1][2]}):
            pi, _, palts = matches[-1]
            have = {a.keys for a in palts}
            matches[-1] = (pi, j, palts + [a for a in alts if a.keys not in have])
            continue
        matches.append((i, j, alts))

    word_units: dict[int, list[int]] = {}

    def add_unit(unit: Unit, members: range | list[int]) -> None:
        plan.units.append(unit)
        for m in members:
            word_units.setdefault(m, []).append(len(plan.units) - 1)

    for i, j, alts in matches:
        span = slots[i:j]
        intent_only = all(_is_intent(s) for s in span)
        if len(span) == 1:
            alternatives = list(span[0].alternatives) + _part_alternatives(span[0], snap)
        else:
            alternatives = [(tuple(t for s in span for t in s.tokens), 1.0)]
        if not intent_only:  # 检测 = 测试 = test ...: the kind preference does that job
            typed_tokens = alternatives[0][0]
            for alt in alts:
                toks = alt.tokens
                if toks and toks != typed_tokens:
                    alternatives.append((toks, SYNONYM_WEIGHT))
                    plan.highlight.extend(s.surface for s in alt.slots)
        role = "intent" if intent_only else ("std" if span[0].kind == "std" and len(span) == 1
                                             else "content")
        add_unit(Unit(alternatives, role=role, label=plan.label(span[0].start, span[-1].end),
                      weight=INTENT_WEIGHT if intent_only else 1.0), range(i, j))
        plan.highlight.extend(s.surface for s in span)
        covered.update(range(i, j))

    for i, j, tokens in sound_fixes:
        add_unit(Unit([(tokens, CORRECTION_WEIGHT)],
                      label=plan.label(slots[i].start, slots[j - 1].end)), range(i, j))
        plan.highlight.extend(tokens)

    for idx, s in enumerate(slots):
        if idx in covered or _is_filler(s) or city_of(s.key):
            continue
        alternatives = list(s.alternatives)
        if idx in corrections:
            alternatives += [(toks, w * CORRECTION_WEIGHT)
                             for toks, w in corrections[idx].alternatives]
            plan.highlight.append(corrections[idx].surface)
        else:
            alternatives += _part_alternatives(s, snap)
        intent = _is_intent(s)
        role = "intent" if intent else ("std" if s.kind == "std" else "content")
        weight = (INTENT_WEIGHT if intent
                  else SINGLE_CHAR_WEIGHT if s.kind == "cjk" and len(s.surface) == 1 else 1.0)
        add_unit(Unit(alternatives, role=role, label=plan.label(s.start, s.end), weight=weight),
                 [idx])
        plan.highlight.append(s.surface)
        plan.highlight.extend(toks[0] for toks, w in alternatives if w == SUBWORD_WEIGHT)
        if len(s.tokens) > 1:
            plan.highlight.extend(s.tokens[1:])

    if snap is not None:
        plan.units.extend(_alias_units(slots, snap, plan))
    for unit in wildcard_units:
        plan.units.append(unit)
    for idx, s in enumerate(slots):
        if idx in word_units:
            plan.words.append((s.start, s.end, word_units[idx]))
    # The stem is a good highlight too (microscop matches "microscopes").
    plan.highlight.extend(t for u in plan.units for alt, _ in u.alternatives[:1] for t in alt
                          if t.isalpha())
    plan.highlight = list(dict.fromkeys(h for h in plan.highlight if h))
    return plan
