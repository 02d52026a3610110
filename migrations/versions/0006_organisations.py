"""organisations and account basics

`organisation` (USCC, kind, city, verification), `org_join_request` and `org_invitation`; a user's membership
(`user_account.organisation_id`, `org_role`), `email_verified_at` and `session_version`;
`platform.owner_org_id` and `voucher_account.organisation_id` replace the free-text names.

Data: every distinct free-text organisation (users, platform owners, voucher accounts; compared
case-insensitively with spacing collapsed) becomes one `unverified` organisation under its first
spelling; its users become members, platforms and voucher accounts point at it. Nothing is lost.
Existing accounts count as e-mail-verified (they registered before verification existed).

Revision ID: 0006_organisations
Revises: 0005_services
Create Date: 2026-12-04 16:30:00

"""
from __future__ import annotations

from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op

import booking.models.types

revision = '0006_organisations'
down_revision = '0005_services'
branch_labels = None
depends_on = None


def _key(name: str | None) -> str:
    return " ".join((name or "").split()).casefold()


def upgrade():
    op.create_table('organisation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name_zh', sa.String(length=200), nullable=False),
    sa.Column('name_en', sa.String(length=200), nullable=False),
    sa.Column('uscc', sa.String(length=18), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('city', sa.String(length=64), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('verified_at', booking.models.types.UTCDateTime(), nullable=True),
    sa.Column('verified_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', booking.models.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['verified_by_id'], ['user_account.id'], name=op.f('fk_organisation_verified_by_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organisation')),
    sa.UniqueConstraint('uscc', name=op.f('uq_organisation_uscc'))
    )
    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_organisation_state'), ['state'], unique=False)

    op.create_table('org_invitation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('invited_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', booking.models.types.UTCDateTime(), nullable=False),
    sa.Column('accepted_at', booking.models.types.UTCDateTime(), nullable=True),
    sa.Column('revoked_at', booking.models.types.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['invited_by_id'], ['user_account.id'], name=op.f('fk_org_invitation_invited_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_org_invitation_organisation_id_organisation'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_org_invitation'))
    )
    with op.batch_alter_table('org_invitation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_org_invitation_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('org_join_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('created_at', booking.models.types.UTCDateTime(), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', booking.models.types.UTCDateTime(), nullable=True),
    sa.Column('decision_note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['decided_by_id'], ['user_account.id'], name=op.f('fk_org_join_request_decided_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_org_join_request_organisation_id_organisation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_org_join_request_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_org_join_request'))
    )
    with op.batch_alter_table('org_join_request', schema=None) as batch_op:
        batch_op.create_index('ix_org_join_request_org_status', ['organisation_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_org_join_request_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('organisation_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('org_role', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('email_verified_at', booking.models.types.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('session_version', sa.Integer(), server_default=sa.text('0'), nullable=False))
        batch_op.create_index(batch_op.f('ix_user_account_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_user_account_organisation_id_organisation'), 'organisation', ['organisation_id'], ['id'], ondelete='SET NULL')
    with op.batch_alter_table('platform', schema=None) as batch_op:
        batch_op.add_column(sa.Column('owner_org_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_platform_owner_org_id_organisation'), 'organisation', ['owner_org_id'], ['id'], ondelete='SET NULL')
    with op.batch_alter_table('voucher_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('organisation_id', sa.Integer(), nullable=True))

    _carry_over_free_text()

    with op.batch_alter_table('voucher_account', schema=None) as batch_op:
        batch_op.drop_constraint('uq_voucher_account_organisation', type_='unique')
        batch_op.drop_column('organisation')
        batch_op.alter_column('organisation_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_voucher_account_organisation_id'), ['organisation_id'])
        batch_op.create_foreign_key(batch_op.f('fk_voucher_account_organisation_id_organisation'), 'organisation', ['organisation_id'], ['id'], ondelete='CASCADE')
    with op.batch_alter_table('platform', schema=None) as batch_op:
        batch_op.drop_column('organisation')
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('organisation')


def _carry_over_free_text():
    """Each distinct typed name becomes one unverified organisation; its users join it as members."""
    conn = op.get_bind()
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    conn.execute(sa.text("UPDATE user_account SET email_verified_at = created_at"))
    names = []
    for table in ("platform", "voucher_account", "user_account"):  # official spellings first
        names += [row[0] for row in conn.execute(sa.text(f"SELECT organisation FROM {table} ORDER BY id"))]
    ids: dict[str, int] = {}
    for name in names:
        key = _key(name)
        if not key or key in ids:
            continue
        spelled = " ".join(name.split())[:200]
        conn.execute(sa.text("INSERT INTO organisation (name_zh, name_en, uscc, kind, city, state, created_at) "
                             "VALUES (:name, '', NULL, 'other', '', 'unverified', :now)"), {"name": spelled, "now": now})
        ids[key] = conn.execute(sa.text("SELECT max(id) FROM organisation")).scalar_one()
    for table, extra in (("user_account", ", org_role = 'member'"), ("platform", ""), ("voucher_account", "")):
        column = "owner_org_id" if table == "platform" else "organisation_id"
        for row_id, name in conn.execute(sa.text(f"SELECT id, organisation FROM {table}")).all():
            if _key(name) in ids:
                conn.execute(sa.text(f"UPDATE {table} SET {column} = :org{extra} WHERE id = :id"),
                             {"org": ids[_key(name)], "id": row_id})
    # Two voucher accounts whose names differed only in case or spacing: keep the first, move the rest in.
    rows = conn.execute(sa.text("SELECT id, organisation_id, balance FROM voucher_account ORDER BY id")).all()
    keep: dict[int, int] = {}
    for account_id, org_id, balance in rows:
        if org_id not in keep:
            keep[org_id] = account_id
            continue
        conn.execute(sa.text("UPDATE voucher_entry SET account_id = :to WHERE account_id = :old"),
                     {"to": keep[org_id], "old": account_id})
        conn.execute(sa.text("UPDATE voucher_account SET balance = balance + :b WHERE id = :to"),
                     {"b": balance, "to": keep[org_id]})
        conn.execute(sa.text("DELETE FROM voucher_account WHERE id = :old"), {"old": account_id})


def downgrade():
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('organisation', sa.String(length=200), nullable=False, server_default=''))
    with op.batch_alter_table('platform', schema=None) as batch_op:
        batch_op.add_column(sa.Column('organisation', sa.String(length=200), nullable=False, server_default=''))
    with op.batch_alter_table('voucher_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('organisation', sa.String(length=200), nullable=True))
    conn = op.get_bind()
    for table, column in (("user_account", "organisation_id"), ("platform", "owner_org_id"),
                          ("voucher_account", "organisation_id")):
        conn.execute(sa.text(f"UPDATE {table} SET organisation = (SELECT name_zh FROM organisation "
                             f"WHERE organisation.id = {table}.{column}) WHERE {column} IS NOT NULL"))
    conn.execute(sa.text("UPDATE voucher_account SET organisation = 'account ' || id WHERE organisation IS NULL"))
    with op.batch_alter_table('voucher_account', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_voucher_account_organisation_id_organisation'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_voucher_account_organisation_id'), type_='unique')
        batch_op.drop_column('organisation_id')
        batch_op.alter_column('organisation', existing_type=sa.String(length=200), nullable=False)
        batch_op.create_unique_constraint('uq_voucher_account_organisation', ['organisation'])
    with op.batch_alter_table('platform', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_platform_owner_org_id_organisation'), type_='foreignkey')
        batch_op.drop_column('owner_org_id')
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_user_account_organisation_id_organisation'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_user_account_organisation_id'))
        batch_op.drop_column('session_version')
        batch_op.drop_column('email_verified_at')
        batch_op.drop_column('org_role')
        batch_op.drop_column('organisation_id')
    op.drop_table('org_join_request')
    op.drop_table('org_invitation')
    op.drop_table('organisation')
