"""Builds the demo's group (GHT) through the same services a user's commands call, then audits it: the demo
hospital and two other establishments, each from its :class:`~hygie.demo.profiles.Profile`."""

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
from hygie.demo import ght
from hygie.demo import incidents as demo_incidents
from hygie.demo import inventory as demo_inventory
from hygie.demo import logs as demo_logs
from hygie.demo import network as demo_network
from hygie.demo import tuning as demo_tuning
from hygie.demo.profiles import HOSPITAL, Maturity, Profile
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


@dataclass
class DemoResult:
    establishment_id: int
    profile: Profile = HOSPITAL
    campaign_ids: list[int] = field(default_factory=list)
    adopted_actions: int = 0
    reports: list[Path] = field(default_factory=list)
    inventory: demo_inventory.InventorySummary | None = None
    vulnerabilities: vulns_service.ScanReport | None = None
    network: network_service.CheckReport | None = None
    incident_ids: list[int] = field(default_factory=list)
    logs: demo_logs.DemoLogs | None = None


@dataclass
class GroupResult:
    """The demo's group (GHT): its id and its establishments, the demo hospital first."""

    group_id: int
    establishments: list[DemoResult]

    @property
    def hospital(self) -> DemoResult:
        return self.establishments[0]


def _level(control: Control, campaign_index: int, rng: random.Random, maturity: Maturity) -> int:
    """The story's level when it tells one, else the dimension's usual level give or take one."""
    if control.id in maturity.story:
        return maturity.story[control.id][campaign_index]
    base = maturity.baseline[control.dimension.value] + rng.choice((-1, 0, 0, 1))
    improved = campaign_index >= 1 and rng.random() < maturity.progress
    return max(0, min(4, base + (1 if improved else 0)))


def _answer(control: Control, campaign_index: int, rng: random.Random, maturity: Maturity) -> AnswerIn:
    if control.id in maturity.alternatives:
        return AnswerIn(status=AnswerStatus.ALTERNATIVE, justification=maturity.alternatives[control.id])
    if control.id in maturity.not_applicable:
        return AnswerIn(status=AnswerStatus.NOT_APPLICABLE, justification=maturity.not_applicable[control.id])
    if control.id in maturity.unknown:
        return AnswerIn(status=AnswerStatus.UNKNOWN, comment="À vérifier avec le service concerné.")
    return AnswerIn(status=AnswerStatus.LEVEL, level=_level(control, campaign_index, rng, maturity))


def _random(profile: Profile, seed: int, label: str) -> random.Random:
    """The generator of one step; the demo hospital keeps the names it always had (the same data)."""
    return random.Random(f"{seed}-{label}" if profile is HOSPITAL else f"{profile.key}-{seed}-{label}")


def draw_answers(profile: Profile, library: Library, seed: int = 2026) -> list[dict[str, AnswerIn]]:
    """Each campaign's answers to the full path, control by control: the same for the same seed."""
    drawn = []
    for index in range(len(profile.campaigns)):
        rng = _random(profile, seed, str(index))
        drawn.append({c.id: _answer(c, index, rng, profile.maturity) for c in library.full_path()})
    return drawn


