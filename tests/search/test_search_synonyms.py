"""The synonym table we ship: size, parsing, directions."""

from search.analysis import query_tokens
from search.planner import plan_query
from search.synonyms import SYNONYM_FILE, load_synonyms, parse_line


def alternatives(query):
    return {alt for u in plan_query(query).units for alt, _w in u.alternatives}


def test_table_has_at_least_200_groups_and_every_line_parses():
    lines = [line for line in SYNONYM_FILE.read_text(encoding="utf-8").splitlines()
             if line.strip() and not line.lstrip().startswith("#")]
    assert all(parse_line(line) for line in lines), [line for line in lines if not parse_line(line)]
    assert load_synonyms().groups >= 200


def test_groups_join_chinese_english_and_abbreviations():
    assert ("sem",) in alternatives("扫描电子显微镜")
    assert ("扫描", "电子显微镜") in alternatives("SEM")
    assert ("扫描", "电子显微镜") in alternatives("scanning electron microscope")
    assert ("盐雾试验",) in alternatives("salt spray test")
    assert query_tokens("GC-MS") == query_tokens("GCMS")  # one token, hyphen or not
    assert tuple(query_tokens("GC-MS")) in alternatives("气质联用")


def test_one_directional_entries():
    assert ("电子显微镜",) in alternatives("电镜")
    assert ("电镜",) not in alternatives("电子显微镜")
    assert ("核磁共振",) in alternatives("核磁")


def test_typed_words_weigh_more_than_synonyms():
    unit = plan_query("XRD").units[0]
    typed, weight = unit.alternatives[0]
    assert typed == ("xrd",) and weight == 1.0
    assert all(w < 1.0 for _alt, w in unit.alternatives[1:])


def test_intent_and_city_words_steer_instead_of_matching():
    plan = plan_query("XPS 上机预约 南京")
    assert [u.label for u in plan.units if u.role == "content"] == ["XPS"]  # as typed
    assert {u.label for u in plan.units if u.role == "intent"} == {"上机", "预约"}
    assert all(u.weight < 1 for u in plan.units if u.role == "intent")
    assert not any(u.required for u in plan.units)  # nothing must match
    assert plan.kinds >= {"instrument"} and plan.cities == {"南京"}
    assert plan_query("盐雾 送检").kinds == {"testing_service"}
    assert plan_query("graphene patent").kinds == {"patent"}
    assert plan_query("GB/T 228.1 标准").kinds == {"document"}
    assert plan_query("SEM Suzhou").cities == {"苏州"}
