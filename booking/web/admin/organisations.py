"""/admin/organisations: every organisation, to verify, suspend, correct or merge."""
from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from ...accounts.access import role_required
from ...errors import DomainError
from ...extensions import db
from ...models import Organisation, User
from ...organisations import service
from ...organisations.forms import STATE_LABELS, AdminOrganisationForm, FindForm, MergeForm
from ..organisations.pages import detail_page, labels
from ..refusals import show_on_form
from .blueprint import bp


@bp.get("/organisations")
@role_required("admin")
def organisations() -> Any:
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
                           **labels())


@bp.post("/organisations/<int:org_id>", endpoint="organisation_edit")
@role_required("admin")
def admin_edit(org_id: int) -> Any:
    org = db.get_or_404(Organisation, org_id)
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
    return detail_page(org, form, 422)  # the details as typed, with what is wrong beside them


@bp.post("/organisations/<int:org_id>/<any(verify, suspend):action>", endpoint="organisation_state")
@role_required("admin")
def admin_state(org_id: int, action: str) -> Any:
    org = db.get_or_404(Organisation, org_id)
    if action == "verify":
        service.verify_organisation(current_user, org)
        message = _("%(org)s is verified: its members now get its rates, vouchers and shared reports.", org=org.name_zh)
    else:
        service.suspend_organisation(current_user, org)
        message = _("%(org)s is suspended: rates, vouchers and shared reports stop for its members.", org=org.name_zh)
    flash(message, "success")
    return redirect(url_for("organisations.detail", org_id=org.id), 303)


@bp.post("/organisations/<int:org_id>/merge", endpoint="organisation_merge")
@role_required("admin")
def admin_merge(org_id: int) -> Any:
    keep = db.get_or_404(Organisation, org_id)
    form = MergeForm(prefix="merge")
    form.merge_id.choices = [(str(o.id), "") for o in db.session.scalars(
        select(Organisation).where(Organisation.id != keep.id))]
    if not form.validate_on_submit():
        flash(_("Choose the organisation to merge into this one."), "error")
        return redirect(url_for("organisations.detail", org_id=keep.id), 303)
    merged = db.get_or_404(Organisation, int(form.merge_id.data))
    name = merged.name_zh
    service.merge_organisations(current_user, keep, merged)
    flash(_("%(merged)s is merged into %(org)s: its members, vouchers and history moved.", merged=name,
            org=keep.name_zh), "success")
    return redirect(url_for("organisations.detail", org_id=keep.id), 303)
