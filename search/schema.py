"""What the index stores: the Whoosh schema, the mapping of a feed record to its fields, and
the codec the writers use.  Bump :data:`SCHEMA_VERSION` when a change here needs a rebuild."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from whoosh.columns import VarBytesColumn
from whoosh.fields import COLUMN, ID, STORED, TEXT, Schema

from . import whoosh_internals
from .aliases import alias_terms, doc_aliases, encode_names
from .analysis import KeyListAnalyzer, SpellingAnalyzer, WeightedAnalyzer, weighted_text

__all__ = ["SCHEMA_VERSION", "FACETS", "SECTION_BOOSTS", "TEXT_FIELDS", "SKIP_ATTRIBUTES",
           "make_schema", "codec", "doc_to_fields"]

#: Bump when the schema or the analyser changes in a way that needs a rebuild.
SCHEMA_VERSION = 6
#: The facet columns, in the order the "meta" column holds them (after the id).
FACETS = ("kind", "platform", "city", "category")

# Section weights inside the one text field "body" (BM25F field weights).
SECTION_BOOSTS = {
    "title": 5.0,
    "keywords": 3.0,
    "category": 2.0,
    "description": 1.0,
    "attributes": 0.6,
}
TEXT_FIELDS = ("body",)

#: Attribute keys left out of the text: long lists of names and classes that users do
#: not search by and that would only slow indexing down.
SKIP_ATTRIBUTES = frozenset({"inventors", "ipc_all", "internal_price", "asset_value_wan_cny",
                             "purchase_year", "country", "training_required", "report_language",
                             "turnaround_days", "area_m2", "capacity", "age", "year",
                             "application_date"})


def make_schema() -> Schema:
    """The fields: text for ranking (body), spelling and aliases; columns for the per-document
    data that filters, facets and sorting read (meta) and the mined names; stored fields for hits."""
    return Schema(
        rid=ID(stored=True, unique=True),
        meta=COLUMN(VarBytesColumn()),
        external_id=STORED(),
        title_raw=STORED(),
        title_en=STORED(),
        desc=STORED(),
        price=STORED(),
        body=TEXT(analyzer=WeightedAnalyzer(), phrase=False),
        spell=TEXT(analyzer=SpellingAnalyzer(), phrase=False),
        alias=TEXT(analyzer=KeyListAnalyzer(), phrase=False),
        names=COLUMN(VarBytesColumn()),
    )


def codec() -> Any:
    """The codec every writer uses (see :func:`search.whoosh_internals.w3_codec`)."""
    return whoosh_internals.w3_codec()


def _flatten(value: Any) -> Iterator[str]:
    if value is None or isinstance(value, bool):
        return
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _flatten(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _flatten(v)
    elif isinstance(value, (int, float)):
        return  # numbers in attributes (years, prices) only add noise


def _timestamp(value: Any) -> float:
    if not value:
        return 0.0
    if isinstance(value, datetime):
        return value.timestamp()
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return 0.0


def _clean(value: Any) -> str:
    return str(value).replace("\t", " ").replace("\n", " ") if value is not None else ""


def _meta(doc: dict, rid: int, price: Any) -> str:
    """The "meta" column: id, facets, flags, price and update time, tab-separated (read back by
    search.snapshot)."""
    amount = ""
    if isinstance(price, dict) and price.get("amount") is not None:
        amount = repr(float(price["amount"]))
    updated = _timestamp(doc.get("updated_at") or doc.get("created_at"))
    return "\t".join([
        str(rid), _clean(doc.get("kind")), _clean(doc.get("platform")), _clean(doc.get("city")),
        _clean(doc.get("category")), "1" if doc.get("bookable") else "0",
        "1" if doc.get("orderable") else "0", amount, repr(updated),
    ])


def _attribute_text(doc: dict) -> str:
    attributes = doc.get("attributes") or {}
    if isinstance(attributes, dict):
        attributes = {k: v for k, v in attributes.items() if k not in SKIP_ATTRIBUTES}
    # Attribute values already written in the title or description (manufacturer, model,
    # standards) are indexed there; repeating them only costs postings.
    seen_text = f"{doc.get('title') or ''} {doc.get('title_en') or ''} " \
                f"{doc.get('description') or ''}".lower()
    attrs = " ".join(v for v in _flatten(attributes) if v.lower() not in seen_text)
    if doc.get("platform_name"):
        attrs += " " + str(doc["platform_name"])
    return attrs


def doc_to_fields(doc: dict) -> dict:
    """Map a feed record (plus ``id``) to the index fields.  Only what hits, snippets,
    facets and sorting need is stored."""
    rid = int(doc["id"])
    price = doc.get("price") or None
    title = doc.get("title") or ""
    title_en = doc.get("title_en") or ""
    keywords = doc.get("keywords") or []
    if isinstance(keywords, str):
        keywords = [keywords]
    description = doc.get("description") or ""
    category = doc.get("category") or ""
    aliases = doc_aliases(doc)
    return dict(
        rid=str(rid),
        meta=_meta(doc, rid, price).encode("utf-8"),
        external_id=doc.get("external_id"),
        title_raw=title,
        title_en=title_en,
        desc=description,
        price=price if isinstance(price, dict) else None,
        body=weighted_text([
            (SECTION_BOOSTS["title"], f"{title} {title_en}"),
            (SECTION_BOOSTS["keywords"], " ; ".join(map(str, keywords))),
            (SECTION_BOOSTS["category"], category),
            (SECTION_BOOSTS["description"], description),
            (SECTION_BOOSTS["attributes"], _attribute_text(doc)),
        ]),
        spell=" ".join([title, title_en, " ".join(map(str, keywords)), category, description]),
        alias=alias_terms(aliases),
        names=encode_names(aliases),
    )
