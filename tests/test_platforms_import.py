"""`import_platforms` and `onestop import-platforms`."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from booking.catalog.importer import FeedFileError
from booking.catalog.platforms import import_platforms
from booking.cli import cli, register_commands
from booking.extensions import db
from booking.models import Platform

SHARED = Path("/work/shared/data/platforms.json")


def entry(code: str = "NJNC", **fields: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "code": code, "name_zh": "宁川大学分析测试中心", "name_en": "Ningchuan University Analysis and Testing Center",
        "city_zh": "南京", "city_en": "Nanjing", "kind": "university_lab",
        "address_zh": "南京市栖霞区仙林大道宁川大学科技楼", "timezone": "Asia/Shanghai",
        "email_domain": "atc.example.edu", "buildings": ["科技楼"], "feed_profile": {"lang": [0.5]},
    }
    values.update(fields)
    return values


def platforms() -> dict[str, Platform]:
    db.session.expire_all()
    return {p.code: p for p in db.session.scalars(sa.select(Platform))}


@pytest.fixture
def cli_run(app):
    register_commands()
    from click.testing import CliRunner

    return lambda *args: CliRunner().invoke(cli, list(args), obj=app)


def test_platforms_are_created_then_updated_by_code(app, tmp_path):
    berlin = entry("SGBL", name_zh="中德联合实验室", city_zh="柏林", city_en="Berlin", timezone="Europe/Berlin",
                   kind="research_institute", opening_hours={"mon": [["08:00", "16:00"]]},
                   booking_rules={"requires_approval": True})
    summary = import_platforms([entry(), berlin])
    assert (summary.created, summary.updated, summary.unchanged, summary.rejected) == (2, 0, 0, 0)
    rows = platforms()
    assert rows["NJNC"].address == "南京市栖霞区仙林大道宁川大学科技楼"  # address_zh → address
    assert rows["NJNC"].booking_rules == {}
    assert rows["SGBL"].timezone == "Europe/Berlin"
    assert rows["SGBL"].opening_hours == {"mon": [["08:00", "16:00"]]}
    assert rows["SGBL"].booking_rules == {"requires_approval": True}

    again = import_platforms([entry(name_en="Ningchuan University ATC"), berlin])
    assert (again.created, again.updated, again.unchanged) == (0, 1, 1)
    assert platforms()["NJNC"].name_en == "Ningchuan University ATC"
    assert len(platforms()) == 2


def test_bad_entries_are_rejected_with_index_and_reason(app):
    summary = import_platforms([
        entry("OK1"),
        entry("BADTZ", timezone="Mars/Olympus"),
        entry("BADKIND", kind="spaceport"),
        {"name_zh": "无代码"},
        "not an object",
        entry("OK1"),
        entry("BADHOURS", opening_hours={"mon": [["18:00", "08:00"]]}),
        entry("BAD CODE"),
        entry("OK2"),
    ])
    assert (summary.created, summary.rejected) == (2, 7)
    assert summary.rejections == [
        (1, "unknown timezone 'Mars/Olympus'"),
        (2, "unknown kind 'spaceport' (use one of university_lab, research_institute, testing_centre, "
            "incubator, science_park)"),
        (3, "missing code"),
        (4, "not a JSON object"),
        (5, "duplicate code 'OK1'"),
        (6, "bad opening_hours: mon 18:00-08:00 must end after it starts"),
        (7, "bad code 'BAD CODE': letters, digits, - and _, at most 32"),
    ]
    assert set(platforms()) == {"OK1", "OK2"}


@pytest.mark.skipif(not SHARED.exists(), reason="shared platforms file not present")
def test_cli_imports_the_shared_platforms_file_idempotently(cli_run):
    first = cli_run("import-platforms", str(SHARED))
    assert first.exit_code == 0, first.output
    assert first.stdout.strip() == "platforms: 18 created, 0 updated, 0 unchanged, 0 rejected"
    second = cli_run("import-platforms", str(SHARED))
    assert second.stdout.strip() == "platforms: 0 created, 0 updated, 18 unchanged, 0 rejected"
    assert platforms()["NJNC"].name_en == "Ningchuan University Analysis and Testing Center"


def test_cli_reports_rejections_and_exits_0(cli_run, tmp_path):
    path = tmp_path / "platforms.json"
    path.write_text(json.dumps([entry(), entry("X", timezone="Nowhere/City")]), encoding="utf-8")
    result = cli_run("import-platforms", str(path))
    assert result.exit_code == 0
    assert "1 created" in result.stdout and "entry 1: unknown timezone 'Nowhere/City'" in result.stdout


@pytest.mark.parametrize("content, message", [
    (None, "Error: no such file: "),
    ("[{\"code\": ", "Error: platforms.json is not valid JSON: Expecting value at line 1"),
    ("{\"code\": \"NJNC\"}", "Error: platforms.json must hold a JSON list of platforms"),
])
def test_cli_unreadable_file_exits_1_with_one_line(cli_run, tmp_path, content, message):
    path = tmp_path / "platforms.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    result = cli_run("import-platforms", str(path))
    assert result.exit_code == 1
    assert result.stderr.startswith(message) and len(result.stderr.strip().splitlines()) == 1
    assert platforms() == {}


def test_cli_usage_error_exits_2(cli_run):
    assert cli_run("import-platforms").exit_code == 2


def test_read_error_is_a_domain_error(app, tmp_path):
    with pytest.raises(FeedFileError):
        import_platforms(tmp_path / "missing.json")


def test_an_update_only_changes_the_fields_it_gives(app):
    import_platforms([entry("SGBL", timezone="Europe/Berlin", kind="research_institute")])
    summary = import_platforms([{"code": "SGBL", "name_en": "Sino-German Lab"}, {"code": "NEW"}])
    assert (summary.updated, summary.rejections) == (1, [(1, "missing name_zh")])
    berlin = platforms()["SGBL"]
    assert (berlin.timezone, berlin.kind, berlin.name_en) == ("Europe/Berlin", "research_institute", "Sino-German Lab")
    assert berlin.name_zh == "宁川大学分析测试中心"  # not replaced by the English name
    import_platforms([{"code": "ENONLY", "name_en": "English Only"}])
    only = platforms()["ENONLY"]
    assert (only.name_zh, only.timezone, only.kind) == ("English Only", "Asia/Shanghai", "university_lab")
