"""The bilingual analyser: one tokenizer for mixed Chinese / English / code text.

Text is cut into runs:

* Chinese (CJK) runs are segmented with jieba.  Indexing uses a generous "search mode"
  (jieba's precise cut plus every dictionary word inside each long word), queries use the
  precise cut, so ``扫描电子显微镜`` becomes ``扫描`` AND ``电子显微镜`` at query time while
  the index holds every piece.  Every query token is therefore also an index token of the
  same text, whatever the context.
* Plain English words are lower-cased, stop words dropped and the rest Porter-stemmed.
* Codes (anything with a digit or an inner connector such as ``GB/T``, ``228.1-2021``,
  ``JSM-7800F``, ``CN202310123456.7``) are kept whole and also indexed by their prefixes and
  parts, so ``GB/T 228.1-2021`` is found by ``GB/T 228.1`` and by ``228.1``.

jieba is loaded lazily on first use (never at import time) and its log is kept quiet.
Results of segmenting a Chinese run are memoised: catalogue text is templated and the same
runs come back again and again, which makes indexing several times faster.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Iterator

from whoosh.analysis import Token, Tokenizer

__all__ = [
    "BilingualAnalyzer",
    "SpellingAnalyzer",
    "normalize",
    "query_tokens",
    "index_tokens",
    "is_cjk",
]

# --------------------------------------------------------------------------------------
# Normalisation

_DASHES = re.compile("[\u2010-\u2015\u2212\u30fc\ufe58\ufe63]")


def normalize(text: str) -> str:
    """NFKC (full-width letters and digits become ASCII), unify dashes, lower-case."""
    text = unicodedata.normalize("NFKC", text)
    text = _DASHES.sub("-", text)
    return text.lower()


_CJK_CLASS = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# A run is either CJK characters, or ASCII letters/digits joined by connectors.
_RUN = re.compile(
    rf"(?P<cjk>[{_CJK_CLASS}]+)"
    r"|(?P<code>[a-z0-9]+(?:[-./_:+][a-z0-9]+)*)"
)
_CONNECTOR = re.compile(r"([-/_:+])")
_LETTER_DIGIT = re.compile(r"[a-z]+|[0-9]+(?:\.[0-9]+)*")


def is_cjk(text: str) -> bool:
    return bool(text) and all(_CJK_CLASS_RE.match(c) for c in text)


_CJK_CLASS_RE = re.compile(f"[{_CJK_CLASS}]")

ENGLISH_STOP = frozenset(
    "a an the of for and or not in on at to by with from as is are be this that these those "
    "its it into via per vs".split()
)
# Function words and measuring verbs that carry no meaning in a Chinese query.
CHINESE_STOP = frozenset("的 和 与 及 或 等 了 在 对 把 用 测 做 要 想 请 哪里 哪儿 一下 有没有 可以".split())
# Single characters that never carry meaning on their own: left out of the index (and so
# of queries too, which keeps every query token an index token).
CHINESE_INDEX_STOP = frozenset("的 了 和 与 及 或 等 于 对 本 可 个 为 在 是 将 由 其 以 并 之 而 "
                               "也 把 被 这 那 该 每 各 从 向 至 如 若 则 即 所 着 过 啊 吗 呢 吧".split())

# --------------------------------------------------------------------------------------
# jieba, lazily

_JIEBA_LOCK = threading.Lock()
_jieba_tokenizer = None
_DICT_FILE = Path(__file__).with_name("userdict.txt")
_SYNONYM_FILE = Path(__file__).with_name("synonyms.txt")


def _user_words() -> list[str]:
    """Domain words for jieba from our synonym table and user dictionary: Chinese terms of
    2 to 4 characters (so that 盐雾, 金相, 三坐标 are cut out as words), and longer terms that
    jieba's own dictionary would break into single-character fragments (流式细胞/仪)."""
    words: list[str] = []
    for path in (_SYNONYM_FILE, _DICT_FILE):
        if not path.exists():
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            line = line.split("#", 1)[0]
            for part in re.split(r"[=>,|]", line):
                term = unicodedata.normalize("NFKC", part.strip()).lower()
                if 2 <= len(term) <= 12 and is_cjk(term):
                    if len(term) > 3 and term.endswith(_INTENT_SUFFIXES):
                        continue  # 农残检测 stays 农残 + 检测, so the intent word is seen
                    words.append(term)
    return words


_INTENT_SUFFIXES = ("检测", "测试", "检验", "服务", "标准", "专利", "预约", "送检", "送样")


