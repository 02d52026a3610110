"""Chinese typos as a pinyin input method makes them: a character that sounds like the right one."""

from __future__ import annotations

import pytest

from search import open_index
from search.homophones import correct, sound_alikes

from search_fixtures import doc

DOCS = [
    doc(1, "原子力显微镜 Dimension Icon", category="扫描探针显微镜",
        description="原子力显微镜，可测二维材料薄片厚度。"),
    doc(2, "原子力显微镜（帕克）", category="扫描探针显微镜", description="原子力显微镜。"),
    doc(3, "扫描电镜", description="扫描电镜，形貌观察。"),
    doc(4, "气相色谱仪", category="色谱", description="气相色谱分析。"),
    doc(5, "气相色谱 7890B", category="色谱", description="气相色谱。"),
    doc(6, "一种基于联邦学习的模型训练方法", kind="patent", category="专利",
        description="联邦学习，数据不出域。"),
    doc(7, "一种基于联邦学习的风险评估方法", kind="patent", category="专利",
        description="联邦学习。"),
    doc(8, "一种基于强化学习的推荐方法", kind="patent", category="专利", description="强化学习。"),
]


def ids(result):
    return [h["id"] for h in result.hits]


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    ix = open_index(tmp_path_factory.mktemp("homophones") / "index")
    ix.add(DOCS)
    yield ix
    ix.close()


def test_a_sound_alike_character_is_corrected(index):
    result = index.search("原字力显微镜")  # 字 for 子: both zi
    assert result.suggestion == "原子力显微镜"
    assert set(ids(result)[:2]) == {1, 2}


def test_a_correction_may_span_words_the_index_keeps_apart(index):
    result = index.search("联帮学习 专利")  # 帮 for 邦; the index holds 联邦 and 学习
    assert result.suggestion == "联邦学习 专利"
    assert set(ids(result)[:2]) == {6, 7}


def test_a_typo_inside_a_longer_term(index):
    result = index.search("气象色谱")  # 象 for 相: both xiang
    assert result.suggestion == "气相色谱"
    assert set(ids(result)[:2]) == {4, 5}


def test_words_typed_right_are_left_alone(index):
    for q in ("原子力显微镜", "气相色谱", "联邦学习 专利", "扫描电镜"):
        assert index.search(q).suggestion is None, q


def test_sound_alikes_share_a_reading():
    assert "子" in sound_alikes("字")
    assert "邦" in sound_alikes("帮")
    assert "字" not in sound_alikes("字")
    assert "电" not in sound_alikes("字")


def test_only_broken_pieces_are_changed_and_two_characters_are_too_few():
    held = {"原子力": 5, "电镜": 9}
    records = held.get
    # 原 / 字 / 力: a broken stretch of three characters
    assert correct([(0, 1, True), (1, 2, True), (2, 3, True)], "原字力",
                   lambda w: records(w, 0)) == [(0, 3, "原子力")]
    # a sound word is never rewritten into another one
    assert correct([(0, 3, False)], "原字力", lambda w: records(w, 0)) == []
    # two characters have too many sound-alikes to guess from
    assert correct([(0, 1, True), (1, 2, True)], "店镜", lambda w: records(w, 0)) == []
