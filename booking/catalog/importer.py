"""Upsert resources from a feed (JSONL, JSONL.gz or CSV) in batches, streaming the file.

Each batch is one transaction: its resources are inserted or updated and recorded in the index
outbox together, so a crash loses at most the batch in flight, never half of it.
"""
from __future__ import annotations

import csv
import gzip
import io
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from sqlalchemy import and_, bindparam, insert, or_, select, update

from ..engine.quotas import carried_quota
from ..errors import DomainError
from ..extensions import db
from ..models import Platform, Resource, utcnow
from ..searching.outbox import enqueue
from .feed import BadRecord, content_hash, from_csv_row, parse_json_line, parse_record, record_key
from .training import carried_rules, feed_statement, imported_training

BATCH_SIZE = 1000
KEEP_REJECTIONS = 1000
SUPPORTED = (".jsonl", ".jsonl.gz", ".csv", ".csv.gz")

Progress = Callable[[int, int | None], None]
"""Called after each batch with (bytes read so far, total bytes or None)."""


class FeedFileError(DomainError):
    """The file as a whole cannot be read: missing, wrong type, broken gzip."""


@dataclass(frozen=True)
class Rejection:
    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


@dataclass
class ImportSummary:
    lines: int = 0
    """Records read (non-blank JSONL lines, CSV rows), good or bad."""
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    withdrawn: int = 0
    reactivated: int = 0
    full: bool = False
    rejections: list[Rejection] = field(default_factory=list)
    """The first KEEP_REJECTIONS rejections; pass on_reject to see every one."""

    def describe(self) -> str:
        text = (f"{self.lines} lines: {self.created} created, {self.updated} updated, "
                f"{self.unchanged} unchanged, {self.rejected} rejected")
        if self.full:
            text += f", {self.withdrawn} withdrawn"
        return text


# -- reading --------------------------------------------------------------------------------

Item = tuple[int, Any]  # (line number, raw record or BadRecord)


class _Source:
    """A feed file opened for streaming, with a byte position for the progress bar."""

    def __init__(self, path: Path) -> None:
        name = path.name.lower()
        kind = next((ext for ext in sorted(SUPPORTED, key=len, reverse=True) if name.endswith(ext)), None)
        if kind is None:
            raise FeedFileError(
                f"unsupported file type {path.name!r}: use .jsonl, .jsonl.gz or .csv"
            )
        try:
            self.raw: IO[bytes] = open(path, "rb")  # noqa: SIM115 (closed in close())
        except FileNotFoundError:
            raise FeedFileError(f"no such file: {path}") from None
        except IsADirectoryError:
            raise FeedFileError(f"{path} is a directory, not a feed file") from None
        except OSError as exc:
            raise FeedFileError(f"cannot read {path}: {exc.strerror}") from None
        self.path = path
        self.total = path.stat().st_size
        self.csv = kind.startswith(".csv")
        self.stream: IO[bytes] = self.raw
        self.text: io.TextIOWrapper | None = None
        if kind.endswith(".gz"):
            gz = gzip.GzipFile(fileobj=self.raw)
            try:
                gz.peek(1)
            except (OSError, EOFError, zlib.error):
                self.raw.close()
                raise FeedFileError(f"{path.name} is not a readable gzip file") from None
            self.stream = gz  # type: ignore[assignment]

    def position(self) -> int:
        return self.raw.tell()

    def items(self) -> Iterator[Item]:
        try:
            yield from (self._csv_items() if self.csv else _jsonl_items(self.stream))
        except (OSError, EOFError, zlib.error) as exc:
            raise FeedFileError(f"{self.path.name} is truncated or corrupt: {exc}") from None

    def _csv_items(self) -> Iterator[Item]:
        self.text = io.TextIOWrapper(self.stream, encoding="utf-8-sig", newline="")
        reader = csv.DictReader(self.text)
        try:
            next_line = 2  # the header is line 1
            for row in reader:
                line, next_line = next_line, reader.line_num + 1
                try:
                    yield line, from_csv_row(row)
                except BadRecord as exc:
                    yield line, exc
        except UnicodeDecodeError:
            raise FeedFileError(f"{self.path.name} is not UTF-8 text (after line {reader.line_num})") from None
        except csv.Error as exc:
            raise FeedFileError(f"{self.path.name}: bad CSV near line {reader.line_num}: {exc}") from None

    def close(self) -> None:
        if self.text is not None:
            self.text.close()  # closes self.stream too
        elif self.stream is not self.raw:
            self.stream.close()
        self.raw.close()


