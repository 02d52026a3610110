"""How a page shows a domain error it catches: beside the form's fields, or as a flash.

Either way nothing of the refused step is kept (`discard_changes`), so the page drawn next shows
the stored state, and a redirect after a refusal does not commit half of it.
"""
from __future__ import annotations

from typing import Any

from flask import flash

from ..errors import DomainError
from .transaction import discard_changes


def show_on_form(form: Any, exc: DomainError, *, field_messages: bool = False) -> None:
    """Put the error under the fields it names, else above the form. One named field gets the
    error's own message (it reads as a sentence) unless `field_messages` asks for the field's."""
    discard_changes()
    fields = exc.details.get("fields") or {}
    placed = False
    for name, message in fields.items():
        field = getattr(form, name, None)
        if field is not None and hasattr(field, "errors"):
            own = message if field_messages or len(fields) > 1 else exc.message
            field.errors = [*list(field.errors or []), own]
            placed = True
    if not placed:
        form.form_errors.append(exc.message)


def flash_refusal(exc: DomainError) -> None:
    """The refusal as a message on the page the view redirects to."""
    discard_changes()
    flash(exc.message, "error")
