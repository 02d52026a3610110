"""The database models; importing this module registers every table."""
from .booking import (
    ACTIVE_STATUSES,
    EVENT_KINDS,
    RESERVATION_STATUSES,
    BookingEvent,
    Closure,
    Maintenance,
    Reservation,
    ReservationSeries,
)
from .notify import MAIL_STATUSES, REMINDER_STATUSES, OutgoingMail, Reminder
from .order import ORDER_FILE_KINDS, ORDER_STATUSES, Order, OrderEvent, OrderFile
from .organisation import (
    JOIN_REQUEST_STATUSES,
    MEMBER_ROLES,
    ORG_KINDS,
    ORG_STATES,
    Invitation,
    JoinRequest,
    Organisation,
)
from .platform import PLATFORM_KINDS, Platform
from .rating import INVITATION_OUTCOMES, Rating, RatingInvitation
from .resource import KINDS, PRICE_UNITS, IndexOutbox, Resource
from .searchlog import SEARCH_SOURCES, SearchLog
from .services import (
    RATE_KINDS,
    RATE_UNITS,
    TRAINING_REQUEST_STATUSES,
    VOUCHER_ENTRY_KINDS,
    WAITLIST_STATUSES,
    BookingRestriction,
    Qualification,
    ResourceRate,
    TrainingRequest,
    VoucherAccount,
    VoucherEntry,
    WaitlistEntry,
)
from .types import UTCDateTime, utcnow
from .user import LANGUAGES, ROLES, ApiToken, LoginFailure, User, hash_token

__all__ = [
    "ACTIVE_STATUSES", "EVENT_KINDS", "RESERVATION_STATUSES",
    "BookingEvent", "Closure", "Maintenance", "Reservation", "ReservationSeries",
    "KINDS", "LANGUAGES", "PLATFORM_KINDS", "PRICE_UNITS", "ROLES",
    "MAIL_STATUSES", "REMINDER_STATUSES", "OutgoingMail", "Reminder",
    "ORDER_FILE_KINDS", "ORDER_STATUSES", "Order", "OrderEvent", "OrderFile",
    "JOIN_REQUEST_STATUSES", "MEMBER_ROLES", "ORG_KINDS", "ORG_STATES", "Invitation", "JoinRequest", "Organisation",
    "ApiToken", "IndexOutbox", "LoginFailure", "Platform", "Resource", "User", "UTCDateTime",
    "hash_token", "utcnow",
    "RATE_KINDS", "RATE_UNITS", "TRAINING_REQUEST_STATUSES", "VOUCHER_ENTRY_KINDS", "WAITLIST_STATUSES",
    "BookingRestriction", "Qualification", "ResourceRate", "TrainingRequest", "VoucherAccount", "VoucherEntry",
    "WaitlistEntry", "SEARCH_SOURCES", "SearchLog",
    "INVITATION_OUTCOMES", "Rating", "RatingInvitation",
]
