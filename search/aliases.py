"""Aliases the catalogue states itself, mined from every record at index time.

A record says what it is in several ways: a Chinese title and an English one, a model number,
a maker in two languages, keywords, an abbreviation in parentheses ("场发射扫描电子显微镜
（FE-SEM）"), a name before its maker and model ("显微红外光谱仪（Bruker HYPERION 3000）",
"Malvern Zetasizer Nano ZS型纳米粒度仪"), the standards a service follows and the number of a
standard's text.  None of this needs a hand-made table, and it is as current as the catalogue.

Each record contributes

* *keys*: strings that identify it (model and its parts, keywords, abbreviations, standard
  numbers, its own names), indexed as terms of the ``alias`` field (``n:<tokens>``), and maker
  keys (``m:<tokens>``);
* *names*: what it is called, without maker, model or noise (``红外显微镜``, ``infrared
  microscopy``), kept per record in a column, as query tokens.

At query time a run of query words that is a key ("ARM200F", "iCAP PRO", "IEC 62133-2",
"旋光仪") is looked up: the records stating that key vote for their names, and the names most
of them share become extra alternatives, weighted below the typed words.  So "ARM200F" also
finds every transmission electron microscope, whatever its model, and "Zetasizer" every
nanoparticle size analyser.  A key is only used when the words are mostly used as that key in
the catalogue ("Form" of a printer model is not the English word "form").
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .analysis import find_standards, is_cjk, normalize, query_words, std_terms

__all__ = ["DocAliases", "doc_aliases", "key_string", "alias_terms", "encode_names",
           "decode_names", "vote"]

#: separators inside the ``names`` column
NAME_SEP = "\x1e"
MAKER_SEP = "\x1d"
PAIR_SEP = "\x1f"

#: record kinds whose titles are names of a kind of thing (a patent's title is its invention,
#: a document's its own text)
NAMED_KINDS = frozenset({"instrument", "testing_service", "facility", "space", "lab_animal",
                         "germplasm"})
_BRACKETED = re.compile(r"【[^】]*】|\[[^\]]*\]|（[^）]*）|\([^)]*\)|《|》")
_NOISE = re.compile(r"#\s*\d+|\b\d+号机\b|\d+号机|no\.\s*\d+", re.I)
_EDGE = " -–—_/|:：·,，;；.。"
_PAREN = re.compile(r"([^（(。；;：:，,\n]{2,40}?)\s*[（(]([^）)\n]{1,60})[）)]")
_ABBR = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[-/][A-Za-z0-9]+)*")
_MODEL_TYPE = "型"


def key_string(text: str) -> str:
    """The analysed form of a key or name: its words' first index tokens, space-joined."""
    toks: list[str] = []
    for w in query_words(normalize(text)):
        toks.extend(w.tokens)
    return " ".join(toks)


def _strip_known(text: str, strings: Iterable[str]) -> str:
    for s in sorted({s for s in strings if s and len(s) >= 2}, key=len, reverse=True):
        text = re.sub(re.escape(s), " ", text, flags=re.I)
    return text


def clean_name(text: str, makers_models: Iterable[str]) -> str:
    """A title without brackets, maker, model and noise: "布鲁克 HYPERION 3000 micro-FTIR #4"
    -> "micro-FTIR"."""
    text = _BRACKETED.sub(" ", text or "")
    text = _NOISE.sub(" ", text)
    text = _strip_known(text, makers_models)
    text = re.sub(r"\s+", " ", text).strip(_EDGE)
    if len(text) < 2 or not re.search(r"[A-Za-z\u4e00-\u9fff]", text):
        return ""
    return text


def _is_abbreviation(s: str) -> bool:
    s = s.strip()
    return (2 <= len(s) <= 12 and _ABBR.fullmatch(s) is not None
            and sum(c.isupper() for c in s) >= 2)


def _model_keys(model: str) -> list[str]:
    """A model and its distinctive parts: "JEM-ARM200F" -> jemarm200f, arm200f;
    "iCAP PRO XP" -> "icap pro xp", "icap pro", "icap"."""
    words = query_words(normalize(model))
    out = []
    toks = [w.tokens[0] for w in words if w.tokens]
    for k in range(len(toks), 0, -1):
        out.append(" ".join(toks[:k]))
    for w in words:
        for alt, _weight in w.alternatives[1:]:
            for t in alt:
                if len(t) >= 4 and any(c.isdigit() for c in t):
                    out.append(t)
    return out


@dataclass
class DocAliases:
    """What one record states, as analysed strings (see the module's docstring)."""

    #: relation -> keys: "k" identifying keys (model, standard numbers, an abbreviation its
    #: title gives), "t" its names and keywords, "m" its maker's names, "p" members of pairs,
    #: "i" the number of the standard the record is
    keys: dict[str, list[str]] = field(default_factory=dict)
    names: list[str] = field(default_factory=list)
    makers: list[str] = field(default_factory=list)
    #: "X（ABBR）" anywhere in the text: X and ABBR name the same thing (not always the record)
    pairs: list[tuple[str, str]] = field(default_factory=list)


