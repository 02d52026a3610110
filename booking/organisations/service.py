"""Organisation rules: register, verify, join, invite, leave, merge.

Money and access follow membership of a *verified* organisation (`User.verified_organisation`):
the internal rate, the startup rate, vouchers, statements and colleagues' reports. Membership
changes only through these functions, each taking the acting user, so the pages, the API and
the CLI apply the same checks. Operations flush; the caller commits.
"""
from __future__ import annotations

import unicodedata
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import func, or_, select, update
from stdnum.cn import uscc as uscc_code
from stdnum.exceptions import ValidationError

from ..accounts.links import InvalidLink, make_link_token, read_link_token
from ..accounts.service import normalise_email, require_verified_email
from ..engine.text import _
from ..errors import Conflict, Forbidden, InvalidInput, NotFound
from ..extensions import db
from ..models import (
    ORG_KINDS,
    Invitation,
    JoinRequest,
    Organisation,
    Platform,
    User,
    VoucherAccount,
    VoucherEntry,
    utcnow,
)
from ..notify.links import absolute_url
from ..notify.notices import queue_notice

INVITATION_MAX_AGE = 7 * 24 * 3600
STARTUP_KINDS = ("startup", "sme")


class AlreadyMember(Conflict):
    code = "already_member"


# --- checks ----------------------------------------------------------------------------------------

def normalise_uscc(code: str) -> str:
    """The 18-character 统一社会信用代码 with its check digit verified (python-stdnum), upper case."""
    try:
        return str(uscc_code.validate(code or ""))
    except ValidationError:
        raise InvalidInput(_("%(code)s is not a valid unified social credit code (18 characters with a correct "
                             "check digit).", code=(code or "").strip()[:30] or "—"),
                           fields={"uscc": _("not a valid unified social credit code")}) from None


def uscc_check(code: str | None) -> bool:
    """For the admin page: does the stored code pass its check digit?"""
    return bool(code) and uscc_code.is_valid(code or "")


def clean_name(value: str, field: str, *, required: bool = True, limit: int = 200) -> str:
    """Collapse spacing; refuse control characters (a CR/LF in a name would forge mail headers)."""
    text = " ".join((value or "").split())
    if any(unicodedata.category(ch) == "Cc" for ch in (value or "")):
        raise InvalidInput(_("Names cannot contain control characters."), fields={field: _("control characters")})
    if required and not text:
        raise InvalidInput(_("Give the name."), fields={field: _("required")})
    if len(text) > limit:
        raise InvalidInput(_("At most %(n)s characters.", n=limit), fields={field: _("too long")})
    return text


def is_platform_staff(user: User) -> bool:
    return user.role == "staff" and user.platform_id is not None


def owns_platform(platform_id: int, org: Organisation) -> bool:
    platform = db.session.get(Platform, platform_id)
    return platform is not None and platform.owner_org_id == org.id


def decides_for(actor: User, org: Organisation) -> bool:
    """Administrators and the organisation's own managers."""
    return actor.is_admin or (actor.organisation_id == org.id and actor.org_role == "manager")


def can_add_members(actor: User, org: Organisation) -> bool:
    """Administrators, and staff of a platform for the organisation that owns it (a university's lab
    for the university), put accounts in directly. A platform merely used by a company does not make
    its staff judges of who belongs to that company; managers invite instead, with consent."""
    if actor.is_admin:
        return True
    return is_platform_staff(actor) and owns_platform(actor.platform_id, org)  # type: ignore[arg-type]


def colleagues(a: User | None, b: User | None) -> bool:
    """Members of the same verified organisation (what lets one read the other's reports)."""
    if a is None or b is None:
        return False
    org = a.verified_organisation
    return org is not None and b.verified_organisation is not None and b.organisation_id == org.id


def pays_startup_rate(user: User) -> bool:
    org = user.verified_organisation
    return org is not None and org.kind in STARTUP_KINDS


def _require_verified_email(user: User) -> None:
    """Joining or registering an organisation needs a confirmed address, like booking does."""
    require_verified_email(user)


