"""The index folder on disk: its marker, generations, the atomic ``current`` swap, the move out
of the earlier layout, the lock between processes preparing it, and the health check.

Layout::

    path/
      onestop-index-folder.json   says "this folder is a OneStop index" (written first)
      current -> generations/gen-<stamp>-<pid>-<hex>     a symbolic link, swapped atomically
      generations/gen-.../        one Whoosh index each, with onestop-index.json (schema version)

Nothing is ever written into, or deleted from, a folder that holds neither the marker nor
nothing at all (:class:`NotAnIndexFolder`), and old generations are removed only from
``generations/``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index

from . import whoosh_internals
from .schema import SCHEMA_VERSION, make_schema

__all__ = ["NotAnIndexFolder", "MARKER", "FOLDER_MARKER", "GENERATIONS", "CURRENT", "LAYOUT",
           "UNFINISHED_GRACE", "analyzer_fingerprint", "read_marker", "write_marker", "folder_lock",
           "prepare_folder", "new_generation_dir", "swap_in", "diagnose", "create_empty"]

MARKER = "onestop-index.json"  # in each generation: schema version and analyser fingerprint
#: The file that makes a folder a OneStop index folder: nothing else is ever written or deleted.
FOLDER_MARKER = "onestop-index-folder.json"
GENERATIONS = "generations"
CURRENT = "current"
LAYOUT = 2
_GENERATION_RE = re.compile(r"gen-\d{14}-\d+-[0-9a-f]{6}")
#: A generation without a finished marker younger than this may be a rebuild at work elsewhere.
UNFINISHED_GRACE = 3600.0


class NotAnIndexFolder(RuntimeError):
    """The index path holds something that is not a OneStop index (a database, a secret key, an
    instance folder...).  Nothing in it was changed: the caller must point the index elsewhere."""

    def __init__(self, path: str | os.PathLike, why: str) -> None:
        self.path = Path(path)
        self.why = why
        super().__init__(f"{path} is not a OneStop search index folder ({why}); nothing in it was "
                         f"changed: use an empty or new folder for the index")


# -- the generation marker


def analyzer_fingerprint() -> str:
    """Changes when the word lists that shape tokenising (synonyms, user dictionary, intent,
    filler and stop words, the analyser's version) change:
    an index built with other lists must be rebuilt."""
    from . import analysis

    h = hashlib.sha1(analysis.segmenter_name().encode())
    h.update(analysis.word_lists_text().encode("utf-8"))
    for p in (analysis._SYNONYM_FILE, analysis._DICT_FILE):
        if p.exists():
            h.update(p.read_bytes())
    return h.hexdigest()[:16]


def read_marker(folder: Path) -> dict | None:
    """The generation's marker (schema version, analyser fingerprint, built?), or None."""
    try:
        return json.loads((folder / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def write_marker(folder: Path, **extra: Any) -> None:
    data = {"schema_version": SCHEMA_VERSION, "analyzer": analyzer_fingerprint(),
            "created": time.time(), **extra}
    tmp = folder / (MARKER + ".tmp")
    tmp.write_text(json.dumps(data), encoding="utf-8")
    os.replace(tmp, folder / MARKER)


# -- the folder and its lock


@contextmanager
def folder_lock(folder: Path) -> Iterator[None]:
    """An exclusive lock between processes preparing the same index folder (flock on the
    folder itself: no lock file is left behind)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        yield
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - unreadable parent: go on unlocked
        yield
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _write_folder_marker(root: Path) -> None:
    data = {"what": "OneStop search index folder", "layout": LAYOUT, "created": time.time(),
            "note": "Written by OneStop. Everything under generations/ is rebuilt and deleted by "
                    "the index; keep nothing else in this folder."}
    tmp = root / f".{FOLDER_MARKER}.tmp-{secrets.token_hex(3)}"
    tmp.write_text(json.dumps(data), encoding="utf-8")
    os.replace(tmp, root / FOLDER_MARKER)


def _legacy_generation_re(name: str) -> re.Pattern[str]:
    return re.compile(re.escape(name) + r"\.gen-\d{14}-\d+-[0-9a-f]{6}")


def _is_legacy_link(path: Path) -> bool:
    """``path`` is a symbolic link made by the earlier layout: to a sibling ``<name>.gen-...``."""
    if not path.is_symlink():
        return False
    try:
        target = os.readlink(path)
    except OSError:
        return False
    return _legacy_generation_re(path.name).fullmatch(target) is not None


def _migrate_legacy(path: Path) -> None:
    """Move an index of the earlier layout into a folder of its own (caller holds the lock on
    ``path.parent``).  Only the link and ``<name>.gen-...`` siblings are touched: both were made
    by the index."""
    parent = path.parent
    legacy = parent / os.readlink(path)
    staging = parent / f".{path.name}.layout-{secrets.token_hex(4)}"
    staging.mkdir()
    moved: Path | None = None
    try:
        _write_folder_marker(staging)
        (staging / GENERATIONS).mkdir()
        if legacy.is_dir() and not legacy.is_symlink() and (legacy / MARKER).is_file():
            moved = staging / GENERATIONS / _generation_name()
            os.rename(legacy, moved)
            os.symlink(f"{GENERATIONS}/{moved.name}", staging / CURRENT)
        os.unlink(path)
        os.rename(staging, path)
    except BaseException:
        if moved is not None and moved.is_dir():  # put it back as the earlier layout had it
            os.rename(moved, legacy)
            if not path.is_symlink() and not path.exists():
                os.symlink(legacy.name, path)
        shutil.rmtree(staging, ignore_errors=True)
        raise
    pattern = _legacy_generation_re(path.name)
    for old in parent.iterdir():
        if pattern.fullmatch(old.name) and old.is_dir() and not old.is_symlink():
            shutil.rmtree(old, ignore_errors=True)


def _adopt(path: Path) -> Path:
    """The real folder behind ``path`` (caller holds the lock on its parent), created when
    missing and marked when empty; :class:`NotAnIndexFolder` when it holds anything else."""
    if path.is_symlink() and not path.exists():
        raise NotAnIndexFolder(path, "it is a symbolic link to a missing folder")
    root = Path(os.path.realpath(path))
    if not root.exists():
        root.mkdir()
    elif not root.is_dir():
        raise NotAnIndexFolder(path, "it is a file, not a folder")
    if (root / FOLDER_MARKER).is_file():
        return root
    try:
        entries = sorted(e.name for e in os.scandir(root))
    except OSError as exc:
        raise NotAnIndexFolder(path, f"it cannot be read: {exc.strerror}") from None
    if entries:
        shown = ", ".join(entries[:3]) + (f" and {len(entries) - 3} more" if len(entries) > 3 else "")
        raise NotAnIndexFolder(path, f"it holds other files: {shown}")
    _write_folder_marker(root)
    (root / GENERATIONS).mkdir(exist_ok=True)
    return root


def prepare_folder(path: Path) -> Path:
    """The folder that holds the index at ``path``, ready for generations: created when missing,
    adopted when empty, moved out of the earlier layout.  Raises :class:`NotAnIndexFolder` for
    anything else, having changed nothing."""
    if (path / FOLDER_MARKER).is_file():
        return Path(os.path.realpath(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    with folder_lock(path.parent):
        if _is_legacy_link(path):
            _migrate_legacy(path)
        return _adopt(path)


# -- generations


def _generation_name() -> str:
    return f"gen-{time.strftime('%Y%m%d%H%M%S')}-{os.getpid()}-{secrets.token_hex(3)}"


def new_generation_dir(root: Path) -> Path:
    (root / GENERATIONS).mkdir(exist_ok=True)  # never parents: root is ours, and exists
    gen = root / GENERATIONS / _generation_name()
    gen.mkdir()
    return gen


def swap_in(root: Path, gen: Path) -> None:
    """Point ``root/current`` at ``gen`` atomically (a symlink replaced with os.replace)."""
    tmp = root / f".{CURRENT}.swap-{secrets.token_hex(4)}"
    os.symlink(f"{GENERATIONS}/{gen.name}", tmp)
    os.replace(tmp, root / CURRENT)
    _cleanup_generations(root, keep={gen.name})


def _cleanup_generations(root: Path, keep: set[str]) -> None:
    """Remove generations older than the newest two (readers of the previous one may still be
    open in another process), and unfinished ones left by a crash.  Only folders named like a
    generation under ``generations/`` are ever removed."""
    now = time.time()
    gens = []
    for p in (root / GENERATIONS).iterdir():
        if p.name in keep or not _GENERATION_RE.fullmatch(p.name) or p.is_symlink() or not p.is_dir():
            continue
        try:
            gens.append((p.stat().st_mtime, p))
        except OSError:
            continue
    gens.sort(reverse=True)
    for mtime, old in gens[1:]:
        if not (old / MARKER).is_file() and now - mtime < UNFINISHED_GRACE:
            continue  # perhaps a rebuild at work in another process
        shutil.rmtree(old, ignore_errors=True)
    for tmp in root.glob(f".{CURRENT}.swap-*"):
        try:
            if tmp.is_symlink() and now - tmp.lstat().st_mtime > 60:
                tmp.unlink()
        except OSError:
            pass


def create_empty(root: Path) -> None:
    """Swap in a new, empty generation (its marker says it was not built from a feed)."""
    gen = new_generation_dir(root)
    whoosh_index.create_in(str(gen), make_schema())
    write_marker(gen)
    swap_in(root, gen)


# -- health


def _check_quietly(path: Path, wait: float = 2.0) -> str | None:
    """Check the folder while holding the writer lock, so that a writer merging segments
    in another process cannot make a healthy index look damaged.  If the lock stays busy,
    a writer is at work on the folder: it is not treated as damaged."""
    whoosh_internals.check_whoosh_version()  # loudly, not as "damaged"
    try:
        lock = whoosh_internals.folder_writer_lock(str(path))
    except Exception as exc:
        return f"index folder damaged ({type(exc).__name__})"
    deadline = time.monotonic() + wait
    while not lock.acquire(False):
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.05)
    try:
        return _check_whoosh_folder(path)
    finally:
        lock.release()


def _check_whoosh_folder(path: Path) -> str | None:
    """None if Whoosh can open the folder and read every segment, else the problem."""
    from whoosh.filedb.filestore import FileStorage

    class TrackingStorage(FileStorage):
        # Whoosh leaves a file open when it fails to read it: close them all ourselves.
        opened: list = []

        def open_file(self, name, *args, **kwargs):
            f = super().open_file(name, *args, **kwargs)
            self.opened.append(f)
            return f

    storage = TrackingStorage(str(path))
    storage.opened = []
    try:
        ix = storage.open_index()
        with ix.searcher() as s:
            for seg, _ in s.reader().leaf_readers():
                if seg.doc_count_all():
                    seg.stored_fields(0)
        return None
    except Exception as exc:  # damaged TOC, missing segment files, ...
        return f"index folder damaged ({type(exc).__name__})"
    finally:
        for f in storage.opened:
            try:
                f.close()
            except Exception:
                pass


def diagnose(current: Path) -> str | None:
    """Why the generation behind the link ``current`` cannot serve as it is, or None."""
    if not current.is_symlink():
        return "index folder new or empty"
    if not current.exists():
        return "index folder deleted"
    marker = read_marker(current)
    if marker is None:
        return "index folder damaged (no version marker)"
    if marker.get("schema_version") != SCHEMA_VERSION:
        return f"index schema version {marker.get('schema_version')} != {SCHEMA_VERSION}"
    if marker.get("analyzer") != analyzer_fingerprint():
        return "synonym table, dictionary or segmenter changed since the index was built"
    return _check_quietly(Path(os.path.realpath(current)))

