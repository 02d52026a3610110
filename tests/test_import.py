"""The resource importer: `import_feed` and `onestop import`, on SQLite and PostgreSQL."""
from __future__ import annotations

import csv
import gzip
import json
import os
import random
import re
import subprocess
import sys
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from booking.catalog import importer
from booking.catalog.importer import FeedFileError, import_feed
from booking.cli import cli, register_commands
from booking.extensions import db
from booking.models import IndexOutbox, Resource

ROOT = Path(__file__).resolve().parent.parent


def record(n: int = 1, **fields: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "platform": "NJNC", "external_id": f"NJNC-I{n:05d}", "kind": "instrument",
        "title": f"场发射扫描电镜 {n}", "title_en": "Field Emission SEM", "description": "可测形貌",
        "category": "仪器设备/电子显微镜", "keywords": ["FE-SEM", "场发射扫描电镜"], "city": "南京",
        "location": "科技楼312室", "attributes": {"manufacturer": "Hitachi High-Tech", "model": "Regulus 8100"},
        "price": {"amount": 650.0, "currency": "CNY", "unit": "hour"}, "bookable": True,
        "opening_hours": {"mon": [["08:30", "12:00"], ["13:30", "17:30"]], "sun": []},
        "contact_email": "booking@atc.example.edu", "updated_at": "2024-05-12T09:31:05+08:00",
    }
    values.update(fields)
    return values


def lines(*records: Any) -> list[str]:
    return [r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in records]


def write_jsonl(path: Path, rows: list[Any]) -> Path:
    path.write_text("\n".join(lines(*rows)) + "\n", encoding="utf-8")
    return path


def resources() -> dict[str, Resource]:
    db.session.expire_all()
    return {r.external_id: r for r in db.session.scalars(sa.select(Resource))}


def outbox_ids() -> list[int]:
    return list(db.session.scalars(sa.select(IndexOutbox.resource_id).order_by(IndexOutbox.id)))


@pytest.fixture
def njnc(make_platform):
    return make_platform(code="NJNC", city_zh="南京")


@pytest.fixture
def cli_run(app):
    """Run `onestop ARGS` in-process against the test app; returns the click Result."""
    register_commands()
    from click.testing import CliRunner

    def run(*args: str) -> Any:
        return CliRunner().invoke(cli, list(args), obj=app)

    return run


# -- good lines -------------------------------------------------------------------------------


def test_good_lines_become_resources_with_every_field_mapped(njnc):
    service = record(2, external_id="TST-1", kind="testing_service", title="金属材料室温拉伸试验",
                     price={"amount": 300, "currency": "cny", "unit": "sample"}, bookable=False,
                     opening_hours=None, city=None, booking_rules=None, unknown_field="ignored")
    rules = {"requires_approval": True, "min_minutes": 60, "max_minutes": 240}
    summary = import_feed(lines(record(1, booking_rules=rules), service))

    assert (summary.created, summary.updated, summary.unchanged, summary.rejected) == (2, 0, 0, 0)
    rows = resources()
    sem = rows["NJNC-I00001"]
    assert sem.platform_id == njnc.id and sem.kind == "instrument" and sem.status == "active"
    assert (sem.title, sem.title_en, sem.category) == ("场发射扫描电镜 1", "Field Emission SEM", "仪器设备/电子显微镜")
    assert sem.keywords == ["FE-SEM", "场发射扫描电镜"]
    assert sem.attributes["model"] == "Regulus 8100"
    assert (sem.price_amount, sem.price_currency, sem.price_unit) == (Decimal("650.00"), "CNY", "hour")
    assert sem.bookable is True and sem.orderable is False
    assert sem.opening_hours == {"mon": [["08:30", "12:00"], ["13:30", "17:30"]], "sun": []}
    assert sem.booking_rules == rules
    assert sem.source_updated_at == datetime(2024, 5, 12, 1, 31, 5, tzinfo=UTC)
    assert len(sem.content_hash) == 64
    test = rows["TST-1"]
    assert test.orderable is True and test.bookable is False  # orderable by default for services
    assert test.price_currency == "CNY" and test.city == "南京"  # the platform's city when absent
    assert sorted(outbox_ids()) == sorted(r.id for r in rows.values())


# -- bad lines --------------------------------------------------------------------------------