# --- finding -----------------------------------------------------------------------------------

def get_organisation(org_id: Any) -> Organisation:
    try:
        ident = int(org_id)
    except (TypeError, ValueError):
        raise NotFound(_("No such organisation.")) from None
    org = db.session.get(Organisation, ident) if 0 < ident < 2**31 else None
    if org is None:
        raise NotFound(_("No such organisation."))
    return org


def by_uscc(code: str) -> Organisation:
    org = db.session.scalar(select(Organisation).where(Organisation.uscc == normalise_uscc(code)))
    if org is None:
        raise NotFound(_("No organisation with the code %(code)s is registered.", code=code.strip().upper()))
    return org


def find_organisations(query: str, *, limit: int = 20, verified_only: bool = False) -> list[Organisation]:
    """By exact USCC, else by a part of the Chinese or English name."""
    text = " ".join((query or "").split())[:100]
    if not text:
        return []
    statement = select(Organisation)
    if verified_only:
        statement = statement.where(Organisation.state == "verified")
    compact = text.replace(" ", "").upper()
    if len(compact) == 18 and compact.isalnum():
        found = db.session.scalars(statement.where(Organisation.uscc == compact)).all()
        if found:
            return list(found)
    pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_").lower() + "%"
    return list(db.session.scalars(statement.where(or_(
        func.lower(Organisation.name_zh).like(pattern, escape="\\"),
        func.lower(Organisation.name_en).like(pattern, escape="\\"))).order_by(Organisation.name_zh).limit(limit)))


def members_of(org: Organisation) -> list[User]:
    return list(db.session.scalars(select(User).where(User.organisation_id == org.id)
                                   .order_by(User.org_role.desc(), User.name, User.email)))


def managers_of(org: Organisation) -> list[User]:
    return list(db.session.scalars(select(User).where(User.organisation_id == org.id, User.org_role == "manager",
                                                      User.active.is_(True)).order_by(User.id)))


def open_requests(org: Organisation) -> list[JoinRequest]:
    return list(db.session.scalars(select(JoinRequest).where(JoinRequest.organisation_id == org.id,
                                                             JoinRequest.status == "open")
                                   .order_by(JoinRequest.created_at)))


def open_request_of(user: User) -> JoinRequest | None:
    return db.session.scalar(select(JoinRequest).where(JoinRequest.user_id == user.id, JoinRequest.status == "open")
                             .order_by(JoinRequest.id.desc()).limit(1))


# --- creating and verifying ------------------------------------------------------------------------

def create_organisation(actor: User | None, *, name: str, uscc: str, kind: str, name_en: str = "", city: str = "",
                        verified: bool = False, now: datetime | None = None) -> Organisation:
    """A new organisation; `verified` only by an administrator (or the CLI, actor None)."""
    if kind not in ORG_KINDS:
        raise InvalidInput(_("Choose what kind of organisation it is."), fields={"kind": ", ".join(ORG_KINDS)})
    code = normalise_uscc(uscc)
    if db.session.scalar(select(Organisation.id).where(Organisation.uscc == code)):
        raise Conflict(_("An organisation with the code %(code)s is registered already: ask to join it instead.",
                         code=code), fields={"uscc": _("registered already")})
    org = Organisation(name_zh=clean_name(name, "name"), name_en=clean_name(name_en, "name_en", required=False),
                       uscc=code, kind=kind, city=clean_name(city, "city", required=False, limit=64),
                       state="unverified", created_at=now or utcnow())
    db.session.add(org)
    db.session.flush()
    if verified:
        if actor is not None and not actor.is_admin:
            raise Forbidden(_("Only administrators verify organisations."))
        _set_state(org, "verified", actor, now)
    return org


def register_organisation(user: User, **fields: Any) -> Organisation:
    """A user registers a new organisation and becomes its first manager; it waits for an admin."""
    _require_verified_email(user)
    if user.organisation_id is not None:
        raise AlreadyMember(_("You belong to %(org)s already: leave it first.", org=user.organisation))
    org = create_organisation(user, verified=False, **fields)
    _join(user, org, "manager")
    _notify_admins_new_org(org, user)
    return org


