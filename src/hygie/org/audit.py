"""The audit trail: every write and every export, append-only and chained by hash.

Each entry's ``hash`` is the SHA-256 of a canonical JSON of its fields (its id included) and of
the previous entry's hash. Changing an entry breaks its own hash; deleting or reordering entries
breaks the chain (``prev_hash``) or the run of ids; cutting the tail shows against
``org_audit_head``, the single row that names the last entry. ``verify`` walks the chain.

Appending reads the head and writes the entry and the new head in the caller's transaction. On
PostgreSQL the head row is locked (``SELECT ... FOR UPDATE``), so concurrent writers queue; on
SQLite the database-wide write lock does the same. Entries are never updated nor deleted by
Hygie; ``append_only_ddl`` gives the triggers that make the database refuse it too (installed by
the migration).

What the chain cannot show: someone with write access to the database who rewrites the whole
chain and the head consistently. Copying the head hash elsewhere from time to time (a report, a
syslog server) closes that gap.
"""

from __future__ import annotations

import getpass
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from hygie.core.time import utcnow
from hygie.org.access import Principal
from hygie.org.models import AuditEntry, AuditHead

GENESIS = "0" * 64
_HEAD_ID = 1


def cli_actor() -> str:
    return f"cli:{getpass.getuser()}"


def _canonical_details(details: dict[str, Any] | None) -> dict[str, Any]:
    # Round-tripped through JSON so that what is hashed is exactly what the database gives back.
    value: dict[str, Any] = json.loads(json.dumps(details or {}, default=str, ensure_ascii=False))
    return value


def entry_hash(
    *,
    entry_id: int,
    at: datetime,
    actor: str,
    ip: str | None,
    action: str,
    object_type: str,
    object_id: str | None,
    establishment_id: int | None,
    details: dict[str, Any],
    prev_hash: str,
) -> str:
    payload = {
        "id": entry_id,
        "at": at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor": actor,
        "ip": ip,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "establishment_id": establishment_id,
        "details": details,
        "prev_hash": prev_hash,
    }
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _hash_of(entry: AuditEntry) -> str:
    return entry_hash(
        entry_id=entry.id,
        at=entry.at,
        actor=entry.actor,
        ip=entry.ip,
        action=entry.action,
        object_type=entry.object_type,
        object_id=entry.object_id,
        establishment_id=entry.establishment_id,
        details=entry.details,
        prev_hash=entry.prev_hash,
    )


def _locked_head(session: Session) -> AuditHead:
    head = session.scalar(select(AuditHead).where(AuditHead.id == _HEAD_ID).with_for_update())
    if head is not None:
        return head
    # First entry ever: create the head, tolerating a concurrent writer doing the same.
    values = {"id": _HEAD_ID, "last_id": 0, "last_hash": GENESIS}
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(postgresql.insert(AuditHead).values(values).on_conflict_do_nothing())
    elif dialect == "sqlite":
        session.execute(sqlite.insert(AuditHead).values(values).on_conflict_do_nothing())
    else:
        session.add(AuditHead(**values))
        session.flush()
    head = session.scalar(select(AuditHead).where(AuditHead.id == _HEAD_ID).with_for_update())
    if head is None:  # pragma: no cover -- inserted just above
        raise RuntimeError("the audit head could not be created")
    return head


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    object_type: str,
    object_id: str | int | None = None,
    establishment_id: int | None = None,
    details: dict[str, Any] | None = None,
    ip: str | None = None,
    now: datetime | None = None,
) -> AuditEntry:
    """Appends one entry, chained to the last. ``action`` is a dotted verb: ``user.create``,
    ``asset.import``, ``report.export``; ``details`` says what changed (never a secret)."""
    head = _locked_head(session)
    entry = AuditEntry(
        id=head.last_id + 1,
        at=now or utcnow(),
        actor=actor,
        ip=ip,
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        establishment_id=establishment_id,
        details=_canonical_details(details),
        prev_hash=head.last_hash,
    )
    entry.hash = _hash_of(entry)
    session.add(entry)
    head.last_id = entry.id
    head.last_hash = entry.hash
    session.flush()
    return entry


def record_for(session: Session, principal: Principal, **fields: Any) -> AuditEntry:
    """``record`` with the actor and address IP of the caller."""
    return record(session, actor=principal.actor, ip=principal.ip, **fields)


