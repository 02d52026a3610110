"""The database models; importing this module registers every table."""
from .platform import PLATFORM_KINDS, Platform
from .resource import KINDS, PRICE_UNITS, IndexOutbox, Resource
from .types import UTCDateTime, utcnow
from .user import LANGUAGES, ROLES, ApiToken, LoginFailure, User, hash_token

__all__ = [
    "KINDS", "LANGUAGES", "PLATFORM_KINDS", "PRICE_UNITS", "ROLES",
    "ApiToken", "IndexOutbox", "LoginFailure", "Platform", "Resource", "User", "UTCDateTime",
    "hash_token", "utcnow",
]
