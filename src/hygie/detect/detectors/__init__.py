"""Statistical detectors: the precursor signals no single event shows (a surge of suspicious e-mail,
slowdowns, unrecognised or off-hours logons, bursts of failed logons, mass file writes, failing or
untested backups), each judged against the establishment's own history and explained in its alert.

``run_all`` runs every family (or those named), tunes their detections with the establishment's tuning
(:func:`hygie.detect.tuning.tune_outcomes`) and stores them as alerts through
:func:`hygie.detect.service.store_detections`; re-running refreshes the same alerts.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from hygie.core.errors import ValidationError
from hygie.core.settings import Settings
from hygie.core.time import utcnow
from hygie.detect import service, tuning
from hygie.detect.detectors import backups, config, failed_logons, files, logons, mail, metrics
from hygie.detect.detectors.base import Context, Detection, Outcome, Rule, Signal, Status
from hygie.detect.detectors.queries import open_queries
from hygie.org import service as org_service

Detector = Callable[[Context], list[Outcome]]

DETECTORS: dict[str, Detector] = {
    "mail": mail.detect,
    "metrics": metrics.detect,
    "logons": logons.detect,
    "failed_logons": failed_logons.detect,
    "files": files.detect,
    "backups": backups.detect,
}
"""Every family by name, in the order they run."""

RULES: dict[str, Rule] = {
    rule.id: rule
    for rule in (
        mail.RULE,
        *metrics.RULES,
        logons.FIRST_SEEN,
        logons.OFF_HOURS,
        failed_logons.RULE,
        files.MASS_WRITES,
        files.RANSOM_NAMES,
        *backups.RULES,
    )
}
"""Every detector rule by id (``hygie-stat-…``)."""

__all__ = ["DETECTORS", "RULES", "Detection", "Outcome", "Rule", "Signal", "Status", "run_all"]


def run_all(
    session: Session,
    establishment_id: int,
    settings: Settings,
    *,
    now: datetime | None = None,
    only: Collection[str] | None = None,
    spark: Any | None = None,
) -> list[Outcome]:
    """Run the detectors (all, or the families named in ``only``) as of ``now`` (default: the current
    time) and store their alerts; each outcome carries its alert ids, created/updated counts and the
    notes saying when history was too short to judge. Their SQL runs on DuckDB, or on Spark when
    ``spark`` is a SparkSession (left running), with the same results."""
    org_service.get_establishment(session, establishment_id)
    names = list(DETECTORS) if only is None else list(only)
    unknown = [n for n in names if n not in DETECTORS]
    if unknown:
        raise ValidationError(f"unknown detectors: {', '.join(unknown)} (known: {', '.join(DETECTORS)})")
    moment = now or utcnow()
    queries = open_queries(settings, establishment_id, moment, spark)
    context = Context(
        session=session,
        settings=settings,
        establishment_id=establishment_id,
        now=moment,
        hours=config.working_hours(session, establishment_id),
        queries=queries,
        has_events=queries.present,
    )
    outcomes: list[Outcome] = []
    try:
        for name in names:
            outcomes.extend(DETECTORS[name](context))
    finally:
        queries.close()
    # The establishment's tuning: disabled rules, excluded hosts or users, levels (hygie.detect.tuning).
    outcomes = tuning.tune_outcomes(session, establishment_id, outcomes)
    for outcome in outcomes:
        report = service.store_detections(session, establishment_id, outcome.detections)
        outcome.alert_ids, outcome.created, outcome.updated = report.alerts, report.created, report.updated
    if "backups" in names:
        weaknesses = [w for o in outcomes for w in o.weaknesses]
        service.refresh_findings(session, establishment_id, weaknesses)
    return outcomes
