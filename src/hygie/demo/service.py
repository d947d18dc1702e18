"""Builds the demo hospital through the same services a user's commands call, then audits it."""

from __future__ import annotations

import random
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from hygie.assess import evidence
from hygie.assess import service as assess_service
from hygie.assess.schemas import AnswerIn, AnswerStatus, CampaignPath
from hygie.core.db import Base
from hygie.core.settings import Settings
from hygie.demo import awareness as demo_awareness
from hygie.demo import catalogue as demo_catalogue
from hygie.demo import continuity as demo_continuity
from hygie.demo import hospital
from hygie.demo import incidents as demo_incidents
from hygie.demo import inventory as demo_inventory
from hygie.demo import logs as demo_logs
from hygie.demo import network as demo_network
from hygie.frameworks.loader import Library
from hygie.frameworks.schema import Control
from hygie.network import service as network_service
from hygie.org import service as org_service
from hygie.org.models import Establishment
from hygie.org.schemas import EstablishmentIn
from hygie.plan import optimise as plan_optimise
from hygie.plan import service as plan_service
from hygie.plan.models import ActionStatus
from hygie.plan.roadmap import next_quarter_start, roadmap_for
from hygie.vulns import service as vulns_service
from hygie.vulns.feeds.read import connect as feeds_connect

RSSI = "Claire Martin (RSSI)"
DSI = "Paul Bernard (DSI)"


@dataclass
class DemoResult:
    establishment_id: int
    campaign_ids: list[int] = field(default_factory=list)
    adopted_actions: int = 0
    reports: list[Path] = field(default_factory=list)
    inventory: demo_inventory.InventorySummary | None = None
    vulnerabilities: vulns_service.ScanReport | None = None
    network: network_service.CheckReport | None = None
    incident_ids: list[int] = field(default_factory=list)
    logs: demo_logs.DemoLogs | None = None


def _level(control: Control, campaign_index: int, rng: random.Random) -> int:
    """The story's level when it tells one, else the dimension's usual level give or take one."""
    if control.id in hospital.STORY:
        return hospital.STORY[control.id][campaign_index]
    base = hospital.DIMENSION_BASELINE[control.dimension.value] + rng.choice((-1, 0, 0, 1))
    improved = campaign_index == 1 and rng.random() < 0.3
    return max(0, min(4, base + (1 if improved else 0)))


def _answer(control: Control, campaign_index: int, rng: random.Random) -> AnswerIn:
    if control.id in hospital.ALTERNATIVES:
        return AnswerIn(status=AnswerStatus.ALTERNATIVE, justification=hospital.ALTERNATIVES[control.id])
    if control.id in hospital.NOT_APPLICABLE:
        return AnswerIn(status=AnswerStatus.NOT_APPLICABLE, justification=hospital.NOT_APPLICABLE[control.id])
    if control.id in hospital.UNKNOWN:
        return AnswerIn(status=AnswerStatus.UNKNOWN, comment="À vérifier avec le service concerné.")
    return AnswerIn(status=AnswerStatus.LEVEL, level=_level(control, campaign_index, rng))


def create_establishment(session: Session) -> Establishment:
    h = hospital.HOSPITAL
    return org_service.create_establishment(
        session,
        EstablishmentIn(
            name=h.name,
            finess=h.finess,
            kind=h.kind,
            beds=h.beds,
            staff=h.staff,
            annual_budget=h.annual_budget,
            it_budget=h.it_budget,
            security_budget=h.security_budget,
            group=h.group,
        ),
    )


