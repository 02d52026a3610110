"""A printable QR label per bookable resource, and the page its code opens (filled in next)."""
from __future__ import annotations
