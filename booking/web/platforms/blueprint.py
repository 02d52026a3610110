"""The platforms blueprint: the public platform pages (/platforms, /platforms/<code>)."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("platforms", __name__)
