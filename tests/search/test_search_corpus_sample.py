"""A few hundred records of the shared 20k corpus: realistic text, hand-checkable claims."""

from __future__ import annotations

import gzip
import itertools
import json
from pathlib import Path

import pytest

from search import open_index, rebuild

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "data" / "corpus" / "corpus-20k.jsonl.gz"
pytestmark = pytest.mark.skipif(not CORPUS.exists(), reason="shared corpus not available")


@pytest.fixture(scope="module")
def sample():
    with gzip.open(CORPUS, "rt", encoding="utf-8") as f:
        docs = [dict(json.loads(line), id=i) for i, line in enumerate(itertools.islice(f, 400), 1)]
    return docs


@pytest.fixture(scope="module")
def index(sample, tmp_path_factory):
    path = tmp_path_factory.mktemp("sample") / "index"
    rebuild(path, sample, total=len(sample))
    ix = open_index(path)
    yield ix
    ix.close()


def test_counts_and_facets_agree_with_the_records(index, sample):
    result = index.search("")
    assert result.total == len(sample) == index.doc_count()
    kinds = {}
    for d in sample:
        kinds[d["kind"]] = kinds.get(d["kind"], 0) + 1
    assert result.facets["kind"] == kinds
    cities = {}
    for d in sample:
        cities[d["city"]] = cities.get(d["city"], 0) + 1
    assert result.facets["city"] == cities


def test_filter_counts_agree_with_the_records(index, sample):
    for kind in ("instrument", "patent"):
        assert index.search("", kind=kind).total == sum(d["kind"] == kind for d in sample)
    cheap = sum(1 for d in sample if d["price"] and d["price"]["amount"] <= 300)
    assert index.search("", max_price=300).total == cheap


def test_every_record_is_found_by_its_external_id_and_model(index, sample):
    for d in sample[:60]:
        model = (d.get("attributes") or {}).get("model")
        if model:
            found = [h["id"] for h in index.search(model, per_page=50).hits]
            assert d["id"] in found, (model, d["title"])


def test_every_title_finds_its_record_near_the_top(index, sample):
    misses = []
    for d in sample[:80]:
        found = [h["id"] for h in index.search(d["title"], per_page=10).hits]
        if d["id"] not in found:
            misses.append(d["title"])
    assert len(misses) <= 8, misses  # many records share a title; most must come back
