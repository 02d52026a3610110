"""The search page says which words were not found, and never shows an empty page while a word
matches; when nothing matches, it offers the kinds that do have the words (SQLite and PostgreSQL)."""

from __future__ import annotations

from booking.searching.service import apply_outbox


def test_a_word_no_resource_has_is_named_and_the_others_still_find(client, make_resource):
    make_resource(title="X射线光电子能谱仪", title_en="XPS")
    apply_outbox()
    html = client.get("/search?q=XPS 绿幕棚&lang=en").get_data(as_text=True)
    assert "X射线光电子能谱仪" in html and "Nothing found." not in html
    assert "Not found: 绿幕棚" in html


def test_words_that_only_say_what_the_user_wants_do_not_empty_the_page(client, make_resource):
    make_resource(title="盐雾试验", kind="testing_service", bookable=False)
    apply_outbox()
    for q in ("where can I do a salt spray test", "哪里可以做盐雾试验 找谁测"):
        html = client.get(f"/search?q={q}&lang=en").get_data(as_text=True)
        assert "盐雾试验" in html and "Nothing found." not in html, q


def test_a_filter_that_excludes_every_match_offers_the_kind_that_has_it(client, make_resource):
    make_resource(title="显微拉曼光谱仪", title_en="Raman spectrometer")
    apply_outbox()
    html = client.get("/search?q=Raman spectrometer&kind=patent&lang=en").get_data(as_text=True)
    assert "Nothing found." in html
    assert "Found among other kinds:" in html and "kind=instrument" in html and "q=Raman" in html


def test_nothing_matching_any_word_is_the_only_empty_page(client, make_resource):
    make_resource(title="显微拉曼光谱仪")
    apply_outbox()
    html = client.get("/search?q=绿幕棚&lang=en").get_data(as_text=True)
    assert "Nothing found." in html and "Not found: 绿幕棚" in html


def test_the_api_names_the_words_not_found_and_keeps_the_results(client, make_resource):
    make_resource(title="X射线光电子能谱仪", title_en="XPS")
    apply_outbox()
    body = client.get("/api/v1/search?q=XPS 绿幕棚").get_json()
    assert body["total"] >= 1 and body["hits"][0]["title"] == "X射线光电子能谱仪"
    assert body["unmatched"] == ["绿幕棚"]
