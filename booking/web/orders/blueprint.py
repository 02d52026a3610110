"""The orders blueprint: /orders (mine, and one order's page)."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("orders", __name__)



