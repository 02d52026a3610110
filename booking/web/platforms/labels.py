"""Names of the platform kinds (booking.models.PLATFORM_KINDS) in the visitor's language."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

PLATFORM_KIND_LABELS = {
    "university_lab": _l("University laboratory"),
    "research_institute": _l("Research institute"),
    "testing_centre": _l("Testing centre"),
    "incubator": _l("Incubator"),
    "science_park": _l("Science park"),
}


def platform_kind_label(kind: str) -> str:
    label = PLATFORM_KIND_LABELS.get(kind)
    return str(label) if label is not None else kind.replace("_", " ")
