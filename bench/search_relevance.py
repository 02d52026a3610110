"""Relevance of OneStop search against two baselines, on both public query sets, by halves.

    nice .venv/bin/python bench/search_relevance.py [--data DIR] [--corpus 20k]
        [--sets dev,natural,own] [--only onestop] [--index DIR] [--reuse] [--details] [--json FILE]

Engines, all built in this run on the same corpus (ids 1..N by line order; labels are never
indexed):

* onestop  - the ``search`` package (bilingual analyser, synonyms, mined aliases, fusion)
* fts5     - SQLite FTS5 with the trigram tokenizer (stdlib sqlite3), bm25 ranking
* whoosh   - plain Whoosh with ``jieba.analyse.ChineseAnalyzer``, OR-grouped query parser

Query sets (``DATA/relevance``): ``dev`` (dev.jsonl, catalogue vocabulary) and ``natural``
(dev-natural.jsonl, phrased the way people type); ``own`` (bench/queries/own-natural.jsonl, the
team's own phrasings for types the public sets do not ask about).  Each is reported on its odd-id half, its
even-id half and in full: tune on one half, read the other (issue 10's protocol).

Metrics (docs/relevance.md): nDCG@10, recall@10 (capped), MRR@10 (binary gains), recall@100
(uncapped) and the share of queries that return nothing, macro-averaged, with a breakdown by
``note`` (class) and ``lang``; then every query on which OneStop is worse than plain Whoosh by
more than 0.1 nDCG@10, and the goals of issue 10.

``--index DIR`` keeps the built indexes; with ``--reuse`` all three engines reuse theirs
(ranking changes need no rebuild; analyser changes do: ``open_index`` reports
``needs_rebuild`` and the OneStop index is then rebuilt anyway).
"""

from __future__ import annotations

import argparse
import gzip
import json
import logging
import math
import re
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
SETS = {"dev": "dev.jsonl", "natural": "dev-natural.jsonl"}
#: Queries the team wrote in their own words, for types the public sets do not ask about.
OWN = ROOT / "bench" / "queries" / "own-natural.jsonl"
ENGINES = ("onestop", "fts5", "whoosh")


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
    return {"ndcg": ndcg, "recall": rec, "mrr": mrr, "r100": r100,
            "empty": 1.0 if not ranked else 0.0}


def half(q: dict) -> str:
    """'odd' or 'even' by the number at the end of the query id (dev-007 is odd)."""
    m = re.search(r"(\d+)$", q["id"])
    return "odd" if m and int(m.group(1)) % 2 else "even"


# ----------------------------------------------------------------------------- engines


class OneStopEngine:
    name = "onestop"

    def __init__(self, docs, folder: Path, reuse: bool = False):
        from search import open_index, rebuild

        path = folder / "index"
        t = time.perf_counter()
        fresh = not (reuse and path.exists())
        if not fresh:
            ix = open_index(path)
            fresh = ix.needs_rebuild or ix.doc_count() != len(docs)
            ix.close()
        if fresh:
            rebuild(path, docs, total=len(docs))
        self.build_s = time.perf_counter() - t
        self.ix = open_index(path)

    def search(self, q: str, k: int) -> list[tuple]:
        res = self.ix.search(q, per_page=k)
        return [(h["platform"], h["external_id"]) for h in res.hits]


