"""Testing-service orders: the state machine (service), uploads (files), mail (mails), forms.

Business rules live in `booking.orders.service`, plain functions that take the acting user and
only flush; the pages (booking.web.orders) and the API (booking.web.api_orders) commit.
"""
from __future__ import annotations

from .service import (
    ACTIONS,
    STATUS_LABELS,
    OrderDraft,
    accept_order,
    allowed_actions,
    can_download,
    can_view,
    cancel_order,
    complete_order,
    decline_order,
    get_order,
    issue_report,
    parse_draft,
    perform,
    place_order,
    quote_order,
    receive_samples,
    start_testing,
    status_label,
    visible_orders,
)

__all__ = [
    "ACTIONS", "STATUS_LABELS", "OrderDraft", "accept_order", "allowed_actions", "can_download", "can_view",
    "cancel_order", "complete_order", "decline_order", "get_order", "issue_report", "parse_draft", "perform",
    "place_order", "quote_order", "receive_samples", "start_testing", "status_label", "visible_orders",
]
