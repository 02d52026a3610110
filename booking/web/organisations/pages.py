"""/organisations/<id>: one organisation's page for its members and for those who manage it
(members, join requests, invitations), and accepting an invitation."""
from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from ...accounts.links import InvalidLink
from ...extensions import db
from ...models import Invitation, JoinRequest, Organisation, User
from ...organisations import service
from ...organisations.forms import (
    KIND_LABELS,
    STATE_LABELS,
    AddMemberForm,
    AdminOrganisationForm,
    DecideForm,
    InviteForm,
    MergeForm,
)
from .blueprint import bp


def labels() -> dict[str, Any]:
    return {"kind_labels": KIND_LABELS, "state_labels": STATE_LABELS, "uscc_check": service.uscc_check}


def _org(org_id: int) -> Organisation:
    return db.get_or_404(Organisation, org_id)


def _may_see(org: Organisation) -> bool:
    return current_user.organisation_id == org.id or service.can_add_members(current_user, org)


@bp.get("/organisations/<int:org_id>")
@login_required
def detail(org_id: int) -> Any:
    org = _org(org_id)
    if not _may_see(org):
        abort(403)
    return detail_page(org)


def detail_page(org: Organisation, edit_form: AdminOrganisationForm | None = None, status: int = 200) -> Any:
    """One organisation's page; `edit_form`: the administrators' form as posted, when it was refused."""
    decides = service.decides_for(current_user, org)
    adds = service.can_add_members(current_user, org)
    others: list[Organisation] = []
    if current_user.is_admin:
        others = list(db.session.scalars(select(Organisation).where(Organisation.id != org.id)
                                         .order_by(Organisation.name_zh).limit(2000)))
    merge_form = MergeForm(prefix="merge")
    merge_form.merge_id.choices = [("", "—")] + [(str(o.id), f"{o.name_zh} · {o.uscc or '—'} · "
                                                   f"{STATE_LABELS[o.state]}") for o in others]
    if edit_form is None and current_user.is_admin:
        edit_form = AdminOrganisationForm(prefix="edit", data={"name": org.name_zh, "name_en": org.name_en,
                                                               "uscc": org.uscc or "", "kind": org.kind, "city": org.city})
    return render_template(
        "organisations/detail.html", org=org, members=service.members_of(org) if adds or decides else [],
        requests=service.open_requests(org) if decides else [], decides=decides, adds=adds,
        invitations=service.open_invitations(org) if decides else [],
        managers=len(service.managers_of(org)),
        decide_form=DecideForm(), invite_form=InviteForm(prefix="inv"), add_form=AddMemberForm(prefix="add"),
        edit_form=edit_form, merge_form=merge_form, **labels()), status


def _back(org: Organisation) -> Any:
    if current_user.organisation_id == org.id:
        return redirect(url_for("organisations.mine"), 303)
    return redirect(url_for("organisations.detail", org_id=org.id), 303)


@bp.post("/organisations/requests/<int:request_id>/<any(approve, decline):decision>")
@login_required
def decide(request_id: int, decision: str) -> Any:
    join_request = db.session.get(JoinRequest, request_id)
    form = DecideForm()
    if join_request is None or not form.validate_on_submit():
        abort(404)
    service.decide_join_request(current_user, join_request, decision == "approve", form.note.data or "")
    who = join_request.user.name or join_request.user.email
    approved = decision == "approve"
    flash(_("%(who)s is now a member.", who=who) if approved else _("Request of %(who)s declined.", who=who), "success")
    return _back(join_request.organisation)


@bp.post("/organisations/<int:org_id>/invite")
@login_required
def invite(org_id: int) -> Any:
    org = _org(org_id)
    form = InviteForm(prefix="inv")
    if not form.validate_on_submit():
        flash(_("Give a valid e-mail address to invite."), "error")
        return _back(org)
    service.invite(current_user, org, form.email.data)
    flash(_("Invitation sent to %(email)s. The link works for a week.", email=form.email.data), "success")
    return _back(org)


@bp.post("/organisations/<int:org_id>/members")
@login_required
def add_member(org_id: int) -> Any:
    org = _org(org_id)
    form = AddMemberForm(prefix="add")
    if not form.validate_on_submit():
        flash(_("Give the e-mail of an existing account."), "error")
        return _back(org)
    user = service.add_member(current_user, org, service.find_user(form.email.data), role=form.role.data)
    flash(_("%(user)s is now a member of %(org)s.", user=user.email, org=org.name_zh), "success")
    return _back(org)


@bp.post("/organisations/<int:org_id>/members/<int:user_id>/<any(member, manager, remove):action>")
@login_required
def member_action(org_id: int, user_id: int, action: str) -> Any:
    org, user = _org(org_id), db.get_or_404(User, user_id)
    if action == "remove":
        service.remove_member(current_user, org, user)
        message = _("%(user)s is no longer a member.", user=user.email)
    else:
        service.set_role(current_user, org, user, action)
        message = _("%(user)s is now a %(role)s.", user=user.email,
                    role=_("manager") if action == "manager" else _("member"))
    flash(message, "success")
    return _back(org)


@bp.route("/organisations/invitation/<token>", methods=["GET", "POST"])
@login_required
def accept_invitation(token: str) -> Any:
    try:
        invitation = service.read_invitation(token)
    except InvalidLink as exc:
        return render_template("auth/link_invalid.html", message=exc.message, again="invitation"), 400
    form = DecideForm()
    if request.method == "POST" and form.validate_on_submit():
        org = service.accept_invitation(current_user, token)
        flash(_("Welcome to %(org)s.", org=org.name_zh), "success")
        return redirect(url_for("organisations.mine"), 303)
    return render_template("organisations/invitation.html", org=invitation.organisation, email=invitation.email,
                           form=form, **labels())


@bp.post("/organisations/invitations/<int:invitation_id>/withdraw")
@login_required
def withdraw_invitation(invitation_id: int) -> Any:
    invitation = db.get_or_404(Invitation, invitation_id)
    service.revoke_invitation(current_user, invitation)
    flash(_("The invitation to %(email)s is withdrawn; its link no longer works.", email=invitation.email), "info")
    return _back(invitation.organisation)
