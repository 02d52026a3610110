"""The organisations blueprint: /organisation (mine) and /organisations/<id> (one organisation)."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("organisations", __name__)