BAD_LINES: list[tuple[Any, str]] = [
    ('{"platform": "NJNC", "external_id": ', "bad JSON: "),
    ("[1, 2, 3]", "not a JSON object but a list"),
    (record(title=""), "missing title"),
    ({k: v for k, v in record().items() if k != "title"}, "missing title"),
    (record(kind="robot"), "unknown kind 'robot'"),
    (record(platform="NOPE"), "unknown platform 'NOPE'"),
    ({k: v for k, v in record().items() if k != "external_id"}, "missing external_id"),
    (record(price={"amount": -1, "currency": "CNY", "unit": "hour"}), "bad price: amount -1 is negative"),
    (record(price={"amount": "650", "currency": "CNY", "unit": "hour"}), "bad price: amount must be a number"),
    (record(price={"amount": 1, "currency": "RMB1", "unit": "hour"}), "bad price: currency must be 3 letters"),
    (record(price={"amount": 1, "currency": "CNY", "unit": "week"}), "bad price: unit must be one of"),
    (record(opening_hours={"mon": [["12:00", "08:00"]]}), "bad opening_hours: mon 12:00-08:00 must end after it starts"),
    (record(opening_hours={"mon": [["8:30", "12:00"]]}), "bad opening_hours: mon: '8:30' is not a time"),
    (record(opening_hours={"monday": []}), "bad opening_hours: unknown day 'monday'"),
    (record(opening_hours={"mon": [["08:00", "12:00"], ["11:00", "13:00"]]}), "bad opening_hours: mon intervals overlap"),
    (record(opening_hours=["mon"]), "bad opening_hours: must be an object"),
    (record(booking_rules={"min_minutes": 120, "max_minutes": 60}), "bad booking_rules: min_minutes 120 > max_minutes 60"),
    (record(booking_rules={"colour": "red"}), "bad booking_rules: unknown rule 'colour'"),
    (record(booking_rules={"requires_approval": "yes"}), "bad booking_rules: requires_approval must be true or false"),
    (record(booking_rules={"min_minutes": 30.5}), "bad booking_rules: min_minutes must be a whole number"),
    (record(updated_at="yesterday"), "bad updated_at 'yesterday': not an ISO 8601"),
    (record(updated_at="2024-05-12T09:31:05"), "bad updated_at '2024-05-12T09:31:05': needs a UTC offset"),
    (record(title="长" * 501), "title too long (501 characters, at most 500)"),
    (record(keywords="SEM"), "keywords must be a list of strings, not a string"),
    (record(bookable="yes"), "bookable must be true or false"),
    (record(attributes=[1]), "attributes must be an object"),
    (record(title=42), "title must be a string, not a number"),
    (record(description="描" * 200_001), "line too long (200"),
    (record(description="描" * 20_001), "description too long (20001 characters, at most 20000)"),
    (record(contact_email="not-an-address"), "bad contact_email 'not-an-address'"),
    # Text no database column takes: rejected as a line, never a crash of the batch.
    (json.dumps(record(title="扫描\u0000电镜")), "text contains a NUL character"),
    (json.dumps(record(attributes={"model": "\ud800"})), "text contains an unpaired UTF-16 surrogate"),
    (json.dumps(record(title="NaN")).replace('"NaN"', "NaN"), "bad JSON: NaN is not a number JSON allows"),
]


def test_each_bad_line_is_rejected_with_its_line_number_and_reason(njnc):
    feed = [record(0, external_id="GOOD-FIRST"), *(bad for bad, _ in BAD_LINES), record(0, external_id="GOOD-LAST")]
    summary = import_feed(lines(*feed))

    assert summary.created == 2 and summary.rejected == len(BAD_LINES)
    assert set(resources()) == {"GOOD-FIRST", "GOOD-LAST"}
    by_line = {r.line: r.reason for r in summary.rejections}
    for n, (_, reason) in enumerate(BAD_LINES, start=2):
        assert by_line[n].startswith(reason), (n, by_line[n])
    assert str(summary.rejections[0]).startswith("line 2: bad JSON")


def test_blank_lines_are_skipped_but_still_counted_for_line_numbers(njnc):
    summary = import_feed(["", json.dumps(record(1)), "   ", json.dumps(record(2, kind="robot"))])
    assert summary.created == 1
    assert [str(r) for r in summary.rejections] == ["line 4: unknown kind 'robot'"]


