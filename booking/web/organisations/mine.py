"""/organisation: my organisation; for those without one, find one to join or register a new one;
leave it, or withdraw a request to join."""
from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ...errors import DomainError
from ...extensions import db
from ...models import JoinRequest
from ...organisations import service
from ...organisations.forms import FindForm, JoinForm, OrganisationForm
from ..refusals import show_on_form
from .blueprint import bp
from .pages import detail, labels


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
                           pending=service.open_request_of(current_user), **labels())


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
                           register_form=form, pending=service.open_request_of(current_user), **labels()), 422


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