class Segmenter:
    """Chinese word segmentation with OneStop's domain words, precise mode, HMM off.

    Two interchangeable backends with the same dictionary and the same cuts: ``rjieba``
    (jieba's Rust port, about 20 times faster) when installed, else ``jieba``.  The backend's
    name is part of the index fingerprint, so an index built with one and searched with the
    other is reported as needing a rebuild rather than silently matching less.
    """

    def __init__(self, backend: str | None = None):
        backend = backend or os.environ.get("ONESTOP_SEGMENTER", "auto")
        self.name = "jieba"
        if backend in ("auto", "rjieba"):
            try:
                import rjieba  # noqa: F401

                self.name = "rjieba"
            except ImportError:
                if backend == "rjieba":
                    raise
        if self.name == "rjieba":
            import rjieba

            self._rj = rjieba.Jieba()
            self.cut = lambda text: self._rj.cut(text, hmm=False)
            self.has_word = self._rj.has_word
            suggest = self._rj.suggest_freq
            add = lambda w, f: self._rj.add_word(w, f, None)  # noqa: E731
        else:
            import jieba

            jieba.setLogLevel(logging.WARNING)
            logging.getLogger("jieba").setLevel(logging.WARNING)
            tk = jieba.Tokenizer()
            tk.initialize()
            self._tk = tk
            self.cut = lambda text: list(tk.cut(text, HMM=False))
            self.has_word = lambda w: bool(tk.FREQ.get(w))
            suggest = lambda w: tk.suggest_freq(w, False)  # noqa: E731
            add = lambda w, f: tk.add_word(w, freq=f)  # noqa: E731
        for word in _user_words():
            if self.has_word(word):
                continue
            if len(word) > 4 and all(len(p) > 1 for p in self.cut(word)):
                continue  # 扫描电子显微镜 stays 扫描 + 电子显微镜
            add(word, max(suggest(word), 50))


def get_segmenter() -> Segmenter:
    """The process's segmenter, initialised on first use (never at import time)."""
    global _jieba_tokenizer
    if _jieba_tokenizer is None:
        with _JIEBA_LOCK:
            if _jieba_tokenizer is None:
                _jieba_tokenizer = Segmenter()
    return _jieba_tokenizer


get_jieba = get_segmenter  # older name


def segmenter_name() -> str:
    return get_segmenter().name


@lru_cache(maxsize=200_000)
def _cjk_query(run: str) -> tuple[str, ...]:
    seg = get_segmenter()
    return tuple(w for w in seg.cut(run) if w.strip() and w not in CHINESE_INDEX_STOP)


@lru_cache(maxsize=200_000)
def _cjk_index(run: str) -> tuple[str, ...]:
    """Precise words plus every dictionary word (two characters or more) inside them."""
    seg = get_segmenter()
    has_word = seg.has_word
    out: list[str] = []
    for word in seg.cut(run):
        n = len(word)
        if n == 1 and word in CHINESE_INDEX_STOP:
            continue
        if n > 2:
            for size in range(2, n):
                for i in range(0, n - size + 1):
                    sub = word[i : i + size]
                    if has_word(sub):
                        out.append(sub)
        out.append(word)
    return tuple(out)


# --------------------------------------------------------------------------------------
# English and codes


@lru_cache(maxsize=100_000)
def stem(word: str) -> str:
    from whoosh.lang.porter import stem as porter

    if len(word) <= 3 or not word.isalpha():
        return word
    return porter(word)


@lru_cache(maxsize=200_000)
def _code_index(run: str) -> tuple[str, ...]:
    """Index tokens of an ASCII run: a word, or a code kept whole with prefixes and parts."""
    run = run.strip("._")
    if not run:
        return ()
    if run.isalpha():
        return () if run in ENGLISH_STOP else (stem(run),)
    out: list[str] = []
    pieces = _CONNECTOR.split(run)  # ["gb", "/", "t"]
    parts = pieces[0::2]
    # prefixes of the connector chain: 61000, 61000-4, 61000-4-2, 61000-4-2:2008
    prefix = parts[0]
    out.append(prefix)
    for i in range(1, len(parts)):
        prefix = prefix + pieces[2 * i - 1] + parts[i]
        out.append(prefix)
    if len(parts) > 1 and not all(p.isdigit() for p in parts):
        out.append("".join(parts))  # JSM-7800F also as jsm7800f, GB/T as gbt
    for part in parts:
        if len(part) < 2:
            continue  # single letters and digits are only findable within the whole code
        if part.isalpha():
            out.append(stem(part) if part not in ENGLISH_STOP else part)
            out.append(part)
            continue
        out.append(part)
        if "." in part:  # cn202310123456.7 -> cn202310123456; 228.1.2 -> 228, 228.1
            dots = part.split(".")
            out.extend(".".join(dots[:k]) for k in range(1, len(dots)))
        # letters and digit groups: cn202310123456.7 -> cn, 202310123456.7
        groups = _LETTER_DIGIT.findall(part)
        if len(groups) > 1:
            out.extend(g for g in groups if len(g) > 1)
            acc = groups[0]
            for g in groups[1:-1]:  # c57bl -> c57 (the whole part is already in)
                acc += g
                out.append(acc)
        for g in groups if len(groups) > 1 else [part]:
            if "." in g:
                out.extend(x for x in g.split(".") if len(x) > 1)
    seen: set[str] = set()
    return tuple(t for t in out if t and not (t in seen or seen.add(t)))


