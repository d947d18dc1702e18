"""Alerts: run the Sigma rules over an establishment's event store and keep one alert per burst.

A detection rule's hits are cut into bursts per host (one alert per rule × host × burst); a correlation's
hit is already a burst (its group over its timespan) and stays one alert, whatever hosts its events are on.

The only writer of ``detect_alert``. Engines are called through their public functions
(:func:`hygie.detect.sigma.engine.run`, ``run_spark``, ``hit_rows``); the host, user and time of each hit
are read from the same Parquet files with DuckDB.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import duckdb
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from hygie.assets import service as assets_service
from hygie.assets.models import Asset
from hygie.core.errors import NotFoundError, ValidationError
from hygie.core.settings import Settings
from hygie.core.time import utcnow
from hygie.detect.events import dataset_glob, has_events, read_spark
from hygie.detect.models import BURST_GAP, MAX_EVENT_IDS, Alert, AlertLevel, AlertStatus
from hygie.detect.sigma import engine
from hygie.detect.sigma.compiler import CompiledCorrelation, CompiledRules
from hygie.detect.sigma.engine import Hit
from hygie.incidents import service as incidents_service
from hygie.incidents.models import Case, Category
from hygie.incidents.models import Severity as CaseSeverity
from hygie.incidents.schemas import CaseIn
from hygie.org import service as org_service
from hygie.plan import service as plan_service
from hygie.plan.models import FindingSource, Severity
from hygie.plan.schemas import FindingIn

if TYPE_CHECKING:
    from hygie.detect.detectors.base import Detection

_TECHNIQUE = re.compile(r"^attack\.(t\d{4}(?:\.\d{3})?)$")
FINDING_LEVELS = (AlertLevel.HIGH, AlertLevel.CRITICAL)
"""Only these levels, once confirmed (true positive), become findings of the plan."""


def attack_of(tags: Sequence[str]) -> tuple[list[str], list[str]]:
    """ATT&CK techniques (``T1003.001``) and tactics (``credential_access``) of a rule's tags."""
    techniques: list[str] = []
    tactics: list[str] = []
    for tag in tags:
        tag = tag.strip().lower()
        match = _TECHNIQUE.match(tag)
        if match:
            techniques.append(match.group(1).upper())
        elif tag.startswith("attack.") and not re.match(r"^attack\.[gs]\d{4}$", tag):
            tactics.append(tag.removeprefix("attack."))
    return list(dict.fromkeys(techniques)), list(dict.fromkeys(tactics))


@dataclass(frozen=True)
class _Event:
    ts: datetime
    host: str
    user: str


@dataclass
class _Burst:
    rule_id: str
    host: str  # lower-cased
    events: list[tuple[datetime, int, str]] = field(default_factory=list)  # (ts, event id, user)
    # A correlation's burst: its group-by values (part of its key) and the host as the events write it.
    group: tuple[str, ...] | None = None
    shown_host: str = ""


@dataclass(frozen=True)
class RunReport:
    hits: int
    created: int
    updated: int
    alerts: list[int]  # ids of the alerts raised or refreshed


def _event_facts(settings: Settings, establishment_id: int, ids: Sequence[int]) -> dict[int, _Event]:
    if not ids:
        return {}
    glob = dataset_glob(settings, establishment_id).replace("'", "''")
    facts: dict[int, _Event] = {}
    connection = duckdb.connect()
    try:
        unique = sorted(set(ids))
        for start in range(0, len(unique), 5000):
            chunk = ", ".join(str(int(i)) for i in unique[start : start + 5000])
            sql = (
                f"SELECT event_id, ts, host, \"user\" FROM read_parquet('{glob}', hive_partitioning=true) "  # noqa: S608
                f"WHERE event_id IN ({chunk})"
            )
            for event_id, ts, host, user in connection.execute(sql).fetchall():
                facts[int(event_id)] = _Event(ts, host or "", user or "")
    finally:
        connection.close()
    return facts


def _bursts(hits: Sequence[Hit], facts: dict[int, _Event]) -> list[_Burst]:
    """Group the hits by rule and host, then cut where two hits are more than BURST_GAP apart."""
    by_rule_host: dict[tuple[str, str], list[tuple[datetime, int, str]]] = defaultdict(list)
    for hit in hits:
        for event_id in hit.event_ids:
            fact = facts.get(event_id)
            if fact is None:
                continue
            by_rule_host[(hit.rule_id, fact.host.lower())].append((fact.ts, event_id, fact.user))
    bursts: list[_Burst] = []
    for (rule_id, host), events in sorted(by_rule_host.items()):
        events = sorted(set(events))
        current: _Burst | None = None
        for event in events:
            if current is None or event[0] - current.events[-1][0] > BURST_GAP:
                current = _Burst(rule_id, host)
                bursts.append(current)
            current.events.append(event)
    return bursts


