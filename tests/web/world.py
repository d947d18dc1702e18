"""Two establishments, one user per role on the first only, built once per backend for the whole-app
tests (the authorisation matrix, schemathesis).

A is the demo hospital; B a small establishment with one campaign, findings and a plan, so that every
path id has a real object on each side. ``World.samples`` gives, per side, a value for each path
parameter a route may have; a new route with a new kind of id needs one line in ``_samples``.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session

from hygie.assess import service as assess_service
from hygie.assess.schemas import AnswerIn, AnswerStatus, CampaignPath
from hygie.assets import service as assets_service
from hygie.assets.models import AssetKind, Importer
from hygie.assets.schemas import AssetRecord, ImportSource
from hygie.awareness import service as awareness_service
from hygie.awareness.models import StaffCategory, TrainingFormat
from hygie.awareness.schemas import TrainingIn
from hygie.continuity import service as continuity_service
from hygie.continuity.models import ExerciseKind
from hygie.continuity.schemas import (
    ApplicationIn,
    DependencyIn,
    ExerciseIn,
    LessonIn,
    PolicyIn,
    RestoreTestIn,
    ServiceIn,
)
from hygie.core.settings import Settings, get_settings
from hygie.demo import incidents as demo_incidents
from hygie.demo import service as demo_service
from hygie.detect import tuning as detect_tuning
from hygie.detect.models import Alert, AlertLevel, AlertStatus
from hygie.frameworks.loader import Library
from hygie.frameworks.service import get_library
from hygie.incidents import service as incidents_service
from hygie.incidents.models import CaseStatus
from hygie.org import accounts, tokens
from hygie.org.models import Role
from hygie.plan import optimise as plan_optimise
from hygie.plan import service as plan_service
from hygie.plan.roadmap import roadmap_for
from hygie.vulns import service as vulns_service
from hygie.vulns.feeds import service as feeds_service
from hygie.web.app import create_app
from tests.conftest import SHARED_DATA
from tests.factories import make_establishment
from tests.web.conftest import PASSWORD, login

OTHER_NAME = "CH de l'Autre Rive"
# Path parameters that name an object of one establishment (the others are global: fmt, control_id).
OWNED_PARAMS = frozenset(
    {
        "campaign_id",
        "action_id",
        "finding_id",
        "evidence_id",
        "answer_id",
        "asset_id",
        "result_id",
        "incident_id",
        "task_id",
        "file_id",
        "service_id",
        "application_id",
        "exercise_id",
        "lesson_id",
        "dependency_id",
        "test_id",
        "training_id",
    }
)
# A workstation the feed samples know (Windows 7: BlueKeep, and its end of life), so that each side
# has results of the vulnerability audit.
WINDOWS_7 = "cpe:2.3:o:microsoft:windows_7:-:sp1:*:*:*:*:*:*"


def email_of(role: Role) -> str:
    return f"{role.value}@matrice.test"


@dataclass
class World:
    connection: Connection
    a: int
    b: int
    samples: dict[int, dict[str, str]]
    tokens: dict[Role, str] = field(default_factory=dict)

    def session(self) -> Session:
        """A request's session on the world's connection (its commit is a savepoint)."""
        return Session(bind=self.connection, join_transaction_mode="create_savepoint", expire_on_commit=False)

    def app(self, **settings: object) -> FastAPI:
        return create_app(Settings(lang="fr", **settings), session_factory=self.session)  # type: ignore[arg-type]

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """What a request writes inside is undone after (each case starts from the same data)."""
        nested = self.connection.begin_nested()
        try:
            yield
        finally:
            if nested.is_active:
                nested.rollback()


def _other(session: Session, library: Library) -> int:
    establishment = make_establishment(session, name=OTHER_NAME)
    campaign = assess_service.create_campaign(
        session,
        establishment.id,
        name="Auto-évaluation 2026",
        assessed_on=date(2026, 1, 15),
        path=CampaignPath.SHORT,
        library=library,
    )
    for control in assess_service.path_controls(campaign, library)[:6]:
        assess_service.record_answer(
            session, campaign, control.id, AnswerIn(status=AnswerStatus.LEVEL, level=1), "B"
        )
    levels = assess_service.campaign_score(session, campaign, library).levels
    plan_service.refresh_assessment_findings(
        session, establishment.id, library, levels, since=campaign.created_at
    )
    states, candidates = plan_service.plan_inputs(
        session, establishment.id, library, levels, since=campaign.created_at
    )
    chosen = plan_optimise.optimise(states, candidates, 150_000, 300)
    plan_service.adopt_plan(session, establishment.id, chosen, roadmap_for(chosen, date(2026, 4, 1)))
    _one_asset(session, establishment.id, "srv-autre-rive", "10.9.0.1")
    demo_incidents.build(session, establishment.id)
    _continuity(session, establishment.id)
    return establishment.id


def _continuity(session: Session, establishment_id: int) -> None:
    """One care service, application, exercise and lesson (the demo side has its own)."""
    care = continuity_service.create_service(
        session, establishment_id, ServiceIn(name="Urgences", rto_hours=4, rpo_hours=1)
    )
    app = continuity_service.create_application(session, establishment_id, ApplicationIn(name="DPI"))
    continuity_service.add_dependency(
        session, establishment_id, DependencyIn(service_id=care.id, on_application_id=app.id)
    )
    exercise = continuity_service.create_exercise(
        session,
        establishment_id,
        ExerciseIn(title="Exercice", kind=ExerciseKind.TABLE_TOP, held_on=date(2026, 5, 1)),
    )
    continuity_service.add_lesson(session, establishment_id, exercise.id, LessonIn(text="Leçon"))
    continuity_service.set_policy(session, establishment_id, app.id, PolicyIn(copies=2))
    continuity_service.log_restore_test(
        session, establishment_id, app.id, RestoreTestIn(tested_on=date(2026, 5, 2), duration_hours=3)
    )
    awareness_service.add_training(
        session,
        establishment_id,
        TrainingIn(
            held_on=date(2026, 5, 3),
            topic="Hameçonnage",
            format=TrainingFormat.CLASSROOM,
            department="Urgences",
            staff_category=StaffCategory.NURSING,
            invited=4,
            completed=3,
        ),
    )


def _one_asset(session: Session, establishment_id: int, name: str, ip: str) -> None:
    # One asset is all the routes need: the demo's 3,000 would cost half a minute on PostgreSQL.
    assets_service.import_assets(
        session,
        establishment_id,
        [AssetRecord(name=name, ips=[ip], kind=AssetKind.SERVER)],
        ImportSource(importer=Importer.CSV, file_name="inventaire.csv"),
    )


def _audited(session: Session, establishment_id: int, name: str) -> None:
    """A Windows 7 workstation, then the audit against the feed snapshot of the world's home."""
    assets_service.import_assets(
        session,
        establishment_id,
        [AssetRecord(name=name, kind=AssetKind.WORKSTATION, os_cpe=WINDOWS_7)],
        ImportSource(importer=Importer.CYCLONEDX, file_name="sbom.json"),
    )
    vulns_service.scan(session, establishment_id)


