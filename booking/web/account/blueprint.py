"""The auth blueprint: logging in and out, registration, the password, and /account."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("auth", __name__)