def test_duplicate_external_id_in_one_file_is_rejected(njnc):
    summary = import_feed(lines(record(1), record(1, title="again")))
    assert summary.created == 1
    assert str(summary.rejections[0]) == "line 2: duplicate external_id 'NJNC-I00001' for NJNC (see line 1)"


def test_edge_values_are_accepted(njnc):
    summary = import_feed(lines(
        record(1, opening_hours={d: [["00:00", "24:00"]] for d in ("mon", "tue")}),
        record(2, opening_hours={"mon": [["00:00", "23:59"]]}, price=None, external_id=12345),
        record(3, updated_at="2024-05-12T01:31:05Z", price={"amount": 0, "currency": "CNY", "unit": "day"}),
    ))
    assert summary.created == 3, summary.rejections
    rows = resources()
    assert rows["12345"].price_amount is None
    assert rows["NJNC-I00003"].price_amount == Decimal("0")


# -- formats ----------------------------------------------------------------------------------


def test_csv_with_nested_fields_as_json_text(njnc, tmp_path):
    path = tmp_path / "feed.csv"
    columns = ["platform", "external_id", "kind", "title", "keywords", "price", "bookable", "orderable",
               "opening_hours", "booking_rules", "updated_at", "description"]
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(columns)
        writer.writerow(["NJNC", "C-1", "instrument", "X射线衍射仪 D8 ADVANCE", '["XRD", "物相分析"]',
                         '{"amount": 200, "currency": "CNY", "unit": "hour"}', "true", "",
                         '{"mon": [["08:30", "12:00"]]}', '{"requires_approval": true}',
                         "2024-01-02T03:04:05+08:00", "多行\n描述"])
        writer.writerow(["NJNC", "C-2", "robot", "机器人", "", "", "", "", "", "", "", ""])
        writer.writerow(["NJNC", "C-3", "testing_service", "拉伸试验", "", "", "false", "true", "", "", "", ""])
        writer.writerow(["NJNC", "C-4", "instrument", "坏价格", "", "{amount: 1}", "", "", "", "", "", ""])
        writer.writerow(["NJNC", "C-5", "instrument", "坏布尔", "", "", "yes", "", "", "", "", ""])
    summary = import_feed(path)

    assert (summary.lines, summary.created, summary.rejected) == (5, 2, 3)
    # The first data row spans lines 2-3 (a quoted newline), so the next rows are lines 4, 5, 6, 7.
    assert [str(r) for r in summary.rejections] == [
        "line 4: unknown kind 'robot'",
        "line 6: bad price: not valid JSON text",
        "line 7: bookable must be true or false, not 'yes'",
    ]
    rows = resources()
    xrd = rows["C-1"]
    assert xrd.keywords == ["XRD", "物相分析"] and xrd.price_amount == Decimal("200.00")
    assert xrd.bookable is True and xrd.booking_rules == {"requires_approval": True}
    assert xrd.description == "多行\n描述"
    assert rows["C-3"].orderable is True and rows["C-3"].bookable is False


def test_gzip_jsonl(njnc, tmp_path):
    path = tmp_path / "feed.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        for n in range(1, 6):
            fh.write(json.dumps(record(n), ensure_ascii=False) + "\n")
        fh.write("not json\n")
    summary = import_feed(path)
    assert (summary.created, summary.rejected) == (5, 1)
    assert str(summary.rejections[0]).startswith("line 6: bad JSON")


