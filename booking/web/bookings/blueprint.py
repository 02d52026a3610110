"""The bookings blueprint: /bookings (mine) and /waitlist."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("bookings", __name__)