# The Sigma fields that name the host an event happened on (all stored in the ``host`` column).
_HOST_COLUMN = "host"


def _host_group(correlation: CompiledCorrelation | None) -> int | None:
    """Index of the group-by field that is the event's host (Computer, Hostname), if there is one."""
    if correlation is None or not correlation.group_by.get("duckdb"):
        return None
    for index, expression in enumerate(correlation.group_by["duckdb"][0]):
        if expression.strip('"').lower() == _HOST_COLUMN:
            return index
    return None


def _correlation_bursts(
    hits: Sequence[Hit], facts: dict[int, _Event], correlations: dict[str, CompiledCorrelation]
) -> list[_Burst]:
    """One burst per correlation hit, never split by host: the correlation already grouped its events."""
    bursts: list[_Burst] = []
    for hit in hits:
        events = sorted({(facts[i].ts, i, facts[i].user) for i in hit.event_ids if i in facts})
        if not events:
            continue
        index = _host_group(correlations.get(hit.rule_id))
        if index is not None and index < len(hit.group) and hit.group[index]:
            host = hit.group[index]  # grouped by host: the alert is that host's
        else:
            # Grouped by something else (a source address, a user): the host most of its events are on,
            # the first one reached when several are equal.
            counts = Counter(facts[i].host.lower() for _, i, _ in events)
            top = max(counts.values())
            host = next(facts[i].host for _, i, _ in events if counts[facts[i].host.lower()] == top)
        burst = _Burst(hit.rule_id, host.lower(), events, group=hit.group, shown_host=host)
        bursts.append(burst)
    return bursts


def alert_key(rule_id: str, host: str, first: datetime) -> str:
    """Stable identity of a burst: the same events always give the same key."""
    text = f"{rule_id}\x1f{host.lower()}\x1f{first.isoformat()}"
    return hashlib.sha256(text.encode()).hexdigest()


def _level(value: str) -> AlertLevel:
    try:
        return AlertLevel(value.lower())
    except ValueError:
        return AlertLevel.MEDIUM


def _overlapping(
    session: Session, establishment_id: int, burst: _Burst, first: datetime, last: datetime
) -> Alert | None:
    """An alert of the same rule and host whose span touches the burst (a burst that grew)."""
    query = select(Alert).where(
        Alert.establishment_id == establishment_id,
        Alert.rule_id == burst.rule_id,
        func.lower(Alert.host) == burst.host,
        Alert.first_seen <= last + BURST_GAP,
        Alert.last_seen >= first - BURST_GAP,
    )
    return session.scalars(query.order_by(Alert.id)).first()


def _same_correlation(
    session: Session, establishment_id: int, burst: _Burst, first: datetime, last: datetime
) -> Alert | None:
    """An alert of the same correlation that shares events with the burst and whose span touches it: the
    burst grew since (its key changed). Sharing events, not the host, tells two groups' bursts apart."""
    query = select(Alert).where(
        Alert.establishment_id == establishment_id,
        Alert.rule_id == burst.rule_id,
        Alert.first_seen <= last + BURST_GAP,
        Alert.last_seen >= first - BURST_GAP,
    )
    ids = {i for _, i, _ in burst.events}
    for alert in session.scalars(query.order_by(Alert.id)):
        if ids.intersection(alert.event_ids or []):
            return alert
    return None


def _burst_key(burst: _Burst, first: datetime) -> str:
    if burst.group is None:
        return alert_key(burst.rule_id, burst.host, first)
    # A correlation: its group-by values say which burst it is, whatever host is shown.
    return alert_key(burst.rule_id, "\x1e".join(("correlation", *burst.group)), first)


