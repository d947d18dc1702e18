"""Failing, missing or untested backups, read from the continuity domain (its service only): backup
policies, the job reports imported into it and the restore tests logged.

- the last runs of a policy's job failed;
- no successful run for longer than the RPO (the smallest RPO of the care services that depend on the
  application, directly or not; :data:`DEFAULT_RPO_HOURS` when none does);
- the last successful restore test is older than the policy's interval, or there never was one.

Missing backups and untested restores are weaknesses, not only alerts: they are also reported as findings
of the plan (source detection), resolved when a later run no longer sees them.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from hygie.continuity import service as continuity_service
from hygie.continuity.models import BackupJob, JobResult
from hygie.core.i18n import N_, gettext
from hygie.detect.detectors.base import Context, Detection, Explanation, Outcome, Rule, Signal, Status
from hygie.detect.models import AlertLevel
from hygie.detect.service import WEAKNESS_PREFIX
from hygie.plan.models import Severity
from hygie.plan.schemas import FindingIn

JOB_FAILED = Rule(
    id="hygie-stat-backup-failed",
    title=N_("Backup job failed"),
    level=AlertLevel.MEDIUM,
    signal=Signal.BACKUP,
    techniques=("T1490",),  # inhibit system recovery: attackers break backups before encrypting
    tactics=("impact",),
)
MISSING = Rule(
    id="hygie-stat-backup-missing",
    title=N_("No successful backup within the RPO"),
    level=AlertLevel.HIGH,
    signal=Signal.BACKUP,
    techniques=("T1490",),
    tactics=("impact",),
)
RESTORE = Rule(
    id="hygie-stat-restore-untested",
    title=N_("Restore test overdue or never done"),
    level=AlertLevel.MEDIUM,
    signal=Signal.BACKUP,
)
RULES = (JOB_FAILED, MISSING, RESTORE)

DEFAULT_RPO_HOURS = 24.0
"""RPO of an application no care service depends on: the daily backup most policies promise."""
FAILED_STREAK_HIGH = 3
"""Consecutive failed runs that make the alert high: one failure is often retried, three are a pattern."""

FAILED_EXPLAIN = N_(
    "The last %(count)s runs of the backup job %(job)s of %(application)s failed (since %(first)s): "
    "%(message)s"
)
MISSING_EXPLAIN = N_(
    "No successful backup of %(application)s since %(last_success)s, %(hours)s hours ago; RPO %(rpo)s hours "
    "(%(rpo_from)s)"
)
NEVER_OK_EXPLAIN = N_(
    "No successful backup of %(application)s in the job reports (first run %(first_run)s, %(hours)s hours "
    "ago); RPO %(rpo)s hours (%(rpo_from)s)"
)
NEVER_TESTED_EXPLAIN = N_(
    "The backup of %(application)s has never been restored in a test; the policy asks for one every "
    "%(days)s days"
)
OVERDUE_EXPLAIN = N_(
    "The last successful restore test of %(application)s was on %(tested_on)s, due again on %(due_on)s; "
    "the policy asks for one every %(days)s days"
)
NO_REPORTS = N_(
    "Backups of %(application)s: no job report imported, the RPO cannot be checked (hygie continuity "
    "jobs import)"
)
DEFAULT_RPO = N_("default: no care service depends on it")
RPO_OF = N_("care services: %(services)s")

FINDING_MISSING = N_("No successful backup within the RPO: %(application)s")
FINDING_UNTESTED = N_("Backup restore not tested: %(application)s")


def _rpo(context: Context, application_id: int) -> tuple[float, list[str]]:
    """The smallest RPO of the care services that need the application, and their names."""
    impact = continuity_service.impact_of(
        context.session, context.establishment_id, application_id=application_id
    )
    services = [
        continuity_service.get_service(context.session, context.establishment_id, s.service_id)
        for s in impact.services
    ]
    if not services:
        return DEFAULT_RPO_HOURS, []
    return min(s.rpo_hours for s in services), sorted(s.name for s in services)


def _moment(value: datetime, zone: str) -> dict[str, str]:
    return {"moment": value.isoformat(), "tz": zone}


def _finding(key: str, title: str, application: str, severity: Severity, controls: list[str], rule: Rule,
             services: list[str], explanation: Explanation) -> FindingIn:  # fmt: skip
    """A weakness of the plan; its title in French, the plan's language, with the English in the evidence."""
    names = {"application": application}
    return FindingIn(
        key=f"{WEAKNESS_PREFIX}{key}",
        title=(gettext(title, "fr") % names)[:500],
        severity=severity,
        control_ids=controls,
        care_services=services,
        evidence={
            "rule_id": rule.id,
            "application": application,
            "explanation": explanation.as_json(),
            "title_en": (title % names)[:500],
        },
    )


