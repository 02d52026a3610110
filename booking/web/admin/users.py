"""/admin/users: accounts, a new one, and one account's role, platform and whether it may log in."""
from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from ...accounts import service
from ...accounts.access import role_required
from ...accounts.forms import NewUserForm, UserAdminForm
from ...errors import DomainError
from ...extensions import db
from ...models import Platform, User
from ..refusals import show_on_form
from .blueprint import bp
from .choices import platform_choices

PAGE_SIZE = 50


@bp.get("/users")
@role_required("admin")
def users() -> Any:
    return _users_page(_new_user_form())


def _users_page(new_form: NewUserForm, status: int = 200) -> Any:
    q = request.args.get("q", "").strip()[:100]
    try:
        page = max(1, int(request.args.get("page", "1")))
    except ValueError:
        page = 1
    query = select(User).order_by(User.id)
    if q:
        query = query.where(User.email.ilike(f"%{q}%") | User.name.ilike(f"%{q}%"))
    rows = db.paginate(query, page=page, per_page=PAGE_SIZE, error_out=False)
    return render_template("admin/users.html", users=rows, q=q, new_form=new_form), status


def _new_user_form() -> NewUserForm:
    form = NewUserForm(prefix="new")
    form.platform.choices = platform_choices()
    return form


@bp.post("/users/new")
@role_required("admin")
def create_user() -> Any:
    """A refused account (bad input, an address in use) shows the list again with the form as typed."""
    form = _new_user_form()
    if form.validate_on_submit():
        platform = db.session.get(Platform, int(form.platform.data)) if form.platform.data else None
        try:
            user = service.create_user(
                form.email.data, form.password.data, role=form.role.data,
                platform_code=platform.code if platform else None, name=form.name.data or "",
                verified=True,  # an administrator made the account: the address counts as confirmed
            )
        except DomainError as exc:
            show_on_form(form, exc)
        else:
            flash(_("Account %(email)s created.", email=user.email), "success")
            return redirect(url_for("admin.users"))
    return _users_page(form, 422)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@role_required("admin")
def edit_user(user_id: int) -> Any:
    user = db.get_or_404(User, user_id, description=_("No such account."))
    form = UserAdminForm(obj=user, data={"platform": str(user.platform_id or "")} if request.method == "GET" else None)
    form.platform.choices = platform_choices()
    if form.validate_on_submit():
        try:
            service.set_access(user, role=form.role.data, active=form.active.data,
                               platform_id=int(form.platform.data) if form.platform.data else None)
        except DomainError as exc:
            show_on_form(form, exc)
        else:
            flash(_("Account %(email)s saved.", email=user.email), "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, user=user), 422 if form.errors else 200
