"""Rating pages (routes come with the ratings work)."""
from __future__ import annotations