def test_a_truncated_gzip_keeps_whole_batches_and_withdraws_nothing(njnc, tmp_path):
    import_feed(lines(record(999)))
    path = tmp_path / "feed.jsonl.gz"
    # Incompressible text, so that the cut falls well after the first batch.
    noise = random.Random(7)
    text = "".join(json.dumps(record(n, description=noise.randbytes(300).hex())) + "\n" for n in range(1, 51))
    data = gzip.compress(text.encode())
    path.write_bytes(data[: len(data) * 3 // 4])
    with pytest.raises(FeedFileError, match=r"truncated or corrupt") as caught:
        import_feed(path, full=True, batch_size=10)
    match = re.search(r"\(after \d+ records; (\d+) created and 0 updated before it were kept, "
                      r"nothing was withdrawn\)$", caught.value.message)
    assert match, caught.value.message
    kept = int(match.group(1))
    assert kept >= 10 and kept % 10 == 0  # whole batches only
    rows = resources()
    assert len(rows) == kept + 1 and rows["NJNC-I00999"].status == "active"


def test_unreadable_files_raise_a_clear_error(app, tmp_path):
    with pytest.raises(FeedFileError, match="no such file"):
        import_feed(tmp_path / "missing.jsonl")
    (tmp_path / "feed.xml").write_text("<x/>")
    with pytest.raises(FeedFileError, match="unsupported file type 'feed.xml'"):
        import_feed(tmp_path / "feed.xml")
    (tmp_path / "fake.jsonl.gz").write_text("plain text, not gzip")
    with pytest.raises(FeedFileError, match="not a readable gzip file"):
        import_feed(tmp_path / "fake.jsonl.gz")


# -- idempotence, --full ----------------------------------------------------------------------


def test_second_import_is_all_unchanged_and_one_edit_is_one_update(njnc, tmp_path):
    feed = [record(n) for n in range(1, 21)]
    path = write_jsonl(tmp_path / "feed.jsonl", feed)
    first = import_feed(path, batch_size=7)  # small batches: changes span several of them
    assert (first.created, first.updated, first.unchanged) == (20, 0, 0)
    queued = len(outbox_ids())

    second = import_feed(path, batch_size=7)
    assert (second.created, second.updated, second.unchanged, second.rejected) == (0, 0, 20, 0)
    assert len(outbox_ids()) == queued  # nothing re-indexed

    feed[6] = record(7, title="场发射扫描电镜 7（已升级）")
    third = import_feed(write_jsonl(path, feed), batch_size=7)
    assert (third.created, third.updated, third.unchanged) == (0, 1, 19)
    edited = resources()["NJNC-I00007"]
    assert edited.title == "场发射扫描电镜 7（已升级）"
    assert outbox_ids()[queued:] == [edited.id]

    # Edits in several batches, plus new lines: each counted once, the rest untouched.
    feed[0] = record(1, price=None)
    feed[15] = record(16, opening_hours=None)
    feed.append(record(21))
    fourth = import_feed(write_jsonl(path, feed), batch_size=7)
    assert (fourth.created, fourth.updated, fourth.unchanged) == (1, 2, 18)
    rows = resources()
    assert rows["NJNC-I00001"].price_amount is None and rows["NJNC-I00016"].opening_hours is None
    assert rows["NJNC-I00002"].price_amount == Decimal("650.00")


def test_full_withdraws_what_the_file_lacks_and_reactivates_what_returns(njnc, make_platform):
    other = make_platform(code="OTHR")
    import_feed(lines(*(record(n) for n in range(1, 6)), record(9, platform="OTHR")))
    ids = {ext: r.id for ext, r in resources().items()}
    before = len(outbox_ids())

    # Lines 1, 2 and 4 present; line 3 present but bad (a typo must not withdraw it); 5 gone.
    full = import_feed(lines(record(1), record(2), record(3, kind="robot"), record(4)), full=True)
    assert (full.unchanged, full.rejected, full.withdrawn) == (3, 1, 1)
    rows = resources()
    assert rows["NJNC-I00005"].status == "withdrawn"
    assert {rows[f"NJNC-I0000{n}"].status for n in (1, 2, 3, 4)} == {"active"}
    assert rows["NJNC-I00009"].status == "active" and rows["NJNC-I00009"].platform_id == other.id
    assert outbox_ids()[before:] == [ids["NJNC-I00005"]]

    # A plain import never withdraws; a withdrawn resource that reappears is active again.
    again = import_feed(lines(record(5)))
    assert (again.updated, again.reactivated, again.withdrawn) == (1, 1, 0)
    assert resources()["NJNC-I00005"].status == "active"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Resource)) == 6  # nothing deleted


def test_a_failure_mid_import_keeps_whole_batches_only(njnc, monkeypatch):
    calls = {"n": 0}
    real_enqueue = importer.enqueue

    def failing_enqueue(ids: Any) -> None:
        calls["n"] += 1
        real_enqueue(ids)
        if calls["n"] == 2:
            raise RuntimeError("disk full")

    monkeypatch.setattr(importer, "enqueue", failing_enqueue)
    with pytest.raises(RuntimeError):
        import_feed(lines(*(record(n) for n in range(1, 26))), batch_size=10)
    assert len(resources()) == 10  # the first batch, entirely; nothing of the second
    assert len(outbox_ids()) == 10