def build(
    session: Session,
    library: Library,
    seed: int = 2026,
    *,
    inventory: bool = True,
    feeds: Settings | None = None,
    logs: Settings | None = None,
) -> DemoResult:
    """The hospital, its inventory (3,000 assets), its two campaigns, its findings and its adopted
    plan (one action done). ``inventory=False`` leaves the inventory (and the network built on its
    zones) out: tests that do not look at it save its import (about 4 s on SQLite, 15 to 25 s on
    PostgreSQL). With ``feeds`` (the demo home's settings), the inventory is audited against that
    home's feed snapshot, the demo catalogue being installed there when it has none. With ``logs`` (the
    demo home's settings too), a week of logs with a scripted attack is written there, ingested and run
    through the detection (a few seconds more)."""
    establishment = create_establishment(session)
    result = DemoResult(establishment_id=establishment.id)
    if inventory:
        result.inventory = demo_inventory.build(session, establishment.id, seed)
        if feeds is not None:
            snapshot = demo_catalogue.install(feeds)
            with feeds_connect(snapshot) as db:
                result.vulnerabilities = vulns_service.scan(
                    session, establishment.id, db=db, snapshot_id=snapshot.id
                )
        result.network = demo_network.build(session, establishment.id)  # zones, firewalls, scan, check
    for index, (name, day) in enumerate((hospital.FIRST_CAMPAIGN, hospital.SECOND_CAMPAIGN)):
        rng = random.Random(f"{seed}-{index}")
        campaign = assess_service.create_campaign(
            session, establishment.id, name=name, assessed_on=day, path=CampaignPath.FULL, library=library
        )
        author = DSI if index == 0 else RSSI
        for control in library.full_path():
            assess_service.record_answer(session, campaign, control.id, _answer(control, index, rng), author)
        if index == 0:
            assess_service.close_campaign(session, campaign)
        result.campaign_ids.append(campaign.id)

    # The facts the evidence measures come before the plan, which works from the measured levels.
    demo_awareness.build(session, establishment.id)
    demo_continuity.build(session, establishment.id, library, with_assets=inventory)
    campaign = assess_service.get_campaign(session, establishment.id, result.campaign_ids[-1])
    levels = assess_service.campaign_score(session, campaign, library).levels
    plan_service.refresh_assessment_findings(
        session, establishment.id, library, levels, since=campaign.created_at
    )

    states, candidates = plan_service.plan_inputs(
        session, establishment.id, library, levels, since=campaign.created_at
    )
    chosen = plan_optimise.optimise(states, candidates, hospital.PLAN_BUDGET, hospital.PLAN_DAYS)
    roadmap = roadmap_for(chosen, next_quarter_start(hospital.SECOND_CAMPAIGN[1]))
    actions = plan_service.adopt_plan(session, establishment.id, chosen, roadmap)
    result.adopted_actions = len(actions)
    # The first quarter has started: one action is done, another under way.
    if actions:
        plan_service.set_status(session, establishment.id, actions[0].id, ActionStatus.DONE)
    if len(actions) > 1:
        plan_service.set_status(session, establishment.id, actions[1].id, ActionStatus.IN_PROGRESS)
    plan_service.refresh_assessment_findings(
        session, establishment.id, library, levels, since=campaign.created_at
    )
    result.incident_ids = demo_incidents.build(session, establishment.id)
    if logs is not None:
        result.logs = demo_logs.build(session, logs, establishment.id, seed)
    # The declarations the continuity and awareness facts do not bear out, as findings of the plan.
    evidence.refresh_latest(session, establishment.id, library)
    return result


MARKER = ".hygie-demo"


def home_holds_other_data(session: Session, home: Path) -> bool:
    """True when the database has establishments and the home was not made by the demo."""
    return bool(org_service.list_establishments(session)) and not (home / MARKER).exists()


def reset(engine: Engine, home: Path) -> None:
    """Empties a demo home: every Hygie table dropped, evidence, reports, events and logs removed."""
    import hygie.models  # noqa: F401  (every table on the metadata)

    with engine.begin() as connection:
        Base.metadata.drop_all(connection)
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
    for folder in ("evidence", "reports", "library", "events", "logs"):
        shutil.rmtree(home / folder, ignore_errors=True)
    (home / MARKER).unlink(missing_ok=True)


def mark(home: Path) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / MARKER).write_text("Built by `hygie demo`: `hygie demo` may wipe and rebuild this home.\n")
