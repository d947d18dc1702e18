"""The evidence providers' readings, kept for the rest of a session's transaction.

One plan page, one management report or one demo build asks for the measured levels several times
(the plan's inputs, the assessment's findings, the report's standing, its continuity section…), and
the vulnerability and network providers each take more than half a second on a 3,000-asset
hospital. Their readings are kept in ``session.info``, by (provider source, establishment, day):

* only while the session holds no pending change (``session.new``, ``dirty`` and ``deleted`` empty):
  otherwise the provider runs each time and nothing is kept, so a reader never misses its own edits;
* forgotten when the session's outermost transaction ends (commit, rollback or close), when any
  transaction rolls back (a savepoint's rollback may undo facts the readings saw), and when a flush
  or a statement (``session.execute(delete(...))``) writes a table a provider may read. Only the
  tables of ``UNREAD_TABLES`` keep them: the assessment (``assess_*``), the plan's findings
  (``plan_finding``: ``refresh_assessment_findings`` writes them between two reads), the audit trail
  and the reports' snapshots. Any other table, one added later included, clears them; so does
  ``plan_action``, which the continuity provider reads (a lesson's action done closes the lesson).
  A savepoint released keeps them: what it wrote went through a flush.

Changes made elsewhere: rows another process commits meanwhile (PostgreSQL would show them to a
later query of the same transaction) and the files the providers read outside the database (the
detection provider's Parquet event store, often written by a separate ingestion command or worker;
the network provider's segmentation policy) are seen at the next transaction: for the web the next
request, for the CLI the next command (``session_scope``). A page never shows facts read before its
own request began, which is what a reader expects of one page. Events written in this process
(``detect.events.EventWriter.commit``, and ``write_manifest`` after an ingestion by worker processes)
call ``outside_facts_changed`` (``detect.evidence`` subscribes it to ``events.STORE_LISTENERS``), and
every reading kept until then is read again.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import Table, event
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction, UOWTransaction

if TYPE_CHECKING:
    from hygie.assess.evidence_rules import Reading

INFO_KEY = "hygie.evidence.readings"
# Table names (or prefixes ending in "_") no provider reads: writing them keeps the readings.
UNREAD_TABLES = ("assess_", "plan_finding", "reports_", "org_audit_entry", "org_audit_head")

Key = tuple[str, int, date]
# What a reading was computed by and when: a provider replaced (tests) or facts changed outside.
_Entry = tuple[Callable[..., Any], int, tuple["Reading", ...]]
_outside_generation = 0
_outside_lock = threading.Lock()  # web requests run in threads: no increment may be lost


def outside_facts_changed() -> None:
    """Facts the providers read outside the database changed in this process (an ingestion): every
    reading kept by any session is read again."""
    global _outside_generation  # one counter for the process, read by every session
    with _outside_lock:
        _outside_generation += 1


def _pending(session: Session) -> bool:
    return bool(session.new or session.dirty or session.deleted)


def readings_of(
    session: Session,
    source: str,
    provider: Callable[[Session, int, date], list[Reading]],
    establishment_id: int,
    day: date,
) -> list[Reading]:
    """What ``provider`` reads for the establishment on ``day``, from this transaction's cache when
    it read it already and nothing it may read changed since."""
    if _pending(session):
        return provider(session, establishment_id, day)
    key: Key = (source, establishment_id, day)
    cache: dict[Key, _Entry] = session.info.setdefault(INFO_KEY, {})
    generation = _outside_generation
    kept = cache.get(key)
    if kept is not None and kept[0] is provider and kept[1] == generation:
        return list(kept[2])
    found = provider(session, establishment_id, day)
    # Kept only if the provider left the session as it found it and nothing cleared it meanwhile.
    if session.info.get(INFO_KEY) is cache and not _pending(session):
        cache[key] = (provider, generation, tuple(found))
    return found


def forget(session: Session) -> None:
    """Drops the readings kept by ``session`` (the listeners below call it; so may a caller that
    changed facts outside the database)."""
    session.info.pop(INFO_KEY, None)


def keeps_readings(table_name: str) -> bool:
    """Whether writing ``table_name`` leaves the providers' readings true (see ``UNREAD_TABLES``)."""
    return any(
        table_name.startswith(name) if name.endswith("_") else table_name == name for name in UNREAD_TABLES
    )


def _written_tables(objects: Iterable[object]) -> set[str]:
    names: set[str] = set()
    for obj in objects:
        mapper = sa_inspect(obj).mapper
        names.update(t.name for t in mapper.tables)
        # A collection through an association table writes that table too.
        for relationship in mapper.relationships:
            secondary = relationship.secondary
            if secondary is not None:
                names.add(secondary.name if isinstance(secondary, Table) else "?")
    return names


def _after_flush(session: Session, _context: UOWTransaction) -> None:
    if INFO_KEY not in session.info:
        return
    # In after_flush the new/dirty/deleted lists still hold what this flush wrote.
    written = _written_tables([*session.new, *session.dirty, *session.deleted])
    if not all(keeps_readings(name) for name in written):
        forget(session)


def _on_execute(state: ORMExecuteState) -> None:
    """A statement run through the session: a SELECT keeps the readings, an INSERT, UPDATE or DELETE
    keeps them only on a table no provider reads, anything else (raw SQL) clears them."""
    session = state.session
    if INFO_KEY not in session.info or state.is_select:
        return
    name = getattr(getattr(state.statement, "table", None), "name", None)
    writes = state.is_insert or state.is_update or state.is_delete
    if not writes or not isinstance(name, str) or not keeps_readings(name):
        forget(session)


def _after_soft_rollback(session: Session, _previous: SessionTransaction) -> None:
    forget(session)


def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    # The outermost transaction only: a released savepoint or the flush's inner transaction keeps
    # the readings (after_commit would also fire for a savepoint's release).
    if transaction.parent is None:
        forget(session)


_LISTENERS: tuple[tuple[str, Callable[..., None]], ...] = (
    ("after_flush", _after_flush),
    ("do_orm_execute", _on_execute),
    ("after_soft_rollback", _after_soft_rollback),
    ("after_transaction_end", _after_transaction_end),
)


def install() -> None:
    """Listens on the Session class: every session (web requests, CLI, tests) is covered. Idempotent."""
    for name, listener in _LISTENERS:
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)


install()
