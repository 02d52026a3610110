"""Relevance of OneStop search against two baselines on the dev queries.

    .venv/bin/python bench/search_relevance.py [--data DIR] [--corpus 20k] [--only onestop]
                                              [--index DIR] [--reuse] [--details]

Engines, all built in this run on the same corpus (ids 1..N by line order; labels are never
indexed):

* onestop  - the ``search`` package (bilingual analyser, synonyms, intent words, typos)
* fts5     - SQLite FTS5 with the trigram tokenizer (stdlib sqlite3), bm25 ranking
* whoosh   - plain Whoosh with ``jieba.analyse.ChineseAnalyzer``, OR-grouped query parser

Metrics (data/README.md): recall@10 (capped), MRR@10, nDCG@10 (binary gains), macro-averaged,
with a breakdown by ``note`` and ``lang``; recall@100 as a coverage check.
"""

from __future__ import annotations

import argparse
import gzip
import json
import logging
import math
import shutil
import sqlite3
import sys
import tempfile
import time
import warnings
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def read_jsonl(path: Path):
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield json.loads(line)


def load_corpus(data: Path, size: str):
    docs = []
    for i, d in enumerate(read_jsonl(data / "corpus" / f"corpus-{size}.jsonl.gz"), 1):
        d["id"] = i
        docs.append(d)
    labels = list(read_jsonl(data / "corpus" / f"labels-{size}.jsonl.gz"))
    rel: dict[tuple, set] = defaultdict(set)
    for lab in labels:
        rel[(lab["kind"], lab["type_id"])].add((lab["platform"], lab["external_id"]))
    return docs, rel


def score(R: set, ranked: list[tuple]) -> dict[str, float]:
    hits = [1 if r in R else 0 for r in ranked[:10]]
    k = min(10, len(R))
    rec = sum(hits) / k
    mrr = next((1 / (i + 1) for i, h in enumerate(hits) if h), 0.0)
    ndcg = (sum(h / math.log2(i + 2) for i, h in enumerate(hits))
            / sum(1 / math.log2(i + 2) for i in range(k)))
    r100 = sum(1 for r in ranked[:100] if r in R) / len(R)
    return {"ndcg": ndcg, "recall": rec, "mrr": mrr, "r100": r100}


# ----------------------------------------------------------------------------- engines


class OneStopEngine:
    name = "onestop"

    def __init__(self, docs, folder: Path, reuse: bool = False):
        from search import open_index, rebuild

        path = folder / "index"
        t = time.perf_counter()
        if not (reuse and path.exists()):
            rebuild(path, docs, total=len(docs))
        self.build_s = time.perf_counter() - t
        self.ix = open_index(path)
        self.by_id = {d["id"]: (d["platform"], d["external_id"]) for d in docs}

    def search(self, q: str, k: int) -> list[tuple]:
        res = self.ix.search(q, per_page=k)
        return [(h["platform"], h["external_id"]) for h in res.hits]


class Fts5Engine:
    name = "fts5"

    def __init__(self, docs, folder: Path):
        t = time.perf_counter()
        self.db = sqlite3.connect(str(folder / "fts5.db"))
        self.db.execute("CREATE VIRTUAL TABLE r USING fts5(platform UNINDEXED, external_id "
                        "UNINDEXED, title, title_en, keywords, category, description, "
                        "tokenize='trigram')")
        self.db.executemany(
            "INSERT INTO r VALUES (?,?,?,?,?,?,?)",
            ((d["platform"], d["external_id"], d.get("title") or "", d.get("title_en") or "",
              " ".join(d.get("keywords") or []), d.get("category") or "",
              d.get("description") or "") for d in docs))
        self.db.commit()
        self.build_s = time.perf_counter() - t

    def search(self, q: str, k: int) -> list[tuple]:
        terms = [t for t in q.split() if len(t) >= 3]
        if not terms:
            like = [t for t in q.split() if t]
            if not like:
                return []
            sql = ("SELECT platform, external_id FROM r WHERE " +
                   " OR ".join("title LIKE ? OR description LIKE ?" for _ in like) +
                   " LIMIT ?")
            args = [a for t in like for a in (f"%{t}%", f"%{t}%")] + [k]
            return list(self.db.execute(sql, args))
        match = " OR ".join('"' + t.replace('"', '""') + '"' for t in terms)
        try:
            return list(self.db.execute(
                "SELECT platform, external_id FROM r WHERE r MATCH ? "
                "ORDER BY bm25(r, 0, 0, 5, 5, 3, 2, 1) LIMIT ?", (match, k)))
        except sqlite3.OperationalError:
            return []


