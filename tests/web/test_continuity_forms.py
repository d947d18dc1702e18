"""The continuity forms: each shown (GET), stored and redirected when right, shown again with the
field's message when wrong (422), refused without the CSRF token, and refused for another
establishment's ids; every write audited, and the evidence gaps refreshed."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from hygie.assess import service as assess_service
from hygie.assess.schemas import AnswerIn
from hygie.continuity import service
from hygie.continuity.models import ExerciseKind
from hygie.continuity.schemas import ExerciseIn, LessonIn
from hygie.core.time import today
from hygie.frameworks.service import get_library
from hygie.network import service as network_service
from hygie.network.importers import read_firewall
from hygie.org import tokens
from hygie.org.models import AuditEntry, Role
from hygie.plan import service as plan_service
from hygie.plan.models import FindingSource
from tests.continuity.builders import Setup, build
from tests.continuity.test_attacker import FLOWS, ZONES
from tests.web.conftest import csrf_from, login, make_user


def _setup(session: Session, client: TestClient, role: Role = Role.RSSI) -> tuple[Setup, Setup, str]:
    """Two establishments built alike; the user works in the first. Gives both and a CSRF token."""
    s = build(session)
    other = build(session)
    make_user(session, role=role, establishment_id=s.establishment_id)
    login(client)
    token = csrf_from(client.get(f"/e/{s.establishment_id}/continuity").text)
    return s, other, token


def _audited(session: Session, action: str) -> list[AuditEntry]:
    return list(
        session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id))
    )


def test_a_care_service_is_created_edited_and_deleted(session: Session, client: TestClient) -> None:
    s, other, token = _setup(session, client)
    base = f"/e/{s.establishment_id}/continuity"
    page = client.get(base)
    assert (
        page.status_code == 200
        and f'action="{base}/services"' in page.text
        and 'name="rto_hours"' in page.text
    )
    wrong = client.post(
        f"{base}/services",
        data={"csrf_token": token, "name": " ", "kind": "maternity", "rto_hours": "deux", "rpo_hours": "-1"},
    )
    assert wrong.status_code == 422
    assert 'id="s-name-error" class="field-error">Obligatoire.' in wrong.text
    assert 'id="s-rto_hours-error" class="field-error">Indiquez un nombre.' in wrong.text
    assert 'id="s-rpo_hours-error" class="field-error">Doit valoir 0 au moins.' in wrong.text
    assert 'value="deux"' in wrong.text  # the refused value is shown again
    taken = client.post(
        f"{base}/services", data={"csrf_token": token, "name": "Urgences", "rto_hours": "2", "rpo_hours": "1"}
    )
    assert taken.status_code == 422 and "Un service de soins porte déjà ce nom." in taken.text
    future = (today() + timedelta(days=3)).isoformat()
    later = client.post(
        f"{base}/services",
        data={
            "csrf_token": token,
            "name": "Maternité",
            "rto_hours": "4",
            "rpo_hours": "1",
            "procedure_reviewed_on": future,
        },
    )
    assert later.status_code == 422 and "Cette date n&#39;est pas encore passée." in later.text
    created = client.post(
        f"{base}/services",
        data={
            "csrf_token": token,
            "name": "Maternité",
            "kind": "maternity",
            "rto_hours": "2,5",
            "rpo_hours": "0,5",
            "procedure_ref": "PCRA-MAT v1",
            "procedure_reviewed_on": "2026-06-01",
        },
    )
    assert created.status_code == 303
    row = service.find_service(session, s.establishment_id, "Maternité")
    assert created.headers["location"] == f"{base}/services/{row.id}"
    assert (row.rto_hours, row.rpo_hours, row.procedure_reviewed_on) == (2.5, 0.5, date(2026, 6, 1))
    assert [e.object_id for e in _audited(session, "continuity_service.create")] == [str(row.id)]
    edit = client.get(f"{base}/services/{row.id}/edit")
    assert edit.status_code == 200 and 'value="2.5"' in edit.text and 'value="PCRA-MAT v1"' in edit.text
    refused = client.post(
        f"{base}/services/{row.id}",
        data={"csrf_token": token, "name": "Maternité", "rto_hours": "", "rpo_hours": "1"},
    )
    assert refused.status_code == 422 and 'id="s-rto_hours-error"' in refused.text
    saved = client.post(
        f"{base}/services/{row.id}",
        data={"csrf_token": token, "name": "Maternité", "rto_hours": "6", "rpo_hours": "1"},
    )
    assert saved.status_code == 303
    session.refresh(row)
    assert (row.rto_hours, row.procedure_ref) == (6.0, None)
    assert len(_audited(session, "continuity_service.update")) == 1
    # No CSRF token: refused, nothing changed.
    assert client.post(f"{base}/services/{row.id}/delete").status_code == 403
    # Another establishment's service: not found, whatever the form.
    foreign = other.urgences
    assert client.get(f"{base}/services/{foreign}/edit").status_code == 404
    assert (
        client.post(
            f"{base}/services/{foreign}",
            data={"csrf_token": token, "name": "X", "rto_hours": "1", "rpo_hours": "1"},
        ).status_code
        == 404
    )
    assert client.post(f"{base}/services/{foreign}/delete", data={"csrf_token": token}).status_code == 404
    assert service.get_service(session, other.establishment_id, foreign).name == "Urgences"
    gone = client.post(f"{base}/services/{row.id}/delete", data={"csrf_token": token})
    assert gone.status_code == 303 and gone.headers["location"] == base
    assert "Maternité" not in {r.name for r in service.list_services(session, s.establishment_id)}
    assert len(_audited(session, "continuity_service.delete")) == 1


def test_applications_assets_and_dependencies(session: Session, client: TestClient) -> None:
    s, other, token = _setup(session, client)
    base = f"/e/{s.establishment_id}/continuity"
    page = client.get(f"{base}/dependencies")
    assert page.status_code == 200 and f'action="{base}/applications"' in page.text
    assert f'action="{base}/dependencies"' in page.text
    wrong = client.post(f"{base}/applications", data={"csrf_token": token, "name": "", "kind": "nope"})
    assert wrong.status_code == 422
    assert 'id="a-name-error" class="field-error">Obligatoire.' in wrong.text
    assert 'id="a-kind-error" class="field-error">Choisissez l&#39;une des valeurs proposées.' in wrong.text
    created = client.post(f"{base}/applications", data={"csrf_token": token, "name": "PACS", "kind": "pacs"})
    assert created.status_code == 303
    pacs = service.find_application(session, s.establishment_id, "PACS")
    assert created.headers["location"] == f"{base}/applications/{pacs.id}"
    app_page = client.get(f"{base}/applications/{pacs.id}")
    assert app_page.status_code == 200 and "dpi-app01" in app_page.text  # an asset to link
    # The asset of another establishment is refused; the own one is linked, then unlinked.
    assert (
        client.post(
            f"{base}/applications/{pacs.id}/assets",
            data={"csrf_token": token, "asset_id": str(other.dpi_server)},
        ).status_code
        == 404
    )
    none = client.post(f"{base}/applications/{pacs.id}/assets", data={"csrf_token": token, "asset_id": ""})
    assert none.status_code == 422 and 'id="l-asset_id-error"' in none.text
    linked = client.post(
        f"{base}/applications/{pacs.id}/assets", data={"csrf_token": token, "asset_id": str(s.dpi_server)}
    )
    assert linked.status_code == 303 and service.assets_of(session, s.establishment_id)[pacs.id] == [
        s.dpi_server
    ]
    unlinked = client.post(
        f"{base}/applications/{pacs.id}/assets/{s.dpi_server}/delete", data={"csrf_token": token}
    )
    assert unlinked.status_code == 303 and pacs.id not in service.assets_of(session, s.establishment_id)
    renamed = client.post(
        f"{base}/applications/{pacs.id}", data={"csrf_token": token, "name": "DPI", "kind": "pacs"}
    )
    assert renamed.status_code == 422 and "Une application porte déjà ce nom." in renamed.text
    assert (
        client.post(
            f"{base}/applications/{pacs.id}",
            data={"csrf_token": token, "name": "PACS imagerie", "kind": "pacs"},
        ).status_code
        == 303
    )
    # Dependencies: the urgences need the PACS in degraded mode.
    self_dep = client.post(
        f"{base}/dependencies",
        data={"csrf_token": token, "dependent": f"application:{pacs.id}", "on_application_id": str(pacs.id)},
    )
    assert (
        self_dep.status_code == 422
        and "Une application ne peut pas dépendre d&#39;elle-même." in self_dep.text
    )
    missing = client.post(
        f"{base}/dependencies", data={"csrf_token": token, "dependent": "", "on_application_id": ""}
    )
    assert missing.status_code == 422
    assert 'id="d-dependent-error"' in missing.text and 'id="d-on_application_id-error"' in missing.text
    foreign = client.post(
        f"{base}/dependencies",
        data={
            "csrf_token": token,
            "dependent": f"service:{other.urgences}",
            "on_application_id": str(pacs.id),
        },
    )
    assert foreign.status_code == 404
    added = client.post(
        f"{base}/dependencies",
        data={
            "csrf_token": token,
            "dependent": f"service:{s.urgences}",
            "on_application_id": str(pacs.id),
            "criticality": "degraded",
        },
    )
    assert added.status_code == 303
    [edge] = [
        d for d in service.list_dependencies(session, s.establishment_id) if d.on_application_id == pacs.id
    ]
    assert (edge.service_id, edge.criticality.value) == (s.urgences, "degraded")
    [other_edge, *_rest] = service.list_dependencies(session, other.establishment_id)
    assert (
        client.post(f"{base}/dependencies/{other_edge.id}/delete", data={"csrf_token": token}).status_code
        == 404
    )
    assert client.post(f"{base}/dependencies/{edge.id}/delete", data={"csrf_token": token}).status_code == 303
    assert (
        client.post(f"{base}/applications/{other.lis}/delete", data={"csrf_token": token}).status_code == 404
    )
    assert client.post(f"{base}/applications/{pacs.id}/delete", data={"csrf_token": token}).status_code == 303
    assert "PACS imagerie" not in {a.name for a in service.list_applications(session, s.establishment_id)}
    actions = [
        e.action
        for e in session.scalars(
            select(AuditEntry).where(AuditEntry.action.like("continuity_%")).order_by(AuditEntry.id)
        )
    ]
    assert actions == [
        "continuity_application.create",
        "continuity_application.link_asset",
        "continuity_application.unlink_asset",
        "continuity_application.update",
        "continuity_dependency.create",
        "continuity_dependency.delete",
        "continuity_application.delete",
    ]


def test_backup_policy_and_restore_tests_against_the_rto(session: Session, client: TestClient) -> None:
    s, other, token = _setup(session, client)
    base = f"/e/{s.establishment_id}/continuity"
    # The directory has no policy: the backups page offers to declare it.
    assert f"{base}/applications/{s.ad}/backup" in client.get(f"{base}/backups").text
    page = client.get(f"{base}/applications/{s.ad}/backup")
    assert page.status_code == 200 and 'name="copies"' in page.text and 'name="tested_on"' not in page.text
    wrong = client.post(
        f"{base}/applications/{s.ad}/backup",
        data={"csrf_token": token, "copies": "0", "media": ["disk", "floppy"], "test_every_days": "3,5"},
    )
    assert wrong.status_code == 422
    assert 'id="p-copies-error" class="field-error">Doit valoir 1 au moins.' in wrong.text
    assert 'id="p-media-error" class="field-error">Choisissez' in wrong.text
    assert 'id="p-test_every_days-error" class="field-error">Indiquez un nombre entier.' in wrong.text
    saved = client.post(
        f"{base}/applications/{s.ad}/backup",
        data={
            "csrf_token": token,
            "copies": "3",
            "media": ["disk", "tape"],
            "offsite_copies": "1",
            "immutable_copy": "on",
            "job_name": "AD",
        },
    )
    assert saved.status_code == 303
    policy = service.policy_of(session, s.establishment_id, s.ad)
    assert (
        policy.copies,
        policy.media,
        policy.immutable_copy,
        policy.offline_copy,
        policy.test_every_days,
    ) == (
        3,
        ["disk", "tape"],
        True,
        False,
        180,
    )
    # Restore tests: the directory is needed by the urgences (RTO 4 h) through the DPI.
    future = (today() + timedelta(days=1)).isoformat()
    late = client.post(
        f"{base}/applications/{s.ad}/restore-tests",
        data={"csrf_token": token, "tested_on": future, "duration_hours": "2"},
    )
    assert late.status_code == 422 and 'id="t-tested_on-error" class="field-error">Cette date' in late.text
    bad = client.post(
        f"{base}/applications/{s.ad}/restore-tests",
        data={"csrf_token": token, "tested_on": "hier", "duration_hours": ""},
    )
    assert bad.status_code == 422
    assert 'id="t-tested_on-error" class="field-error">Indiquez la date au format AAAA-MM-JJ.' in bad.text
    assert 'id="t-duration_hours-error" class="field-error">Obligatoire.' in bad.text
    day = (today() - timedelta(days=10)).isoformat()
    for hours in ("3", "5,5"):
        logged = client.post(
            f"{base}/applications/{s.ad}/restore-tests",
            data={"csrf_token": token, "tested_on": day, "duration_hours": hours, "success": "on"},
        )
        assert logged.status_code == 303
    shown = client.get(f"{base}/applications/{s.ad}/backup").text
    assert "DMIA la plus courte des services de soins qui en dépendent : 4 h" in shown
    assert "5,5 h" in shown and "Au-delà de la DMIA" in shown and "Dans la DMIA" in shown
    tests = service.restore_tests(session, s.establishment_id, s.ad)
    assert sorted(t.duration_hours for t in tests) == [3.0, 5.5]
    other_test = service.restore_tests(session, other.establishment_id, other.dpi)[0]
    assert (
        client.post(f"{base}/restore-tests/{other_test.id}/delete", data={"csrf_token": token}).status_code
        == 404
    )
    assert (
        client.post(
            f"{base}/applications/{other.ad}/restore-tests",
            data={"csrf_token": token, "tested_on": day, "duration_hours": "1"},
        ).status_code
        == 404
    )
    assert (
        client.post(f"{base}/restore-tests/{tests[0].id}/delete", data={"csrf_token": token}).status_code
        == 303
    )
    assert len(service.restore_tests(session, s.establishment_id, s.ad)) == 1
    assert (
        client.post(f"{base}/applications/{s.ad}/backup/delete", data={"csrf_token": token}).status_code
        == 303
    )
    assert s.ad not in {p.application_id for p in service.list_policies(session, s.establishment_id)}
    assert [
        len(_audited(session, a))
        for a in ("backup_policy.set", "restore_test.create", "restore_test.delete", "backup_policy.delete")
    ] == [1, 2, 1, 1]


def test_exercises_and_lessons(session: Session, client: TestClient) -> None:
    s, other, token = _setup(session, client)
    base = f"/e/{s.establishment_id}/continuity"
    page = client.get(f"{base}/exercises")
    assert (
        page.status_code == 200
        and 'name="scenario_id"' in page.text
        and "ransomware-patient-record" in page.text
    )
    wrong = client.post(
        f"{base}/exercises",
        data={
            "csrf_token": token,
            "title": "Exercice",
            "kind": "",
            "held_on": "2026-13-01",
            "scenario_id": "nulle-part",
        },
    )
    assert wrong.status_code == 422
    assert 'id="x-kind-error" class="field-error">Obligatoire.' in wrong.text
    assert 'id="x-held_on-error" class="field-error">Indiquez la date' in wrong.text
    unknown = client.post(
        f"{base}/exercises",
        data={
            "csrf_token": token,
            "title": "Exercice",
            "kind": "technical",
            "held_on": "2026-05-01",
            "scenario_id": "nulle-part",
        },
    )
    assert unknown.status_code == 422 and "Choisissez un scénario de la bibliothèque." in unknown.text
    created = client.post(
        f"{base}/exercises",
        data={
            "csrf_token": token,
            "title": "Rançongiciel sur le DPI",
            "kind": "table_top",
            "held_on": "2026-05-01",
            "scenario_id": "ransomware-patient-record",
            "participants": "Directeur\n\nRSSI\n",
            "crisis_cell": "on",
            "objectives": "Activer la cellule\nBasculer en mode dégradé",
            "observations": "Kits papier incomplets.",
        },
    )
    assert created.status_code == 303
    [exercise] = service.list_exercises(session, s.establishment_id)
    assert created.headers["location"] == f"{base}/exercises/{exercise.id}"
    assert (exercise.participants, exercise.crisis_cell, exercise.objectives[1]) == (
        ["Directeur", "RSSI"],
        True,
        "Basculer en mode dégradé",
    )
    shown = client.get(f"{base}/exercises/{exercise.id}").text
    assert "Constats" in shown and "Kits papier incomplets." in shown
    edit = client.get(f"{base}/exercises/{exercise.id}/edit")
    assert edit.status_code == 200 and "Directeur\nRSSI</textarea>" in edit.text
    saved = client.post(
        f"{base}/exercises/{exercise.id}",
        data={"csrf_token": token, "title": "Rançongiciel", "kind": "full_scale", "held_on": "2026-05-02"},
    )
    assert saved.status_code == 303
    session.refresh(exercise)
    assert (exercise.title, exercise.kind, exercise.crisis_cell, exercise.participants) == (
        "Rançongiciel",
        ExerciseKind.FULL_SCALE,
        False,
        [],
    )
    # Lessons: an unknown measure is refused next to its field; a right one is stored.
    lessons = f"{base}/exercises/{exercise.id}/lessons"
    refused = client.post(
        lessons, data={"csrf_token": token, "text": "Imprimer les kits", "control_id": "XXX-1"}
    )
    assert (
        refused.status_code == 422
        and 'id="l-control_id-error" class="field-error">Aucune mesure' in refused.text
    )
    assert client.post(lessons, data={"csrf_token": token, "text": ""}).status_code == 422
    added = client.post(
        lessons, data={"csrf_token": token, "text": "Imprimer les kits", "control_id": "CON-DEGRADED"}
    )
    assert added.status_code == 303
    [lesson] = service.lessons_of(session, s.establishment_id, exercise.id)
    assert (lesson.text, lesson.control_id) == ("Imprimer les kits", "CON-DEGRADED")
    # Another establishment's exercise and lesson are not found.
    theirs = service.create_exercise(
        session,
        other.establishment_id,
        ExerciseIn(title="Autre", kind=ExerciseKind.TECHNICAL, held_on=date(2026, 4, 1)),
    )
    their_lesson = service.add_lesson(session, other.establishment_id, theirs.id, LessonIn(text="Leur leçon"))
    assert client.get(f"{base}/exercises/{theirs.id}/edit").status_code == 404
    assert (
        client.post(
            f"{base}/exercises/{theirs.id}/lessons", data={"csrf_token": token, "text": "x"}
        ).status_code
        == 404
    )
    assert (
        client.post(f"{base}/lessons/{their_lesson.id}/delete", data={"csrf_token": token}).status_code == 404
    )
    assert client.post(f"{base}/exercises/{theirs.id}/delete", data={"csrf_token": token}).status_code == 404
    assert client.post(f"{base}/lessons/{lesson.id}/delete", data={"csrf_token": token}).status_code == 303
    assert (
        client.post(f"{base}/exercises/{exercise.id}/delete", data={"csrf_token": token}).status_code == 303
    )
    assert service.list_exercises(session, s.establishment_id) == []
    assert [
        len(_audited(session, a))
        for a in ("exercise.create", "exercise.update", "lesson.create", "lesson.delete", "exercise.delete")
    ] == [1, 1, 1, 1, 1]


def test_a_read_only_role_sees_no_form_and_cannot_post(session: Session, client: TestClient) -> None:
    s, _other, token = _setup(session, client, Role.AUDITOR)
    base = f"/e/{s.establishment_id}/continuity"
    assert f'action="{base}/services"' not in client.get(base).text
    assert 'name="copies"' not in client.get(f"{base}/applications/{s.dpi}/backup").text
    assert client.get(f"{base}/services/{s.urgences}/edit").status_code == 403
    post = client.post(
        f"{base}/services", data={"csrf_token": token, "name": "X", "rto_hours": "1", "rpo_hours": "1"}
    )
    assert post.status_code == 403


def test_a_write_refreshes_the_evidence_gaps(session: Session, client: TestClient) -> None:
    s, _other, token = _setup(session, client)
    library = get_library()
    campaign = assess_service.create_campaign(
        session, s.establishment_id, name="2026", assessed_on=date(2026, 10, 1), library=library
    )
    assess_service.record_answer(session, campaign, "CON-BIA", AnswerIn(status="level", level=5), "rssi")
    base = f"/e/{s.establishment_id}/continuity"
    # A third service without dependency nor procedure: 1/3 complete → 1, declared 5: a gap.
    client.post(
        f"{base}/services",
        data={"csrf_token": token, "name": "Pharmacie", "rto_hours": "8", "rpo_hours": "4"},
    )
    keys = {
        f.key for f in plan_service.list_findings(session, s.establishment_id, source=FindingSource.EVIDENCE)
    }
    assert keys == {"evidence:CON-BIA"}
    # The answer lowered to 2: the next write finds no gap and resolves the finding.
    assess_service.record_answer(session, campaign, "CON-BIA", AnswerIn(status="level", level=2), "rssi")
    pharmacie = service.find_service(session, s.establishment_id, "Pharmacie")
    client.post(f"{base}/services/{pharmacie.id}/delete", data={"csrf_token": token})
    assert plan_service.list_findings(session, s.establishment_id, source=FindingSource.EVIDENCE) == []


def test_the_impact_of_an_attacker_zone_on_the_page_and_the_api(
    session: Session, client: TestClient, tmp_path: Path
) -> None:
    s, _other, _token = _setup(session, client)
    base = f"/e/{s.establishment_id}/continuity"
    assert "Importez les zones réseau" in client.get(f"{base}/dependencies").text
    network_service.replace_zones(session, s.establishment_id, ZONES)
    path = tmp_path / "flux.csv"
    path.write_text(FLOWS, encoding="utf-8")
    network_service.import_firewall(session, s.establishment_id, read_firewall(path, "matrice"))
    page = client.get(f"{base}/dependencies", params={"attacker_zone": "Postes"})
    assert page.status_code == 200
    assert "Postes (0), Serveurs (1), Cœur de réseau (2)" in page.text
    assert "Urgences → DPI" in page.text and "Laboratoire → SIL → DPI" in page.text
    both = client.get(f"{base}/dependencies", params={"attacker_zone": "Postes", "zone": "Serveurs"})
    assert "la zone d&#39;un attaquant" in both.text
    unknown = client.get(f"{base}/dependencies", params={"attacker_zone": "Ailleurs"})
    assert unknown.status_code == 200 and "Rien de ce nom" in unknown.text
    user = make_user(session, "api@chu-exemple.fr", Role.RSSI, s.establishment_id)
    secret, _row = tokens.create_api_token(session, user, "tests")
    api = client.get(
        f"/api/v1/establishments/{s.establishment_id}/continuity/impact",
        params={"attacker_zone": "postes"},
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert api.status_code == 200
    body = api.json()
    assert [(z["zone"], z["hops"]) for z in body["reached_zones"]] == [
        ("Postes", 0),
        ("Serveurs", 1),
        ("Cœur de réseau", 2),
    ]
    assert sorted(body["lost_applications"]) == ["Annuaire", "DPI"]
    assert [(i["name"], i["effect"]) for i in body["services"]] == [
        ("Urgences", "stopped"),
        ("Laboratoire", "degraded"),
    ]