def store_hits(
    session: Session,
    settings: Settings,
    establishment_id: int,
    rules: CompiledRules,
    hits: Sequence[Hit],
) -> RunReport:
    """Turn the hits of one run into alerts: new bursts create alerts, known ones are refreshed."""
    org_service.get_establishment(session, establishment_id)
    tags = {r.id: r.tags for r in rules.rules} | {c.id: c.tags for c in rules.correlations}
    titles = {h.rule_id: (h.title, h.level) for h in hits}
    facts = _event_facts(settings, establishment_id, [i for h in hits for i in h.event_ids])
    created = updated = 0
    ids: list[int] = []
    now = utcnow()
    correlations = {c.id: c for c in rules.correlations}
    bursts = _bursts([h for h in hits if not h.correlation], facts)
    bursts += _correlation_bursts([h for h in hits if h.correlation], facts, correlations)
    for burst in bursts:
        first, last = burst.events[0][0], burst.events[-1][0]
        key = _burst_key(burst, first)
        alert = session.scalars(
            select(Alert).where(Alert.establishment_id == establishment_id, Alert.key == key)
        ).first()
        if alert is None and burst.group is None:
            alert = _overlapping(session, establishment_id, burst, first, last)
        elif alert is None:
            alert = _same_correlation(session, establishment_id, burst, first, last)
        title, level = titles[burst.rule_id]
        techniques, tactics = attack_of(tags.get(burst.rule_id, []))
        users = [u for _, _, u in burst.events if u]
        event_ids = [i for _, i, _ in burst.events]
        if alert is None:
            alert = Alert(
                establishment_id=establishment_id,
                key=key,
                rule_id=burst.rule_id,
                status=AlertStatus.NEW,
                note="",
                created_at=now,
                first_seen=first,
                last_seen=last,
            )
            session.add(alert)
            created += 1
        else:
            changed = (
                alert.event_count != len(event_ids) or alert.first_seen > first or alert.last_seen < last
            )
            if not changed:
                ids.append(alert.id)
                continue
            updated += 1
        alert.title = title[:500]
        alert.level = _level(level)
        alert.techniques = techniques
        alert.tactics = tactics
        original_host = burst.shown_host or next((facts[i].host for i in event_ids if i in facts), burst.host)
        alert.host = original_host[:255]
        alert.user = (max(set(users), key=users.count) if users else "")[:255]
        alert.first_seen = min(alert.first_seen, first)
        alert.last_seen = max(alert.last_seen, last)
        alert.event_count = len(event_ids)
        alert.event_ids = event_ids[:MAX_EVENT_IDS]
        alert.updated_at = now
        session.flush()
        ids.append(alert.id)
    return RunReport(hits=len(hits), created=created, updated=updated, alerts=ids)


def run_detection(
    session: Session, settings: Settings, establishment_id: int, rules: CompiledRules
) -> RunReport:
    """Evaluate the rules with DuckDB over the establishment's events and store the alerts."""
    org_service.get_establishment(session, establishment_id)
    if not has_events(settings, establishment_id):
        return RunReport(0, 0, 0, [])
    connection = duckdb.connect()
    try:
        hits = engine.run(connection, dataset_glob(settings, establishment_id), rules)
    finally:
        connection.close()
    return store_hits(session, settings, establishment_id, rules, hits)


def run_detection_spark(
    session: Session, settings: Settings, establishment_id: int, rules: CompiledRules, spark: Any
) -> RunReport:
    """The same with Spark SQL (``spark`` a SparkSession): the establishment's dataset as a view."""
    org_service.get_establishment(session, establishment_id)
    if not has_events(settings, establishment_id):
        return RunReport(0, 0, 0, [])
    view = f"hygie_events_{establishment_id}"
    read_spark(spark, settings, establishment_id).createOrReplaceTempView(view)
    hits = engine.run_spark(spark, view, rules)
    return store_hits(session, settings, establishment_id, rules, hits)


# --- Reading and triage ------------------------------------------------------------------------------


def alerts_query(
    establishment_id: int, *, status: AlertStatus | None = None, level: AlertLevel | None = None
) -> Select[Alert]:
    """The establishment's alerts, latest first."""
    query = select(Alert).where(Alert.establishment_id == establishment_id)
    if status is not None:
        query = query.where(Alert.status == status)
    if level is not None:
        query = query.where(Alert.level == level)
    return query.order_by(Alert.last_seen.desc(), Alert.id.desc())


def list_alerts(
    session: Session,
    establishment_id: int,
    *,
    status: AlertStatus | None = None,
    level: AlertLevel | None = None,
) -> list[Alert]:
    return list(session.scalars(alerts_query(establishment_id, status=status, level=level)))


def get_alert(session: Session, establishment_id: int, alert_id: int) -> Alert:
    alert = session.get(Alert, alert_id)
    if alert is None or alert.establishment_id != establishment_id:
        raise NotFoundError(f"alert {alert_id}")
    return alert


