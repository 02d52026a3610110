"""Fixtures: the app on SQLite and (when ONESTOP_TEST_DATABASE_URL is set) on PostgreSQL.

Both databases are built by the real migrations once per session; each test then gets an empty
copy (a fresh SQLite file, or truncated PostgreSQL tables in a schema of its own).
"""
from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from booking import create_app
from booking.extensions import db
from booking.models import Platform, Resource, User

from support import PASSWORD, AuthActions, pg_scratch_schema, valid_uscc

pytest_plugins = ["support.smtp", "support.orders"]

PG_URL = os.environ.get("ONESTOP_TEST_DATABASE_URL")
# CI sets this: there, a skipped PostgreSQL or browser test fails the run instead of hiding.
REQUIRE_ALL = os.environ.get("ONESTOP_TEST_REQUIRE_ALL") == "1"
_skipped: list[str] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.skipped:
        _skipped.append(report.nodeid)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if REQUIRE_ALL and _skipped:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        print(f"\nONESTOP_TEST_REQUIRE_ALL is set but {len(_skipped)} tests were skipped, e.g. {_skipped[0]}")


def _migrate(url: str, instance: Path) -> None:
    import flask_migrate

    app = create_app(_config(url, instance))
    with app.app_context():
        flask_migrate.upgrade()
        db.engine.dispose()


def _config(url: str, instance: Path) -> dict[str, Any]:
    return {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": url,
        "INSTANCE_PATH": str(instance),
        "ONESTOP_INDEX_DIR": str(instance / "index"),
        "ONESTOP_MAIL_URL": f"outbox://{instance / 'outbox'}",
        "SECRET_KEY": "test-secret",
        "SERVER_NAME": "onestop.test",
        # one cheap round instead of scrypt's ~70 ms per password: tests hash thousands
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1",
    }


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("sqlite-template")
    path = folder / "template.db"
    _migrate(f"sqlite:///{path}", folder)
    return path


@pytest.fixture(scope="session")
def pg_schema_url() -> Iterator[str]:
    """A PostgreSQL schema migrated once per session; each test empties its tables afterwards."""
    import tempfile

    with pg_scratch_schema() as url:
        with tempfile.TemporaryDirectory() as tmp:
            _migrate(url, Path(tmp))
        yield url


def _truncate(url: str) -> None:
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            tables = [t for t in sa.inspect(conn).get_table_names() if t != "alembic_version"]
            if tables:
                conn.execute(sa.text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty, migrated database: each test runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        path = tmp_path / "onestop.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
    else:
        url = request.getfixturevalue("pg_schema_url")
        try:
            yield url
        finally:
            _truncate(url)


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    instance = tmp_path / "instance"
    instance.mkdir()
    application = create_app(_config(database_url, instance))
    try:
        with application.app_context():
            yield application
            db.session.remove()
    finally:
        with application.app_context():
            db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> Any:
    return app.test_cli_runner()


@pytest.fixture
def auth(client: FlaskClient) -> AuthActions:
    return AuthActions(client)


@pytest.fixture
def make_platform(app: Flask) -> Callable[..., Platform]:
    counter = iter(range(1, 10_000))

    def factory(**params: Any) -> Platform:
        n = next(counter)
        values: dict[str, Any] = {
            "code": f"P{n:02d}", "name_zh": f"测试平台{n}", "name_en": f"Test Platform {n}",
            "city_zh": "南京", "city_en": "Nanjing", "kind": "university_lab",
            "timezone": "Asia/Shanghai", "booking_rules": {},
        }
        values.update(params)
        platform = Platform(**values)
        db.session.add(platform)
        db.session.commit()
        return platform

    return factory


@pytest.fixture
def make_resource(app: Flask, make_platform: Callable[..., Platform]) -> Callable[..., Resource]:
    counter = iter(range(1, 100_000))

    def factory(**params: Any) -> Resource:
        n = next(counter)
        if "platform" not in params and "platform_id" not in params:
            params["platform"] = db.session.scalar(sa.select(Platform).limit(1)) or make_platform()
        values: dict[str, Any] = {
            "external_id": f"R-{n:05d}", "kind": "instrument", "title": f"扫描电镜 {n}",
            "title_en": f"Scanning electron microscope {n}", "city": "南京", "bookable": True,
            "keywords": [], "attributes": {},
        }
        values.update(params)
        resource = Resource(**values)
        db.session.add(resource)
        db.session.commit()
        return resource

    return factory


@pytest.fixture
def make_user(app: Flask) -> Callable[..., User]:
    counter = iter(range(1, 10_000))

    def factory(**params: Any) -> User:
        from booking.accounts.service import create_user

        n = next(counter)
        platform = params.pop("platform", None)
        # Verified unless a test asks otherwise (verified=False): booking needs a confirmed address.
        values: dict[str, Any] = {"email": f"user{n}@example.com", "password": PASSWORD, "name": f"User {n}",
                                  "verified": True}
        values.update(params)
        user = create_user(
            values.pop("email"), values.pop("password"),
            platform_code=platform.code if platform is not None else None, **values,
        )
        db.session.commit()
        return user

    return factory


@pytest.fixture
def make_org(app: Flask) -> Callable[..., Any]:
    """An organisation (verified by default) with members: make_org(members={user: "manager"}, owns=[platform])."""
    counter = iter(range(1, 10_000))

    def factory(*, members: dict[User, str] | None = None, owns: list[Platform] = (), verified: bool = True,
                **params: Any) -> Any:
        from booking.organisations.service import create_organisation, put_in

        n = next(counter)
        values: dict[str, Any] = {"name": f"测试公司{n}", "name_en": f"Test Company {n}", "uscc": valid_uscc(n),
                                  "kind": "startup", "city": "南京"}
        values.update(params)
        org = create_organisation(None, verified=verified, **values)
        for user, role in (members or {}).items():
            put_in(org, user, role)
        for platform in owns:
            platform.owner_org_id = org.id
        db.session.commit()
        return org

    return factory


CHROMIUM = "/usr/bin/chromium"


@pytest.fixture
def live_server(sqlite_template: Path, tmp_path: Path) -> Iterator[tuple[Flask, str]]:
    """The app on 127.0.0.1 with a free port, served by werkzeug in a thread (SQLite)."""
    import threading

    from werkzeug.serving import make_server

    path = tmp_path / "browser.db"
    shutil.copy(sqlite_template, path)
    instance = tmp_path / "instance"
    instance.mkdir(exist_ok=True)
    application = create_app({**_config(f"sqlite:///{path}", instance), "SERVER_NAME": None})
    server = make_server("127.0.0.1", 0, application, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield application, f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        with application.app_context():
            db.engine.dispose()


@pytest.fixture
def browser() -> Iterator[Any]:
    """Debian's headless Chromium driven by Playwright (never a downloaded browser)."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium package to run the browser tests")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"])
        try:
            yield chromium
        finally:
            chromium.close()
