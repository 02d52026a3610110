"""/admin/vouchers: innovation vouchers issued to (or taken back from) verified organisations, and
each organisation's ledger."""
from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from ...accounts.access import role_required
from ...engine.vouchers import account_for, accounts, issue_vouchers, ledger
from ...errors import DomainError
from ...extensions import db
from ...models import Organisation
from ..filters import lang, money
from ..transaction import discard_changes
from ..validate import id_arg
from .blueprint import bp
from .choices import organisation_choices


class VoucherIssueForm(FlaskForm):
    organisation = SelectField(_l("Organisation (verified ones only)"), choices=[], validate_choice=True,
                               validators=[DataRequired(message=_l("Choose the organisation."))])
    amount = StringField(_l("Amount (CNY; negative to take back)"),
                         validators=[DataRequired(), Regexp(r"^-?\d{1,10}(\.\d{1,2})?$", message=_l("e.g. 5000 or 1250.50"))])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=300)],
                       render_kw={"placeholder": _l("e.g. 2027 provincial allocation")})


@bp.route("/vouchers", methods=["GET", "POST"])
@role_required("admin")
def vouchers() -> Any:
    form = VoucherIssueForm()
    form.organisation.choices = organisation_choices()
    if form.validate_on_submit():
        org = db.session.get(Organisation, int(form.organisation.data))
        try:
            account = issue_vouchers(current_user, org, form.amount.data, form.note.data or "")
        except DomainError as exc:
            discard_changes()
            form.amount.errors = [exc.message]
        else:
            flash(_("%(org)s now holds %(balance)s in innovation vouchers.", org=account.organisation.name(lang()),
                    balance=money(account.balance)), "success")
            return redirect(url_for("admin.vouchers", org=account.organisation_id), 303)
    selected = None
    chosen = id_arg(request.args.get("org"))
    if chosen is not None:
        selected = account_for(db.session.get(Organisation, chosen))
    rows = accounts()
    if selected is None and rows:
        selected = rows[0]
    return render_template("admin/vouchers.html", form=form, accounts=rows, selected=selected,
                           entries=ledger(selected) if selected else []), 200 if not form.errors else 422