def update_organisation(admin: User, org: Organisation, *, name: str, name_en: str, uscc: str, kind: str,
                        city: str) -> Organisation:
    if not admin.is_admin:
        raise Forbidden(_("Only administrators change an organisation's registered details."))
    if kind not in ORG_KINDS:
        raise InvalidInput(_("Choose what kind of organisation it is."), fields={"kind": ", ".join(ORG_KINDS)})
    code = normalise_uscc(uscc) if (uscc or "").strip() else None
    if code and db.session.scalar(select(Organisation.id).where(Organisation.uscc == code,
                                                                Organisation.id != org.id)):
        raise Conflict(_("Another organisation has the code %(code)s: merge the two instead.", code=code),
                       fields={"uscc": _("registered already")})
    if code is None and org.verified:
        raise InvalidInput(_("A verified organisation keeps its unified social credit code."),
                           fields={"uscc": _("required")})
    org.name_zh, org.name_en = clean_name(name, "name"), clean_name(name_en, "name_en", required=False)
    org.uscc, org.kind, org.city = code, kind, clean_name(city, "city", required=False, limit=64)
    db.session.flush()
    return org


def _set_state(org: Organisation, state: str, actor: User | None, now: datetime | None) -> None:
    org.state = state
    if state == "verified":
        org.verified_at, org.verified_by_id = now or utcnow(), actor.id if actor is not None else None
    db.session.flush()


def verify_organisation(admin: User, org: Organisation, *, now: datetime | None = None) -> Organisation:
    """Only with a USCC that passes its check digit: that code is what an admin checks against the register."""
    if not admin.is_admin:
        raise Forbidden(_("Only administrators verify organisations."))
    if not uscc_check(org.uscc):
        raise InvalidInput(_("Enter the organisation's valid unified social credit code before verifying it."),
                           fields={"uscc": _("not a valid unified social credit code")})
    _set_state(org, "verified", admin, now)
    return org


def suspend_organisation(admin: User, org: Organisation, *, now: datetime | None = None) -> Organisation:
    """Rates, vouchers and shared reports stop at once for every member; nothing is deleted."""
    if not admin.is_admin:
        raise Forbidden(_("Only administrators suspend organisations."))
    _set_state(org, "suspended", admin, now)
    return org


# --- membership ------------------------------------------------------------------------------------

def _join(user: User, org: Organisation, role: str) -> None:
    user.organisation_id, user.org_role = org.id, role
    user.organisation = org
    db.session.execute(update(JoinRequest).where(JoinRequest.user_id == user.id, JoinRequest.status == "open")
                       .values(status="withdrawn").execution_options(synchronize_session=False))
    db.session.flush()


def add_member(actor: User, org: Organisation, user: User, *, role: str = "member") -> User:
    """Admins and staff of a platform serving the organisation put a user in (managers invite)."""
    if role not in ("member", "manager"):
        raise InvalidInput(_("Member or manager."), fields={"role": "member, manager"})
    if not can_add_members(actor, org):
        raise Forbidden(_("Only administrators and staff of a platform that serves the organisation add members; "
                          "managers invite them."))
    if role == "manager" and not actor.is_admin:
        raise Forbidden(_("Only administrators and the organisation's managers name managers."))
    if not actor.is_admin and (user.id == actor.id or user.role != "user"):
        raise Forbidden(_("Staff add user accounts only, never their own or another staff account."))
    if user.organisation_id is not None and user.organisation_id != org.id:
        raise AlreadyMember(_("%(user)s belongs to another organisation; they must leave it first.", user=user.email))
    _join(user, org, role)
    return user


def put_in(org: Organisation, user: User, role: str = "member") -> User:
    """The command line (run by the operator) puts a user in, whoever manages the organisation."""
    if user.organisation_id is not None and user.organisation_id != org.id:
        raise AlreadyMember(_("%(user)s belongs to another organisation; they must leave it first.", user=user.email))
    _join(user, org, role)
    return user


