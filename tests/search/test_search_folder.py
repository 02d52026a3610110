"""The index folder on disk: the index only ever deletes what it created.

Issue 10: ``ONESTOP_INDEX_DIR`` pointed at the instance folder and one search deleted
``onestop.db`` and ``secret_key``.  A folder holding anything but a OneStop index is refused
and left exactly as it was; generations and their link live inside the index's own folder.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import time
from pathlib import Path

import pytest

from search import NotAnIndexFolder, open_index, rebuild

from search_fixtures import FIXTURE, doc


def snapshot(folder: Path) -> dict[str, bytes | str]:
    """Every path under ``folder`` with its content (files) or link target (links)."""
    out: dict[str, bytes | str] = {}
    for p in sorted(folder.rglob("*")):
        rel = str(p.relative_to(folder))
        if p.is_symlink():
            out[rel] = "-> " + os.readlink(p)
        elif p.is_file():
            out[rel] = p.read_bytes()
        else:
            out[rel] = "dir"
    return out


@pytest.fixture()
def instance(tmp_path):
    """An instance folder as OneStop makes it: a database, a secret key, an outbox."""
    folder = tmp_path / "instance"
    folder.mkdir()
    (folder / "onestop.db").write_bytes(b"SQLite format 3\x00" + b"\x01" * 4096)
    (folder / "secret_key").write_text("s3cr3t")
    (folder / "outbox").mkdir()
    (folder / "outbox" / "mail.eml").write_text("Subject: hello")
    return folder


def test_open_index_refuses_a_folder_holding_other_files(tmp_path, instance):
    before = snapshot(tmp_path)
    with pytest.raises(NotAnIndexFolder) as caught:
        open_index(instance)
    assert snapshot(tmp_path) == before  # nothing deleted, moved or added, beside it either
    message = str(caught.value)
    assert str(instance) in message and "onestop.db" in message and "nothing in it was changed" in message
    assert "\n" not in message


def test_rebuild_refuses_a_folder_holding_other_files_before_reading_documents(tmp_path, instance):
    before = snapshot(tmp_path)
    read = []

    def docs():
        read.append(1)
        yield from FIXTURE

    with pytest.raises(NotAnIndexFolder):
        rebuild(instance, docs())
    assert not read
    assert snapshot(tmp_path) == before


def test_a_file_or_a_link_to_other_files_is_refused(tmp_path, instance):
    file = tmp_path / "notes.txt"
    file.write_text("mine")
    link = tmp_path / "index-link"
    link.symlink_to(instance)
    dangling = tmp_path / "gone"
    dangling.symlink_to(tmp_path / "unmounted" / "index")
    before = snapshot(tmp_path)
    for path in (file, link, dangling):
        with pytest.raises(NotAnIndexFolder):
            open_index(path)
    assert snapshot(tmp_path) == before


def test_generations_and_their_link_stay_inside_the_index_folder(tmp_path):
    path = tmp_path / "index"
    ix = open_index(path)
    assert ix.needs_rebuild  # new: nothing indexed yet
    assert sorted(p.name for p in tmp_path.iterdir()) == ["index"]
    assert (path / "onestop-index-folder.json").is_file()
    assert (path / "current").is_symlink()
    for i in range(4):
        rebuild(path, FIXTURE[: i + 1])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["index"]  # nothing beside it
    assert {p.name for p in path.iterdir()} == {"onestop-index-folder.json", "current", "generations"}
    gens = list((path / "generations").iterdir())
    assert len(gens) == 2  # the current one and the one before (readers may still use it)
    assert os.path.realpath(path / "current") in {str(g) for g in gens}
    assert ix.doc_count() == 4 and not ix.needs_rebuild


def test_rebuild_never_deletes_files_it_did_not_make_inside_its_folder(tmp_path):
    path = tmp_path / "index"
    rebuild(path, FIXTURE)
    (path / "README.txt").write_text("an operator's note")
    (path / "generations" / "backup").mkdir()
    (path / "generations" / "backup" / "keep.txt").write_text("keep")
    for _ in range(3):
        rebuild(path, FIXTURE)
    assert (path / "README.txt").read_text() == "an operator's note"
    assert (path / "generations" / "backup" / "keep.txt").read_text() == "keep"


def test_an_empty_folder_or_a_link_to_one_becomes_an_index(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    elsewhere = tmp_path / "disk2" / "index"
    elsewhere.mkdir(parents=True)
    link = tmp_path / "linked"
    link.symlink_to(elsewhere)
    for path in (empty, link):
        rebuild(path, FIXTURE)
        assert open_index(path).search("SEM").total >= 2
    assert link.is_symlink() and (elsewhere / "onestop-index-folder.json").is_file()


def test_a_crashed_rebuild_is_cleaned_up_but_one_at_work_is_left_alone(tmp_path):
    path = tmp_path / "index"
    rebuild(path, FIXTURE)
    gens = path / "generations"
    at_work = gens / "gen-20990101000000-1-aaaaaa"
    at_work.mkdir()
    crashed = gens / "gen-20000101000000-1-bbbbbb"
    crashed.mkdir()
    (crashed / "MAIN_x.seg").write_bytes(b"half")
    old = time.time() - 2 * 86400
    os.utime(crashed, (old, old))
    rebuild(path, FIXTURE)
    assert at_work.is_dir() and not crashed.exists()


# ---------------------------------------------------------------- the earlier layout


def make_legacy_index(parent: Path, name: str = "index", docs=FIXTURE) -> Path:
    """An index as the earlier code left it: ``name`` a link to a sibling ``name.gen-...``."""
    build = parent / "build"
    rebuild(build, docs)
    gen = Path(os.path.realpath(build / "current"))
    legacy = parent / f"{name}.gen-20240101120000-4242-abcdef"
    shutil.move(str(gen), str(legacy))
    shutil.rmtree(build)
    (parent / name).symlink_to(legacy.name)
    return parent / name


def test_an_index_of_the_earlier_layout_still_opens_and_moves_into_its_own_folder(tmp_path, instance):
    path = make_legacy_index(instance)
    stale = instance / "index.gen-20231231120000-4241-012345"
    stale.mkdir()
    (stale / "onestop-index.json").write_text("{}")
    kept = instance / "index.gen-notes"  # not a name the index ever made
    kept.mkdir()
    ix = open_index(path)
    assert not ix.needs_rebuild, ix.reason
    assert {1, 2} <= {h["id"] for h in ix.search("SEM").hits}
    assert not path.is_symlink() and (path / "onestop-index-folder.json").is_file()
    assert sorted(p.name for p in instance.iterdir()) == [
        "index", "index.gen-notes", "onestop.db", "outbox", "secret_key"]
    assert (instance / "secret_key").read_text() == "s3cr3t"
    rebuild(path, FIXTURE[:3])
    assert ix.doc_count() == 3


def test_an_earlier_layout_link_to_a_deleted_generation_becomes_an_empty_index(tmp_path):
    path = make_legacy_index(tmp_path)
    shutil.rmtree(os.path.realpath(path))
    ix = open_index(path)
    assert ix.needs_rebuild and ix.doc_count() == 0
    rebuild(path, FIXTURE)
    assert not open_index(path).needs_rebuild


def _open_and_count(path: str, queue) -> None:
    try:
        ix = open_index(path, lock_timeout=30)
        queue.put(("ok", ix.doc_count()))
    except BaseException as exc:  # report, do not hang
        queue.put(("error", repr(exc)))


@pytest.mark.parametrize("legacy", [False, True])
def test_processes_opening_one_folder_at_once_agree(tmp_path, legacy):
    path = make_legacy_index(tmp_path) if legacy else tmp_path / "index"
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    procs = [ctx.Process(target=_open_and_count, args=(str(path), queue)) for _ in range(6)]
    for p in procs:
        p.start()
    results = [queue.get(timeout=60) for _ in procs]
    for p in procs:
        p.join(60)
    assert all(kind == "ok" for kind, _ in results), results
    expected = len(FIXTURE) if legacy else 0
    assert {n for _, n in results} == {expected}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["index"]


# ---------------------------------------------------------------- the empty index


@pytest.mark.parametrize("kwargs", [{}, {"sort": "price"}, {"sort": "newest"}, {"page": 3},
                                    {"kind": "instrument"}, {"bookable": True},
                                    {"max_price": 100.0}, {"only_ids": [1, 2]}])
def test_browsing_an_empty_index_finds_nothing_without_failing(tmp_path, kwargs):
    ix = open_index(tmp_path / "index")
    result = ix.search("", **kwargs)
    assert result.total == 0 and result.hits == []
    assert all(not counts for counts in result.facets.values())
    assert ix.search("扫描电镜", **kwargs).total == 0


def test_browsing_after_every_document_was_deleted(tmp_path):
    ix = open_index(tmp_path / "index")
    ix.add([doc(1, "扫描电镜"), doc(2, "透射电镜")])
    ix.delete([1, 2])
    result = ix.search("", bookable=True)
    assert result.total == 0 and all(not counts for counts in result.facets.values())
