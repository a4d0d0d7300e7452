"""Refused comments without their decision

comment_events.decision always held "refused" and nothing read it: the column goes. On SQLite the
batch rebuilds the table, keeping ix_comment_events_at.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('comment_events', schema=None) as batch_op:
        batch_op.drop_column('decision')


def downgrade():
    with op.batch_alter_table('comment_events', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('decision', sa.String(length=20), nullable=False, server_default='refused')
        )