def test_ten_thousand_generated_lines(njnc, make_platform):
    make_platform(code="SZXC")
    kinds = ["instrument", "testing_service", "patent", "document", "germplasm", "lab_animal", "facility", "space"]

    def feed() -> Any:
        for n in range(10_000):
            if n % 1000 == 999:
                yield json.dumps(record(n, kind="robot"))  # 10 bad lines
                continue
            yield json.dumps(record(n, platform=("NJNC", "SZXC")[n % 2], kind=kinds[n % 8], title=f"资源 {n}",
                                    external_id=f"E{n}"), ensure_ascii=False)

    summary = import_feed(feed())
    assert (summary.lines, summary.created, summary.rejected) == (10_000, 9_990, 10)
    assert summary.rejections[0] == importer.Rejection(1000, "unknown kind 'robot'")
    count = db.session.scalar(sa.select(sa.func.count()).select_from(Resource))
    assert count == 9_990
    per_kind = dict(db.session.execute(sa.select(Resource.kind, sa.func.count()).group_by(Resource.kind)).all())
    assert set(per_kind) == set(kinds) and sum(per_kind.values()) == 9_990
    assert db.session.scalar(sa.select(sa.func.count()).select_from(IndexOutbox)) == 9_990


# -- the command ------------------------------------------------------------------------------


def test_cli_import_prints_a_summary_and_the_first_rejections(njnc, cli_run, tmp_path):
    feed = [record(1), record(2, kind="robot"), "{oops", record(4, title="")]
    path = write_jsonl(tmp_path / "feed.jsonl", feed)
    errors = tmp_path / "errors.txt"
    result = cli_run("import", str(path), "--show", "2", "--errors", str(errors))

    assert result.exit_code == 0, result.output
    assert "1 created, 0 updated, 0 unchanged, 3 rejected" in result.stdout
    assert "line 2: unknown kind 'robot'" in result.stdout
    assert "line 3: bad JSON" in result.stdout
    assert "line 4" not in result.stdout and "1 more" in result.stdout
    assert "3 lines were rejected" in result.stderr
    assert errors.read_text().splitlines() == [
        "line 2: unknown kind 'robot'",
        "line 3: bad JSON: Expecting property name enclosed in double quotes",
        "line 4: missing title",
    ]
    assert "\r" not in result.output  # no progress bar when not on a terminal

    full = cli_run("import", str(write_jsonl(path, [record(2)])), "--full")
    assert full.exit_code == 0
    assert "1 created, 0 updated, 0 unchanged, 0 rejected, 1 withdrawn" in full.stdout


@pytest.mark.parametrize("name, content, message", [
    ("missing.jsonl", None, "Error: no such file: "),
    ("feed.txt", "{}", "Error: unsupported file type 'feed.txt': use .jsonl, .jsonl.gz or .csv"),
    ("feed.jsonl.gz", "plain text", "Error: feed.jsonl.gz is not a readable gzip file"),
])
def test_cli_user_errors_exit_1_with_one_line(cli_run, tmp_path, name, content, message):
    path = tmp_path / name
    if content is not None:
        path.write_text(content)
    result = cli_run("import", str(path))
    assert result.exit_code == 1
    assert result.stderr.startswith(message) and len(result.stderr.strip().splitlines()) == 1
    assert result.stdout == ""


@pytest.mark.parametrize("args", [["import"], ["import", "a.jsonl", "--nope"], ["import", "a.jsonl", "--show", "-1"]])
def test_cli_usage_errors_exit_2(cli_run, args):
    result = cli_run(*args)
    assert result.exit_code == 2
    assert "Usage:" in result.stderr and "Traceback" not in result.output


def test_python_m_booking_import_end_to_end(database_url, tmp_path, make_platform):
    make_platform(code="NJNC")
    env = {**os.environ, "ONESTOP_DATABASE_URL": database_url, "ONESTOP_INSTANCE": str(tmp_path / "inst")}
    feed = write_jsonl(tmp_path / "feed.jsonl", [record(1), record(2, kind="robot")])

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "booking", *args], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=60)

    ok = run("import", str(feed))
    assert ok.returncode == 0, ok.stderr
    assert "1 created" in ok.stdout and "line 2: unknown kind 'robot'" in ok.stdout
    missing = run("import", str(tmp_path / "missing.jsonl"))
    assert missing.returncode == 1
    assert missing.stderr.strip() == f"Error: no such file: {tmp_path / 'missing.jsonl'}"
