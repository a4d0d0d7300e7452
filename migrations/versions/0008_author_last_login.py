"""When an author last logged in

The desk greets a first login with "Welcome" and later ones with "Welcome back". Authors who
exist before this migration have logged in already, as far as anyone can tell: they are given
their creation time, and are welcomed back.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 00:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('authors', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_login_at', sa.DateTime(), nullable=True))
    op.execute('UPDATE authors SET last_login_at = created_at')


def downgrade():
    with op.batch_alter_table('authors', schema=None) as batch_op:
        batch_op.drop_column('last_login_at')
