"""Snippets: a window of the text around the first match, HTML-escaped, then marked."""

from __future__ import annotations

from html import escape

from .analysis import is_cjk

__all__ = ["make_snippet", "find_spans"]


def _is_word_char(c: str) -> bool:
    return c.isascii() and c.isalnum()


def find_spans(text: str, words: list[str]) -> list[tuple[int, int]]:
    """Non-overlapping (start, end) spans of ``words`` in ``text``, case-insensitively.

    Chinese words match anywhere; English words and codes only at a word start, and an
    English stem extends to the end of the word (``microscop`` marks ``microscopes``).
    Plain string search, no regular expressions: cheap enough for every hit.
    """
    low = text.lower()
    n = len(low)
    spans: list[tuple[int, int]] = []
    for w in {w.lower() for w in words if w}:
        cjk = is_cjk(w)
        alpha = w.isascii() and w.isalpha()
        i = low.find(w)
        while i >= 0:
            end = i + len(w)
            ok = True
            if not cjk:
                if i > 0 and _is_word_char(low[i - 1]):
                    ok = False
                elif alpha:
                    while end < n and low[end].isascii() and low[end].isalpha():
                        end += 1
                elif end < n and _is_word_char(low[end]):
                    ok = False
            if ok:
                spans.append((i, end))
            i = low.find(w, i + 1)
    # keep the longest of overlapping spans, left to right
    spans.sort(key=lambda s: (s[0], -(s[1] - s[0])))
    out: list[tuple[int, int]] = []
    for s, e in spans:
        if out and s < out[-1][1]:
            if e > out[-1][1] and s == out[-1][0]:
                out[-1] = (s, e)
            continue
        out.append((s, e))
    return out


def make_snippet(text: str, words: list[str], width: int = 120) -> str:
    """Return an HTML-safe snippet of ``text`` with ``words`` wrapped in ``<mark>``.

    The text is cut to a window around the first match, every piece is escaped, and only
    then are the marks added, so markup in the text can never reach the page.
    """
    if not text:
        return ""
    spans = find_spans(text, words)
    if spans:
        first = spans[0][0]
        start = max(0, first - width // 4)
        # do not cut an English word in half
        while 0 < start < first and _is_word_char(text[start - 1]):
            start -= 1
    else:
        start = 0
    end = min(len(text), start + width)
    out = ["…" if start > 0 else ""]
    pos = start
    for s, e in spans:
        if s < start:
            continue
        if e > end:
            break
        out.append(escape(text[pos:s]))
        out.append("<mark>" + escape(text[s:e]) + "</mark>")
        pos = e
    out.append(escape(text[pos:end]))
    if end < len(text):
        out.append("…")
    return "".join(out)