def counts(session: Session, establishment_id: int) -> dict[str, dict[str, int]]:
    """Alerts by level and by status: ``{"level": {...}, "status": {...}}``, every value present."""
    result: dict[str, dict[str, int]] = {
        "level": {level.value: 0 for level in AlertLevel},
        "status": {status.value: 0 for status in AlertStatus},
    }
    rows = session.execute(
        select(Alert.level, Alert.status, func.count())
        .where(Alert.establishment_id == establishment_id)
        .group_by(Alert.level, Alert.status)
    )
    for level, status, count in rows:
        result["level"][AlertLevel(level).value] += count
        result["status"][AlertStatus(status).value] += count
    return result


def _finding_of(alert: Alert) -> FindingIn:
    return FindingIn(
        key=f"alert:{alert.rule_id}:{alert.host.lower()}",
        title=f"{alert.title} — {alert.host}"[:500],
        severity=Severity.CRITICAL if alert.level == AlertLevel.CRITICAL else Severity.HIGH,
        asset_refs=[alert.host] if alert.host else [],
        evidence={"alert_id": alert.id, "rule_id": alert.rule_id, "techniques": alert.techniques},
    )


def refresh_findings(
    session: Session,
    establishment_id: int,
    weaknesses: Sequence[FindingIn] | None = None,
    coverage: Sequence[FindingIn] | None = None,
) -> None:
    """The confirmed (true positive) high and critical alerts, as the detection's findings of the plan,
    with the weaknesses the statistical detectors report (untested backups) and the gaps of the ATT&CK
    coverage (:mod:`hygie.detect.coverage`); ``None`` keeps the open ones of their last run."""
    confirmed = session.scalars(
        alerts_query(establishment_id, status=AlertStatus.TRUE_POSITIVE).where(
            Alert.level.in_(FINDING_LEVELS)
        )
    )
    findings: dict[str, FindingIn] = {}
    for alert in confirmed:
        finding = _finding_of(alert)
        findings.setdefault(finding.key, finding)
    if weaknesses is None:
        weaknesses = _open_findings(session, establishment_id, WEAKNESS_PREFIX)
    if coverage is None:
        coverage = _open_findings(session, establishment_id, COVERAGE_PREFIX)
    for weakness in (*weaknesses, *coverage):
        findings.setdefault(weakness.key, weakness)
    plan_service.upsert_findings(session, establishment_id, FindingSource.DETECTION, list(findings.values()))


def triage(session: Session, alert: Alert, status: AlertStatus, note: str | None = None) -> Alert:
    """Set the triage status (and note); the detection's findings follow the confirmed alerts."""
    if note is not None and len(note) > 20_000:
        raise ValidationError("note: 20,000 characters at most")
    alert.status = status
    if note is not None:
        alert.note = note
    alert.updated_at = utcnow()
    session.flush()
    refresh_findings(session, alert.establishment_id)
    return alert


def assets_of(session: Session, alert: Alert) -> list[Asset]:
    """Inventory assets whose hostname or name is the alert's host (case ignored, with or without domain)."""
    if not alert.host:
        return []
    host = alert.host.lower().rstrip(".")
    names = {host, host.split(".")[0]}
    matched = []
    for asset in assets_service.list_assets(session, alert.establishment_id):
        candidates = {v.lower().rstrip(".") for v in (asset.hostname, asset.name) if v}
        candidates |= {c.split(".")[0] for c in candidates}
        if candidates & names:
            matched.append(asset)
    return matched


def departments_of(assets: Sequence[Asset]) -> list[str]:
    """The care departments of these assets, each once."""
    return sorted({a.department for a in assets if a.department})


def evidence_rows(settings: Settings, alert: Alert) -> list[dict[str, Any]]:
    """The stored events behind the alert (its kept event ids), wide rows, by time."""
    if not has_events(settings, alert.establishment_id):
        return []
    connection = duckdb.connect()
    try:
        rows = engine.hit_rows(connection, dataset_glob(settings, alert.establishment_id), alert.event_ids)
    finally:
        connection.close()
    return sorted(rows, key=lambda r: (r["ts"], r["event_id"]))


_CASE_SEVERITY = {
    AlertLevel.CRITICAL: CaseSeverity.CRITICAL,
    AlertLevel.HIGH: CaseSeverity.HIGH,
    AlertLevel.MEDIUM: CaseSeverity.MEDIUM,
}


