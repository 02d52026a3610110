"""What administrators pick from in forms (never typed): organisations and platforms."""
from __future__ import annotations

from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from ...extensions import db
from ...models import Organisation, Platform
from ..filters import lang


def _both(org: Organisation) -> str:
    """The name in the reader's language, with the registered Chinese name beside an English one."""
    shown = org.name(lang())
    return f"{shown} ({org.name_zh})" if org.name_zh and shown != org.name_zh else shown


def organisation_choices(verified_only: bool = True) -> list[SelectChoice]:
    """Organisations to pick from (never typed): verified ones unless said otherwise."""
    query = select(Organisation).order_by(Organisation.name_zh).limit(2000)
    if verified_only:
        query = query.where(Organisation.state == "verified")
    return [SelectChoice("", "—")] + [SelectChoice(str(o.id), f"{_both(o)} · {o.uscc or '—'}")
                                      for o in db.session.scalars(query)]


def platform_choices() -> list[SelectChoice]:
    platforms = db.session.scalars(select(Platform).order_by(Platform.code))
    return [SelectChoice("", "—")] + [SelectChoice(str(p.id), f"{p.code} {p.name(lang())}") for p in platforms]