def _feeds() -> None:
    """The feed samples the audit needs (KEV, NVD, endoflife.date), as the current snapshot."""
    feeds_service.ingest(
        {
            "kev": [SHARED_DATA / "kev" / "known_exploited_vulnerabilities.json"],
            "nvd": sorted((SHARED_DATA / "nvd").glob("CVE-*.json")),
            "eol": [SHARED_DATA / "endoflife" / "products"],
        }
    )


def _samples(session: Session, establishment_id: int) -> dict[str, str]:
    """A real value of each path parameter in this establishment (the latest campaign, a first action...)."""
    campaign = assess_service.latest_campaign(session, establishment_id)
    answered = sorted(assess_service.answers_detail(campaign).items())
    control_id, answer = answered[0]
    # A file (the evidence routes serve files), stored under the world's temporary HYGIE_HOME.
    content = f"preuve {establishment_id}".encode()
    evidence = assess_service.attach_evidence_file(
        session, answer, io.BytesIO(content), "tests", name="preuve.txt"
    )
    # The same content attached a second time: a case that removes the sample evidence (then rolled
    # back) leaves its file in place, since another row still names it.
    assess_service.attach_evidence_file(session, answer, io.BytesIO(content), "tests", name="copie.txt")
    incident = incidents_service.list_cases(session, establishment_id, CaseStatus.OPEN)[0]
    task = incident.tasks[0]
    incident_file = incidents_service.attach_evidence(
        session, incident, io.BytesIO(content), "journal.txt", "tests"
    )
    actions = plan_service.list_actions(session, establishment_id)
    findings = plan_service.list_findings(session, establishment_id)
    assets = assets_service.list_assets(session, establishment_id)
    results = vulns_service.list_results(session, establishment_id)
    assert actions and findings and assets and results, (
        "the world needs actions, findings, assets and audit results on both sides"
    )
    lessons = continuity_service.lessons_of(session, establishment_id)
    assert lessons, "the world needs continuity objects on both sides"
    application = continuity_service.list_applications(session, establishment_id)[0]
    # The sample application runs on the sample asset (the route that unlinks them needs the link), and
    # has a backup policy with a restore test (the routes that remove them need them).
    continuity_service.link_asset(session, establishment_id, application.id, assets[0].id)
    policies = {p.application_id for p in continuity_service.list_policies(session, establishment_id)}
    assert application.id in policies, "the sample application needs a backup policy on both sides"
    restore_test = continuity_service.restore_tests(session, establishment_id)[0]
    alert = _alert(session, establishment_id)
    return {
        "campaign_id": str(campaign.id),
        "control_id": control_id,
        "answer_id": str(answer.id),
        "evidence_id": str(evidence.id),
        "action_id": str(actions[0].id),
        "finding_id": str(findings[0].id),
        "asset_id": str(assets[0].id),
        "result_id": str(results[0].id),
        "incident_id": str(incident.id),
        "task_id": str(task.id),
        "file_id": str(incident_file.id),
        "clock": "cert_sante",
        "service_id": str(continuity_service.list_services(session, establishment_id)[0].id),
        "application_id": str(application.id),
        "dependency_id": str(continuity_service.list_dependencies(session, establishment_id)[0].id),
        "test_id": str(restore_test.id),
        "training_id": str(awareness_service.list_trainings(session, establishment_id)[0].id),
        "exercise_id": str(lessons[0].exercise_id),
        "lesson_id": str(lessons[0].id),
        "fmt": "html",
        "alert_id": str(alert.id),
        "tuning_id": str(detect_tuning.add_exclusion(session, establishment_id, "Computer", "ADMIN-PC").id),
    }