def create_establishment(session: Session, profile: Profile = HOSPITAL) -> Establishment:
    h = profile.establishment
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
    profile: Profile = HOSPITAL,
) -> DemoResult:
    """One establishment of the demo (the demo hospital unless ``profile`` says otherwise): its inventory,
    its campaigns, its findings and its adopted plan (the first action done, the second under way), its
    awareness, incidents and continuity. ``inventory=False`` leaves the inventory (and the network built on
    its zones) out: tests that do not look at it save its import (about 4 s on SQLite, 15 to 25 s on
    PostgreSQL for the hospital's 3,000 assets). With ``feeds`` (the demo home's settings), the inventory is
    audited against that home's feed snapshot, the demo catalogue being installed there when it has none.
    With ``logs`` (the demo home's settings too), a week of logs with a scripted attack is written there,
    ingested and run through the detection (a few seconds more)."""
    establishment = create_establishment(session, profile)
    result = DemoResult(establishment_id=establishment.id, profile=profile)
    if inventory:
        result.inventory = demo_inventory.build(session, establishment.id, seed, profile.inventory)
        if feeds is not None:
            snapshot = demo_catalogue.install(feeds)
            with feeds_connect(snapshot) as db:
                result.vulnerabilities = vulns_service.scan(
                    session, establishment.id, db=db, snapshot_id=snapshot.id
                )
        # zones, firewalls, outside scan, check
        result.network = demo_network.build(session, establishment.id, profile.network)
    last = len(profile.campaigns) - 1
    drawn = draw_answers(profile, library, seed)
    for index, (name, day) in enumerate(profile.campaigns):
        campaign = assess_service.create_campaign(
            session, establishment.id, name=name, assessed_on=day, path=CampaignPath.FULL, library=library
        )
        author = profile.authors[0 if index == 0 and last > 0 else 1]
        for control_id, answer in drawn[index].items():
            assess_service.record_answer(session, campaign, control_id, answer, author)
        if index < last:
            assess_service.close_campaign(session, campaign)
        result.campaign_ids.append(campaign.id)

    # The facts the evidence measures come before the plan, which works from the measured levels.
    demo_awareness.build(session, establishment.id, profile.awareness)
    demo_continuity.build(session, establishment.id, library, with_assets=inventory, facts=profile.continuity)
    campaign = assess_service.get_campaign(session, establishment.id, result.campaign_ids[-1])
    levels = assess_service.campaign_score(session, campaign, library).levels
    plan_service.refresh_assessment_findings(
        session, establishment.id, library, levels, since=campaign.created_at
    )

    states, candidates = plan_service.plan_inputs(
        session, establishment.id, library, levels, since=campaign.created_at
    )
    chosen = plan_optimise.optimise(states, candidates, profile.plan_budget, profile.plan_days)
    roadmap = roadmap_for(chosen, next_quarter_start(profile.campaigns[-1][1]))
    actions = plan_service.adopt_plan(session, establishment.id, chosen, roadmap)
    result.adopted_actions = len(actions)
    # The first quarter has started: one action is done, another under way.
    for action, status in zip(actions[: profile.actions_started], STARTED, strict=False):
        plan_service.set_status(session, establishment.id, action.id, status)
    plan_service.refresh_assessment_findings(
        session, establishment.id, library, levels, since=campaign.created_at
    )
    if profile.incidents is None:
        result.incident_ids = demo_incidents.build(session, establishment.id)
    else:
        result.incident_ids = demo_incidents.build_incidents(session, establishment.id, profile.incidents)
    # The RSSI's tuning of the detection comes before the first logs are detected.
    demo_tuning.apply(session, establishment.id, profile.tuning)
    if logs is not None:
        result.logs = demo_logs.build(session, logs, establishment.id, seed)
    # The declarations the continuity and awareness facts do not bear out, as findings of the plan.
    evidence.refresh_latest(session, establishment.id, library)
    return result


STARTED = (ActionStatus.DONE, ActionStatus.IN_PROGRESS)


def build_group(
    session: Session,
    library: Library,
    seed: int = 2026,
    *,
    inventory: bool = True,
    feeds: Settings | None = None,
    logs: Settings | None = None,
) -> GroupResult:
    """The demo's GHT: the demo hospital (with its week of logs when ``logs`` is given), then the group's
    other establishments (:data:`hygie.demo.ght.OTHERS`), each built by :func:`build` from its profile."""
    results = [build(session, library, seed, inventory=inventory, feeds=feeds, logs=logs)]
    for profile in ght.OTHERS:
        # Every query flushes first, and a flush looks at every object the session holds: without the
        # demo hospital's hundred thousand rows in memory, the next builds go several times faster. The
        # results hold ids only; any object the caller loaded before is detached.
        session.flush()
        session.expunge_all()
        results.append(build(session, library, seed, inventory=inventory, feeds=feeds, profile=profile))
    group = org_service.get_or_create_group(session, ght.GROUP)
    return GroupResult(group.id, results)


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