@lru_cache(maxsize=100_000)
def _code_query(run: str) -> tuple[str, ...]:
    run = run.strip("._")
    if not run:
        return ()
    if run.isalpha():
        return () if run in ENGLISH_STOP else (stem(run),)
    pieces = _CONNECTOR.split(run)
    parts = pieces[0::2]
    out = [run]
    if len(parts) > 1:
        for part in parts:
            if len(part) > 1 and part not in out:
                out.append(stem(part) if part.isalpha() else part)
    return tuple(dict.fromkeys(out))


# --------------------------------------------------------------------------------------
# Public tokenising functions


def index_tokens(text: str) -> list[str]:
    text = normalize(text)
    out: list[str] = []
    for m in _RUN.finditer(text):
        if m.lastgroup == "cjk":
            out.extend(_cjk_index(m.group()))
        else:
            out.extend(_code_index(m.group()))
    return out


def query_runs(text: str) -> list[tuple[str, str, tuple[str, ...]]]:
    """[(kind, surface, tokens)] for each run of an (already normalised) query chunk."""
    out = []
    for m in _RUN.finditer(text):
        if m.lastgroup == "cjk":
            toks = tuple(t for t in _cjk_query(m.group()) if t not in CHINESE_STOP)
            out.append(("cjk", m.group(), toks))
        else:
            out.append(("code", m.group(), _code_query(m.group())))
    return out


def query_tokens(text: str) -> list[str]:
    text = normalize(text)
    out: list[str] = []
    for _kind, _surface, toks in query_runs(text):
        out.extend(toks)
    return out


class BilingualTokenizer(Tokenizer):
    """Whoosh tokenizer around :func:`index_tokens` / :func:`query_tokens`.

    Whoosh passes ``mode="query"`` when it analyses query text; anything else is indexing.
    """

    def __eq__(self, other):
        return other.__class__ is self.__class__

    def __call__(self, value, positions=False, chars=False, keeporiginal=False,
                 removestops=True, start_pos=0, start_char=0, tokenize=True,
                 mode="", **kwargs) -> Iterator[Token]:
        words = query_tokens(value) if mode == "query" else index_tokens(value)
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        for pos, word in enumerate(words):
            t.text = word
            t.boost = 1.0
            t.stopped = False
            if keeporiginal:
                t.original = word
            if positions:
                t.pos = start_pos + pos
            if chars:
                t.startchar = start_char
                t.endchar = start_char
            yield t


def BilingualAnalyzer():
    return BilingualTokenizer()


SECTION = "\x1e"
BOOST_SEP = "\x1f"


def weighted_text(sections: list[tuple[float, str]]) -> str:
    """Pack (boost, text) sections into one field value for :class:`WeightedTokenizer`."""
    return SECTION.join(f"{boost}{BOOST_SEP}{text}" for boost, text in sections if text)


class WeightedTokenizer(Tokenizer):
    """Index one text field made of weighted sections (title, keywords, category, ...).

    Each token carries its section's boost; Whoosh sums the boosts of a term in a document
    into the posting's weight, which is exactly BM25F's field-weighted term frequency, with
    one posting per term and document instead of one per field.
    """

    def __eq__(self, other):
        return other.__class__ is self.__class__

    def __call__(self, value, positions=False, chars=False, keeporiginal=False,
                 removestops=True, start_pos=0, start_char=0, tokenize=True,
                 mode="", **kwargs) -> Iterator[Token]:
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        pos = start_pos
        for section in value.split(SECTION):
            boost_s, sep, text = section.partition(BOOST_SEP)
            if not sep:
                boost, text = 1.0, section
            else:
                try:
                    boost = float(boost_s)
                except ValueError:
                    boost, text = 1.0, section
            words = query_tokens(text) if mode == "query" else index_tokens(text)
            for word in words:
                t.text = word
                t.boost = boost
                t.stopped = False
                if keeporiginal:
                    t.original = word
                if positions:
                    t.pos = pos
                    pos += 1
                if chars:
                    t.startchar = start_char
                    t.endchar = start_char
                yield t


def WeightedAnalyzer():
    return WeightedTokenizer()


_ASCII_WORD = re.compile(r"[a-z]{3,}")


class SpellingTokenizer(Tokenizer):
    """Unstemmed lower-case English words, for "did you mean"."""

    def __eq__(self, other):
        return other.__class__ is self.__class__

    def __call__(self, value, positions=False, chars=False, keeporiginal=False,
                 removestops=True, start_pos=0, start_char=0, tokenize=True,
                 mode="", **kwargs) -> Iterator[Token]:
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        for pos, word in enumerate(_ASCII_WORD.findall(normalize(value))):
            if word in ENGLISH_STOP:
                continue
            t.text = word
            t.boost = 1.0
            t.stopped = False
            if positions:
                t.pos = start_pos + pos
            yield t


def SpellingAnalyzer():
    return SpellingTokenizer()
