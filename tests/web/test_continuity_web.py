"""Continuity pages and API: the business impact per service, the impact of a loss, the backups with
3-2-1-1-0 per policy and the job report import (good and wrong files), the exercises with a lesson
turned into an action, a read-only role, the job log export neutralised against formulas."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from hygie.continuity import service
from hygie.continuity.models import ExerciseKind
from hygie.continuity.schemas import ExerciseIn, LessonIn
from hygie.core.time import today
from hygie.org import accounts, tokens
from hygie.org.models import Role
from tests.continuity.builders import Setup, build
from tests.web.conftest import csrf_from, login, make_user

GOOD = "Tâche;Début;Résultat;Message\nDPI - base;2026-11-20 21:00;échec;=cmd|' /C calc'!A0\n"
BAD = "Tâche;Début;Résultat\nDPI - base;hier;succès\n"


def _setup(session: Session, role: Role = Role.RSSI) -> Setup:
    s = build(session)
    make_user(session, role=role, establishment_id=s.establishment_id)
    return s


def test_pages_show_the_business_impact_the_impact_of_a_loss_and_the_backups(
    session: Session, client: TestClient
) -> None:
    s = _setup(session)
    login(client)
    base = f"/e/{s.establishment_id}/continuity"
    page = client.get(base)
    assert page.status_code == 200
    assert "Urgences" in page.text and "Au-delà de la DMIA" in page.text  # DPI restored in 6 h, RTO 4 h
    assert "rag-over" in page.text and "rag-unknown" in page.text
    detail = client.get(f"{base}/services/{s.urgences}")
    assert detail.status_code == 200 and "dpi-app01" in detail.text
    impact = client.get(f"{base}/dependencies", params={"zone": "Serveurs"})
    assert impact.status_code == 200
    assert "Urgences → DPI" in impact.text and "Arrêté" in impact.text
    both = client.get(f"{base}/dependencies", params={"zone": "Serveurs", "asset": str(s.dc)})
    assert "Donnez un seul" in both.text or "Give one" in both.text
    backups = client.get(f"{base}/backups")
    assert backups.status_code == 200
    assert "restauration jamais testée" in backups.text and "0/5" in backups.text and "5/5" in backups.text
    english = client.get(f"{base}/backups", headers={"Accept-Language": "en"}, cookies={"hygie_lang": "en"})
    assert english.status_code == 200


def test_a_job_report_is_imported_from_the_page_and_a_wrong_one_names_its_line(
    session: Session, client: TestClient
) -> None:
    s = _setup(session)
    login(client)
    base = f"/e/{s.establishment_id}/continuity"
    token = csrf_from(client.get(f"{base}/backups").text)
    bad = client.post(
        f"{base}/backups/import", data={"csrf_token": token}, files={"file": ("jobs.csv", BAD, "text/csv")}
    )
    assert bad.status_code == 422
    assert "jobs.csv, line 2, Début" in bad.text
    good = client.post(
        f"{base}/backups/import", data={"csrf_token": token}, files={"file": ("jobs.csv", GOOD, "text/csv")}
    )
    assert good.status_code == 200 and "1 exécution(s) de sauvegarde importée(s)" in good.text
    assert "Dernière sauvegarde en échec" in good.text  # the alarm
    secret, _row = tokens.create_api_token(
        session, accounts.find_user(session, "rssi@chu-exemple.fr"), "tests"
    )
    exported = client.get(
        f"/api/v1/establishments/{s.establishment_id}/continuity/backups/jobs.csv",
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert exported.status_code == 200
    assert "'=cmd|' /C calc'!A0" in exported.text  # neutralised: a spreadsheet shows it as text


def test_a_lesson_becomes_an_action_from_the_exercise_page(session: Session, client: TestClient) -> None:
    s = _setup(session)
    exercise = service.create_exercise(
        session,
        s.establishment_id,
        ExerciseIn(title="Rançongiciel", kind=ExerciseKind.TABLE_TOP, held_on=today() - timedelta(days=30)),
    )
    lesson = service.add_lesson(session, s.establishment_id, exercise.id, LessonIn(text="Imprimer les kits"))
    login(client)
    url = f"/e/{s.establishment_id}/continuity/exercises/{exercise.id}"
    page = client.get(url)
    assert page.status_code == 200 and "Imprimer les kits" in page.text
    token = csrf_from(page.text)
    action_url = f"/e/{s.establishment_id}/continuity/lessons/{lesson.id}/action"
    past = client.post(action_url, data={"csrf_token": token, "owner": "Cadre", "due_date": "2020-01-01"})
    assert past.status_code == 422 and "aria-invalid" in past.text
    due = (today() + timedelta(days=30)).isoformat()
    done = client.post(action_url, data={"csrf_token": token, "owner": "Cadre", "due_date": due})
    assert done.status_code == 303
    assert "/plan/actions/" in client.get(url).text
    assert client.get(f"/e/{s.establishment_id}/continuity/exercises").status_code == 200


def test_a_read_only_role_sees_no_import_form_and_cannot_post(session: Session, client: TestClient) -> None:
    s = _setup(session, Role.AUDITOR)
    login(client)
    base = f"/e/{s.establishment_id}/continuity"
    page = client.get(f"{base}/backups")
    assert page.status_code == 200 and 'enctype="multipart/form-data"' not in page.text
    refused = client.post(
        f"{base}/backups/import",
        data={"csrf_token": csrf_from(page.text)},
        files={"file": ("jobs.csv", GOOD, "text/csv")},
    )
    assert refused.status_code == 403


def test_api_services_impact_and_backups(session: Session, client: TestClient) -> None:
    s = _setup(session)
    user = make_user(session, "api@chu-exemple.fr", Role.RSSI, s.establishment_id)
    secret, _row = tokens.create_api_token(session, user, "tests")
    headers = {"Authorization": f"Bearer {secret}"}
    api = f"/api/v1/establishments/{s.establishment_id}/continuity"
    services = client.get(f"{api}/services", headers=headers).json()
    assert {i["name"]: i["verdict"] for i in services["items"]} == {
        "Laboratoire": "unknown",
        "Urgences": "over",
    }
    impact = client.get(f"{api}/impact", params={"asset_id": s.dc}, headers=headers).json()
    assert impact["lost_applications"] == ["Annuaire"]
    assert [i["path"] for i in impact["services"]] == [
        ["Urgences", "DPI", "Annuaire"],
        ["Laboratoire", "SIL", "DPI", "Annuaire"],
    ]
    backups = client.get(f"{api}/backups", params={"lang": "en"}, headers=headers).json()
    sil = next(p for p in backups["policies"] if p["application"] == "SIL")
    assert sil["score"] == 0 and sil["rules"][4]["reason"] == "restore never tested"
    created = client.post(
        f"{api}/services",
        json={"name": "Maternité", "kind": "maternity", "rto_hours": 4, "rpo_hours": 1},
        headers=headers,
    )
    assert created.status_code == 201
    assert (
        client.get("/api/v1/continuity/scenarios", headers=headers).json()[0]["id"]
        == "ransomware-patient-record"
    )
