"""Spelling correction for English words ("did you mean").

A small symmetric-delete corrector over the index's unstemmed word list: each word is
stored with its one-letter deletions; a query word's deletions up to two letters are looked
up, and candidates are checked with the optimal-string-alignment distance (a swap of two
letters counts as one edit).  Fast enough for the 100k corpus without any full scan.
"""

from __future__ import annotations

from collections import defaultdict


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def osa_distance(a: str, b: str, limit: int = 3) -> int:
    """Optimal string alignment distance (Damerau-Levenshtein without repeated edits)."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] | None = None
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            v = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if (prev2 is not None and i > 1 and j > 1 and a[i - 1] == b[j - 2]
                    and a[i - 2] == b[j - 1]):
                v = min(v, prev2[j - 2] + 1)
            cur[j] = v
        prev2, prev = prev, cur
    return prev[-1]


class Corrector:
    def __init__(self, freqs: dict[str, int]):
        self.freqs = freqs
        self._index: dict[str, list[str]] = defaultdict(list)
        for word in freqs:
            if len(word) < 4:
                continue
            self._index[word].append(word)
            for d in _deletes(word):
                self._index[d].append(word)

    def __contains__(self, word: str) -> bool:
        return word in self.freqs

    def suggest(self, word: str) -> str | None:
        """The most frequent known word within 1 edit (2 for words of 8 letters or more)."""
        if len(word) < 4 or word in self.freqs:
            return None
        maxdist = 2 if len(word) >= 8 else 1
        variants = {word} | _deletes(word)
        if maxdist >= 2:
            for v in list(variants):
                variants |= _deletes(v)
        best: tuple[int, int, str] | None = None
        seen: set[str] = set()
        for v in variants:
            for cand in self._index.get(v, ()):
                if cand in seen:
                    continue
                seen.add(cand)
                dist = osa_distance(word, cand, maxdist)
                if dist > maxdist:
                    continue
                key = (dist, -self.freqs[cand], cand)
                if best is None or key < best:
                    best = key
        return best[2] if best else None