def doc_aliases(doc: dict) -> DocAliases:
    """The keys, names, makers and pairs a feed record states."""
    out = DocAliases()
    kind = doc.get("kind")
    attrs: dict[str, Any] = doc["attributes"] if isinstance(doc.get("attributes"), dict) else {}
    maker = str(attrs.get("manufacturer") or "").strip()
    maker_zh = str(attrs.get("manufacturer_zh") or "").strip()
    model = str(attrs.get("model") or "").strip()
    title = str(doc.get("title") or "")
    title_en = str(doc.get("title_en") or "")
    description = str(doc.get("description") or "")
    keywords = doc.get("keywords") or []
    if isinstance(keywords, str):
        keywords = [keywords]
    known = [maker, maker_zh, model]

    names: list[str] = []
    ident: list[str] = []
    pairs: list[tuple[str, str]] = []
    for text in (title, title_en, description):
        for m in _PAREN.finditer(text):
            x, y = m.group(1).strip(_EDGE), m.group(2).strip()
            x = clean_name(x, known)
            if not x:
                continue
            y_low = y.lower()
            if (model and model.lower() in y_low) or (maker and maker.lower() in y_low) or (
                    maker_zh and maker_zh in y):
                if kind in NAMED_KINDS:  # "显微红外光谱仪（Bruker HYPERION 3000）"
                    names.append(x)
            elif _is_abbreviation(y):  # "场发射扫描电子显微镜（FE-SEM）"
                pairs.append((x, y))
                if text is not description and kind in NAMED_KINDS:
                    names.extend((x, y))
                    ident.append(y)
    if kind in NAMED_KINDS:
        for t in (title, title_en):
            n = clean_name(t, known)
            if n:
                names.append(n)
        # "Malvern Zetasizer Nano ZS型纳米粒度仪"
        if model:
            i = description.lower().find(model.lower() + _MODEL_TYPE)
            if i >= 0:
                rest = description[i + len(model) + 1:]
                n = clean_name(re.split(r"[，,。；;（(]", rest, maxsplit=1)[0], known)
                if n and len(n) <= 20:
                    names.append(n)
        # "恒冷箱切片机，品牌赛默飞世尔，型号HM525 NX"
        lead = re.match(r"([^，,。（(]{2,20})[，,]\s*(?:品牌|型号)", description)
        if lead:
            n = clean_name(lead.group(1), known)
            if n:
                names.append(n)
    # standards the record follows or is: found by number, they lead to its names
    std_texts = [title, title_en, str(attrs.get("standard_no") or "")]
    std = attrs.get("standards")
    if isinstance(std, list):
        std_texts.extend(str(s) for s in std)
    elif std:
        std_texts.append(str(std))
    std_keys = []
    for t in std_texts:
        for _s, _e, cls, number in find_standards(normalize(t)):
            std_keys.extend(std_terms(cls, number))
    # a standard's own number (a document that *is* GB/T 228.1, not one that cites it)
    for _s, _e, cls, number in find_standards(normalize(str(attrs.get("standard_no") or ""))):
        out.keys.setdefault("i", []).extend(std_terms(cls, number))

    def analysed(strings: Iterable[str]) -> list[str]:
        # a key or name of one Chinese character (力 of 力可) says too little
        return list(dict.fromkeys(s for s in map(key_string, strings)
                                  if s and not (len(s) == 1 and is_cjk(s))))

    out.names = analysed(names)
    out.keys["k"] = list(dict.fromkeys(
        analysed(_model_keys(model) if model else []) + analysed(ident) + std_keys))
    out.keys["t"] = [k for k in analysed(list(names) + [str(k) for k in keywords if k])
                     if k not in out.keys["k"]]
    out.makers = analysed(s for s in (maker, maker_zh) if s)
    out.keys["m"] = list(out.makers)
    out.pairs = [(a, b) for a, b in ((key_string(x), key_string(y)) for x, y in pairs)
                 if a and b and a != b]
    out.keys["p"] = list(dict.fromkeys(t for pair in out.pairs for t in pair))
    return out


def encode_names(al: DocAliases) -> bytes:
    return MAKER_SEP.join([NAME_SEP.join(al.names), NAME_SEP.join(al.makers),
                           NAME_SEP.join(f"{a}{PAIR_SEP}{b}" for a, b in al.pairs)]).encode("utf-8")


def decode_names(raw: bytes | None) -> tuple[tuple[str, ...], tuple[str, ...],
                                              tuple[tuple[str, str], ...]]:
    if not raw:
        return (), (), ()
    parts = raw.decode("utf-8").split(MAKER_SEP)
    parts += [""] * (3 - len(parts))
    names = tuple(n for n in parts[0].split(NAME_SEP) if n)
    makers = tuple(m for m in parts[1].split(NAME_SEP) if m)
    pairs = tuple(tuple(p.split(PAIR_SEP, 1)) for p in parts[2].split(NAME_SEP) if PAIR_SEP in p)
    return names, makers, pairs  # type: ignore[return-value]


def alias_terms(al: DocAliases) -> str:
    """The value of the ``alias`` field: one term per key (see ``KeyListTokenizer``)."""
    return "\n".join(f"{rel}:{k}" for rel, keys in al.keys.items() for k in keys)


def vote(names_of: Any, docs: Iterable[int], limit: int = 2000) -> Counter:
    """How many of ``docs`` give each name."""
    c: Counter = Counter()
    for i, d in enumerate(docs):
        if i >= limit:
            break
        c.update(set(names_of(d)))
    return c
