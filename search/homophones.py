"""Chinese typos as people make them: a character that sounds like the right one.

Chinese is typed through a pinyin input method, so a slip picks a character with the same
reading (原字力显微镜 for 原子力显微镜, 联帮学习 for 联邦学习).  The segmenter then falls apart
into single characters around the wrong one, and nothing matches.  This module proposes, for a
stretch of the query that the segmenter broke up, the index word of the same length that differs
in one character of the same reading (tones ignored).  It knows nothing of the index: the caller
passes how many records hold a word.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from functools import lru_cache

#: Shortest stretch worth correcting: two-character words have too many sound-alikes.
MIN_CHARS = 3
MAX_CHARS = 6
#: A correction must be held by at least this many records.
MIN_RECORDS = 2


def _toneless(reading: str) -> str:
    plain = "".join(c for c in unicodedata.normalize("NFD", reading)
                    if not unicodedata.combining(c))
    return plain.replace("ü", "v")


@lru_cache(maxsize=1)
def _tables() -> tuple[dict[str, frozenset[str]], dict[str, tuple[str, ...]]]:
    """Readings of every common character (GB 2312, the set input methods offer first) and the
    characters of every reading, built once per process."""
    from pypinyin.pinyin_dict import pinyin_dict

    readings: dict[str, frozenset[str]] = {}
    by_reading: dict[str, list[str]] = {}
    for code, value in pinyin_dict.items():
        char = chr(code)
        try:
            char.encode("gb2312")
        except UnicodeEncodeError:
            continue
        sounds = frozenset(_toneless(r) for r in value.split(","))
        readings[char] = sounds
        for s in sounds:
            by_reading.setdefault(s, []).append(char)
    return readings, {s: tuple(cs) for s, cs in by_reading.items()}


def sound_alikes(char: str) -> tuple[str, ...]:
    """Common characters sharing a reading with ``char`` (itself excluded)."""
    readings, by_reading = _tables()
    out: dict[str, None] = {}
    for s in readings.get(char, ()):
        for c in by_reading[s]:
            if c != char:
                out[c] = None
    return tuple(out)


def correct(pieces: Sequence[tuple[int, int, bool]], text: str,
            records: Callable[[str], int]) -> list[tuple[int, int, str]]:
    """Corrections for a run of Chinese query words.

    ``pieces``: the words of one run of Chinese text as (start, end, broken) offsets into
    ``text``, in order, where ``broken`` marks a single character or a word no record holds;
    characters between two pieces (dropped as too common) count as broken.  Returns
    (first piece, last piece + 1, corrected word) for stretches of whole pieces, longest first,
    not overlapping: the stretch as typed is held by no record, the correction differs in one
    character outside the sound pieces and is held by at least MIN_RECORDS records."""
    found: list[tuple[int, int, str]] = []
    taken: set[int] = set()
    n = len(pieces)
    spans = sorted(((i, j) for i in range(n) for j in range(i + 1, n + 1)
                    if MIN_CHARS <= pieces[j - 1][1] - pieces[i][0] <= MAX_CHARS
                    and j - i >= 2 and any(p[2] for p in pieces[i:j])),
                   key=lambda ij: (-(pieces[ij[1] - 1][1] - pieces[ij[0]][0]), ij[0]))
    for i, j in spans:
        if taken & set(range(i, j)):
            continue
        start = pieces[i][0]
        word = text[start:pieces[j - 1][1]]
        if records(word):
            continue
        sound = set(range(len(word)))  # where a slip may be: not inside a sound piece
        for p in pieces[i:j]:
            if not p[2]:
                sound -= set(range(p[0] - start, p[1] - start))
        best: tuple[int, str] | None = None
        for pos in sorted(sound):
            for c in sound_alikes(word[pos]):
                candidate = word[:pos] + c + word[pos + 1:]
                k = records(candidate)
                if k >= MIN_RECORDS and (best is None or (k, candidate) > best):
                    best = (k, candidate)
        if best is not None:
            found.append((i, j, best[1]))
            taken.update(range(i, j))
    return found