def escalate(session: Session, alert: Alert, author: str) -> Case:
    """Open an incident case from a true positive alert (once: the case is remembered)."""
    if alert.status != AlertStatus.TRUE_POSITIVE:
        raise ValidationError("only an alert triaged as true positive opens an incident")
    if alert.case_id is not None:
        return incidents_service.get_case(session, alert.establishment_id, alert.case_id)
    assets = assets_of(session, alert)
    description = "\n".join(
        [
            f"{alert.title} ({alert.rule_id}), {alert.host or '?'} / {alert.user or '?'}",
            f"{alert.first_seen.isoformat()} → {alert.last_seen.isoformat()}, {alert.event_count} events",
            "ATT&CK: " + (", ".join(alert.techniques) or "-"),
            alert.note,
        ]
    ).strip()
    data = CaseIn(
        title=alert.title[:300],
        category=Category.OTHER,
        severity=_CASE_SEVERITY.get(alert.level, CaseSeverity.LOW),
        detected_at=alert.first_seen,
        description=description,
        asset_ids=[a.id for a in assets],
        alert_refs=[alert.reference],
    )
    case = incidents_service.open_case(session, alert.establishment_id, data, author)
    alert.case_id = case.id
    alert.updated_at = utcnow()
    session.flush()
    return case


# --- Statistical detectors (hygie.detect.detectors) ----------------------------------------------------

WEAKNESS_PREFIX = "weakness:"
"""Key prefix of the findings the statistical detectors report as weaknesses."""
COVERAGE_PREFIX = "coverage:"
"""Key prefix of the findings of the ATT&CK coverage: ``coverage:T1003.001``."""


def _open_findings(session: Session, establishment_id: int, prefix: str) -> list[FindingIn]:
    rows = plan_service.list_findings(session, establishment_id, source=FindingSource.DETECTION)
    return [
        FindingIn(
            key=f.key,
            title=f.title,
            severity=f.severity,
            control_ids=f.control_ids,
            asset_refs=f.asset_refs,
            care_services=f.care_services,
            evidence=f.evidence,
        )
        for f in rows
        if f.key.startswith(prefix)
    ]


def store_detections(session: Session, establishment_id: int, detections: Sequence[Detection]) -> RunReport:
    """Store the statistical detectors' detections as alerts: the same rule and identity refresh their
    alert (its triage kept), a new one creates it."""
    org_service.get_establishment(session, establishment_id)
    keyed = [(hashlib.sha256(f"{d.rule.id}\x1f{d.key_text}".encode()).hexdigest(), d) for d in detections]
    existing: dict[str, Alert] = {}
    keys = sorted({k for k, _ in keyed})
    for start in range(0, len(keys), 500):
        query = select(Alert).where(
            Alert.establishment_id == establishment_id, Alert.key.in_(keys[start : start + 500])
        )
        existing.update({a.key: a for a in session.scalars(query)})
    created = updated = 0
    stored: list[Alert] = []
    now = utcnow()
    for key, detection in keyed:
        alert = existing.get(key)
        explanation = detection.explanation.as_json()
        subjects = [list(pair) for pair in detection.entities]
        level = detection.effective_level
        if alert is None:
            alert = existing[key] = Alert(
                establishment_id=establishment_id,
                key=key,
                rule_id=detection.rule.id,
                status=AlertStatus.NEW,
                note="",
                created_at=now,
                first_seen=detection.first,
                last_seen=detection.last,
            )
            session.add(alert)
            created += 1
        elif (
            alert.event_count == detection.count
            and alert.last_seen >= detection.last
            and alert.explanation == explanation
            and alert.level == level
            and alert.subjects == subjects
        ):
            stored.append(alert)
            continue
        else:
            updated += 1
        alert.title = detection.rule.title[:500]
        alert.level = level
        alert.techniques = list(detection.rule.techniques)
        alert.tactics = list(detection.rule.tactics)
        alert.host = detection.host[:255]
        alert.user = detection.user[:255]
        alert.first_seen = min(alert.first_seen, detection.first)
        alert.last_seen = max(alert.last_seen, detection.last)
        alert.event_count = detection.count
        alert.event_ids = list(detection.event_ids[:MAX_EVENT_IDS])
        alert.explanation = explanation
        alert.subjects = subjects
        alert.updated_at = now
        stored.append(alert)
    session.flush()
    return RunReport(hits=len(detections), created=created, updated=updated, alerts=[a.id for a in stored])
