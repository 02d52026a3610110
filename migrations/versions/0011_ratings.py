"""ratings (服务评价) of completed bookings and orders, and the invitations to give them

`rating`: one per reservation or order (exactly one of the two, unique), 1–5 stars, a comment,
the staff's public answer; resource, platform and `served_at` (booking start / order completion)
copied for fast averages and report periods. `rating_invitation`: one row per invited booking
or order (unique), written with the queued mail, so a restarted scheduler never invites twice.

Revision ID: 0011_ratings
Revises: 0010_platform_profile
Create Date: 2026-12-05 05:10:00

"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import booking.models.types

revision = '0011_ratings'
down_revision = '0010_platform_profile'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('rating',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reservation_id', sa.Integer(), nullable=True),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('resource_id', sa.Integer(), nullable=False),
    sa.Column('platform_id', sa.Integer(), nullable=False),
    sa.Column('stars', sa.Integer(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('served_at', booking.models.types.UTCDateTime(), nullable=False),
    sa.Column('created_at', booking.models.types.UTCDateTime(), nullable=False),
    sa.Column('updated_at', booking.models.types.UTCDateTime(), nullable=False),
    sa.Column('answer', sa.Text(), nullable=False),
    sa.Column('answered_by_id', sa.Integer(), nullable=True),
    sa.Column('answered_at', booking.models.types.UTCDateTime(), nullable=True),
    sa.CheckConstraint('(reservation_id IS NULL AND order_id IS NOT NULL) OR (reservation_id IS NOT NULL AND order_id IS NULL)', name=op.f('ck_rating_one_subject')),
    sa.CheckConstraint('stars >= 1 AND stars <= 5', name=op.f('ck_rating_stars')),
    sa.ForeignKeyConstraint(['answered_by_id'], ['user_account.id'], name=op.f('fk_rating_answered_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['order_id'], ['service_order.id'], name=op.f('fk_rating_order_id_service_order'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['platform_id'], ['platform.id'], name=op.f('fk_rating_platform_id_platform'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reservation_id'], ['reservation.id'], name=op.f('fk_rating_reservation_id_reservation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['resource_id'], ['resource.id'], name=op.f('fk_rating_resource_id_resource'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_rating_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rating')),
    sa.UniqueConstraint('order_id', name=op.f('uq_rating_order_id')),
    sa.UniqueConstraint('reservation_id', name=op.f('uq_rating_reservation_id'))
    )
    with op.batch_alter_table('rating', schema=None) as batch_op:
        batch_op.create_index('ix_rating_platform_served', ['platform_id', 'served_at'], unique=False)
        batch_op.create_index('ix_rating_resource_created', ['resource_id', 'created_at'], unique=False)

    op.create_table('rating_invitation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reservation_id', sa.Integer(), nullable=True),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('mail_id', sa.Integer(), nullable=True),
    sa.Column('invited_at', booking.models.types.UTCDateTime(), nullable=False),
    sa.CheckConstraint('(reservation_id IS NULL AND order_id IS NOT NULL) OR (reservation_id IS NOT NULL AND order_id IS NULL)', name=op.f('ck_rating_invitation_one_subject')),
    sa.ForeignKeyConstraint(['mail_id'], ['outgoing_mail.id'], name=op.f('fk_rating_invitation_mail_id_outgoing_mail'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['order_id'], ['service_order.id'], name=op.f('fk_rating_invitation_order_id_service_order'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reservation_id'], ['reservation.id'], name=op.f('fk_rating_invitation_reservation_id_reservation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_rating_invitation_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rating_invitation')),
    sa.UniqueConstraint('order_id', name=op.f('uq_rating_invitation_order_id')),
    sa.UniqueConstraint('reservation_id', name=op.f('uq_rating_invitation_reservation_id'))
    )


def downgrade():
    op.drop_table('rating_invitation')
    with op.batch_alter_table('rating', schema=None) as batch_op:
        batch_op.drop_index('ix_rating_resource_created')
        batch_op.drop_index('ix_rating_platform_served')

    op.drop_table('rating')
