"""Domain errors: mistakes a user can make, each with a message fit to show."""
from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base of every error a user can cause; views turn it into a 4xx answer."""

    code = "invalid"
    status = 422

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class NotFound(DomainError):
    code = "not_found"
    status = 404


class Forbidden(DomainError):
    code = "forbidden"
    status = 403


class Conflict(DomainError):
    code = "conflict"
    status = 409


class InvalidInput(DomainError):
    """Field-level validation errors: details["fields"] maps field to message."""

    code = "invalid"
    status = 422
