"""One post per new-post form, and the state each revision left its post in

A post made by the new-post form keeps that form's key, unique, so the same form sent again
(Back, then Save) finds the post instead of making a copy. A revision records whether that save
left the post a draft, scheduled or published; revisions kept before have none.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 00:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMN and CREATE INDEX: no table is rebuilt (SQLite keeps its AUTOINCREMENT).
    op.add_column('posts', sa.Column('form_key', sa.String(length=64), nullable=True))
    op.create_index('uq_posts_form_key', 'posts', ['form_key'], unique=True)
    op.add_column('revisions', sa.Column('state', sa.String(length=10), nullable=True))


def downgrade():
    with op.batch_alter_table(
        'revisions', table_kwargs={'sqlite_autoincrement': True}
    ) as batch_op:
        batch_op.drop_column('state')
    op.drop_index('uq_posts_form_key', table_name='posts')
    with op.batch_alter_table('posts', table_kwargs={'sqlite_autoincrement': True}) as batch_op:
        batch_op.drop_column('form_key')