def _jsonl_items(lines: Iterable[bytes | str | dict[str, Any]]) -> Iterator[Item]:
    for number, line in enumerate(lines, start=1):
        if isinstance(line, dict):
            yield number, line
            continue
        if isinstance(line, bytes):
            try:
                line = line.decode("utf-8")
            except UnicodeDecodeError:
                yield number, BadRecord("not UTF-8 text")
                continue
        if number == 1:
            line = line.lstrip("\ufeff")
        if not line.strip():
            continue  # blank lines are allowed, and skipped
        try:
            yield number, parse_json_line(line)
        except BadRecord as exc:
            yield number, exc


# -- writing --------------------------------------------------------------------------------


@dataclass
class _Run:
    full: bool
    summary: ImportSummary
    on_reject: Callable[[Rejection], None] | None
    platforms: dict[str, tuple[int, str]]  # code -> (id, city_zh)
    seen: dict[tuple[int, str], int] = field(default_factory=dict)  # key -> first line
    named: set[int] = field(default_factory=set)  # platform ids named by the file

    def reject(self, line: int, reason: str) -> None:
        self.summary.rejected += 1
        rejection = Rejection(line, reason)
        if len(self.summary.rejections) < KEEP_REJECTIONS:
            self.summary.rejections.append(rejection)
        if self.on_reject is not None:
            self.on_reject(rejection)

    def protect(self, raw: Any) -> None:
        """A rejected line still names its resource: --full must not withdraw it for a typo."""
        key = record_key(raw)
        if key is not None and key[0] in self.platforms:
            platform_id = self.platforms[key[0]][0]
            self.named.add(platform_id)
            self.seen.setdefault((platform_id, key[1]), 0)


def _load_platforms() -> dict[str, tuple[int, str]]:
    rows = db.session.execute(select(Platform.code, Platform.id, Platform.city_zh))
    return {code: (pid, city) for code, pid, city in rows}


TABLE = Resource.__table__
_UPDATE = (
    update(TABLE)
    .where(TABLE.c.id == bindparam("b_id"))
    .values({name: bindparam(name) for name in (
        "kind", "title", "title_en", "description", "category", "keywords", "city", "location", "attributes",
        "price_amount", "price_currency", "price_unit", "bookable", "orderable", "opening_hours",
        "booking_rules", "contact_email", "source_updated_at", "content_hash", "status", "updated_at",
        "requires_training",
    )})
)


def _keys_clause(rows: Iterable[dict[str, Any]]) -> Any:
    """WHERE (platform_id, external_id) is one of the rows' keys; served by the unique index."""
    by_platform: dict[int, list[str]] = {}
    for row in rows:
        by_platform.setdefault(row["platform_id"], []).append(row["external_id"])
    return or_(*(and_(TABLE.c.platform_id == pid, TABLE.c.external_id.in_(ids)) for pid, ids in by_platform.items()))


def _write_batch(run: _Run, batch: list[tuple[int, dict[str, Any], str]]) -> None:
    """Upsert one batch of checked records in the current transaction, then commit."""
    existing: dict[tuple[int, str], tuple[int, str, str]] = {}
    query = select(TABLE.c.platform_id, TABLE.c.external_id, TABLE.c.id, TABLE.c.content_hash,
                   TABLE.c.status).where(_keys_clause(values for _, values, _ in batch))
    for pid, ext, rid, digest, status in db.session.execute(query):
        existing[(pid, ext)] = (rid, digest, status)

    now = utcnow()
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for _, values, digest in batch:
        found = existing.get((values["platform_id"], values["external_id"]))
        if found is None:
            inserts.append({**values, "content_hash": digest, "status": "active", "created_at": now,
                            "updated_at": now, "requires_training": feed_statement(values["attributes"]) is True})
            continue
        rid, old_digest, status = found
        if old_digest == digest and status == "active":
            run.summary.unchanged += 1
            continue
        if status != "active":
            run.summary.reactivated += 1
        updates.append({**values, "b_id": rid, "content_hash": digest, "status": "active", "updated_at": now})

    # Core statements on the table, one executemany each: the ORM's bulk paths split rows by
    # which values are None (a statement per few rows), and INSERT … RETURNING turns into huge
    # multi-row statements that psycopg re-parses every time. The new ids are read back by key.
    _keep_staff_training(updates)
    changed: list[int] = []
    if inserts:
        db.session.execute(insert(TABLE), inserts)
        changed.extend(db.session.scalars(select(TABLE.c.id).where(_keys_clause(inserts))))
    if updates:
        db.session.execute(_UPDATE, updates)
        changed.extend(row["b_id"] for row in updates)
    enqueue(changed)
    db.session.commit()
    run.summary.created += len(inserts)
    run.summary.updated += len(updates)


