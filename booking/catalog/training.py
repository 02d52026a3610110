"""Whether a resource requires training: the feed's word, unless the platform's staff decided.

A feed record says `"training_required": true` (or false), at the top level or, as older feeds
do, among its `attributes`; the importer keeps the statement in the attributes (the resource page
shows it) and sets `Resource.requires_training` from it. Staff may switch the requirement off or
on for a resource; their choice is remembered in the resource's `booking_rules` under STAFF_KEY
(a key the rules engine ignores), and the importer carries it over every later import, so a feed
that keeps saying "true" does not undo what staff switched off. Staff may also hand the decision
back to the feed (`follow_feed`).
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import select

from ..extensions import db
from ..models import Platform, Resource

FEED_KEY = "training_required"
STAFF_KEY = "training_set_by_staff"


def feed_statement(attributes: Any) -> bool | None:
    """What the feed said about training (None: nothing)."""
    value = attributes.get(FEED_KEY) if isinstance(attributes, dict) else None
    return value if isinstance(value, bool) else None


def staff_choice(booking_rules: Any) -> bool | None:
    """What staff chose for the resource (None: they left it to the feed)."""
    value = booking_rules.get(STAFF_KEY) if isinstance(booking_rules, dict) else None
    return value if isinstance(value, bool) else None


def remember_staff_choice(resource: Resource, required: bool) -> None:
    """Staff set the requirement: it outlives the feed's later statements."""
    resource.booking_rules = {**(resource.booking_rules or {}), STAFF_KEY: bool(required)}


def forget_staff_choice(resource: Resource) -> None:
    """Hand the decision back to the feed: its statement applies again, now and at every import."""
    rules = {k: v for k, v in (resource.booking_rules or {}).items() if k != STAFF_KEY}
    resource.booking_rules = rules or None
    stated = feed_statement(resource.attributes)
    if stated is not None:
        resource.requires_training = stated
    db.session.flush()


def imported_training(feed_says: bool | None, current: bool, old_rules: Any) -> bool:
    """requires_training after an import: staff's choice, else the feed's statement, else as it was."""
    choice = staff_choice(old_rules)
    if choice is not None:
        return choice
    return feed_says if feed_says is not None else current


def carried_rules(new_rules: dict[str, Any] | None, old_rules: Any) -> dict[str, Any] | None:
    """The feed's booking rules for the resource, with staff's training choice carried over."""
    choice = staff_choice(old_rules)
    if choice is None:
        return new_rules
    return {**(new_rules or {}), STAFF_KEY: choice}


def feed_training_resources(platform: Platform) -> list[Resource]:
    """The platform's active resources whose feed says training is required (the training page
    lists them, with whether staff switched the requirement off)."""
    rows = db.session.scalars(select(Resource).where(
        Resource.platform_id == platform.id, Resource.status == "active").order_by(Resource.title)).all()
    return [r for r in rows if feed_statement(r.attributes) is True or staff_choice(r.booking_rules) is not None]
