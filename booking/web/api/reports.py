"""(routes come with this round's work)"""
from __future__ import annotations