def _keep_staff_training(updates: list[dict[str, Any]]) -> None:
    """Training on update: the feed's statement, unless staff chose for the resource (their choice
    is carried over in its booking rules); a feed that says nothing leaves it as it was."""
    if not updates:
        return
    old = {rid: (required, rules) for rid, required, rules in db.session.execute(
        select(TABLE.c.id, TABLE.c.requires_training, TABLE.c.booking_rules)
        .where(TABLE.c.id.in_([row["b_id"] for row in updates])))}
    for row in updates:
        required, rules = old.get(row["b_id"], (False, None))
        row["requires_training"] = imported_training(feed_statement(row["attributes"]), bool(required), rules)
        row["booking_rules"] = carried_quota(carried_rules(row["booking_rules"], rules), rules)


def _withdraw_missing(run: _Run, batch_size: int) -> None:
    """--full: active resources of the named platforms that the file did not list."""
    for platform_id in sorted(run.named):
        query = select(Resource.id, Resource.external_id).where(
            Resource.platform_id == platform_id, Resource.status == "active"
        )
        missing = [rid for rid, ext in db.session.execute(query) if (platform_id, ext) not in run.seen]
        for start in range(0, len(missing), batch_size):
            chunk = missing[start:start + batch_size]
            db.session.execute(
                update(TABLE).where(TABLE.c.id.in_(chunk)).values(status="withdrawn", updated_at=utcnow())
            )
            enqueue(chunk)
            run.summary.withdrawn += len(chunk)
        db.session.commit()


def import_records(
    items: Iterable[Item],
    *,
    full: bool = False,
    batch_size: int = BATCH_SIZE,
    on_reject: Callable[[Rejection], None] | None = None,
    after_batch: Callable[[], None] | None = None,
) -> ImportSummary:
    """Upsert (line number, raw record) pairs; the core of import_feed."""
    summary = ImportSummary(full=full)
    run = _Run(full=full, summary=summary, on_reject=on_reject, platforms=_load_platforms())
    batch: list[tuple[int, dict[str, Any], str]] = []
    try:
        for line, raw in items:
            summary.lines += 1  # records read: blank lines and a CSV header do not count
            if isinstance(raw, BadRecord):
                run.reject(line, raw.reason)
                continue
            try:
                values = parse_record(raw)
            except BadRecord as exc:
                run.reject(line, exc.reason)
                run.protect(raw)
                continue
            code = values.pop("platform")
            platform = run.platforms.get(code)
            if platform is None:
                run.reject(line, f"unknown platform {code!r}")
                continue
            key = (platform[0], values["external_id"])
            first = run.seen.get(key)
            if first is not None:
                where = f"line {first}" if first else "a rejected line"
                run.reject(line, f"duplicate external_id {values['external_id']!r} for {code} (see {where})")
                continue
            run.seen[key] = line
            run.named.add(platform[0])
            digest = content_hash(values)  # of the feed's values, before defaults from the platform
            values["platform_id"] = platform[0]
            if values["city"] is None:
                values["city"] = platform[1] or None
            batch.append((line, values, digest))
            if len(batch) >= batch_size:
                _write_batch(run, batch)
                batch = []
                if after_batch is not None:
                    after_batch()
        if batch:
            _write_batch(run, batch)
        if full:
            _withdraw_missing(run, batch_size)
    except FeedFileError as exc:  # the file broke off part-way: say what was kept
        db.session.rollback()
        kept = f"{summary.created} created and {summary.updated} updated before it were kept"
        withdrawn = ", nothing was withdrawn" if full else ""
        raise FeedFileError(f"{exc.message} (after {summary.lines} records; {kept}{withdrawn})") from None
    except BaseException:
        db.session.rollback()
        raise
    if after_batch is not None:
        after_batch()
    return summary


def import_feed(
    source: str | Path | Iterable[str | bytes | dict[str, Any]],
    *,
    full: bool = False,
    progress: Progress | None = None,
    batch_size: int = BATCH_SIZE,
    on_reject: Callable[[Rejection], None] | None = None,
) -> ImportSummary:
    """Import a feed file (by path) or JSONL lines (strings, bytes or already-decoded dicts).

    `full=True` treats the feed as the whole catalogue of every platform it names: their active
    resources missing from it are withdrawn (never deleted). Bad lines are counted and reported,
    never fatal; a file that cannot be read at all raises FeedFileError.

    Commits once per batch of `batch_size` records (the rows and their index outbox entries
    together), so a crash keeps whole batches only; --full withdrawals are committed at the end,
    after the whole file has been read.
    """
    if not isinstance(source, (str, Path)):
        return import_records(_jsonl_items(source), full=full, batch_size=batch_size, on_reject=on_reject)
    opened = _Source(Path(source))
    try:
        report = (lambda: progress(opened.position(), opened.total)) if progress else None
        return import_records(opened.items(), full=full, batch_size=batch_size,
                              on_reject=on_reject, after_batch=report)
    finally:
        opened.close()
