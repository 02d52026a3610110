"""Snippets: a window of the text around the first match, HTML-escaped, then marked."""

from __future__ import annotations

import re
from html import escape

from .analysis import is_cjk

__all__ = ["make_snippet"]


def _pattern(words: list[str]) -> re.Pattern | None:
    parts = []
    for w in sorted({w for w in words if w}, key=len, reverse=True):
        if is_cjk(w):
            parts.append(re.escape(w))
        elif w.isalpha():
            # English: the stem or typed form and any ending (microscop -> microscopes)
            parts.append(r"(?<![a-z0-9])" + re.escape(w) + r"[a-z]*")
        else:
            parts.append(r"(?<![a-z0-9])" + re.escape(w) + r"(?![a-z0-9])")
    if not parts:
        return None
    return re.compile("|".join(parts), re.IGNORECASE)


def make_snippet(text: str, words: list[str], width: int = 120) -> str:
    """Return an HTML-safe snippet of ``text`` with ``words`` wrapped in ``<mark>``.

    The text is cut to a window around the first match, every piece is escaped, and only
    then are the marks added, so markup in the text can never reach the page.
    """
    if not text:
        return ""
    pat = _pattern(words)
    matches = list(pat.finditer(text)) if pat else []
    if matches:
        first = matches[0].start()
        start = max(0, first - width // 4)
        # do not cut an English word in half
        while 0 < start < first and text[start - 1].isalnum() and text[start - 1].isascii():
            start -= 1
    else:
        start = 0
    end = min(len(text), start + width)
    out = ["…" if start > 0 else ""]
    pos = start
    for m in matches:
        if m.start() < start:
            continue
        if m.end() > end:
            break
        out.append(escape(text[pos:m.start()]))
        out.append("<mark>" + escape(m.group()) + "</mark>")
        pos = m.end()
    out.append(escape(text[pos:end]))
    if end < len(text):
        out.append("…")
    return "".join(out)