def _alert(session: Session, establishment_id: int) -> Alert:
    """A detection alert (no event behind it: the store is empty), confirmed so that it can be escalated."""
    seen = datetime(2025, 1, 6, 9, 30, tzinfo=UTC)
    alert = Alert(
        establishment_id=establishment_id,
        key=f"world-{establishment_id}",
        rule_id="52d8b0c6-53d6-439a-9e41-52ad442ad9ad",
        title="First Time Seen Remote Named Pipe",
        level=AlertLevel.HIGH,
        techniques=["T1021.002"],
        tactics=["lateral-movement"],
        host="srv-dpi",
        user="admin",
        first_seen=seen,
        last_seen=seen,
        event_count=1,
        event_ids=[1],
        status=AlertStatus.TRUE_POSITIVE,
        note="",
    )
    session.add(alert)
    session.flush()
    return alert


def build_world(connection: Connection) -> World:
    session = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    library = get_library()
    a = demo_service.build(session, library, inventory=False).establishment_id
    _one_asset(session, a, "srv-dpi", "10.1.0.10")
    _audited(session, a, "poste-accueil-w7")
    b = _other(session, library)
    _audited(session, b, "poste-autre-rive-w7")
    world = World(connection=connection, a=a, b=b, samples={a: _samples(session, a), b: _samples(session, b)})
    for role in Role:
        user = accounts.create_user(session, email_of(role), f"Compte {role.value}", PASSWORD)
        accounts.grant_role(session, user, role, establishment_id=a)
        world.tokens[role], _row = tokens.create_api_token(session, user, "matrix")
    session.commit()
    session.close()
    return world


@contextmanager
def world_on(engine: Engine, home: Path) -> Iterator[World]:
    """The world in a transaction rolled back at the end; its evidence files under ``home``."""
    saved = os.environ.get("HYGIE_HOME")
    os.environ["HYGIE_HOME"] = str(home)
    get_settings.cache_clear()
    _feeds()
    connection = engine.connect()
    transaction = connection.begin()
    try:
        yield build_world(connection)
    finally:
        transaction.rollback()
        connection.close()
        if saved is None:
            os.environ.pop("HYGIE_HOME", None)
        else:
            os.environ["HYGIE_HOME"] = saved
        get_settings.cache_clear()


def signed_in(app: FastAPI, role: Role) -> TestClient:
    """A page client with a session of ``role`` (https: the cookies are Secure)."""
    client = TestClient(app, base_url="https://testserver", follow_redirects=False)
    login(client, email_of(role), PASSWORD)
    return client


def engine_for(backend: str, engines: dict[str, Engine], tmp: Path) -> Engine:
    from tests.conftest import _engine_for

    return _engine_for(backend, engines, tmp)