class AuditProblem(StrEnum):
    MODIFIED = "modified"  # the entry's content no longer matches its hash
    CHAIN_BROKEN = "chain_broken"  # an entry was removed or moved before this one
    MISSING = "missing"  # ids jump: entries were deleted
    TRUNCATED = "truncated"  # the last entries are gone (or the head was changed)


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    first_bad_id: int | None = None
    problem: AuditProblem | None = None

    def describe(self) -> str:
        if self.ok:
            return f"audit trail intact: {self.checked} entries"
        return f"audit trail broken at entry {self.first_bad_id}: {self.problem}"


def verify(session: Session) -> VerifyResult:
    """Walks the whole chain; reports the first entry where it breaks."""
    previous = GENESIS
    expected_id = 1
    checked = 0
    last_id = 0
    for entry in session.scalars(
        select(AuditEntry).order_by(AuditEntry.id).execution_options(yield_per=1000)
    ):
        if entry.id != expected_id:
            return VerifyResult(False, checked, expected_id, AuditProblem.MISSING)
        if entry.prev_hash != previous:
            return VerifyResult(False, checked, entry.id, AuditProblem.CHAIN_BROKEN)
        if _hash_of(entry) != entry.hash:
            return VerifyResult(False, checked, entry.id, AuditProblem.MODIFIED)
        previous = entry.hash
        last_id = entry.id
        expected_id += 1
        checked += 1
    head = session.get(AuditHead, _HEAD_ID)
    head_id, head_hash = (head.last_id, head.last_hash) if head else (0, GENESIS)
    if head_id != last_id or head_hash != previous:
        return VerifyResult(False, checked, last_id + 1, AuditProblem.TRUNCATED)
    return VerifyResult(True, checked)


def list_entries(
    session: Session, *, limit: int = 50, establishment_ids: set[int] | None = None
) -> list[AuditEntry]:
    """The latest entries first; ``establishment_ids`` restricts to those (from ``access``)."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if establishment_ids is not None:
        query = query.where(AuditEntry.establishment_id.in_(sorted(establishment_ids)))
    return list(session.scalars(query))


def append_only_ddl(dialect: str) -> list[str]:
    """Statements that make the database itself refuse to change or delete audit entries."""
    if dialect == "sqlite":
        return [
            "CREATE TRIGGER IF NOT EXISTS org_audit_entry_no_update BEFORE UPDATE ON org_audit_entry "
            "BEGIN SELECT RAISE(ABORT, 'org_audit_entry is append-only'); END",
            "CREATE TRIGGER IF NOT EXISTS org_audit_entry_no_delete BEFORE DELETE ON org_audit_entry "
            "BEGIN SELECT RAISE(ABORT, 'org_audit_entry is append-only'); END",
        ]
    if dialect == "postgresql":
        return [
            "CREATE OR REPLACE FUNCTION org_audit_entry_append_only() RETURNS trigger AS $$ "
            "BEGIN RAISE EXCEPTION 'org_audit_entry is append-only'; END; $$ LANGUAGE plpgsql",
            "DROP TRIGGER IF EXISTS org_audit_entry_no_change ON org_audit_entry",
            "CREATE TRIGGER org_audit_entry_no_change BEFORE UPDATE OR DELETE ON org_audit_entry "
            "FOR EACH ROW EXECUTE FUNCTION org_audit_entry_append_only()",
            "DROP TRIGGER IF EXISTS org_audit_entry_no_truncate ON org_audit_entry",
            "CREATE TRIGGER org_audit_entry_no_truncate BEFORE TRUNCATE ON org_audit_entry "
            "FOR EACH STATEMENT EXECUTE FUNCTION org_audit_entry_append_only()",
        ]
    raise ValueError(f"no append-only triggers for the {dialect} dialect")


def drop_append_only_ddl(dialect: str) -> list[str]:
    """The reverse of ``append_only_ddl``, for the migration's downgrade."""
    if dialect == "sqlite":
        return [
            "DROP TRIGGER IF EXISTS org_audit_entry_no_update",
            "DROP TRIGGER IF EXISTS org_audit_entry_no_delete",
        ]
    if dialect == "postgresql":
        return [
            "DROP TRIGGER IF EXISTS org_audit_entry_no_change ON org_audit_entry",
            "DROP TRIGGER IF EXISTS org_audit_entry_no_truncate ON org_audit_entry",
            "DROP FUNCTION IF EXISTS org_audit_entry_append_only()",
        ]
    raise ValueError(f"no append-only triggers for the {dialect} dialect")


__all__ = [
    "GENESIS",
    "AuditProblem",
    "VerifyResult",
    "append_only_ddl",
    "cli_actor",
    "drop_append_only_ddl",
    "entry_hash",
    "list_entries",
    "record",
    "record_for",
    "verify",
]
