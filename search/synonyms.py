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

from .analysis import Alternative, normalize, query_words

SYNONYM_FILE = Path(__file__).with_name("synonyms.txt")


@dataclass(frozen=True)
class Slot:
    """One word of a query: a Chinese word, an English word, a code or a standard number.

    ``alternatives`` are ways to find it: tuples of index terms that must all be present, with
    a weight (the word as typed first, weight 1; the parts of a hyphenated code lower)."""

    key: str
    alternatives: tuple[Alternative, ...]
    surface: str
    chunk: int = 0
    kind: str = "word"
    start: int = 0
    end: int = 0

    @property
    def tokens(self) -> tuple[str, ...]:
        return self.alternatives[0][0]


def slots_for(text: str, chunk: int = 0) -> list[Slot]:
    text = normalize(text)
    return [Slot(w.key, w.alternatives, w.surface, chunk, w.kind, w.start, w.end)
            for w in query_words(text)]


@dataclass
class Expansion:
    """Another member of a synonym group, as the query words it is made of."""

    keys: tuple[str, ...]
    slots: tuple[Slot, ...]
    text: str

    @property
    def tokens(self) -> tuple[str, ...]:
        return tuple(t for s in self.slots for t in s.tokens)


@dataclass
class SynonymTable:
    #: key sequence -> alternatives (other members of its groups)
    expansions: dict[tuple[str, ...], list[Expansion]] = field(default_factory=dict)
    max_len: int = 1
    groups: int = 0

    def add_group(self, terms: list[str], targets: list[str] | None = None) -> None:
        """``terms`` find each other; with ``targets``, terms find targets one way."""
        analysed = {}
        for term in terms + (targets or []):
            slots = tuple(slots_for(term))
            if slots:
                analysed[term] = Expansion(tuple(s.key for s in slots), slots, term)
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

    def match(self, keys: list[str]) -> list[tuple[int, int, list[Expansion]]]:
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
    ("送样 送检 送测 检测 检验 测试 化验 检测服务 测试服务 委托 委托检测 第三方 报告 test testing tests "
     "tested inspection assay analysis service services 服务", ("testing_service",)),
    ("预约 上机 机时 约机 约机时 设备 仪器 预订 自主上机 booking book reserve reservation "
     "instrument instruments equipment machine", ("instrument", "facility")),
    ("测 测量 测定 测一下 measure measures measured measuring measurement measurements "
     "determine determination characterize characterization", ("instrument", "testing_service")),
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

#: Words that only say what the user wants to do or ask ("where can I", "哪里可以", "找谁"):
#: left out of the concept match; they never remove a result (they are still plain words).
FILLER_WORDS = frozenset(
    "找 找到 寻找 需要 需 提供 哪家 哪里 哪儿 哪有 哪个 哪些 在哪 在哪儿 在哪里 去哪 谁 怎么 怎样 如何 "
    "什么 是否 能否 能不能 可否 可以 能 想 想要 要 请问 请 帮 帮忙 我 我们 咱们 公司 一下 推荐 附近 "
    "多少钱 价格 收费 费用 全文 标准全文 有没有 有无 吗 呢 吧 "
    "where who whom how what which can could would should may might will shall i we me us my our "
    "you your need needs needed want wants wanted looking look find finding help please any some "
    "there someone somebody anyone anybody able possible get getting have has do does did "
    "price prices cost costs 相关 有关 关于 about regarding related".split()
)
SOFT_WORDS = FILLER_WORDS  # older name

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
    words.update(w for w in FILLER_WORDS if w.isascii())
    words.update(w for w in CITIES if w.isascii())
    return frozenset(words)
