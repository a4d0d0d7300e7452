"""An image's description, the hash of its uploaded bytes, and its narrower copies

The description is what the media page shows and puts in the Markdown to copy. The hash makes a
second upload of the same file the same image (unique; NULL for images uploaded before it was
kept, which are left as they are). The widths name the narrower copies stored beside the image
for srcset ("640 960"; empty for the images uploaded before, which have none).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 00:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('uploads', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('alt', sa.String(length=300), nullable=False, server_default='')
        )
        batch_op.add_column(sa.Column('sha256', sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column('variant_widths', sa.String(length=40), nullable=False, server_default='')
        )
        batch_op.create_index('ix_uploads_sha256', ['sha256'], unique=True)


def downgrade():
    # Dropping columns rebuilds the table on SQLite: it keeps AUTOINCREMENT (migration 0006).
    with op.batch_alter_table(
        'uploads', schema=None, table_kwargs={'sqlite_autoincrement': True}
    ) as batch_op:
        batch_op.drop_index('ix_uploads_sha256')
        batch_op.drop_column('variant_widths')
        batch_op.drop_column('sha256')
        batch_op.drop_column('alt')
