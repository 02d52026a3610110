"""Any string is a safe query."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from search import open_index

from search_fixtures import FIXTURE

SYNTAX = st.sampled_from(['AND', 'OR', 'NOT', '(', ')', '"', '*', '~', '^', 'title:', 'kind:',
                          '[', ']', '{', '}', '?', '\\', '-', '+', '/', ':', '*:*', 'TO',
                          '扫描电镜', 'SEM', 'GB/T', '228.1', ' ', '\t', '\u3000', '﹡'])


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    ix = open_index(tmp_path_factory.mktemp("fuzz") / "index")
    ix.add(FIXTURE)
    yield ix
    ix.close()


def _check(index, q):
    result = index.search(q)
    assert result.total >= len(result.hits) >= 0
    assert all(isinstance(h["snippet"], str) for h in result.hits)
    assert sum(result.facets["kind"].values()) == result.total


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=80))
def test_any_unicode_string_is_a_safe_query(index, q):
    _check(index, q)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(SYNTAX, max_size=12).map("".join))
def test_query_parser_syntax_is_a_safe_query(index, q):
    _check(index, q)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=20), st.integers(-5, 50), st.integers(-5, 500))
def test_any_filters_and_paging_are_safe(index, city, page, per_page):
    result = index.search("SEM", city=city, page=page, per_page=per_page, kind=[city],
                          max_price=page)
    assert result.total >= 0
