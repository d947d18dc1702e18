"""Operations of continuity of care; the only writer of the ``continuity_*`` tables.

Care services, applications, their dependencies and the assets they run on make the graph that
``impact`` reads (``service_care``); backup policies, restore tests and imported job reports make
the facts that ``backups`` scores (``service_backups``); exercises and their lessons say when the
crisis cell last trained (``service_exercises``). This module builds the graph and the impact from
them, turns the gaps into findings of the plan (``refresh_findings``), and re-exports the writers of
those modules: other domains call ``hygie.continuity.service.<function>`` only. Every read and write
is filtered by establishment: an id of another establishment is "not found", the same as a missing one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from hygie.assets import service as assets_service
from hygie.continuity import gaps, impact
from hygie.continuity.models import CareService
from hygie.continuity.service_backups import (
    Alarm,
    PolicyStatus,
    alarms,
    backup_statuses,
    delete_policy,
    delete_restore_test,
    get_restore_test,
    import_jobs,
    last_restores,
    list_jobs,
    list_policies,
    log_restore_test,
    policy_of,
    restore_tests,
    set_policy,
)
from hygie.continuity.service_care import (
    REVIEW_MONTHS,
    add_dependency,
    assets_of,
    create_application,
    create_service,
    delete_application,
    delete_service,
    find_application,
    find_service,
    get_application,
    get_service,
    link_asset,
    list_applications,
    list_dependencies,
    list_services,
    procedure_overdue,
    remove_dependency,
    unlink_asset,
    update_application,
    update_service,
)
from hygie.continuity.service_exercises import (
    EXERCISE_MONTHS,
    ExerciseStatus,
    add_lesson,
    create_exercise,
    delete_exercise,
    delete_lesson,
    exercise_status,
    get_exercise,
    get_lesson,
    lesson_to_action,
    lessons_of,
    list_exercises,
    update_exercise,
)
from hygie.core.errors import NotFoundError, ValidationError
from hygie.core.time import today
from hygie.network import service as network_service
from hygie.org import service as org_service
from hygie.plan import service as plan_service
from hygie.plan.models import ActionStatus, Finding, FindingSource

__all__ = [
    "EXERCISE_MONTHS",
    "REVIEW_MONTHS",
    "Alarm",
    "AttackerImpact",
    "ExerciseStatus",
    "PolicyStatus",
    "add_dependency",
    "add_lesson",
    "alarms",
    "assets_of",
    "attacker_impact",
    "backup_statuses",
    "create_application",
    "create_exercise",
    "create_service",
    "delete_application",
    "delete_exercise",
    "delete_lesson",
    "delete_policy",
    "delete_restore_test",
    "delete_service",
    "exercise_status",
    "find_application",
    "find_service",
    "gap_facts",
    "get_application",
    "get_exercise",
    "get_lesson",
    "get_restore_test",
    "get_service",
    "graph",
    "impact_and_reach",
    "impact_of",
    "import_jobs",
    "last_restores",
    "lesson_to_action",
    "lessons_of",
    "link_asset",
    "list_applications",
    "list_dependencies",
    "list_exercises",
    "list_jobs",
    "list_policies",
    "list_services",
    "log_restore_test",
    "network_zones",
    "policy_of",
    "procedure_overdue",
    "readiness",
    "refresh_findings",
    "remove_dependency",
    "restore_tests",
    "set_policy",
    "unlink_asset",
    "update_application",
    "update_exercise",
    "update_service",
]


# --- The graph and the impact ----------------------------------------------------------------------


def graph(session: Session, establishment_id: int) -> impact.Graph:
    """The establishment's dependency graph, each application with its last tested restore time."""
    org_service.get_establishment(session, establishment_id)
    restores = last_restores(session, establishment_id)
    policies = {p.application_id: p for p in list_policies(session, establishment_id)}
    built = impact.Graph()
    for row in list_services(session, establishment_id):
        built.services[row.id] = impact.ServiceNode(row.name, row.rto_hours)
    for app in list_applications(session, establishment_id):
        policy = policies.get(app.id)
        success = restores.get(policy.id, (None, None))[1] if policy is not None else None
        built.applications[app.id] = impact.ApplicationNode(
            app.name, success.duration_hours if success is not None else None
        )
    for dep in list_dependencies(session, establishment_id):
        if dep.service_id is not None:
            built.edges.append(impact.Edge("service", dep.service_id, dep.on_application_id, dep.criticality))
        elif dep.application_id is not None:
            built.edges.append(
                impact.Edge("application", dep.application_id, dep.on_application_id, dep.criticality)
            )
    for app_id, asset_ids in assets_of(session, establishment_id).items():
        built.runs_on[app_id] = frozenset(asset_ids)
        for asset_id in asset_ids:
            asset = assets_service.get_asset(session, establishment_id, asset_id)
            built.zones[asset_id] = asset.network_zone
            built.asset_names[asset_id] = asset.name
    return built