def find_user(email: str) -> User:
    user = db.session.scalar(select(User).where(func.lower(User.email) == (email or "").strip().lower()))
    if user is None:
        raise NotFound(_("No account uses %(email)s.", email=(email or "").strip()[:254]),
                       fields={"email": _("no such account")})
    return user


def set_role(actor: User, org: Organisation, user: User, role: str) -> User:
    if user.organisation_id != org.id:
        raise NotFound(_("%(user)s is not a member.", user=user.email))
    if not decides_for(actor, org):
        raise Forbidden(_("Only administrators and the organisation's managers change roles."))
    if role not in ("member", "manager"):
        raise InvalidInput(_("Member or manager."), fields={"role": "member, manager"})
    if role == "member" and user.org_role == "manager" and len(managers_of(org)) <= 1 and not actor.is_admin:
        raise Conflict(_("An organisation keeps at least one manager: name another one first."))
    user.org_role = role
    db.session.flush()
    return user


def remove_member(actor: User, org: Organisation, user: User) -> None:
    """Leaving or being removed takes effect at once; bookings already paid stay as they were."""
    if user.organisation_id != org.id:
        raise NotFound(_("%(user)s is not a member.", user=user.email))
    if actor.id != user.id and not decides_for(actor, org):
        raise Forbidden(_("Only administrators and the organisation's managers remove members."))
    if user.org_role == "manager" and len(managers_of(org)) <= 1 and not actor.is_admin and members_of(org) != [user]:
        raise Conflict(_("You are its only manager: name another manager before you leave."))
    user.organisation_id, user.org_role = None, None
    user.organisation = None
    db.session.flush()


def leave(user: User) -> None:
    if user.organisation is None:
        raise NotFound(_("You belong to no organisation."))
    remove_member(user, user.organisation, user)


# --- asking to join, and invitations ---------------------------------------------------------------

def request_to_join(user: User, org: Organisation, message: str = "", *, now: datetime | None = None) -> JoinRequest:
    """Ask to join; the organisation's managers (else the administrators) decide and are told by mail."""
    _require_verified_email(user)
    if user.organisation_id is not None:
        raise AlreadyMember(_("You belong to %(org)s already: leave it first.", org=user.organisation))
    if org.state == "suspended":
        raise Conflict(_("This organisation is suspended and takes no new members."))
    if any(unicodedata.category(ch) == "Cc" and ch not in "\r\n\t" for ch in message or ""):
        raise InvalidInput(_("The message cannot contain control characters."), fields={"message": _("invalid")})
    existing = open_request_of(user)
    if existing is not None:
        existing.status = "withdrawn"
    request = JoinRequest(user_id=user.id, organisation_id=org.id, status="open", message=(message or "")[:1000],
                          created_at=now or utcnow(), decision_note="")
    request.user, request.organisation = user, org
    db.session.add(request)
    db.session.flush()
    _notify_join_request(request)
    return request


def decide_join_request(actor: User, request: JoinRequest, approve: bool, note: str = "", *,
                        now: datetime | None = None) -> JoinRequest:
    org = request.organisation
    if not decides_for(actor, org):
        raise Forbidden(_("Only the organisation's managers and administrators decide join requests."))
    if request.status != "open":
        raise Conflict(_("This request was decided already."))
    if approve:
        if request.user.organisation_id not in (None, org.id):
            raise AlreadyMember(_("%(user)s joined another organisation meanwhile.", user=request.user.email))
        _join(request.user, org, "member")
    request.status = "approved" if approve else "declined"
    request.decided_by_id, request.decided_at, request.decision_note = actor.id, now or utcnow(), (note or "")[:1000]
    db.session.flush()
    _notify_join_decision(request, actor)
    return request


