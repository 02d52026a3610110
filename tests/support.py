"""Helpers for tests that act like a browser: CSRF tokens from forms, logging in, API tokens.

A module of its own (not conftest) so test modules can import it by a name no other folder uses.
"""
from __future__ import annotations

import re
from typing import Any

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


