"""Testing-service orders: the state machine (service), uploads (files), labels, forms; their mail
is booking.notify.orders.

Business rules live in `booking.orders.service`, plain functions that take the acting user and
only flush; the request (booking.web.transaction), the job or the CLI command commits once.
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
