"""An author's e-mail address

Filled into the comment form when she comments as herself, and changed on her account page.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04 00:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('authors', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('email', sa.String(length=254), nullable=False, server_default='')
        )


def downgrade():
    with op.batch_alter_table('authors', schema=None) as batch_op:
        batch_op.drop_column('email')
