"""The ratings blueprint: users rate completed bookings and orders; staff answer publicly."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("ratings", __name__)
