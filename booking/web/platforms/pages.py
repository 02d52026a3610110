"""The public platform pages (routes come with the platform pages work)."""
from __future__ import annotations