def invite(manager: User, org: Organisation, email: str, *, now: datetime | None = None) -> str:
    """Mail a link (a week, one use, withdrawable) that lets whoever owns `email` join as a member;
    returns the link."""
    if not decides_for(manager, org):
        raise Forbidden(_("Only the organisation's managers invite members."))
    if org.state == "suspended":
        raise Conflict(_("This organisation is suspended and takes no new members."))
    address = normalise_email(email)
    invitation = Invitation(organisation_id=org.id, email=address, invited_by_id=manager.id, created_at=now or utcnow())
    db.session.add(invitation)
    db.session.flush()
    token = make_link_token("invite", {"inv": invitation.id, "org": org.id, "email": address})
    link = _absolute("organisations.accept_invitation", token=token)
    queue_notice("org_invitation", to_email=address, to_name="", language=manager.language,
                 subject=lambda: _("%(who)s invites you to join %(org)s on OneStop", who=manager.name or manager.email,
                                   org=org.name_zh),
                 context={"org_name": org.name_zh, "who": manager.name or manager.email, "link": link},
                 key=f"{invitation.id}", now=now)
    return link


def open_invitations(org: Organisation) -> list[Invitation]:
    return list(db.session.scalars(select(Invitation).where(
        Invitation.organisation_id == org.id, Invitation.accepted_at.is_(None), Invitation.revoked_at.is_(None),
        Invitation.created_at > utcnow() - timedelta(seconds=INVITATION_MAX_AGE)).order_by(Invitation.created_at)))


def revoke_invitation(actor: User, invitation: Invitation, *, now: datetime | None = None) -> None:
    if not decides_for(actor, invitation.organisation):
        raise Forbidden(_("Only the organisation's managers withdraw invitations."))
    if invitation.open:
        invitation.revoked_at = now or utcnow()
        db.session.flush()


def read_invitation(token: str) -> Invitation:
    """The invitation a link names, if it is still open; otherwise InvalidLink saying why."""
    payload = read_link_token("invite", token, INVITATION_MAX_AGE)
    invitation = db.session.get(Invitation, int(payload.get("inv", 0) or 0))
    if invitation is None or invitation.organisation_id != payload.get("org"):
        raise InvalidLink(_("This invitation no longer exists."))
    if invitation.accepted_at is not None:
        raise InvalidLink(_("This invitation was used already."))
    if invitation.revoked_at is not None:
        raise InvalidLink(_("This invitation was withdrawn by the organisation."))
    return invitation


def accept_invitation(user: User, token: str, *, now: datetime | None = None) -> Organisation:
    """The invited address's owner joins, once; a forwarded link does not work for another account."""
    invitation = read_invitation(token)
    org = invitation.organisation
    if user.email.lower() != invitation.email.lower():
        raise Forbidden(_("This invitation was sent to %(email)s: log in with that address to accept it.",
                          email=invitation.email))
    _require_verified_email(user)
    if user.organisation_id is not None and user.organisation_id != org.id:
        raise AlreadyMember(_("You belong to %(org)s already: leave it first.", org=user.organisation))
    if org.state == "suspended":
        raise Conflict(_("This organisation is suspended and takes no new members."))
    if user.organisation_id != org.id:
        _join(user, org, "member")
    invitation.accepted_at = now or utcnow()
    db.session.flush()
    return org


# --- merging -----------------------------------------------------------------------------------------

