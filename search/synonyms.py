"""The synonym and abbreviation table (``synonyms.txt``), plus intent and city words.

Every term of the table is analysed like a query, giving a sequence of *keys* (one key per
Chinese word or per English word/code).  A query's own key sequence is then matched greedily,
longest first, against the table, so ``扫描电子显微镜`` (keys 扫描, 电子显微镜) and ``scanning
electron microscope`` (keys scan, electron, microscop) are each recognised as one concept.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from .analysis import normalize, query_runs

SYNONYM_FILE = Path(__file__).with_name("synonyms.txt")


@dataclass(frozen=True)
class Slot:
    """One key of a query: a Chinese word or one English word / code.

    ``tokens`` are the index terms that must all be present (a code is AND-ed with its parts).
    """

    key: str
    tokens: tuple[str, ...]
    surface: str
    chunk: int = 0


def slots_for(text: str, chunk: int = 0) -> list[Slot]:
    text = normalize(text)
    out: list[Slot] = []
    for kind, surface, toks in query_runs(text):
        if not toks:
            continue
        if kind == "cjk":
            out.extend(Slot(t, (t,), t, chunk) for t in toks)
        else:
            out.append(Slot(toks[0], toks, surface, chunk))
    return out


@dataclass
class Alternative:
    keys: tuple[str, ...]
    slots: tuple[Slot, ...]
    text: str


@dataclass
class SynonymTable:
    #: key sequence -> alternatives (other members of its groups)
    expansions: dict[tuple[str, ...], list[Alternative]] = field(default_factory=dict)
    max_len: int = 1
    groups: int = 0

    def add_group(self, terms: list[str], targets: list[str] | None = None) -> None:
        """``terms`` find each other; with ``targets``, terms find targets one way."""
        analysed = {}
        for term in terms + (targets or []):
            slots = tuple(slots_for(term))
            if slots:
                analysed[term] = Alternative(tuple(s.key for s in slots), slots, term)
        sources = terms
        dests = targets if targets is not None else terms
        for src in sources:
            if src not in analysed:
                continue
            key = analysed[src].keys
            alts = self.expansions.setdefault(key, [])
            have = {a.keys for a in alts}
            for dst in dests:
                alt = analysed.get(dst)
                if alt is None or alt.keys == key or alt.keys in have:
                    continue
                alts.append(alt)
                have.add(alt.keys)
            self.max_len = max(self.max_len, len(key))
        self.groups += 1

    def match(self, keys: list[str]) -> list[tuple[int, int, list[Alternative]]]:
        """Greedy longest-first matches: [(start, end, alternatives)]."""
        out = []
        i = 0
        n = len(keys)
        while i < n:
            for j in range(min(n, i + self.max_len), i, -1):
                alts = self.expansions.get(tuple(keys[i:j]))
                if alts:
                    out.append((i, j, alts))
                    i = j
                    break
            else:
                i += 1
        return out


def parse_line(line: str) -> tuple[list[str], list[str] | None] | None:
    line = line.split("#", 1)[0].strip() if not line.lstrip().startswith("#") else ""
    if not line:
        return None
    if ">" in line and "=" not in line:
        left, right = line.split(">", 1)
        src = [t.strip() for t in left.split(",") if t.strip()]
        dst = [t.strip() for t in right.split(",") if t.strip()]
        return (src, dst) if src and dst else None
    terms = [t.strip() for t in line.split("=") if t.strip()]
    return (terms, None) if len(terms) > 1 else None


@lru_cache(maxsize=4)
def load_synonyms(path: str | None = None) -> SynonymTable:
    table = SynonymTable()
    p = Path(path) if path else SYNONYM_FILE
    for line in p.read_text(encoding="utf-8").splitlines():
        parsed = parse_line(line)
        if parsed:
            table.add_group(*parsed)
    return table


# --------------------------------------------------------------------------------------
# Intent words: they steer the ranking towards a kind instead of having to match.

INTENT_WORDS: dict[str, tuple[str, ...]] = {}
for _words, _kinds in [
    ("送样 送检 检测 检验 测试 化验 检测服务 测试服务 委托 委托检测 第三方 报告 test testing tests "
     "tested inspection assay analysis service services 服务", ("testing_service",)),
    ("预约 上机 机时 设备 仪器 预订 自主上机 booking book reserve reservation instrument "
     "instruments equipment machine", ("instrument", "facility")),
    ("专利 专利转让 专利许可 发明专利 patent patents 转让 许可 license licensing",
     ("patent",)),
    ("标准 标准全文 国标 国家标准 行业标准 规范 手册 文献 资料 standard standards specification "
     "handbook document documents manual", ("document",)),
    ("租用 租赁 出租 rent rental lease", ("facility", "space")),
    ("种质 种子 germplasm seed seeds", ("germplasm",)),
    ("实验动物 动物 animal animals", ("lab_animal",)),
    ("工位 办公 场地 空间 space desk office", ("space",)),
]:
    for _w in _words.split():
        INTENT_WORDS[_w] = _kinds

# Intent words that only steer and should not be required as text.  (专利 or 标准 are kept as
# optional words too: they often appear in titles.)
SOFT_WORDS = frozenset(
    "送样 送检 检测服务 测试服务 委托 委托检测 预约 上机 机时 预订 自主上机 服务 "
    "booking book reserve reservation service services 租用 租赁 出租 rent rental "
    "标准全文 全文 找 需要 提供 哪家 哪里 附近 价格 收费 多少钱 费用 price".split()
)

CITIES: dict[str, str] = {}
for _zh, _en in [
    ("南京", "nanjing"), ("苏州", "suzhou"), ("无锡", "wuxi"), ("常州", "changzhou"),
    ("镇江", "zhenjiang"), ("扬州", "yangzhou"), ("泰州", "taizhou"), ("南通", "nantong"),
    ("盐城", "yancheng"), ("淮安", "huai'an"), ("宿迁", "suqian"), ("连云港", "lianyungang"),
    ("徐州", "xuzhou"), ("上海", "shanghai"), ("北京", "beijing"), ("杭州", "hangzhou"),
    ("合肥", "hefei"), ("深圳", "shenzhen"), ("广州", "guangzhou"), ("天津", "tianjin"),
    ("武汉", "wuhan"), ("成都", "chengdu"), ("西安", "xi'an"), ("宁波", "ningbo"),
    ("昆山", "kunshan"), ("江阴", "jiangyin"), ("常熟", "changshu"), ("张家港", "zhangjiagang"),
]:
    CITIES[_zh] = _zh
    CITIES[_en] = _zh
    CITIES[_en.replace("'", "")] = _zh
    CITIES[_zh + "市"] = _zh


def city_of(key: str) -> str | None:
    return CITIES.get(key)


def strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


_WORD = re.compile(r"[a-z]{3,}")


@lru_cache(maxsize=1)
def known_english_words() -> frozenset[str]:
    """English words of the synonym table: never "corrected" as typos."""
    words = set(_WORD.findall(normalize(SYNONYM_FILE.read_text(encoding="utf-8"))))
    words.update(w for w in INTENT_WORDS if w.isascii())
    words.update(w for w in SOFT_WORDS if w.isascii())
    words.update(w for w in CITIES if w.isascii())
    return frozenset(words)