class NaiveWhooshEngine:
    name = "whoosh"

    def __init__(self, docs, folder: Path):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import jieba
            jieba.setLogLevel(logging.WARNING)
            from jieba.analyse import ChineseAnalyzer
        from whoosh import index, qparser
        from whoosh.fields import ID, TEXT, Schema

        t = time.perf_counter()
        ana = ChineseAnalyzer()
        schema = Schema(pe=ID(stored=True), title=TEXT(analyzer=ana, field_boost=3.0),
                        content=TEXT(analyzer=ana))
        (folder / "naive").mkdir()
        ix = index.create_in(str(folder / "naive"), schema)
        w = ix.writer(limitmb=256)
        for d in docs:
            w.add_document(
                pe=f"{d['platform']}\x1f{d['external_id']}",
                title=f"{d.get('title') or ''} {d.get('title_en') or ''}",
                content=" ".join([" ".join(d.get("keywords") or []), d.get("category") or "",
                                  d.get("description") or ""]))
        w.commit()
        self.build_s = time.perf_counter() - t
        self.ix = ix
        self.parser = qparser.MultifieldParser(["title", "content"], schema,
                                               group=qparser.OrGroup)
        self.searcher = ix.searcher()

    def search(self, q: str, k: int) -> list[tuple]:
        try:
            query = self.parser.parse(q)
        except Exception:
            return []
        res = self.searcher.search(query, limit=k)
        return [tuple(h["pe"].split("\x1f", 1)) for h in res]


# ----------------------------------------------------------------------------- report


def evaluate(engine, queries, rel, details=False):
    per_q = []
    for q in queries:
        R = rel[(q["relevant"]["kind"], q["relevant"]["type_id"])]
        ranked = engine.search(q["q"], 100)
        s = score(R, ranked)
        per_q.append((q, s))
        if details:
            print(f"  {engine.name:8} {q['id']} {s['ndcg']:.2f} {s['recall']:.2f} "
                  f"r100={s['r100']:.2f}  {q['note']:10} {q['q']}")
    return per_q


def mean(xs):
    xs = list(xs)
    return sum(xs) / len(xs) if xs else 0.0


def print_tables(results: dict[str, list]):
    names = list(results)
    print()
    print(f"{'engine':10} {'nDCG@10':>8} {'recall@10':>10} {'MRR@10':>8} {'recall@100':>11}")
    for name in names:
        r = results[name]
        print(f"{name:10} {mean(s['ndcg'] for _, s in r):8.3f} "
              f"{mean(s['recall'] for _, s in r):10.3f} {mean(s['mrr'] for _, s in r):8.3f} "
              f"{mean(s['r100'] for _, s in r):11.3f}")
    for key in ("note", "lang"):
        print()
        groups = sorted({q[key] for q, _ in results[names[0]]})
        print(f"nDCG@10 by {key:6} " + " ".join(f"{g:>10}" for g in groups))
        for name in names:
            r = results[name]
            row = []
            for g in groups:
                row.append(mean(s["ndcg"] for q, s in r if q[key] == g))
            print(f"{name:17} " + " ".join(f"{v:10.3f}" for v in row))
        print(f"{'(queries)':17} " + " ".join(
            f"{sum(1 for q, _ in results[names[0]] if q[key] == g):10d}" for g in groups))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--corpus", default="20k")
    ap.add_argument("--queries", type=Path, default=None,
                    help="queries file (default: DATA/relevance/dev.jsonl)")
    ap.add_argument("--only", action="append", choices=["onestop", "fts5", "whoosh"])
    ap.add_argument("--index", type=Path, default=None, help="folder for the built indexes")
    ap.add_argument("--reuse", action="store_true", help="reuse an existing OneStop index")
    ap.add_argument("--details", action="store_true", help="print every query's scores")
    args = ap.parse_args(argv)

    qpath = args.queries or args.data / "relevance" / "dev.jsonl"
    queries = list(read_jsonl(qpath))
    t = time.perf_counter()
    docs, rel = load_corpus(args.data, args.corpus)
    print(f"corpus-{args.corpus}: {len(docs)} docs, {len(queries)} queries "
          f"(loaded in {time.perf_counter() - t:.1f}s)")

    tmp = None
    folder = args.index
    if folder is None:
        tmp = folder = Path(tempfile.mkdtemp(prefix="onestop-relevance-"))
    folder.mkdir(parents=True, exist_ok=True)
    engines = args.only or ["onestop", "fts5", "whoosh"]
    results = {}
    try:
        for name in engines:
            if name == "onestop":
                eng = OneStopEngine(docs, folder, reuse=args.reuse)
            else:
                sub = folder / name
                shutil.rmtree(sub, ignore_errors=True)
                sub.mkdir()
                eng = Fts5Engine(docs, sub) if name == "fts5" else NaiveWhooshEngine(docs, sub)
            print(f"built {name} in {eng.build_s:.1f}s")
            results[name] = evaluate(eng, queries, rel, args.details)
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    print_tables(results)
    if "onestop" in results and len(results) > 1:
        best_base = max(mean(s["ndcg"] for _, s in r) for n, r in results.items()
                        if n != "onestop")
        ours = mean(s["ndcg"] for _, s in results["onestop"])
        print(f"\nOneStop nDCG@10 {ours:.3f}; better baseline {best_base:.3f}; "
              f"margin {ours - best_base:+.3f} (goal: >= 0.90 and >= +0.15)")


if __name__ == "__main__":
    main()
