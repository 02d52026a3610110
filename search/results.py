"""What a search returns: :class:`SearchResult`, one hit per document (stored fields and a
highlighted snippet), and the query's words that nothing admitted matches."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from .highlight import make_snippet
from .planner import Plan
from .snapshot import Snapshot

__all__ = ["SearchResult", "make_hit", "unmatched_words"]


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


def make_hit(snap: Snapshot, d: int, score: float, plan: Plan, width: int) -> dict:
    """The hit for docnum ``d``: its stored fields, facet values and a snippet of its
    description (or title) with the query's words marked."""
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


def unmatched_words(plan: Plan, found: list[bool]) -> list[str]:
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
