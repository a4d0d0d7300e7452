"""Ids never reused on SQLite: AUTOINCREMENT on every table with its own id

Without it SQLite gives a new row the largest id + 1, so an id freed by a delete or a restore
went to another row. Each table is rebuilt (batch mode copies its rows, and sqlite_sequence
starts at the largest id it holds). PostgreSQL's sequences never go back: nothing to do there.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-10 00:00:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

TABLES = (
    'authors', 'tags', 'posts', 'comments', 'throttle_events', 'comment_events', 'redirects',
    'revisions', 'autosaves', 'uploads',
)


def _rebuild(autoincrement: bool) -> None:
    if op.get_bind().dialect.name != 'sqlite':
        return
    for table in TABLES:
        with op.batch_alter_table(
            table, recreate='always', table_kwargs={'sqlite_autoincrement': autoincrement}
        ):
            pass


def upgrade():
    _rebuild(True)


def downgrade():
    _rebuild(False)