def detect(context: Context) -> list[Outcome]:
    outcome = Outcome("backups", Signal.BACKUP, Status.NO_DATA)
    statuses = continuity_service.backup_statuses(
        context.session, context.establishment_id, context.now.date()
    )
    if not statuses:
        return [outcome]
    outcome.status = Status.OK
    zone = context.hours.timezone
    jobs: dict[int, list[BackupJob]] = {}
    for job in continuity_service.list_jobs(context.session, context.establishment_id, limit=1_000_000):
        if job.policy_id is not None and job.started_at <= context.now:
            jobs.setdefault(job.policy_id, []).append(job)  # latest first
    for status in statuses:
        policy, name = status.policy, status.application.name
        rpo, services = _rpo(context, status.application.id)
        rpo_from = {"text": RPO_OF, "services": ", ".join(services)} if services else {"text": DEFAULT_RPO}
        runs = jobs.get(policy.id, [])
        if not runs:
            outcome.notes.append(Explanation(NO_REPORTS, {"application": name}))
        streak = 0
        while streak < len(runs) and runs[streak].result == JobResult.FAILED:
            streak += 1
        if streak:
            oldest = runs[streak - 1]
            params = {
                "count": streak,
                "job": runs[0].job_name,
                "application": name,
                "first": _moment(oldest.started_at, zone),
                "message": (runs[0].message or "-")[:300],
            }
            outcome.detections.append(
                Detection(
                    rule=JOB_FAILED,
                    host=name,
                    user="",
                    first=oldest.started_at,
                    last=runs[0].started_at,
                    count=streak,
                    event_ids=(),
                    explanation=Explanation(FAILED_EXPLAIN, params),
                    level=AlertLevel.HIGH if streak >= FAILED_STREAK_HIGH else None,
                    identity=f"policy:{policy.id}:failed:{oldest.started_at.isoformat()}",
                )
            )
        if runs:
            success = next((r for r in runs if r.result != JobResult.FAILED), None)
            since = success.started_at if success is not None else runs[-1].started_at
            deadline = since + timedelta(hours=rpo)
            if context.now > deadline:
                hours = int((context.now - since).total_seconds() // 3600)
                params = {"application": name, "hours": hours, "rpo": rpo, "rpo_from": rpo_from}
                if success is not None:
                    text, params["last_success"] = MISSING_EXPLAIN, _moment(since, zone)
                else:
                    text, params["first_run"] = NEVER_OK_EXPLAIN, _moment(since, zone)
                explanation = Explanation(text, params)
                outcome.detections.append(
                    Detection(
                        rule=MISSING,
                        host=name,
                        user="",
                        first=deadline,
                        last=context.now,
                        count=sum(1 for r in runs if r.started_at > since),
                        event_ids=(),
                        explanation=explanation,
                        identity=f"policy:{policy.id}:missing:{since.isoformat()}",
                    )
                )
                outcome.weaknesses.append(
                    _finding(
                        f"backup-missing:{policy.id}",
                        FINDING_MISSING,
                        name,
                        Severity.HIGH,
                        ["CON-BACKUP-MONITOR"],
                        MISSING,
                        services,
                        explanation,
                    )
                )
        if status.facts.last_success is None or status.overdue:
            if status.facts.last_success is None:
                explanation = Explanation(
                    NEVER_TESTED_EXPLAIN, {"application": name, "days": policy.test_every_days}
                )
                first, identity, severity = context.now, f"policy:{policy.id}:restore:never", Severity.HIGH
            else:
                due = status.due_on or context.now.date()
                params = {
                    "application": name,
                    "tested_on": {"date": status.facts.last_success.tested_on.isoformat()},
                    "due_on": {"date": due.isoformat()},
                    "days": policy.test_every_days,
                }
                explanation = Explanation(OVERDUE_EXPLAIN, params)
                first = datetime.combine(due, time(0), UTC)
                identity, severity = f"policy:{policy.id}:restore:{due.isoformat()}", Severity.MEDIUM
            outcome.detections.append(
                Detection(
                    rule=RESTORE,
                    host=name,
                    user="",
                    first=first,
                    last=context.now,
                    count=1,
                    event_ids=(),
                    explanation=explanation,
                    identity=identity,
                )
            )
            outcome.weaknesses.append(
                _finding(
                    f"restore-untested:{policy.id}",
                    FINDING_UNTESTED,
                    name,
                    severity,
                    ["CON-RESTORE-TEST"],
                    RESTORE,
                    services,
                    explanation,
                )
            )
    return [outcome]
