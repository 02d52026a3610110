"""What administrators pick from in forms (never typed): organisations and platforms."""
from __future__ import annotations

from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from ...extensions import db
from ...models import Organisation, Platform


def organisation_choices(verified_only: bool = True) -> list[SelectChoice]:
    """Organisations to pick from (never typed): verified ones unless said otherwise."""
    query = select(Organisation).order_by(Organisation.name_zh).limit(2000)
    if verified_only:
        query = query.where(Organisation.state == "verified")
    return [SelectChoice("", "—")] + [SelectChoice(str(o.id), f"{o.name_zh} · {o.uscc or '—'}")
                                      for o in db.session.scalars(query)]


def platform_choices() -> list[SelectChoice]:
    platforms = db.session.scalars(select(Platform).order_by(Platform.code))
    return [SelectChoice("", "—")] + [SelectChoice(str(p.id), f"{p.code} {p.name_zh}") for p in platforms]
