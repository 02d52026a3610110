"""How every form asks for a date and a time: plain text boxes that say YYYY-MM-DD and HH:MM.

Not type=date/time: a browser draws those in its own locale (12-hour clocks, MM/DD/YYYY on an
English system), and the pages promise YYYY-MM-DD and a 24-hour clock in both languages.
"""
from __future__ import annotations

HHMM = r"^([01]\d|2[0-3]):[0-5]\d$"

DATE_INPUT = {"type": "text", "inputmode": "numeric", "autocomplete": "off", "maxlength": 10,
              "pattern": r"\d{4}-\d{2}-\d{2}", "placeholder": "YYYY-MM-DD"}
TIME_INPUT = {"type": "text", "inputmode": "numeric", "autocomplete": "off", "maxlength": 5,
              "pattern": "[0-2][0-9]:[0-5][0-9]", "placeholder": "HH:MM"}