def impact_of(
    session: Session,
    establishment_id: int,
    *,
    asset_id: int | None = None,
    application_id: int | None = None,
    zone: str | None = None,
    attacker_zone: str | None = None,
) -> impact.Impact:
    """What stops if this asset, application or network zone is lost, or everything an attacker in
    ``attacker_zone`` can reach (give exactly one)."""
    given = [v for v in (asset_id, application_id, zone, attacker_zone) if v is not None]
    if len(given) != 1:
        raise ValidationError(
            "give exactly one of: an asset, an application, a network zone, an attacker's zone"
        )
    if attacker_zone is not None:
        return attacker_impact(session, establishment_id, attacker_zone).impact
    built = graph(session, establishment_id)
    if asset_id is not None:
        assets_service.get_asset(session, establishment_id, asset_id)
        return impact.impact_of_asset(built, asset_id)
    if application_id is not None:
        get_application(session, establishment_id, application_id)
        return impact.impact_of_application(built, application_id)
    return impact.impact_of_zone(built, str(zone))


@dataclass(frozen=True)
class AttackerImpact:
    """What stops if an attacker in ``zone`` takes everything the network lets them reach."""

    zone: str
    reached: dict[str, int]  # zone → hops from the attacker's zone (0: the zone itself)
    impact: impact.Impact


def attacker_impact(session: Session, establishment_id: int, zone: str) -> AttackerImpact:
    """The zones reachable from ``zone`` through the firewalls' open flows (followed from zone to
    zone), and the care services that stop when the assets in them are lost. The zone must be one of
    the network analysis's; without firewall rules, only the zone itself is reached."""
    declared = {
        z.name.strip().casefold(): z.name for z in network_service.list_zones(session, establishment_id)
    }
    name = declared.get(zone.strip().casefold())
    if name is None:
        raise NotFoundError(f"no network zone {zone!r} in establishment {establishment_id}")
    _zones, analysis = network_service.analyse_establishment(session, establishment_id)
    reached = impact.reachable_zones(analysis.flows, name)
    return AttackerImpact(name, reached, impact.impact_of_zones(graph(session, establishment_id), reached))


def impact_and_reach(
    session: Session,
    establishment_id: int,
    *,
    asset_id: int | None = None,
    application_id: int | None = None,
    zone: str | None = None,
    attacker_zone: str | None = None,
) -> tuple[impact.Impact, dict[str, int] | None]:
    """``impact_of``, with the zones reached when the question is an attacker's zone (else None)."""
    if attacker_zone is not None and asset_id is None and application_id is None and zone is None:
        attack = attacker_impact(session, establishment_id, attacker_zone)
        return attack.impact, attack.reached
    found = impact_of(
        session,
        establishment_id,
        asset_id=asset_id,
        application_id=application_id,
        zone=zone,
        attacker_zone=attacker_zone,
    )
    return found, None


def network_zones(session: Session, establishment_id: int) -> list[str]:
    """The names of the network analysis's zones (where an attacker may stand)."""
    return [z.name for z in network_service.list_zones(session, establishment_id)]


def readiness(session: Session, establishment_id: int) -> list[tuple[CareService, impact.Readiness]]:
    """Each care service's business impact: tested restores against its RTO."""
    built = graph(session, establishment_id)
    return [(row, impact.readiness(built, row.id)) for row in list_services(session, establishment_id)]


# --- Findings --------------------------------------------------------------------------------------


def gap_facts(session: Session, establishment_id: int, on: date | None = None) -> gaps.Facts:
    day = on or today()
    applications = list_applications(session, establishment_id)
    scores = {s.application.id: s.score for s in backup_statuses(session, establishment_id, day)}
    status = exercise_status(session, establishment_id, day)
    open_lessons = []
    for lesson in lessons_of(session, establishment_id):
        if lesson.control_id is None:
            continue
        if lesson.action_id is not None:
            action = plan_service.get_action(session, establishment_id, lesson.action_id)
            if action.status in (ActionStatus.DONE, ActionStatus.CANCELLED):
                continue
        open_lessons.append(lesson)
    return gaps.Facts(
        on=day,
        applications=applications,
        statuses=[scores.get(a.id) for a in applications],
        services=[
            (row, ready, procedure_overdue(row, day)) for row, ready in readiness(session, establishment_id)
        ],
        last_exercise=status.last_exercise,
        last_crisis_cell=status.last_crisis_cell,
        exercise_overdue=status.exercise_overdue,
        crisis_cell_overdue=status.crisis_cell_overdue,
        open_lessons=open_lessons,
        assets=assets_of(session, establishment_id),
    )


def refresh_findings(session: Session, establishment_id: int, on: date | None = None) -> list[Finding]:
    """The continuity gaps of today stored as findings of the plan (those gone are resolved)."""
    found = gaps.findings(gap_facts(session, establishment_id, on))
    return plan_service.upsert_findings(session, establishment_id, FindingSource.CONTINUITY, found)
