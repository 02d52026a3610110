"""Build time, size, memory and query latency of OneStop search on the 100k corpus.

    nice .venv/bin/python bench/search_latency.py [--data DIR] [--corpus 100k] [--index DIR]
                                                  [--reuse] [--queries 200] [--tokenizers]

* build: ``search.rebuild`` (multiprocess writer) from the gzipped feed; docs/s; index size
* queries: 200 mixed queries (one to three words, Chinese and English, half with a filter),
  10 hits with facets each, timed in-process: p50, p95, max (after one warm-up pass over a
  different query set, so first-touch caches of the common words are not counted twice)
* memory: peak RSS of this process and of its children (the writer processes)
* --tokenizers: jieba vs rjieba (speed on the corpus text, agreement of the segmentations)
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"

WORDS_ZH = ["扫描电镜", "透射电镜", "原子力显微镜", "拉曼光谱", "红外光谱仪", "核磁共振", "液相色谱",
            "气相色谱", "质谱", "X射线衍射", "比表面积", "热重分析", "差示扫描量热", "流变仪", "粒度仪",
            "万能试验机", "硬度计", "疲劳试验", "盐雾试验", "高低温试验箱", "振动台", "示波器",
            "频谱分析仪", "网络分析仪", "电化学工作站", "流式细胞仪", "共聚焦显微镜", "PCR仪", "测序",
            "酶标仪", "3D打印", "激光切割", "数控机床", "光刻机", "磁控溅射", "镀膜", "超净间",
            "电磁兼容", "静电放电", "金相分析", "成分分析", "重金属检测", "农残检测", "水质检测",
            "石墨烯", "锂电池", "钙钛矿", "固态电解质", "氮化镓", "深度学习", "区块链", "传感器",
            "国家标准", "机械设计手册", "实验动物", "小鼠", "水稻种质", "共享工位", "会议室", "孵化器"]
WORDS_EN = ["SEM", "TEM", "AFM", "XRD", "XPS", "FTIR", "NMR", "HPLC", "GC-MS", "ICP-MS", "BET",
            "DSC", "TGA", "rheometer", "microscope", "spectrometer", "tensile test", "salt spray",
            "oscilloscope", "network analyzer", "flow cytometer", "qPCR", "sequencing",
            "3D printer", "laser cutting", "cleanroom", "EMC", "ESD", "RoHS", "drinking water",
            "graphene", "lithium battery", "perovskite", "patent", "standard", "ISO 9001",
            "GB/T 2423", "IEC 61000", "mouse", "rice", "coworking", "meeting room", "Bruker",
            "Thermo Fisher", "ZEISS", "Hitachi", "JEOL", "Agilent", "Shimadzu", "Keysight"]
EXTRA = ["检测", "预约", "送样", "服务", "价格", "南京", "苏州", "无锡", "Nanjing", "test", "service"]
KINDS = ["instrument", "testing_service", "patent", "document"]
CITIES = ["南京", "苏州", "无锡", "常州", "南通", "扬州", "徐州", "镇江"]


def make_queries(n: int, seed: int) -> list[tuple[str, dict]]:
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        pool = WORDS_ZH if i % 2 == 0 else WORDS_EN
        k = rnd.choice([1, 1, 2, 2, 3])
        words = [rnd.choice(pool)]
        for _ in range(k - 1):
            words.append(rnd.choice(pool + EXTRA + WORDS_ZH + WORDS_EN))
        filters: dict = {}
        if i % 4 == 1:
            filters["kind"] = rnd.choice(KINDS)
        elif i % 4 == 3:
            filters["city"] = rnd.choice(CITIES)
        out.append((" ".join(words), filters))
    return out


def read_docs(path: Path):
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for i, line in enumerate(f, 1):
            d = json.loads(line)
            d["id"] = i
            yield d


def folder_size(path: Path) -> int:
    """The size of the generation in use (the index folder also keeps the previous one)."""
    real = Path(os.path.realpath(path / "current" if (path / "current").exists() else path))
    return sum(p.stat().st_size for p in real.rglob("*") if p.is_file())


def maxrss_mb() -> tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, kids


def cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    k = max(0, min(len(xs) - 1, int(round(p / 100 * len(xs) + 0.5)) - 1))
    return xs[k]


def bench_tokenizers(corpus: Path, limit: int) -> None:
    """jieba vs rjieba on the corpus text: speed and agreement of the cuts."""
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    texts = []
    for i, d in enumerate(read_docs(corpus)):
        if i >= limit:
            break
        texts.append(" ".join(x for x in (d.get("title"), d.get("description")) if x))
    chars = sum(len(t) for t in texts)
    tk = jieba.Tokenizer()
    tk.initialize()
    rows = []
    t = time.perf_counter()
    j_precise = [list(tk.cut(x, HMM=False)) for x in texts]
    rows.append(("jieba cut (HMM off)", time.perf_counter() - t))
    t = time.perf_counter()
    j_search = [list(tk.cut_for_search(x, HMM=False)) for x in texts]
    rows.append(("jieba cut_for_search", time.perf_counter() - t))
    try:
        import rjieba
    except ImportError:
        print("rjieba not installed: pip install rjieba to compare")
        rjieba = None
    agree = None
    if rjieba is not None:
        t = time.perf_counter()
        r_precise = [rjieba.cut(x, hmm=False) if _accepts_hmm(rjieba) else rjieba.cut(x)
                     for x in texts]
        rows.append(("rjieba cut", time.perf_counter() - t))
        t = time.perf_counter()
        r_search = [rjieba.cut_for_search(x, hmm=False) if _accepts_hmm(rjieba)
                    else rjieba.cut_for_search(x) for x in texts]
        rows.append(("rjieba cut_for_search", time.perf_counter() - t))
        same = sum(1 for a, b in zip(j_precise, r_precise) if a == b)
        same_s = sum(1 for a, b in zip(j_search, r_search) if sorted(a) == sorted(b))
        agree = (same / len(texts), same_s / len(texts))
    print(f"\nTokenizers on {len(texts)} titles+descriptions ({chars / 1e6:.1f} M characters)")
    print(f"{'tokenizer':24} {'seconds':>8} {'M chars/s':>10}")
    for name, sec in rows:
        print(f"{name:24} {sec:8.2f} {chars / sec / 1e6:10.2f}")
    if agree:
        print(f"identical segmentation, precise: {agree[0]:.1%}; search mode (as sets): "
              f"{agree[1]:.1%}")
        domain = ["中性盐雾试验", "流式细胞仪", "三坐标测量机", "金相组织检验", "农残检测",
                  "场发射扫描电镜", "激光共聚焦显微镜", "恒温恒湿箱", "电源纹波测量", "扫描电子显微镜"]
        sys.path.insert(0, str(ROOT))
        from search.analysis import Segmenter

        ours_j, ours_r = Segmenter("jieba"), Segmenter("rjieba")
        print("\ndomain words: rjieba (own dictionary) | jieba + OneStop words | rjieba + OneStop words")
        for w in domain:
            r = rjieba.cut(w, hmm=False) if _accepts_hmm(rjieba) else rjieba.cut(w)
            print(f"  {w:10} {'/'.join(r):24} | {'/'.join(ours_j.cut(w)):20} | "
                  f"{'/'.join(ours_r.cut(w))}")
        t = time.perf_counter()
        cj = [ours_j.cut(x) for x in texts]
        tj = time.perf_counter() - t
        t = time.perf_counter()
        cr = [ours_r.cut(x) for x in texts]
        tr = time.perf_counter() - t
        same = sum(1 for a, b in zip(cj, cr) if list(a) == list(b)) / len(texts)
        print(f"with OneStop's words: jieba {tj:.2f}s, rjieba {tr:.2f}s; identical cuts on "
              f"{same:.1%} of the texts")


def _accepts_hmm(mod) -> bool:
    try:
        mod.cut("测试", hmm=False)
        return True
    except TypeError:
        return False


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--corpus", default="100k")
    ap.add_argument("--index", type=Path, default=None)
    ap.add_argument("--reuse", action="store_true")
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--procs", type=int, default=None)
    ap.add_argument("--tokenizers", action="store_true", help="also compare jieba and rjieba")
    ap.add_argument("--tokenizer-docs", type=int, default=20000)
    args = ap.parse_args(argv)

    from search import open_index, rebuild

    corpus = args.data / "corpus" / f"corpus-{args.corpus}.jsonl.gz"
    tmp = None
    folder = args.index
    if folder is None:
        tmp = folder = Path(tempfile.mkdtemp(prefix="onestop-latency-"))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "index"
    try:
        build_s = None
        count = None
        if not (args.reuse and path.exists()):
            total = sum(1 for _ in gzip.open(corpus, "rt", encoding="utf-8"))
            t = time.perf_counter()
            c0 = cpu_seconds()
            count = rebuild(path, read_docs(corpus), total=total, procs=args.procs)
            build_s = time.perf_counter() - t
            build_cpu = cpu_seconds() - c0
        t = time.perf_counter()
        ix = open_index(path)
        n = ix.doc_count()
        open_s = time.perf_counter() - t

        warm = make_queries(args.queries, seed=7)
        queries = make_queries(args.queries, seed=42)
        t = time.perf_counter()
        ix.search("")  # first search builds the per-segment columns
        first_s = time.perf_counter() - t
        for q, f in warm:
            ix.search(q, per_page=10, **f)
        times = []
        cpu_times = []
        totals = []
        for q, f in queries:
            t = time.perf_counter()
            c = time.thread_time()
            r = ix.search(q, per_page=10, **f)
            cpu_times.append((time.thread_time() - c) * 1000)
            times.append((time.perf_counter() - t) * 1000)
            totals.append(r.total)
            assert r.facets is not None
        cold = []
        for q, f in make_queries(60, seed=99):  # words not seen before in this process
            q2 = q + " " + random.Random(len(cold)).choice(["钛合金", "Bruker", "测试"])
            c = time.thread_time()
            ix.search(q2, **f)
            cold.append((time.thread_time() - c) * 1000)
        own, kids = maxrss_mb()

        print(f"\nOneStop search on corpus-{args.corpus} ({n} docs)")
        print(f"{'measure':34} {'value':>12}")
        print(f"(load average now {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores: "
              f"CPU times are the figures that do not depend on other work)")
        if build_s is not None:
            print(f"{'build (rebuild, wall s)':34} {build_s:12.1f}")
            print(f"{'build rate (docs/s, wall)':34} {count / build_s:12.0f}")
            print(f"{'build CPU, all processes (s)':34} {build_cpu:12.1f}")
            print(f"{'build wall on idle cores (est., s)':34} "
                  f"{build_cpu / min(2, os.cpu_count() or 1):12.1f}")
        print(f"{'index size (MB)':34} {folder_size(path) / 1e6:12.1f}")
        print(f"{'open + first search (s)':34} {open_s + first_s:12.2f}")
        print(f"{'queries timed':34} {len(times):12d}")
        print(f"{'p50 latency (ms)':34} {statistics.median(times):12.1f}")
        print(f"{'p95 latency (ms)':34} {pct(times, 95):12.1f}")
        print(f"{'max latency (ms)':34} {max(times):12.1f}")
        print(f"{'p50 CPU per query (ms)':34} {statistics.median(cpu_times):12.1f}")
        print(f"{'p95 CPU per query (ms)':34} {pct(cpu_times, 95):12.1f}")
        print(f"{'p95 CPU, queries with new words':34} {pct(cold, 95):12.1f}")
        print(f"{'median hits per query':34} {statistics.median(totals):12.0f}")
        print(f"{'peak RSS this process (MB)':34} {own:12.0f}")
        print(f"{'peak RSS largest child (MB)':34} {kids:12.0f}")
        slow = sorted(zip(times, queries), reverse=True)[:5]
        print("slowest:", "; ".join(f"{q!r} {f} {ms:.0f}ms" for ms, (q, f) in slow))
        ix.close()
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    if args.tokenizers:
        bench_tokenizers(corpus, args.tokenizer_docs)


if __name__ == "__main__":
    main()
