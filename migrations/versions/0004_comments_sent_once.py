"""Comments sent once, and the author's own

A comment sent through the form keeps a key naming that form (one comment per form), and a
unique index holds the same words once a post among such comments; rows already stored have no
key and may repeat. A comment written by a logged-in author names her.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 21:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('form_key', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('author_id', sa.Integer(), nullable=True))
        batch_op.create_unique_constraint('uq_comments_form_key', ['form_key'])
        batch_op.create_foreign_key(
            'fk_comments_author_id_authors', 'authors', ['author_id'], ['id'], ondelete='SET NULL'
        )
    op.create_index(
        'uq_comments_post_fingerprint_sent',
        'comments',
        ['post_id', 'fingerprint'],
        unique=True,
        sqlite_where=sa.text('form_key IS NOT NULL'),
        postgresql_where=sa.text('form_key IS NOT NULL'),
    )


def downgrade():
    op.drop_index('uq_comments_post_fingerprint_sent', table_name='comments')
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.drop_constraint('fk_comments_author_id_authors', type_='foreignkey')
        batch_op.drop_constraint('uq_comments_form_key', type_='unique')
        batch_op.drop_column('author_id')
        batch_op.drop_column('form_key')
