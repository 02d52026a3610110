"""The bilingual analyser: what a user types and what the index holds."""

from search.analysis import index_tokens, query_tokens


def test_chinese_query_mode_is_precise_and_index_mode_holds_the_pieces():
    assert query_tokens("扫描电子显微镜") == ["扫描", "电子显微镜"]
    indexed = index_tokens("扫描电子显微镜")
    assert {"扫描", "电子", "显微镜", "电子显微镜"} <= set(indexed)


def test_every_query_token_is_an_index_token_of_the_same_text():
    for text in ["场发射扫描电镜 Regulus 8100", "中性盐雾试验", "测玻璃化转变温度",
                 "GB/T 228.1-2021 金属材料拉伸试验", "C57BL/6J小鼠", "Scanning Electron Microscopes"]:
        assert set(query_tokens(text)) <= set(index_tokens(text)), text


def test_domain_words_are_not_cut_into_single_characters():
    assert "盐雾" in index_tokens("中性盐雾试验")
    assert "流式细胞仪" in query_tokens("流式细胞仪")


def test_english_is_lowercased_and_stemmed():
    assert query_tokens("Microscopes") == query_tokens("microscope")
    assert query_tokens("Testing") == query_tokens("tests")
    assert query_tokens("the analysis of metals") == query_tokens("analysis metal")


def test_a_property_is_not_its_adjective():
    assert query_tokens("colour fastness") == query_tokens("color fastnesses")
    assert query_tokens("fastness") != query_tokens("fast")
    assert query_tokens("hardness") != query_tokens("hard")


def test_mixed_text():
    assert query_tokens("XPS上机预约") == ["xps", "上机", "预约"]
    assert query_tokens("3D打印机") == ["3d", "打印机"]


def test_standard_numbers_are_found_by_prefix_and_number():
    indexed = set(index_tokens("GB/T 228.1-2021"))
    assert set(query_tokens("GB/T 228.1")) <= indexed
    assert set(query_tokens("228.1")) <= indexed
    assert set(query_tokens("gb/t 228.1-2021")) <= indexed
    assert not set(query_tokens("GB/T 228.2")) <= indexed
    assert set(query_tokens("IEC 61000-4-2")) <= set(index_tokens("IEC 61000-4-2:2008"))


def test_patent_numbers():
    indexed = set(index_tokens("申请号 CN202310123456.7"))
    for q in ["CN202310123456.7", "cn202310123456.7", "202310123456.7", "CN202310123456"]:
        assert set(query_tokens(q)) <= indexed, q


def test_model_names_whole_and_in_parts():
    indexed = set(index_tokens("JEOL JSM-7800F"))
    for q in ["JSM-7800F", "jsm7800f", "7800F", "JSM"]:
        assert set(query_tokens(q)) <= indexed, q


def test_full_width_characters_are_normalised():
    assert query_tokens("ＧＢ／Ｔ　２２８．１") == query_tokens("GB/T 228.1")


def test_query_syntax_is_just_text():
    assert query_tokens('AND OR NOT ( ) " * ~ ^ title:') == ["titl"]
