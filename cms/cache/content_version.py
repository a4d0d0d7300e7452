"""The content version: every transaction that changes what public pages show bumps it, in the
same transaction, so no view can forget it."""

from __future__ import annotations

from sqlalchemy import Connection, event, inspect, update
from sqlalchemy.orm import ORMExecuteState, Session

from .. import clock
from ..models import APPROVED, Comment, ContentVersion

# Rows that never show on a public page: writing them leaves every cached page valid.
PRIVATE_TABLES = frozenset(
    {"throttle_events", "comment_events", "autosaves", "revisions", "content_version"}
)


def _bump(connection: Connection) -> None:
    """Add one to the site-wide content version (creating its row the first time)."""
    now = clock.utcnow()
    table = ContentVersion.__table__
    bumped = connection.execute(
        update(table).where(table.c.id == 1).values(version=table.c.version + 1, changed_at=now)
    )
    if bumped.rowcount == 0:
        if connection.dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        # Two first writers at once: the second one bumps the row the first created.
        connection.execute(
            insert(table)
            .values(id=1, version=1, changed_at=now)
            .on_conflict_do_update(
                index_elements=[table.c.id],
                set_={"version": table.c.version + 1, "changed_at": now},
            )
        )


def _comment_is_public(comment: Comment) -> bool:
    """Whether a change to this comment can show: it is, or was, approved."""
    history = inspect(comment).attrs.status.history
    states = {*history.added, *history.deleted, *history.unchanged, comment.status}
    return APPROVED in states


def _changes_public_pages(session: Session) -> bool:
    for obj in session.new:
        if isinstance(obj, Comment):
            if obj.status == APPROVED:
                return True
        elif obj.__table__.name not in PRIVATE_TABLES:
            return True
    for obj in session.deleted:
        if isinstance(obj, Comment):
            if _comment_is_public(obj):
                return True
        elif obj.__table__.name not in PRIVATE_TABLES:
            return True
    for obj in session.dirty:
        if obj.__table__.name in PRIVATE_TABLES or not session.is_modified(obj):
            continue
        if isinstance(obj, Comment):
            if _comment_is_public(obj):
                return True
            continue
        changed = {a.key for a in inspect(obj).attrs if a.history.has_changes()}
        # A pending comment added to post.comments leaves the post's own columns as they were.
        if changed - {"comments"}:
            return True
    return False


# A transaction that changes public rows is marked, and bumps the version once, just before it
# commits: on PostgreSQL the bump locks the version's row until the commit, so taken at the start
# of a long transaction (an import) it would hold every commenter, and with them the workers
# readers wait for.
_MARK = "cms.bump_version"


def _before_flush(session: Session, _context, _instances) -> None:
    if _changes_public_pages(session):
        session.info[_MARK] = True


def _on_bulk_statement(state: ORMExecuteState) -> None:
    """UPDATE/DELETE/INSERT statements sent through the session skip the flush: mark here."""
    if not (state.is_update or state.is_delete or state.is_insert):
        return
    table = getattr(state.statement, "table", None)
    if table is not None and getattr(table, "name", None) in PRIVATE_TABLES:
        return
    state.session.info[_MARK] = True


def _before_commit(session: Session) -> None:
    session.flush()  # what commit would flush next: its changes count too
    if session.info.pop(_MARK, False):
        _bump(session.connection())


def _after_transaction_end(session: Session, transaction) -> None:
    if transaction.parent is None:  # the whole transaction, not a savepoint: rolled back
        session.info.pop(_MARK, None)


def listen_for_changes() -> None:
    """Install the rule, once per process: every session that changes public rows bumps the
    content version in the same transaction, so no view can forget it."""
    if not event.contains(Session, "before_flush", _before_flush):
        event.listen(Session, "before_flush", _before_flush)
        event.listen(Session, "do_orm_execute", _on_bulk_statement)
        event.listen(Session, "before_commit", _before_commit)
        event.listen(Session, "after_transaction_end", _after_transaction_end)
