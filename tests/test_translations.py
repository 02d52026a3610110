"""Chinese and English are equal: every message the code and templates use has a Chinese text."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent


def test_every_message_has_a_chinese_translation(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg",
                    "-k", "_l", "-k", "lazy_gettext", "-o", str(pot), "."],
                   cwd=ROOT, check=True, capture_output=True)
    with pot.open("rb") as fh:
        wanted = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(fh) if m.id}
    with (ROOT / "booking/translations/zh/LC_MESSAGES/messages.po").open("rb") as fh:
        catalog = read_po(fh)
    translated = {
        (m.id if isinstance(m.id, str) else m.id[0])
        for m in catalog
        if m.id and not m.fuzzy and (m.string if isinstance(m.string, str) else m.string[0])
    }
    missing = sorted(wanted - translated)
    assert not missing, f"{len(missing)} messages lack a Chinese text, e.g. {missing[:5]}"
