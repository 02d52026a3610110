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
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from whoosh.analysis import Token, Tokenizer

__all__ = [
    "BilingualAnalyzer",
    "SpellingAnalyzer",
    "normalize",
    "query_tokens",
    "query_words",
    "stem",
    "find_standards",
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
CHINESE_STOP = frozenset("的 和 与 及 或 等 了 在 对 把 用 做 要 想 请 哪里 哪儿 一下 有没有 可以".split())
# Single characters that never carry meaning on their own: left out of the index (and so
# of queries too, which keeps every query token an index token).
CHINESE_INDEX_STOP = frozenset("的 了 和 与 及 或 等 于 对 本 可 个 为 在 是 将 由 其 以 并 之 而 "
                               "也 把 被 这 那 该 每 各 从 向 至 如 若 则 即 所 着 过 啊 吗 呢 吧".split())

# --------------------------------------------------------------------------------------
# jieba, lazily

#: Bump when a tokenising rule changes (stemming, codes, standards): indexes built before
#: then report ``needs_rebuild``.
ANALYZER_VERSION = 3
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
    from .synonyms import FILLER_WORDS, INTENT_WORDS  # they import this module: not at import

    # intent and filler words are cut out whole (约机时, 送样, 哪家) so the planner sees them
    words.extend(w for w in list(INTENT_WORDS) + sorted(FILLER_WORDS)
                 if 2 <= len(w) <= 4 and is_cjk(w))
    return words


def word_lists_text() -> str:
    """The word lists that shape tokenising, for the index's analyser fingerprint."""
    from .synonyms import CITIES, FILLER_WORDS, INTENT_WORDS

    return "\n".join([f"analyzer {ANALYZER_VERSION}", " ".join(sorted(INTENT_WORDS)),
                      " ".join(sorted(FILLER_WORDS)), " ".join(sorted(CITIES)),
                      " ".join(sorted(CHINESE_STOP)), " ".join(sorted(CHINESE_INDEX_STOP)),
                      " ".join(sorted(ENGLISH_STOP))])


_INTENT_SUFFIXES = ("检测", "测试", "检验", "服务", "标准", "专利", "预约", "送检", "送样")


class Segmenter:
    """Chinese word segmentation with OneStop's domain words, precise mode, HMM off.

    Two interchangeable backends with the same dictionary and the same cuts: ``rjieba``
    (jieba's Rust port, about 20 times faster) when installed, else ``jieba``.  The backend's
    name is part of the index fingerprint, so an index built with one and searched with the
    other is reported as needing a rebuild rather than silently matching less.
    """

    cut: Callable[[str], list[str]]
    has_word: Callable[[str], bool]

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
            suggest: Callable[[str], int] = self._rj.suggest_freq
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
def _cjk_query_spans(run: str) -> tuple[tuple[str, int, int], ...]:
    """(word, start, end) of the precise cut of a Chinese run, without one-character fillers."""
    seg = get_segmenter()
    out = []
    pos = 0
    for w in seg.cut(run):
        start, pos = pos, pos + len(w)
        if w.strip() and w not in CHINESE_INDEX_STOP:
            out.append((w, start, pos))
    return tuple(out)


def _cjk_query(run: str) -> tuple[str, ...]:
    return tuple(w for w, _s, _e in _cjk_query_spans(run))


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
# English words: spelling variants, stemming, light lemmatising

#: British spellings that no rule below turns into the American ones.
_AMERICAN = {
    "aluminium": "aluminum", "sulphur": "sulfur", "sulphate": "sulfate", "sulphide": "sulfide",
    "sulphuric": "sulfuric", "sulphates": "sulfates", "sulphides": "sulfides", "grey": "gray",
    "mould": "mold", "moulds": "molds", "moulding": "molding", "moulded": "molded",
    "programme": "program", "programmes": "programs", "catalogue": "catalog",
    "catalogues": "catalogs", "analogue": "analog", "ageing": "aging", "tyre": "tire",
    "tyres": "tires", "caesium": "cesium", "defence": "defense", "licence": "license",
    "licences": "licenses", "practise": "practice", "plough": "plow", "draught": "draft",
    "aeroplane": "airplane", "aluminiums": "aluminums", "vapour": "vapor", "manoeuvre": "maneuver",
    "foetal": "fetal", "foetus": "fetus", "oedema": "edema", "oestrogen": "estrogen",
    "anaesthesia": "anesthesia", "anaemia": "anemia", "haemoglobin": "hemoglobin",
    "haematology": "hematology", "leukaemia": "leukemia", "paediatric": "pediatric",
    "orthopaedic": "orthopedic", "oesophagus": "esophagus", "faeces": "feces", "fibres": "fibers",
}
#: Words ending in -our, -ise, -tre or -bre that are spelt so in American English too.
_NOT_BRITISH = frozenset(
    "hour hours four pour your yours tour tours sour flour scour devour detour contour contours "
    "dour amour troubadour paramour glamour ours "
    "precise concise expertise exercise exercised exercises otherwise surprise surprised comprise "
    "comprises comprised compromise enterprise enterprises franchise merchandise premise premises "
    "promise promised advise advised adviser advisers supervise supervised supervisor televise "
    "devise devised revise revised revises improvise circumcise treatise excise incise disguise "
    "despise chastise bruise cruise noise noises poise turquoise porpoise tortoise arise arises "
    "reprise paradise mortise valise chemise raise raised raises praise rise rises risen wise "
    "demise apprise guise anise advertise advertised advertising advertiser expertises "
    "acre genre massacre mediocre ogre lucre sabre".split())
_OUR = re.compile(r"^([a-z]{2,})our(s|ed|ing|ful|less|ite|ites|able)?$")
_ISE = re.compile(r"^([a-z]{3,})is(e|es|ed|ing|er|ers|ation|ations)$")
_TRE = re.compile(r"^([a-z]{2,}[tb])re(s)?$")


def american(word: str) -> str:
    """The American spelling of a British one (colour -> color, analyse -> analyze,
    characterisation -> characterization, centre -> center, fibre -> fiber)."""
    if word in _AMERICAN:
        return _AMERICAN[word]
    if word in _NOT_BRITISH or word.endswith("wise"):
        return word
    m = _OUR.match(word)
    if m:
        return f"{m.group(1)}or{m.group(2) or ''}"
    if "ys" in word:
        word = re.sub(r"ys(e|es|ed|ing|er|ers)$", r"yz\1", word)
    m = _ISE.match(word)
    if m:
        return f"{m.group(1)}iz{m.group(2)}"
    m = _TRE.match(word)
    if m:
        return f"{m.group(1)}er{m.group(2) or ''}"
    return word


@lru_cache(maxsize=100_000)
def stem(word: str) -> str:
    """One index term for the forms of an English word: American spelling, the Porter stem,
    then a light lemmatiser that joins what Porter leaves apart (microscopy / microscope,
    lithography / lithographic, spectrometry / spectrometer, analysis / analyzer)."""
    from whoosh.lang.porter import stem as porter

    if len(word) <= 3 or not word.isalpha():
        return word
    if word.endswith(("ness", "nesses")) and len(word) > 7:
        # a property is not its adjective: fastness, hardness, roughness stay themselves
        # (Porter makes "colour fastness" find "7500 Fast")
        return american(word.removesuffix("es") if word.endswith("nesses") else word)
    s = porter(american(word))
    s = s.replace("yz", "ys")
    if s.endswith(_SCIENCE_Y):
        s = s[:-1]  # microscopi -> microscop, lithographi -> lithograph
    if len(s) >= 7 and s.endswith("metr"):
        s = s[:-1]  # spectrometr -> spectromet (spectrometer)
    return s


#: Porter stems of -graphy, -scopy, -metry, -logy nouns, which Porter keeps apart from their
#: -graphic, -scopic, -metric, -logic(al) adjectives and -graph, -scope, -meter nouns.
_SCIENCE_Y = ("graphi", "scopi", "metri", "logi", "nomi")


# --------------------------------------------------------------------------------------
# Standard numbers: GB/T 2423.3-2016, GB/T2423.3, GBT 2423.3, gb/t 2423.3, IEC 61000-4-2:2008,
# ASTM B117, UN38.3, 国标2763 are one family of index terms each, whatever the spelling.

STD_PREFIX = "\u00a7"  # "§": no typed word can produce it
_STD_ORGS = (
    "gb/t gb/z gbt gbz gb jjf jjg jgj jg/t hj/t hj yy/t yy ny/t sn/t qc/t jb/t hg/t sj/t yd/t "
    "dl/t gy/t ly/t nb/t sh/t js/t db/t iso/iec/ieee iso/iec iso/ts iso/tr iso iec astm en din "
    "jis bs ul cispr ipc j-std sae ieee ansi aatcc ista un mil-std fcc etsi itu-t oeko-tex"
).split()
_STD_ORG_RE = "|".join(re.escape(o) for o in sorted(_STD_ORGS, key=len, reverse=True))
_STD_NUMBER = (r"(?P<let>[a-z](?=-?\d))?-?(?P<num>\d+(?:\.\d+)*(?:-\d+)*)"
               r"(?:[a-z](?![0-9a-z]))?"  # a revision letter: IPC-A-610H
               r"(?:[:](?P<year>(?:19|20)\d\d))?")
_STD = re.compile(
    rf"(?<![a-z0-9])(?P<org>{_STD_ORG_RE}|国标|国家标准|行标|行业标准|标准号)[ \t]*-?[ \t]*{_STD_NUMBER}"
    r"(?![0-9a-z])")
# "IEC 61000-4-4 / 61000-4-5", "GB/T 17626.2、17626.3": numbers after a standard share its org
_STD_MORE = re.compile(r"[ \t]*(?:/|,|、|，|和|及|&|or|and)[ \t]*(?P<num>\d+(?:\.\d+)*(?:-\d+)+|\d+\.\d+(?:\.\d+)*)"
                       r"(?:[:](?:19|20)\d\d)?(?![0-9a-z])")


_STD_CLASS = {"gb/t": "gb", "gb/z": "gb", "gbt": "gb", "gbz": "gb", "国标": "gb", "国家标准": "gb",
              "iso/iec": "iso", "iso/ts": "iso", "iso/tr": "iso", "iso/iec/ieee": "iso",
              "行标": "", "行业标准": "", "标准号": ""}


def _std_class(org: str) -> str:
    """GB/T, GBT, GB and 国标 are one class; ISO/IEC is ISO; JG/T is JG."""
    if org in _STD_CLASS:
        return _STD_CLASS[org]
    return org[:-2] if org.endswith("/t") else org


def _std_number(let: str | None, num: str, cls: str = "") -> str:
    """The number without its year: 228.1-2021 -> 228.1, 50016-2014 -> 50016, ASTM B117-19 ->
    b117; 61000-4-2 stays."""
    parts = num.split("-")
    if len(parts) > 1 and len(parts[-1]) == 4 and 1950 <= int(parts[-1]) <= 2039:
        parts = parts[:-1]
    elif len(parts) > 1 and len(parts[-1]) == 2 and cls == "astm":
        parts = parts[:-1]
    return (let or "") + "-".join(parts)


def std_terms(cls: str, number: str) -> list[str]:
    """The standard as one index term with its class (§gb:2423.3) and one without (§2423.3)."""
    return ([f"{STD_PREFIX}{cls}:{number}"] if cls else []) + [STD_PREFIX + number]


def std_family(cls: str, number: str) -> list[str]:
    """Index terms of a standard number: itself and its parents (61000-4-2 -> 61000-4, 61000;
    2423.3 -> 2423), each with and without its class, so a series number finds its parts."""
    numbers = [number]
    dash = number.split("-")
    for k in range(len(dash) - 1, 0, -1):
        numbers.append("-".join(dash[:k]))
    dots = dash[0].split(".")
    for k in range(len(dots) - 1, 0, -1):
        numbers.append(".".join(dots[:k]))
    return list(dict.fromkeys(t for n in numbers for t in std_terms(cls, n)))


def find_standards(text: str) -> list[tuple[int, int, str, str]]:
    """[(start, end, class, number)] of the standard numbers in normalised text."""
    out = []
    for m in _STD.finditer(text):
        cls = _std_class(m.group("org"))
        out.append((m.start(), m.end(), cls, _std_number(m.group("let"), m.group("num"), cls)))
        pos = m.end()
        while True:
            more = _STD_MORE.match(text, pos)
            if not more:
                break
            out.append((more.start("num"), more.end(), cls, _std_number(None, more.group("num"))))
            pos = more.end()
    return out


# --------------------------------------------------------------------------------------
# Codes: model numbers, patent numbers, hyphenated and slashed words


def _joined(parts: list[str]) -> str:
    """LC-MS/MS -> lcmsms, e-beam -> ebeam, T-shirts -> tshirt: the word written without its
    hyphens and slashes, stemmed as that word would be (GC-MS is found by GCMS)."""
    joined = "".join(parts)
    return stem(joined) if joined.isalpha() else joined


def _all_digits(parts: list[str]) -> bool:
    return all(p.replace(".", "").isdigit() for p in parts)


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
        if not _all_digits(parts[: i + 1]):
            out.append(_joined(parts[: i + 1]))  # JSM-7800F also as jsm7800f, LC-MS as lcms
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
    return tuple(dict.fromkeys(t for t in out if t))


#: The same number under another organisation (EN 61000-4-2 for IEC 61000-4-2).
STD_OTHER_CLASS_WEIGHT = 0.8
#: A standard's number as plain codes (ipca610, gbt + 228.1), when nothing cites it as such.
STD_AS_TYPED_WEIGHT = 0.7
#: A query alternative: index tokens that must all be present, and its weight.
Alternative = tuple[tuple[str, ...], float]
#: The parts of a hyphenated or slashed word weigh a little less than the word itself.
PARTS_WEIGHT = 0.8


@lru_cache(maxsize=100_000)
def _code_query(run: str) -> tuple[Alternative, ...]:
    """Query alternatives of an ASCII run: the whole (joined) code, then its parts.

    ``e-beam``, ``ebeam`` -> ebeam (the index holds the joined form of every hyphenated word),
    then beam; ``LC-MS/MS`` -> lcmsms, then lc AND ms; ``61000-4-2`` stays whole."""
    run = run.strip("._")
    if not run:
        return ()
    if run.isalpha():
        return () if run in ENGLISH_STOP else (((stem(run),), 1.0),)
    pieces = _CONNECTOR.split(run)
    parts = pieces[0::2]
    if len(parts) == 1:
        return (((run,), 1.0),)
    if _all_digits(parts):
        return (((run,), 1.0),)
    whole = _joined(parts)
    alts: list[Alternative] = [((whole,), 1.0)]
    sub = tuple(dict.fromkeys(stem(p) if p.isalpha() else p for p in parts
                              if len(p) > 1 and p not in ENGLISH_STOP))
    if sub and sub != (whole,):
        alts.append((sub, PARTS_WEIGHT))
    return tuple(alts)


# --------------------------------------------------------------------------------------
# Public tokenising functions


def index_tokens(text: str) -> list[str]:
    text = normalize(text)
    out: list[str] = []
    for _start, _end, cls, number in find_standards(text):
        out.extend(std_family(cls, number))
    for m in _RUN.finditer(text):
        if m.lastgroup == "cjk":
            out.extend(_cjk_index(m.group()))
        else:
            out.extend(_code_index(m.group()))
    return out


@dataclass(frozen=True)
class QueryWord:
    """One word of a query: a Chinese word, an English word, a code or a standard number.

    ``alternatives``: ways to find it in the index, the first (weight 1) being the word as
    typed; each is a tuple of index tokens that must all be present.  ``start`` and ``end``:
    where it is in the text given to :func:`query_words`."""

    kind: str  # "cjk", "word", "code" or "std"
    surface: str
    alternatives: tuple[Alternative, ...]
    start: int = 0
    end: int = 0

    @property
    def key(self) -> str:
        return self.alternatives[0][0][0]

    @property
    def tokens(self) -> tuple[str, ...]:
        return self.alternatives[0][0]


def query_words(text: str) -> list[QueryWord]:
    """The words of an (already normalised) query, in order."""
    out: list[QueryWord] = []
    rest = text
    for start, end, cls, number in find_standards(text):
        terms = std_terms(cls, number)
        alts: list[Alternative] = [((t,), 1.0 if i == 0 else STD_OTHER_CLASS_WEIGHT)
                                   for i, t in enumerate(terms)]
        # the characters as typed, in case the catalogue writes the number in a way not
        # recognised as a standard
        raw: list[str] = []
        for m in _RUN.finditer(text[start:end]):
            if m.lastgroup != "cjk":
                code = _code_query(m.group())
                if code:
                    raw.extend(code[0][0])
        if raw:
            alts.append((tuple(dict.fromkeys(raw)), STD_AS_TYPED_WEIGHT))
        while end > start and text[end - 1].isspace():
            end -= 1
        out.append(QueryWord("std", text[start:end], tuple(alts), start, end))
        rest = rest[:start] + " " * (end - start) + rest[end:]
    for m in _RUN.finditer(rest):
        if m.lastgroup == "cjk":
            for w, s, e in _cjk_query_spans(m.group()):
                if w not in CHINESE_STOP:
                    out.append(QueryWord("cjk", w, (((w,), 1.0),), m.start() + s, m.start() + e))
        else:
            code_alts = _code_query(m.group())
            if code_alts:
                kind = "word" if m.group().isalpha() else "code"
                out.append(QueryWord(kind, m.group(), code_alts, m.start(), m.end()))
    out.sort(key=lambda w: w.start)
    return out


def query_tokens(text: str) -> list[str]:
    """The index tokens of a query as typed (first alternative of every word)."""
    out: list[str] = []
    for w in query_words(normalize(text)):
        out.extend(w.tokens)
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


class _TermListTokenizer(Tokenizer):
    """One token per term that `terms(value)` yields, boost 1, positions counted from `start_pos`."""

    def __eq__(self, other):
        return other.__class__ is self.__class__

    def terms(self, value: str) -> Iterator[str]:
        raise NotImplementedError

    def __call__(self, value, positions=False, chars=False, keeporiginal=False,
                 removestops=True, start_pos=0, start_char=0, tokenize=True,
                 mode="", **kwargs) -> Iterator[Token]:
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        for pos, term in enumerate(self.terms(value)):
            if not term:
                continue
            t.text = term
            t.boost = 1.0
            t.stopped = False
            if positions:
                t.pos = start_pos + pos
            yield t


class SpellingTokenizer(_TermListTokenizer):
    """Unstemmed lower-case English words, for "did you mean"."""

    def terms(self, value: str) -> Iterator[str]:
        for word in _ASCII_WORD.findall(normalize(value)):
            yield "" if word in ENGLISH_STOP else word  # a stop word keeps its position


def SpellingAnalyzer():
    return SpellingTokenizer()


class KeyListTokenizer(_TermListTokenizer):
    """One token per line of the value, kept as it is (the ``alias`` field's keys)."""

    def terms(self, value: str) -> Iterator[str]:
        return iter(value.split("\n"))


def KeyListAnalyzer():
    return KeyListTokenizer()
