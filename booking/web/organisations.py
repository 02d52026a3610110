"""Organisation pages: mine (join, register, leave; managers: members, requests, invitations),
one organisation's page for those who manage it, and the administrators' list, verification and merge."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select

from ..accounts.access import role_required
from ..accounts.links import InvalidLink
from ..errors import DomainError
from ..extensions import db
from ..models import Invitation, JoinRequest, Organisation, User
from ..organisations import service
from ..organisations.forms import (
    KIND_LABELS, STATE_LABELS, AddMemberForm, AdminOrganisationForm, DecideForm, FindForm, InviteForm, JoinForm,
    MergeForm, OrganisationForm,
)
from .refusals import show_on_form

bp = Blueprint("organisations", __name__)


def _labels() -> dict[str, Any]:
    return {"kind_labels": KIND_LABELS, "state_labels": STATE_LABELS, "uscc_check": service.uscc_check}


def _org(org_id: int) -> Organisation:
    return db.get_or_404(Organisation, org_id)


def _may_see(org: Organisation) -> bool:
    return current_user.organisation_id == org.id or service.can_add_members(current_user, org)


# --- my organisation -----------------------------------------------------------------------------

@bp.get("/organisation")
@login_required
def mine() -> Any:
    """Members see their organisation; everyone else finds one to join or registers a new one."""
    if current_user.organisation_id is not None:
        return detail(current_user.organisation_id)
    find = FindForm(request.args)
    found = service.find_organisations(find.q.data or "") if find.validate() and find.q.data else []
    return render_template("organisations/join.html", find=find, found=found, join_form=JoinForm(),
                           register_form=OrganisationForm(prefix="reg"),
                           pending=service.open_request_of(current_user), **_labels())


@bp.post("/organisation/register")
@login_required
def register() -> Any:
    form = OrganisationForm(prefix="reg")
    if form.validate_on_submit():
        try:
            org = service.register_organisation(current_user, name=form.name.data, name_en=form.name_en.data or "",
                                                uscc=form.uscc.data, kind=form.kind.data, city=form.city.data or "")
        except DomainError as exc:
            show_on_form(form, exc)
        else:
            flash(_("%(org)s is registered and you are its manager. An administrator will verify it; until then "
                    "its members pay the external rate.", org=org.name_zh), "success")
            return redirect(url_for("organisations.mine"), 303)
    return render_template("organisations/join.html", find=FindForm(), found=[], join_form=JoinForm(),
                           register_form=form, pending=service.open_request_of(current_user), **_labels()), 422


@bp.post("/organisation/join")
@login_required
def join() -> Any:
    form = JoinForm()
    if not form.validate_on_submit():
        abort(400)
    org = service.get_organisation(form.org_id.data)
    service.request_to_join(current_user, org, form.message.data or "")
    flash(_("Your request to join %(org)s is sent. Its managers decide; you will get an e-mail.",
            org=org.name_zh), "success")
    return redirect(url_for("organisations.mine"), 303)


@bp.post("/organisation/requests/<int:request_id>/withdraw")
@login_required
def withdraw(request_id: int) -> Any:
    join_request = db.get_or_404(JoinRequest, request_id)
    if join_request.user_id != current_user.id:
        abort(404)
    if join_request.status == "open":
        join_request.status = "withdrawn"
    flash(_("Request withdrawn."), "info")
    return redirect(url_for("organisations.mine"), 303)


@bp.post("/organisation/leave")
@login_required
def leave() -> Any:
    name = str(current_user.organisation or "")
    service.leave(current_user)
    flash(_("You have left %(org)s.", org=name), "info")
    return redirect(url_for("organisations.mine"), 303)


# --- one organisation --------------------------------------------------------------------------------

@bp.get("/organisations/<int:org_id>")
@login_required
def detail(org_id: int) -> Any:
    org = _org(org_id)
    if not _may_see(org):
        abort(403)
    return _detail_page(org)


def _detail_page(org: Organisation, edit_form: AdminOrganisationForm | None = None, status: int = 200) -> Any:
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
        edit_form=edit_form, merge_form=merge_form, **_labels()), status


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
                           form=form, **_labels())


@bp.post("/organisations/invitations/<int:invitation_id>/withdraw")
@login_required
def withdraw_invitation(invitation_id: int) -> Any:
    invitation = db.get_or_404(Invitation, invitation_id)
    service.revoke_invitation(current_user, invitation)
    flash(_("The invitation to %(email)s is withdrawn; its link no longer works.", email=invitation.email), "info")
    return _back(invitation.organisation)


# --- administrators ----------------------------------------------------------------------------

@bp.get("/admin/organisations")
@role_required("admin")
def admin_list() -> Any:
    state = request.args.get("state", "")
    find = FindForm(request.args)
    query = select(Organisation).order_by(Organisation.state != "unverified", Organisation.name_zh)
    if state in STATE_LABELS:
        query = query.where(Organisation.state == state)
    if find.validate() and find.q.data:
        ids = [o.id for o in service.find_organisations(find.q.data, limit=500)]
        query = query.where(Organisation.id.in_(ids))
    counts: dict[int | None, int] = {
        org_id: n for org_id, n in db.session.execute(select(User.organisation_id, func.count())
                                                      .group_by(User.organisation_id))}
    rows = db.paginate(query, per_page=50, error_out=False)
    return render_template("organisations/admin_list.html", rows=rows, counts=counts, state=state, find=find,
                           **_labels())


@bp.post("/admin/organisations/<int:org_id>")
@role_required("admin")
def admin_edit(org_id: int) -> Any:
    org = _org(org_id)
    form = AdminOrganisationForm(prefix="edit")
    if form.validate_on_submit():
        try:
            service.update_organisation(current_user, org, name=form.name.data, name_en=form.name_en.data or "",
                                        uscc=form.uscc.data or "", kind=form.kind.data, city=form.city.data or "")
        except DomainError as exc:
            show_on_form(form, exc)
        else:
            flash(_("Details of %(org)s saved.", org=org.name_zh), "success")
            return redirect(url_for("organisations.detail", org_id=org.id), 303)
    return _detail_page(org, form, 422)  # the details as typed, with what is wrong beside them


@bp.post("/admin/organisations/<int:org_id>/<any(verify, suspend):action>")
@role_required("admin")
def admin_state(org_id: int, action: str) -> Any:
    org = _org(org_id)
    if action == "verify":
        service.verify_organisation(current_user, org)
        message = _("%(org)s is verified: its members now get its rates, vouchers and shared reports.", org=org.name_zh)
    else:
        service.suspend_organisation(current_user, org)
        message = _("%(org)s is suspended: rates, vouchers and shared reports stop for its members.", org=org.name_zh)
    flash(message, "success")
    return redirect(url_for("organisations.detail", org_id=org.id), 303)


@bp.post("/admin/organisations/<int:org_id>/merge")
@role_required("admin")
def admin_merge(org_id: int) -> Any:
    keep = _org(org_id)
    form = MergeForm(prefix="merge")
    form.merge_id.choices = [(str(o.id), "") for o in db.session.scalars(
        select(Organisation).where(Organisation.id != keep.id))]
    if not form.validate_on_submit():
        flash(_("Choose the organisation to merge into this one."), "error")
        return redirect(url_for("organisations.detail", org_id=keep.id), 303)
    merged = _org(int(form.merge_id.data))
    name = merged.name_zh
    service.merge_organisations(current_user, keep, merged)
    flash(_("%(merged)s is merged into %(org)s: its members, vouchers and history moved.", merged=name,
            org=keep.name_zh), "success")
    return redirect(url_for("organisations.detail", org_id=keep.id), 303)
