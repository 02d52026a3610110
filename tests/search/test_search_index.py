"""The search index seen from its public API: what a user of the portal would check."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

import search
from search import IndexBusy, open_index, rebuild

from search_fixtures import FIXTURE, doc, hour


@pytest.fixture()
def index(tmp_path):
    ix = open_index(tmp_path / "index")
    ix.add(FIXTURE)
    yield ix
    ix.close()


def ids(result):
    return [h["id"] for h in result.hits]


# ---------------------------------------------------------------- opening


def test_open_creates_an_empty_usable_index(tmp_path):
    ix = open_index(tmp_path / "new" / "index")
    assert ix.doc_count() == 0
    result = ix.search("扫描电镜")
    assert result.total == 0 and result.hits == []
    ix.add([doc(1, "扫描电镜")])
    assert ids(ix.search("扫描电镜")) == [1]


def test_reopening_keeps_documents_and_needs_no_rebuild(tmp_path, index):
    again = open_index(tmp_path / "index")
    assert not again.needs_rebuild
    assert again.doc_count() == len(FIXTURE)


# ---------------------------------------------------------------- synonyms and languages


@pytest.mark.parametrize("query", ["扫描电镜", "扫描电子显微镜", "SEM", "scanning electron microscope"])
def test_synonyms_find_chinese_and_english_titles(index, query):
    found = ids(index.search(query))
    assert {1, 2} <= set(found[:3])  # 1: Chinese title, 2: "Tabletop SEM" (English only)
    if 3 in found:  # a TEM shares words ("electron microscope"), not the concept: below both
        assert found.index(3) > max(found.index(1), found.index(2))


def test_chinese_query_finds_english_only_record_and_back(index):
    assert 6 in ids(index.search("盐雾试验"))  # "Salt spray test"
    assert 5 in ids(index.search("salt spray test"))  # "中性盐雾试验"


def test_abbreviation_and_one_way_entries(index):
    assert ids(index.search("XRD"))[0] == 4
    assert 9 in ids(index.search("核磁"))
    assert 9 in ids(index.search("NMR"))


def test_typed_words_rank_above_synonyms(index):
    result = index.search("扫描电子显微镜")
    assert result.hits[0]["id"] == 1  # has the typed words; 2 only has "SEM"


def test_codes_find_records(index):
    assert ids(index.search("GB/T 228.1"))[0] == 7
    assert ids(index.search("228.1"))[0] == 7
    assert ids(index.search("CN202310123456.7")) == [8]
    assert ids(index.search("JSM-7800F")) == [1]


def test_intent_words_steer_kind(index):
    # "检测" prefers testing services, "标准" documents; a missing intent word still matches.
    assert index.search("盐雾 检测").hits[0]["kind"] == "testing_service"
    assert index.search("拉伸试验 标准").hits[0]["kind"] == "document"
    assert index.search("扫描电镜 预约").total >= 2


def test_a_word_that_no_record_has_does_not_empty_the_result(index):
    result = index.search("透射电镜 ultrafast")
    assert ids(result)[0] == 3


def test_city_in_query_prefers_but_does_not_exclude(index):
    result = index.search("SEM 苏州")
    assert result.hits[0]["city"] == "苏州"
    assert {1, 2} <= set(ids(result))
    assert index.search("SEM Nanjing").hits[0]["city"] == "南京"


def test_city_or_intent_words_alone_browse_with_preference(index):
    result = index.search("苏州")
    assert result.total == len(FIXTURE)  # nothing excluded
    assert {h["city"] for h in result.hits[:2]} == {"苏州"}
    assert result.hits[2]["city"] != "苏州"
    booked = index.search("预约 Wuxi")
    assert booked.hits[0]["city"] == "无锡" and booked.hits[0]["kind"] == "instrument"
    assert [h["city"] for h in index.search("Wuxi", page=2, per_page=2).hits] != ["无锡", "无锡"]


def test_typo_suggestion_and_results(index):
    result = index.search("microscpe")
    assert result.suggestion == "microscope"
    assert result.total >= 2
    assert index.search("microscope").suggestion is None


# ---------------------------------------------------------------- filters, facets, paging


def test_filters(index):
    assert set(ids(index.search("", kind="testing_service"))) == {5, 6}
    assert set(ids(index.search("", city=["苏州", "无锡"]))) == {2, 3, 4, 5}
    assert set(ids(index.search("", platform="SZDH"))) == {2, 3}
    assert set(ids(index.search("", max_price=300))) == {2, 4}
    assert set(ids(index.search("", orderable=True))) == {5, 6}
    assert set(ids(index.search("", bookable=True, city="南京"))) == {1, 10}
    assert set(ids(index.search("", category="环境与可靠性试验"))) == {5}
    assert set(ids(index.search("SEM", city="苏州"))) == {2}


def test_facet_counts_cover_all_matches(index):
    result = index.search("", per_page=2)
    assert result.total == 10 and len(result.hits) == 2
    assert result.facets["kind"] == {"instrument": 6, "testing_service": 2, "document": 1,
                                     "patent": 1}
    assert result.facets["city"] == {"南京": 4, "苏州": 2, "无锡": 2, "常州": 2}
    assert result.facets["platform"]["NJNC"] == 4
    filtered = index.search("SEM", kind="instrument")
    assert sum(filtered.facets["kind"].values()) == filtered.total
    assert set(filtered.facets["city"]) == {"南京", "苏州"}


def test_only_and_exclude_ids(index):
    assert set(ids(index.search("", only_ids=[1, 2, 3, 999]))) == {1, 2, 3}
    assert set(ids(index.search("SEM", exclude_ids={1}))) >= {2}
    assert 1 not in ids(index.search("SEM", exclude_ids={1}))
    assert index.search("SEM", only_ids=[]).total == 0


def test_empty_query_browses_newest_first(index):
    result = index.search("   ")
    assert ids(result)[:3] == [5, 1, 9]
    assert result.total == 10


def test_sorting_by_price_and_newest(index):
    by_price = index.search("", sort="price")
    prices = [h["price"]["amount"] for h in by_price.hits if h["price"]]
    assert prices == sorted(prices)
    assert by_price.hits[-1]["price"] is None
    newest = index.search("电镜", sort="newest")
    assert ids(newest)[0] == 1


def test_browsing_across_segments_after_changes(index):
    # several commits make several segments; browsing merges their orders
    index.add([doc(60, "新仪器 A", updated_at="2025-01-01T00:00:00+08:00")])
    index.add([doc(61, "新仪器 B", updated_at="2025-02-01T00:00:00+08:00", price=hour(1))])
    index.delete([5])
    result = index.search("", per_page=20)
    assert ids(result)[:3] == [61, 60, 1]
    assert 5 not in ids(result) and result.total == len(FIXTURE) + 1
    assert ids(index.search("", sort="price"))[0] == 61
    assert result.facets["kind"]["testing_service"] == 1


def test_pagination(index):
    pages = [ids(index.search("", page=p, per_page=3)) for p in (1, 2, 3, 4)]
    flat = [i for p in pages for i in p]
    assert len(flat) == 10 and len(set(flat)) == 10
    assert pages[3] == [10]
    assert index.search("", page=9, per_page=3).hits == []


def test_hit_fields(index):
    hit = index.search("JSM-7800F").hits[0]
    assert hit["id"] == 1 and hit["platform"] == "NJNC" and hit["external_id"] == "NJNC-0001"
    assert hit["kind"] == "instrument" and hit["city"] == "南京"
    assert hit["title_en"] == "Field Emission Scanning Electron Microscope"
    assert hit["price"] == {"amount": 600.0, "currency": "CNY", "unit": "hour"}
    assert isinstance(hit["score"], float) and hit["score"] > 0
    assert "<mark>JSM-7800F</mark>" in hit["snippet"]


# ---------------------------------------------------------------- snippets


def test_snippets_are_escaped_before_marking(index):
    hit = next(h for h in index.search("扫描电镜 能谱").hits if h["id"] == 10)
    assert "<script>" not in hit["snippet"] and "<b>" not in hit["snippet"]
    assert "&lt;script&gt;" in hit["snippet"]
    assert "<mark>扫描电镜</mark>" in hit["snippet"]
    assert hit["title"].startswith("<script>")  # raw title: the page escapes it


def test_english_snippet_marks_word_forms(index):
    hit = next(h for h in index.search("microscopes").hits if h["id"] == 2)
    assert "<mark>microscope</mark>" in hit["snippet"]


# ---------------------------------------------------------------- index sync


def test_add_update_delete_are_seen_by_the_next_search(index):
    before = index.search("原子力显微镜")
    assert 20 not in ids(before) and before.unmatched == ["原子力显微镜"]
    index.add([doc(20, "原子力显微镜", title_en="Atomic Force Microscope")])
    assert ids(index.search("AFM")) == [20]
    index.add([doc(20, "原子力显微镜 Bruker Icon", city="扬州")])  # same id: replaced
    result = index.search("原子力显微镜")
    assert ids(result)[0] == 20 and result.hits[0]["city"] == "扬州"
    assert result.total == 1 + sum(1 for d in FIXTURE if "显微镜" in d["category"] + d["title"])
    assert index.doc_count() == len(FIXTURE) + 1
    index.delete([20, 1])
    assert 20 not in ids(index.search("原子力显微镜"))
    assert 1 not in ids(index.search("SEM"))
    assert index.doc_count() == len(FIXTURE) - 1


def test_a_change_written_through_another_index_object_is_seen(tmp_path, index):
    other = open_index(tmp_path / "index")
    other.add([doc(30, "流式细胞仪")])
    assert ids(index.search("流式细胞仪")) == [30]
    other.close()


def test_writer_lock_timeout_raises_index_busy(tmp_path, index):
    other = open_index(tmp_path / "index")
    with index.writer_lock():
        with pytest.raises(IndexBusy):
            other.add([doc(40, "离心机")], timeout=0.2)
        with pytest.raises(IndexBusy):
            other.delete([1], timeout=0.1)
    other.add([doc(40, "离心机")], timeout=1)
    assert ids(index.search("离心机")) == [40]


# ---------------------------------------------------------------- rebuild and damage


def test_rebuild_from_scratch_swaps_and_old_reader_keeps_working(tmp_path, index):
    path = tmp_path / "index"
    n = rebuild(path, [d for d in FIXTURE if d["id"] != 1] + [doc(50, "冷冻电镜")],
                total=len(FIXTURE), progress=lambda k: None)
    assert n == len(FIXTURE)
    assert (path / "current").is_symlink()  # generations swap inside the index's own folder
    fresh = open_index(path)
    assert not fresh.needs_rebuild
    assert ids(fresh.search("冷冻电镜"))[0] == 50
    # the index opened before the rebuild follows the swap on its next search
    assert ids(index.search("冷冻电镜"))[0] == 50
    assert 1 not in ids(index.search("SEM"))


def test_rebuild_reports_progress(tmp_path):
    seen = []
    docs = [doc(i, f"样品{i} 拉力机") for i in range(1, 2501)]
    rebuild(tmp_path / "ix", iter(docs), total=len(docs), progress=seen.append, procs=1)
    assert seen[-1] == 2500 and seen == sorted(seen) and len(seen) >= 2
    assert open_index(tmp_path / "ix").search("拉力机").total == 2500


def test_rebuild_in_rounds_with_two_writer_processes(tmp_path):
    docs = (doc(i, f"拉力机 {i}", city="南京" if i % 2 else "苏州") for i in range(1, 1301))
    assert rebuild(tmp_path / "ix", docs, procs=2, segment_docs=300) == 1300
    ix = open_index(tmp_path / "ix")
    result = ix.search("拉力机")
    assert result.total == ix.doc_count() == 1300
    assert result.facets["city"] == {"南京": 650, "苏州": 650}
    assert set(ids(ix.search("", only_ids=[7, 1299, 5000]))) == {7, 1299}


def test_deleted_folder_needs_rebuild_and_heals(tmp_path, index):
    path = tmp_path / "index"
    shutil.rmtree(os.path.realpath(path / "current"))
    broken = open_index(path)
    assert broken.needs_rebuild
    assert broken.search("SEM").total == 0
    rebuild(path, FIXTURE)
    assert not broken.needs_rebuild  # the open object sees the swap
    healed = open_index(path)
    assert not healed.needs_rebuild
    assert {1, 2} <= set(ids(healed.search("SEM")))
    assert {1, 2} <= set(ids(broken.search("SEM")))  # the open object follows too


def test_damaged_folder_needs_rebuild(tmp_path, index):
    path = tmp_path / "index"
    real = Path(os.path.realpath(path / "current"))
    for f in real.glob("*.toc"):
        f.write_bytes(b"garbage")
    broken = open_index(path)
    assert broken.needs_rebuild and broken.reason
    broken.add([doc(1, "扫描电镜")])  # still usable
    assert ids(broken.search("扫描电镜")) == [1]


def test_empty_folder_becomes_an_index_that_needs_rebuild(tmp_path):
    folder = tmp_path / "plain"
    folder.mkdir()
    ix = open_index(folder)
    assert ix.needs_rebuild
    rebuild(folder, FIXTURE)
    assert not open_index(folder).needs_rebuild


def test_schema_version_mismatch_needs_rebuild(tmp_path, index):
    path = tmp_path / "index"
    marker = Path(os.path.realpath(path / "current")) / "onestop-index.json"
    data = json.loads(marker.read_text())
    data["schema_version"] = search.SCHEMA_VERSION - 1
    marker.write_text(json.dumps(data))
    old = open_index(path)
    assert old.needs_rebuild and "version" in old.reason
    rebuild(path, FIXTURE)
    assert not open_index(path).needs_rebuild


def test_other_segmenter_or_synonym_table_needs_rebuild(tmp_path, index, monkeypatch):
    import search.analysis

    other = "jieba" if search.analysis.segmenter_name() == "rjieba" else "rjieba"
    monkeypatch.setattr(search.analysis, "segmenter_name", lambda: other)
    changed = open_index(tmp_path / "index")
    assert changed.needs_rebuild and "changed" in changed.reason


# ---------------------------------------------------------------- odd input


def test_long_query_is_cut_with_a_note(index):
    result = index.search("扫描电镜 " * 100)
    assert result.note and "200" in result.note
    assert 1 in ids(result)


@pytest.mark.parametrize("query", ['AND', 'title:SEM', '"SEM', "SEM*", "(扫描电镜", "~^*?",
                                   "NOT SEM", "kind:patent", "\x00", "😀"])
def test_query_syntax_is_plain_text(index, query):
    result = index.search(query)
    assert result.total >= 0
    if query == "NOT SEM":
        assert 1 in ids(result)  # NOT is a stop word, not an operator


def test_wildcards_expand_to_a_bounded_set_of_words(index):
    assert {1, 2} <= set(ids(index.search("microsc*")))
    assert 4 in ids(index.search("diffract*"))
    many = [doc(100 + i, f"Model QX{i:03d} analyser") for i in range(60)]
    index.add(many)
    result = index.search("qx*", per_page=100)
    assert result.note and "30" in result.note
    assert result.total > 0


def test_bad_paging_values_are_clamped(index):
    assert len(index.search("", page=0, per_page=0).hits) == 10  # the default page size
    assert len(index.search("", page=-3, per_page=10_000).hits) == 10
