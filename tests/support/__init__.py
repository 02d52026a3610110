"""Helpers for tests: CSRF tokens from forms, logging in, API tokens, well-formed credit codes,
PostgreSQL scratch schemas; `support.smtp` has the mail fixtures (registered in conftest).

A package of its own (not conftest) so test modules import plain helpers, never fixtures.
"""
from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

PASSWORD = "correct horse battery"

CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


def csrf_token(client: FlaskClient, path: str) -> str:
    """Read the CSRF token from a page's form, as a browser would."""
    html = client.get(path).get_data(as_text=True)
    match = CSRF_RE.search(html) or re.search(r'<meta name="csrf-token" content="([^"]+)"', html)
    assert match, f"no CSRF token on {path}"
    return next(g for g in match.groups() if g)


class AuthActions:
    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def login(self, email: str, password: str = PASSWORD) -> Any:
        token = csrf_token(self.client, "/login")
        return self.client.post("/login", data={"email": email, "password": password, "csrf_token": token})

    def logout(self) -> Any:
        token = csrf_token(self.client, "/account")
        return self.client.post("/logout", data={"csrf_token": token})

    def token(self, email: str, password: str = PASSWORD) -> dict[str, str]:
        """An API Authorization header for the account."""
        response = self.client.post("/api/v1/tokens", json={"email": email, "password": password})
        assert response.status_code == 201, response.get_json()
        return {"Authorization": f"Bearer {response.get_json()['token']}"}


PG_URL = os.environ.get("ONESTOP_TEST_DATABASE_URL")


@contextmanager
def pg_scratch_schema(prefix: str = "t") -> Iterator[str]:
    """A PostgreSQL URL whose search path is a new, empty schema, dropped afterwards (skips without a server)."""
    if not PG_URL:
        pytest.skip("PostgreSQL half skipped: set ONESTOP_TEST_DATABASE_URL to run it")
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_URL)
    try:
        with admin.begin() as conn:
            conn.execute(sa.text("CREATE EXTENSION IF NOT EXISTS btree_gist SCHEMA public"))
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        sep = "&" if "?" in PG_URL else "?"
        yield f"{PG_URL}{sep}options={quote(f'-csearch_path={schema},public')}"
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


def valid_uscc(n: int) -> str:
    """A well-formed 统一社会信用代码 (correct check digit), distinct for each n."""
    from stdnum.cn import uscc

    base = f"91320100MA{n:07d}"
    return base + uscc.calc_check_digit(base)


def browser_log_in(page: Any, base: str, email: str, password: str = PASSWORD) -> None:
    """Log in through the login page in Chromium, in English, and wait for the home page."""
    page.goto(f"{base}/login?lang=en")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("form button[type=submit]")
    page.wait_for_url(f"{base}/")