class Fts5Engine:
    name = "fts5"

    def __init__(self, docs, folder: Path, reuse: bool = False):
        t = time.perf_counter()
        path = folder / "fts5.db"
        built = reuse and path.exists()
        self.db = sqlite3.connect(str(path))
        if built:
            built = self.db.execute("SELECT count(*) FROM r").fetchone()[0] == len(docs)
        if not built:
            self.db.execute("DROP TABLE IF EXISTS r")
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

    def __init__(self, docs, folder: Path, reuse: bool = False):
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
        path = folder / "naive"
        ix = None
        if reuse and index.exists_in(str(path)):
            ix = index.open_dir(str(path))
            if ix.doc_count() != len(docs):
                ix = None
        if ix is None:
            shutil.rmtree(path, ignore_errors=True)
            path.mkdir(parents=True)
            ix = index.create_in(str(path), schema)
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
        self.parser = qparser.MultifieldParser(["title", "content"], ix.schema,
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
            print(f"  {engine.name:8} {q['id']:10} {s['ndcg']:.2f} {s['recall']:.2f} "
                  f"r100={s['r100']:.2f}{' EMPTY' if s['empty'] else ''}  {q['note']:10} {q['q']}")
    return per_q


def mean(xs):
    xs = list(xs)
    return sum(xs) / len(xs) if xs else 0.0


SPLITS = ("odd", "even", "full")


def in_split(q, split):
    return split == "full" or half(q) == split


def print_set(label: str, results: dict[str, list]) -> dict:
    names = list(results)
    first = results[names[0]]
    print(f"\n=== {label}: {len(first)} queries "
          f"(odd {sum(half(q) == 'odd' for q, _ in first)}, "
          f"even {sum(half(q) == 'even' for q, _ in first)})")
    print(f"{'engine':8} {'split':5} {'nDCG@10':>8} {'recall@10':>10} {'MRR@10':>7} "
          f"{'recall@100':>10} {'empty':>6}")
    summary: dict = {}
    for name in names:
        for split in SPLITS:
            rows = [s for q, s in results[name] if in_split(q, split)]
            m = {k: mean(s[k] for s in rows) for k in ("ndcg", "recall", "mrr", "r100", "empty")}
            summary[(name, split)] = m
            print(f"{name:8} {split:5} {m['ndcg']:8.3f} {m['recall']:10.3f} {m['mrr']:7.3f} "
                  f"{m['r100']:10.3f} {m['empty']:6.1%}")
    for key in ("note", "lang"):
        groups = sorted({q[key] for q, _ in first})
        print(f"\nnDCG@10 by {key}")
        print(f"{'':14} " + " ".join(f"{g[:10]:>10}" for g in groups))
        for name in names:
            for split in (SPLITS if key == "note" else ("full",)):
                row = [mean(s["ndcg"] for q, s in results[name]
                            if q[key] == g and in_split(q, split)) for g in groups]
                print(f"{name:8} {split:5} " + " ".join(f"{v:10.3f}" for v in row))
                if key == "note" and split == "full":
                    summary[(name, "classes")] = dict(zip(groups, row))
        print(f"{'(queries)':14} " + " ".join(
            f"{sum(1 for q, _ in first if q[key] == g):10d}" for g in groups))
    if "onestop" in results and "whoosh" in results:
        plain = {q["id"]: s for q, s in results["whoosh"]}
        worse = [(q, s["ndcg"], plain[q["id"]]["ndcg"]) for q, s in results["onestop"]
                 if s["ndcg"] < plain[q["id"]]["ndcg"] - 0.1]
        summary["worse"] = worse
        print(f"\nOneStop worse than plain Whoosh by more than 0.1 nDCG@10: {len(worse)} queries")
        for q, ours, theirs in worse:
            print(f"  {q['id']:10} {ours:.2f} < {theirs:.2f}  {q['note']:10} {q['q']}")
    return summary


def print_goals(summaries: dict) -> None:
    print("\n=== issue 10 goals")
    dev, nat = summaries.get("dev"), summaries.get("natural")
    if dev and ("onestop", "odd") in dev:
        for split in ("odd", "even"):
            v = dev[("onestop", split)]["ndcg"]
            print(f"dev {split}-half nDCG@10 {v:.3f} (goal >= 0.92): {'ok' if v >= 0.92 else 'MISSED'}")
        classes = dev[("onestop", "classes")]
        low = {c: v for c, v in classes.items() if v < 0.85}
        print(f"dev classes below 0.85: {', '.join(f'{c} {v:.3f}' for c, v in low.items()) or 'none'}")
        if "worse" in dev:
            print(f"dev queries worse than plain Whoosh by > 0.1: {len(dev['worse'])} (goal 0)")
    if nat and ("onestop", "full") in nat:
        m = nat[("onestop", "full")]
        print(f"natural nDCG@10 {m['ndcg']:.3f} (goal >= 0.80): {'ok' if m['ndcg'] >= 0.80 else 'MISSED'}; "
              f"empty {m['empty']:.1%} (goal <= 2%): {'ok' if m['empty'] <= 0.02 else 'MISSED'}")
        for split in ("odd", "even"):
            print(f"natural {split}-half nDCG@10 {nat[('onestop', split)]['ndcg']:.3f}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--corpus", default="20k")
    ap.add_argument("--sets", default="dev,natural,own",
                    help="comma list of query sets: dev, natural, own, or paths to .jsonl files")
    ap.add_argument("--only", action="append", choices=list(ENGINES))
    ap.add_argument("--index", type=Path, default=None, help="folder for the built indexes")
    ap.add_argument("--reuse", action="store_true", help="reuse the indexes in --index")
    ap.add_argument("--details", action="store_true", help="print every query's scores")
    ap.add_argument("--json", type=Path, default=None, help="write per-query scores here")
    args = ap.parse_args(argv)

    sets = {}
    for name in args.sets.split(","):
        name = name.strip()
        path = (args.data / "relevance" / SETS[name] if name in SETS
                else OWN if name == "own" else Path(name))
        sets[name] = list(read_jsonl(path))
    t = time.perf_counter()
    docs, rel = load_corpus(args.data, args.corpus)
    print(f"corpus-{args.corpus}: {len(docs)} docs; query sets: "
          + ", ".join(f"{n} ({len(qs)})" for n, qs in sets.items())
          + f" (loaded in {time.perf_counter() - t:.1f}s)")

    tmp = None
    folder = args.index
    if folder is None:
        tmp = folder = Path(tempfile.mkdtemp(prefix="onestop-relevance-"))
    folder.mkdir(parents=True, exist_ok=True)
    engines = args.only or list(ENGINES)
    results: dict[str, dict[str, list]] = {s: {} for s in sets}
    try:
        for name in engines:
            if name == "onestop":
                eng = OneStopEngine(docs, folder, reuse=args.reuse)
            else:
                sub = folder / name
                if not args.reuse:
                    shutil.rmtree(sub, ignore_errors=True)
                sub.mkdir(exist_ok=True)
                cls = Fts5Engine if name == "fts5" else NaiveWhooshEngine
                eng = cls(docs, sub, reuse=args.reuse)
            print(f"built {name} in {eng.build_s:.1f}s")
            for set_name, queries in sets.items():
                results[set_name][name] = evaluate(eng, queries, rel, args.details)
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    summaries = {s: print_set(s, r) for s, r in results.items()}
    print_goals(summaries)
    if args.json:
        args.json.write_text(json.dumps(
            {s: {e: [{"id": q["id"], "q": q["q"], "note": q["note"], **sc} for q, sc in rows]
                 for e, rows in r.items()} for s, r in results.items()},
            ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