def merge_organisations(admin: User, keep: Organisation, merged: Organisation) -> Organisation:
    """Merge `merged` into `keep`: members, join requests, owned platforms and vouchers (balance and
    ledger) move; `merged` is deleted. For duplicates carried over from free-text names."""
    if not admin.is_admin:
        raise Forbidden(_("Only administrators merge organisations."))
    if keep.id == merged.id:
        raise InvalidInput(_("Choose two different organisations."), fields={"merge": _("same organisation")})
    db.session.execute(update(User).where(User.organisation_id == merged.id)
                       .values(organisation_id=keep.id).execution_options(synchronize_session=False))
    db.session.execute(update(JoinRequest).where(JoinRequest.organisation_id == merged.id)
                       .values(organisation_id=keep.id).execution_options(synchronize_session=False))
    db.session.execute(update(Invitation).where(Invitation.organisation_id == merged.id)
                       .values(organisation_id=keep.id).execution_options(synchronize_session=False))
    db.session.execute(update(Platform).where(Platform.owner_org_id == merged.id)
                       .values(owner_org_id=keep.id).execution_options(synchronize_session=False))
    source = db.session.scalar(select(VoucherAccount).where(VoucherAccount.organisation_id == merged.id))
    if source is not None:
        target = db.session.scalar(select(VoucherAccount).where(VoucherAccount.organisation_id == keep.id))
        if target is None:
            source.organisation_id = keep.id
        else:
            db.session.execute(update(VoucherEntry).where(VoucherEntry.account_id == source.id)
                               .values(account_id=target.id).execution_options(synchronize_session=False))
            db.session.execute(update(VoucherAccount).where(VoucherAccount.id == target.id)
                               .values(balance=VoucherAccount.balance + source.balance)
                               .execution_options(synchronize_session=False))
            db.session.delete(source)
    if not keep.uscc and merged.uscc:
        code, merged.uscc = merged.uscc, None
        db.session.flush()
        keep.uscc = code
    db.session.flush()
    db.session.delete(merged)
    db.session.flush()
    db.session.expire_all()
    return keep


# --- mail --------------------------------------------------------------------------------------------

def _absolute(endpoint: str, **values: Any) -> str:
    return absolute_url(current_app.url_map.bind("localhost").build(endpoint, values))


def _admins() -> list[User]:
    return list(db.session.scalars(select(User).where(User.role == "admin", User.active.is_(True)).order_by(User.id)))


def _notify_join_request(request: JoinRequest) -> None:
    org, user = request.organisation, request.user
    deciders = managers_of(org) or _admins()
    link = _absolute("organisations.mine") if managers_of(org) else _absolute("organisations.detail",
                                                                               org_id=org.id)
    for person in deciders:
        queue_notice("org_join_request", to_email=person.email, to_name=person.name, language=person.language,
                     subject=lambda: _("%(who)s asks to join %(org)s", who=user.name or user.email, org=org.name_zh),
                     context={"org_name": org.name_zh, "who": user.name or user.email, "who_email": user.email,
                              "message": request.message, "link": link},
                     key=f"{request.id}-u{person.id}")
    queue_notice("org_join_sent", to_email=user.email, to_name=user.name, language=user.language,
                 subject=lambda: _("Your request to join %(org)s was sent", org=org.name_zh),
                 context={"org_name": org.name_zh, "link": _absolute("organisations.mine")}, key=f"{request.id}")


def _notify_join_decision(request: JoinRequest, actor: User) -> None:
    org, user = request.organisation, request.user
    approved = request.status == "approved"
    queue_notice("org_join_decision", to_email=user.email, to_name=user.name, language=user.language,
                 subject=(lambda: _("You are now a member of %(org)s", org=org.name_zh)) if approved
                 else (lambda: _("Your request to join %(org)s was declined", org=org.name_zh)),
                 context={"org_name": org.name_zh, "approved": approved, "note": request.decision_note,
                          "verified": org.verified, "link": _absolute("organisations.mine")},
                 key=f"{request.id}")
    if actor.id != user.id:
        queue_notice("org_join_decided", to_email=actor.email, to_name=actor.name, language=actor.language,
                     subject=(lambda: _("%(who)s joined %(org)s", who=user.name or user.email, org=org.name_zh))
                     if approved else (lambda: _("You declined %(who)s", who=user.name or user.email)),
                     context={"org_name": org.name_zh, "approved": approved, "who": user.name or user.email,
                              "link": _absolute("organisations.mine")}, key=f"{request.id}-decider")


def _notify_admins_new_org(org: Organisation, user: User) -> None:
    for admin in _admins():
        queue_notice("org_registered", to_email=admin.email, to_name=admin.name, language=admin.language,
                     subject=lambda: _("New organisation to verify: %(org)s", org=org.name_zh),
                     context={"org_name": org.name_zh, "uscc": org.uscc or "", "who": user.name or user.email,
                              "link": _absolute("organisations.detail", org_id=org.id)},
                     key=f"{org.id}-u{admin.id}")

