"""Two processes writing to one index at once lose nothing."""

from __future__ import annotations

import multiprocessing

from search import open_index

from search_fixtures import doc


def _writer(path: str, start: int, count: int, batch: int) -> None:
    # Each batch opens the index afresh, as short-lived processes (CLI, web workers) do,
    # while the other process commits and merges segments.
    for first in range(start, start + count, batch):
        ix = open_index(path, lock_timeout=30)
        assert not ix.reason, ix.reason  # a busy index is never mistaken for a damaged one
        ix.add([doc(i, f"仪器{i} 拉力机", platform=f"P{start // 1000}")
                for i in range(first, min(first + batch, start + count))], timeout=30)
        ix.close()


def test_two_processes_writing_at_once_lose_nothing(tmp_path):
    path = str(tmp_path / "index")
    open_index(path).close()
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_writer, args=(path, start, 60, 5)) for start in (1000, 2000)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert [p.exitcode for p in procs] == [0, 0]
    ix = open_index(path)
    assert ix.doc_count() == 120
    result = ix.search("拉力机", per_page=200)
    assert result.total == 120
    assert {h["id"] for h in result.hits} == set(range(1000, 1060)) | set(range(2000, 2060))
    assert result.facets["platform"] == {"P1": 60, "P2": 60}
