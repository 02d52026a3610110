"""GET /api/v1/search: the catalogue search (booking.searching) as JSON.

The parameters are read by booking.searching.params, the same reader the search page uses; the
schema below describes them (and refuses nothing that reader accepts).
"""
from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import g, request, url_for
from marshmallow import fields

from ...models import KINDS
from ...searching.params import MAX_PAGE, MAX_PER_PAGE, SORTS, parse_search_args
from ...searching.searchlog import log_search
from ...searching.service import search_resources
from ..filters import lang
from .blueprint import bp, errors
from .schemas import SearchResultSchema, money

TIME_OR_EMPTY = {"anyOf": [{"type": "string", "format": "date-time", "example": "2027-03-08T09:00:00+08:00"},
                           {"type": "string", "maxLength": 0}]}
BOOL = {"type": "string", "enum": ["true", "false", "1", "0", "yes", "no", "on", "off", ""]}


def _or_empty(schema: dict[str, Any]) -> dict[str, Any]:
    """A parameter that an HTML form may also send empty (then it is as if left out)."""
    return {"anyOf": [schema, {"type": "string", "maxLength": 0}]}


def _param(description: str, schema: dict[str, Any] | None = None) -> fields.Field:
    if schema is None:
        return fields.String(metadata={"description": description})
    return fields.Raw(metadata={"description": description, **schema})


class SearchQuery(ma.Schema):
    q = _param("query text, Chinese or English; empty: browse everything the filters admit, newest first")
    kind = _param(f"resource kind ({', '.join(KINDS)}); may repeat")
    platform = _param("platform code; may repeat")
    city = _param("city; may repeat")
    category = _param("category")
    available_from = _param("free from this time (with available_to; empty: no free-time filter)", TIME_OR_EMPTY)
    available_to = _param("free until this time, at most 31 days after available_from", TIME_OR_EMPTY)
    max_price = _param("at most this price", _or_empty({"type": "number", "minimum": 0, "maximum": 1e9,
                                                         "exclusiveMaximum": True}))
    bookable = _param("only bookable (true) or not (false); empty: either", BOOL)
    orderable = _param("only orderable (true) or not (false); empty: either", BOOL)
    sort = _param("order of the hits (default relevance)", {"type": "string", "enum": [*SORTS, ""]})
    page = _param("page number", _or_empty({"type": "integer", "minimum": 1, "maximum": MAX_PAGE}))
    per_page = _param("hits per page", _or_empty({"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE}))


def hit_json(hit: dict[str, Any]) -> dict[str, Any]:
    price = hit.get("price")
    if isinstance(price, dict) and price.get("amount") is not None:
        price = {**(money(price["amount"], price.get("currency")) or {}), "unit": price.get("unit")}
    return {
        "id": hit["id"], "platform": hit["platform"], "external_id": hit["external_id"], "kind": hit["kind"],
        "title": hit.get("title") or hit.get("title_en"), "title_en": hit.get("title_en"),
        "snippet": hit.get("snippet") or "", "score": hit.get("score"), "city": hit.get("city"),
        "price": price or None, "url": url_for("main.resource", resource_id=hit["id"], _external=True),
    }


@bp.get("/search")
@bp.arguments(SearchQuery, location="query")
@bp.response(200, SearchResultSchema, description="results")
@errors({400: "bad parameters (error bad_request, fields names the parameter), e.g. available_to not after "
              "available_from, a free-time window in the past or longer than 31 days",
         503: "the search index is unavailable (error search_unavailable)"})
def search(_args: dict[str, Any]) -> Any:
    params = parse_search_args(request.args)
    result = search_resources(params)
    caller = g.get("api_user")
    log_search(params, result.total, [hit["platform"] for hit in result.hits], source="api", lang=lang(),
               user_id=caller.id if caller is not None else None)
    facets = {name: result.facets.get(name, {}) for name in ("kind", "platform", "city", "category")}
    return {"total": result.total, "page": params.page, "per_page": params.per_page,
            "hits": [hit_json(hit) for hit in result.hits], "facets": facets, "suggestion": result.suggestion,
            "note": getattr(result, "note", None), "unmatched": list(getattr(result, "unmatched", None) or [])}
