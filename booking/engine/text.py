"""Translated messages for the engine: requests use the visitor's language, jobs and the CLI
the default one (booking.i18n.select_locale answers None outside a request)."""
from __future__ import annotations

from flask_babel import gettext as _

__all__ = ["_"]
