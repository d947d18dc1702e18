"""The hash-chained audit trail: intact, then modified, deleted, reordered, truncated."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from hygie.org.audit import GENESIS, AuditProblem, append_only_ddl, drop_append_only_ddl, record, verify
from hygie.org.models import AuditEntry

T0 = datetime(2026, 3, 2, 9, 0, 0, 123456, tzinfo=UTC)


def _three(session: Session) -> list[AuditEntry]:
    return [
        record(session, actor="user:1", action="asset.import", object_type="import", object_id=7,
               establishment_id=3, details={"rows": 120, "file": "parc.csv"}, ip="10.0.0.1", now=T0),
        record(session, actor="cli:alice", action="user.grant", object_type="user", object_id="2",
               details={"role": "rssi"}, now=T0),
        record(session, actor="user:2", action="report.export", object_type="report", now=T0),
    ]  # fmt: skip


def _as_an_intruder(session: Session) -> None:
    """Someone with the rights to drop the triggers: only the hash chain is left to notice."""
    for statement in drop_append_only_ddl(session.get_bind().dialect.name):
        session.execute(text(statement))


def test_hash_is_sha256_of_canonical_json_chained(session: Session) -> None:
    first, second, _ = _three(session)
    payload = {
        "id": 1,
        "at": "2026-03-02T09:00:00.123456+00:00",
        "actor": "user:1",
        "ip": "10.0.0.1",
        "action": "asset.import",
        "object_type": "import",
        "object_id": "7",
        "establishment_id": 3,
        "details": {"file": "parc.csv", "rows": 120},
        "prev_hash": GENESIS,
    }
    expected = hashlib.sha256(json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    assert first.hash == expected
    assert second.prev_hash == first.hash and second.id == 2


def test_intact_chain_verifies_after_a_round_trip(session: Session) -> None:
    _three(session)
    session.expire_all()  # read back from the database, not the objects in memory
    result = verify(session)
    assert result.ok and result.checked == 3
    assert verify(session).describe() == "audit trail intact: 3 entries"


def test_empty_trail_is_intact(session: Session) -> None:
    assert verify(session).ok


def test_modified_entry_is_detected(session: Session) -> None:
    _three(session)
    _as_an_intruder(session)
    session.execute(text("UPDATE org_audit_entry SET actor = 'user:9' WHERE id = 2"))
    session.expire_all()
    result = verify(session)
    assert (result.ok, result.first_bad_id, result.problem) == (False, 2, AuditProblem.MODIFIED)
    assert result.checked == 1


def test_modified_details_are_detected(session: Session) -> None:
    _three(session)
    _as_an_intruder(session)
    session.execute(
        text("""UPDATE org_audit_entry SET details = '{"rows": 12, "file": "parc.csv"}' WHERE id = 1""")
    )
    session.expire_all()
    assert verify(session).first_bad_id == 1


def test_deleted_entry_is_detected(session: Session) -> None:
    _three(session)
    _as_an_intruder(session)
    session.execute(text("DELETE FROM org_audit_entry WHERE id = 2"))
    session.expire_all()
    result = verify(session)
    assert (result.ok, result.first_bad_id, result.problem) == (False, 2, AuditProblem.MISSING)


def test_deleted_entry_with_renumbering_is_detected(session: Session) -> None:
    _three(session)
    _as_an_intruder(session)
    session.execute(text("DELETE FROM org_audit_entry WHERE id = 2"))
    session.execute(text("UPDATE org_audit_entry SET id = 2 WHERE id = 3"))
    session.expire_all()
    result = verify(session)
    assert (result.first_bad_id, result.problem) == (2, AuditProblem.CHAIN_BROKEN)


def test_reordered_entries_are_detected(session: Session) -> None:
    _three(session)
    _as_an_intruder(session)
    session.execute(text("UPDATE org_audit_entry SET id = 100 WHERE id = 1"))
    session.execute(text("UPDATE org_audit_entry SET id = 1 WHERE id = 2"))
    session.execute(text("UPDATE org_audit_entry SET id = 2 WHERE id = 100"))
    session.expire_all()
    result = verify(session)
    assert (result.ok, result.first_bad_id) == (False, 1)
    assert result.problem is AuditProblem.CHAIN_BROKEN


def test_cut_tail_is_detected(session: Session) -> None:
    _three(session)
    _as_an_intruder(session)
    session.execute(text("DELETE FROM org_audit_entry WHERE id = 3"))
    session.expire_all()
    result = verify(session)
    assert (result.ok, result.first_bad_id, result.problem) == (False, 3, AuditProblem.TRUNCATED)


def test_append_continues_the_chain_after_reload(session: Session) -> None:
    _three(session)
    session.expire_all()
    fourth = record(session, actor="user:1", action="plan.update", object_type="plan")
    assert fourth.id == 4
    assert verify(session).checked == 4


def test_migrations_make_the_database_refuse_changes(session: Session) -> None:
    _three(session)
    for change in ("UPDATE org_audit_entry SET actor = 'x' WHERE id = 1", "DELETE FROM org_audit_entry"):
        with pytest.raises(DBAPIError, match="append-only"), session.begin_nested():
            session.execute(text(change))
    # Appending still works.
    record(session, actor="user:1", action="x.y", object_type="x")
    assert verify(session).ok


def test_append_only_ddl_can_be_installed_again(session: Session) -> None:
    """The statements are idempotent: the migration and a repair script may both run them."""
    _three(session)
    dialect = session.get_bind().dialect.name
    for statement in append_only_ddl(dialect):
        session.execute(text(statement))
    with pytest.raises(DBAPIError, match="append-only"), session.begin_nested():
        session.execute(text("DELETE FROM org_audit_entry"))
