"""search.whoosh_internals: the one module that touches Whoosh's private internals.

The version guard must fail loudly when Whoosh changes, and every accessor must still read a real
index the way the ranking code expects."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import whoosh

from search import open_index, rebuild, whoosh_internals
from search.snapshot import Snapshot

from search_fixtures import doc

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def unchecked(monkeypatch):
    """The guard as on a fresh process (it checks once per process)."""
    monkeypatch.setattr(whoosh_internals, "_checked", False)


@pytest.fixture()
def other_whoosh(monkeypatch, unchecked):
    monkeypatch.setattr(whoosh_internals, "installed_version", lambda: "2.7.6")


# -- the version guard


def test_the_pinned_version_is_the_installed_one_and_the_checked_one():
    pin = re.search(r'"whoosh-reloaded==([^"]+)"', (ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert pin is not None, "pyproject.toml no longer pins whoosh-reloaded exactly"
    assert pin.group(1) == whoosh_internals.WHOOSH_VERSION == whoosh.versionstring(), (
        "Whoosh changed: read search/whoosh_internals.py against the new release, then bump "
        "WHOOSH_VERSION there and the pin in pyproject.toml together")


def test_another_whoosh_version_raises_a_clear_error(other_whoosh):
    with pytest.raises(whoosh_internals.WhooshVersionMismatch) as err:
        whoosh_internals.check_whoosh_version()
    message = str(err.value)
    assert "search.whoosh_internals" in message
    assert "2.7.6" in message and whoosh_internals.WHOOSH_VERSION in message


def test_every_internal_checks_the_version_first(other_whoosh, tmp_path):
    with pytest.raises(whoosh_internals.WhooshVersionMismatch):
        whoosh_internals.w3_codec()
    with pytest.raises(whoosh_internals.WhooshVersionMismatch):
        whoosh_internals.segment_key(object())
    with pytest.raises(whoosh_internals.WhooshVersionMismatch):
        list(whoosh_internals.posting_blocks(object(), "body", "x"))
    with pytest.raises(whoosh_internals.WhooshVersionMismatch):
        whoosh_internals.folder_writer_lock(str(tmp_path))


def test_opening_or_building_an_index_with_another_whoosh_fails_loudly_and_writes_nothing(
        other_whoosh, tmp_path):
    with pytest.raises(whoosh_internals.WhooshVersionMismatch):
        open_index(tmp_path / "a")
    with pytest.raises(whoosh_internals.WhooshVersionMismatch):
        rebuild(tmp_path / "b", [doc(1, "扫描电镜")])
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


def test_an_existing_index_is_not_called_damaged_when_whoosh_changed(tmp_path, unchecked, monkeypatch):
    rebuild(tmp_path / "ix", [doc(1, "扫描电镜")])
    monkeypatch.setattr(whoosh_internals, "_checked", False)
    monkeypatch.setattr(whoosh_internals, "installed_version", lambda: "3.0.0")
    with pytest.raises(whoosh_internals.WhooshVersionMismatch):
        open_index(tmp_path / "ix")


# -- the accessors on a real index


@pytest.fixture()
def snap(tmp_path):
    docs = [doc(i, f"扫描电镜 {i}", title_en="scanning electron microscope",
                description="scanning " * (i % 5 + 1), keywords=["SEM"] if i % 2 else [])
            for i in range(1, 41)]
    rebuild(tmp_path / "ix", docs[:25], procs=1)
    ix = open_index(tmp_path / "ix")
    ix.add(docs[25:])  # a second segment
    ix.delete([3, 4])
    snapshot = ix._current()
    yield snapshot
    ix.close()


def test_w3_codec_leaves_out_length_statistics():
    codec = whoosh_internals.w3_codec()
    assert type(codec).__name__ == "W3Codec"
    assert codec.length_stats is False


def test_byte_to_length_table_covers_every_byte():
    from whoosh.util.numeric import length_to_byte

    table = whoosh_internals.byte_to_length_table()
    assert len(table) == 256 and table == sorted(table)
    assert all(length_to_byte(length) == b for b, length in enumerate(table))


def test_segment_key_is_the_same_for_every_reader_of_a_segment(snap: Snapshot, tmp_path):
    keys = [whoosh_internals.segment_key(seg) for seg, _ in snap.leaves]
    assert len(keys) == len(set(keys)) >= 2
    with open_index(tmp_path / "ix") as again:
        assert [whoosh_internals.segment_key(seg) for seg, _ in again._current().leaves] == keys


def test_field_lengths_agree_with_whoosh(snap: Snapshot):
    for seg, _offset in snap.leaves:
        lengths = whoosh_internals.field_lengths(seg, "body")
        assert len(lengths) == seg.doc_count_all()
        assert lengths == [seg.doc_field_length(d, "body", 0) for d in range(seg.doc_count_all())]
        assert all(lengths)


def test_deleted_docs_are_the_deleted_records(snap: Snapshot):
    gone = set()
    for seg, offset in snap.leaves:
        for d in whoosh_internals.deleted_docs(seg):
            gone.add(snap.rids[offset + d])
    assert gone == {3, 4}


def test_posting_blocks_are_the_term_postings(snap: Snapshot):
    token = "电镜"
    for seg, _offset in snap.leaves:
        ids, weights = [], []
        for block_ids, block_weights in whoosh_internals.posting_blocks(seg, "body", token):
            ids.extend(block_ids)
            weights.extend(block_weights)
        expected = seg.postings("body", token)
        want = []
        while expected.is_active():
            want.append((expected.id(), expected.weight()))
            expected.next()
        deleted = whoosh_internals.deleted_docs(seg)
        assert [(d, w) for d, w in zip(ids, weights) if d not in deleted] == want
        assert want
        assert list(whoosh_internals.posting_blocks(seg, "body", "nosuchword")) == []
        assert list(whoosh_internals.posting_blocks(seg, "nosuchfield", token)) == []


def test_the_index_writer_lock_and_the_folder_writer_lock_are_one_lock(tmp_path):
    rebuild(tmp_path / "ix", [doc(1, "扫描电镜")])
    with open_index(tmp_path / "ix") as ix:
        ix._current()
        lock = whoosh_internals.index_writer_lock(ix._ix)
        assert lock.acquire(False)
        try:
            other = whoosh_internals.folder_writer_lock(ix._target)
            assert not other.acquire(False)
        finally:
            lock.release()
        assert other.acquire(False)
        other.release()
