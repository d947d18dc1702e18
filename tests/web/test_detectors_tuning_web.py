"""The statistical detectors' tuning and working hours from the web: the API (entity exclusions, working
hours GET/PUT with 422 naming the field, isolation) and the "Detection rules" page's forms, whose working
hours the off-hours detector then uses."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from hygie.core.settings import Settings
from hygie.detect import detectors, service, tuning
from hygie.detect.detectors import config
from hygie.detect.models import AlertLevel, EntityField, TuningKind
from hygie.org import accounts, audit, tokens
from hygie.org.models import Role
from tests.detect.detectors.helpers import NOW, at, event, write
from tests.factories import make_establishment
from tests.web.conftest import audit_actions, csrf_from, login, make_user

MASS = "hygie-stat-mass-file-writes"
OFF_HOURS = "hygie-stat-offhours-admin"


def _bearer(session: Session, client: TestClient, email: str) -> None:
    secret, _row = tokens.create_api_token(session, accounts.find_user(session, email), "tests")
    client.headers["Authorization"] = f"Bearer {secret}"


def _fields(response: object) -> list[str]:
    body = response.json()  # type: ignore[attr-defined]
    return [d.get("field") for d in body["error"].get("details") or []]


def test_api_working_hours_round_trip_and_errors(session: Session, client: TestClient) -> None:
    est, other = make_establishment(session), make_establishment(session)
    user = make_user(session, role=Role.RSSI, establishment_id=est.id)
    _bearer(session, client, user.email)
    url = f"/api/v1/establishments/{est.id}/detection/working-hours"

    assert client.get(url).json() == {
        "timezone": "Europe/Paris",
        "start": 7,
        "end": 20,
        "days": [1, 2, 3, 4, 5],
    }
    saved = client.put(url, json={"timezone": "Indian/Reunion", "start": 6, "end": 18, "days": [6, 1, 2, 2]})
    assert saved.status_code == 200, saved.text
    expected = {"timezone": "Indian/Reunion", "start": 6, "end": 18, "days": [1, 2, 6]}
    assert saved.json() == expected and client.get(url).json() == expected
    hours = config.working_hours(session, est.id)
    assert (hours.timezone, hours.start, hours.end, hours.days) == ("Indian/Reunion", 6, 18, (0, 1, 5))

    good = {"timezone": "Europe/Paris", "start": 7, "end": 20, "days": [1, 2, 3, 4, 5]}
    for change, field in (
        ({"timezone": "Mars/Olympus"}, "body.timezone"),
        ({"timezone": "../../etc/passwd"}, "body.timezone"),
        ({"timezone": "Europe"}, "body.timezone"),  # a folder of zones: OSError from ZoneInfo
        ({"timezone": "localtime"}, "body.timezone"),  # the machine's zone: DuckDB and Spark know it not
        ({"start": 24}, "body.start"),
        ({"end": 25}, "body.end"),
        ({"days": []}, "body.days"),
        ({"days": [0, 1]}, "body.days"),
        ({"days": [8]}, "body.days"),
    ):
        refused = client.put(url, json=good | change)
        assert refused.status_code == 422 and field in _fields(refused), (change, refused.text)
    backwards = client.put(url, json=good | {"start": 20, "end": 8})
    assert backwards.status_code == 422
    assert backwards.json()["error"]["message"] == "end: 8 must come after start 20"
    assert client.put(url, json=good | {"lunch": 12}).status_code == 422
    assert client.get(url).json() == expected  # nothing refused was stored

    foreign = f"/api/v1/establishments/{other.id}/detection/working-hours"
    assert client.get(foreign).status_code == 404
    assert client.put(foreign, json=good).status_code == 404
    assert config.working_hours(session, other.id) == config.DEFAULT_HOURS
    assert audit_actions(session, est.id) == ["detection.working_hours"]
    entry = audit.list_entries(session, establishment_ids={est.id})[0]
    assert entry.details == expected


def test_api_working_hours_are_read_only_for_an_auditor(session: Session, client: TestClient) -> None:
    est = make_establishment(session)
    user = make_user(session, role=Role.AUDITOR, establishment_id=est.id)
    _bearer(session, client, user.email)
    url = f"/api/v1/establishments/{est.id}/detection/working-hours"
    assert client.get(url).status_code == 200
    body = {"timezone": "Europe/Paris", "start": 0, "end": 24, "days": [1, 2, 3, 4, 5, 6, 7]}
    assert client.put(url, json=body).status_code == 403
    assert config.working_hours(session, est.id) == config.DEFAULT_HOURS


def test_api_detector_tunings(session: Session, client: TestClient) -> None:
    est, other = make_establishment(session), make_establishment(session)
    user = make_user(session, role=Role.RSSI, establishment_id=est.id)
    _bearer(session, client, user.email)
    base = f"/api/v1/establishments/{est.id}/rule-tunings"

    created = client.post(
        base + "/entity-exclusions",
        json={"field": "host", "value": "SRV-BACKUP01", "rule_id": MASS, "reason": "sauvegarde de nuit"},
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["kind"], body["rule_id"], body["entity_field"], body["entity_value"]) == (
        "entity",
        MASS,
        "host",
        "SRV-BACKUP01",
    )
    everywhere = client.post(base + "/entity-exclusions", json={"field": "user", "value": "adm-astreinte"})
    assert everywhere.status_code == 201 and everywhere.json()["rule_id"] == "any"
    assert client.post(base + "/disabled", json={"rule_id": "hygie-stat-cpu"}).status_code == 201
    assert client.post(base + "/levels", json={"rule_id": OFF_HOURS, "level": "high"}).status_code == 201

    bad_field = client.post(base + "/entity-exclusions", json={"field": "Computer", "value": "X"})
    assert bad_field.status_code == 422 and "body.field" in _fields(bad_field)
    sigma = client.post(
        base + "/entity-exclusions", json={"field": "host", "value": "X", "rule_id": "proc_x"}
    )
    assert sigma.status_code == 422 and sigma.json()["error"]["message"].startswith("rule: 'proc_x' is not")
    misspelt = client.post(base + "/disabled", json={"rule_id": "hygie-stat-cpuu"})
    assert misspelt.status_code == 422 and "hygie-stat-cpu," in misspelt.json()["error"]["message"]
    foreign = f"/api/v1/establishments/{other.id}/rule-tunings/entity-exclusions"
    assert client.post(foreign, json={"field": "host", "value": "X"}).status_code == 404

    items = tuning.list_tunings(session, est.id)
    assert [(t.kind, t.rule_id, t.entity_field) for t in items] == [
        (TuningKind.ENTITY, MASS, EntityField.HOST),
        (TuningKind.ENTITY, "any", EntityField.USER),
        (TuningKind.DISABLE, "hygie-stat-cpu", None),
        (TuningKind.LEVEL, OFF_HOURS, None),
    ]
    assert tuning.list_tunings(session, other.id) == []
    assert audit_actions(session, est.id) == [
        "rule.exclude_entity",
        "rule.exclude_entity",
        "rule.disable",
        "rule.level",
    ]


def test_page_tunes_the_detectors(session: Session, client: TestClient, store: Settings) -> None:
    est = make_establishment(session)
    make_user(session, role=Role.RSSI, establishment_id=est.id)
    login(client)
    # From a detector alert's link: the detectors' form is prefilled, the Sigma form is not.
    page = client.get(f"/e/{est.id}/rules?rule={OFF_HOURS}&user=adm-astreinte")
    assert page.status_code == 200 and "style=" not in page.text
    assert '<h2 id="detectors-title">Détecteurs statistiques</h2>' in page.text
    assert "Écritures ou renommages massifs de fichiers" in page.text and MASS in page.text
    assert f'<option value="{OFF_HOURS}" selected>' in page.text
    assert '<option value="user" selected>utilisateur</option>' in page.text
    assert (
        'value="adm-astreinte"' in page.text
        and 'id="sigma-rule" name="rule_id" maxlength="100" value=""' in page.text
    )
    token = csrf_from(page.text)

    added = client.post(
        f"/e/{est.id}/rules/entity-exclusions",
        data={
            "csrf_token": token,
            "rule_id": MASS,
            "field": "host",
            "value": "SRV-BACKUP01",
            "reason": "nuit",
        },
    )
    assert added.status_code == 303 and added.headers["location"] == f"/e/{est.id}/rules#detectors-title"
    client.post(f"/e/{est.id}/rules/disabled", data={"csrf_token": token, "rule_id": "hygie-stat-cpu"})
    client.post(
        f"/e/{est.id}/rules/levels", data={"csrf_token": token, "rule_id": OFF_HOURS, "level": "high"}
    )
    refused = client.post(
        f"/e/{est.id}/rules/entity-exclusions",
        data={"csrf_token": token, "rule_id": "proc_x", "field": "host", "value": "PC-1"},
    )
    assert (
        refused.status_code == 422
        and 'id="detectors-error"' in refused.text
        and 'id="tuning-error"' not in refused.text
    )
    assert 'value="PC-1"' in refused.text  # what was typed is kept

    listed = client.get(f"/e/{est.id}/rules").text
    assert "hôte = SRV-BACKUP01" in listed and "désactivée : ne lève aucune alerte" in listed
    assert "niveau publié : moyen" in listed and ">Réactiver</button>" in listed
    assert (
        'data-confirm="Retirer cette exclusion ? Ses détections lèveront de nouveau des alertes."' in listed
    )
    assert [(t.kind, t.rule_id) for t in tuning.list_tunings(session, est.id)] == [
        (TuningKind.ENTITY, MASS),
        (TuningKind.DISABLE, "hygie-stat-cpu"),
        (TuningKind.LEVEL, OFF_HOURS),
    ]
    assert (
        listed.count('<option value="" selected>publié (') == 9
    )  # not the disabled one's, nor the override's
    # "Published": no override is stored, the one there was is removed.
    for _ in range(2):
        same = client.post(
            f"/e/{est.id}/rules/levels", data={"csrf_token": token, "rule_id": OFF_HOURS, "level": ""}
        )
        assert same.status_code == 303 and same.headers["location"] == f"/e/{est.id}/rules#detectors-title"
    assert [t.kind for t in tuning.list_tunings(session, est.id)] == [TuningKind.ENTITY, TuningKind.DISABLE]
    assert audit_actions(session, est.id)[-1] == "rule.untune"
    assert client.get(f"/e/{est.id}/rules").text.count('<option value="" selected>publié (') == 10
    # The published level chosen by name pins it (over the detector's stronger cases), as the API does.
    pinned = client.post(
        f"/e/{est.id}/rules/levels", data={"csrf_token": token, "rule_id": OFF_HOURS, "level": "medium"}
    )
    assert pinned.status_code == 303
    [pin] = tuning.list_tunings(session, est.id, TuningKind.LEVEL)
    assert (pin.rule_id, pin.level) == (OFF_HOURS, AlertLevel.MEDIUM)
    english = client.get(f"/e/{est.id}/rules?lang=en").text
    assert (
        "Statistical detectors" in english
        and "host = SRV-BACKUP01" in english
        and "> Sunday</label>" in english
    )


def test_page_working_hours_feed_the_off_hours_detector(
    session: Session, client: TestClient, store: Settings
) -> None:
    est = make_establishment(session)
    make_user(session, role=Role.RSSI, establishment_id=est.id)
    events = [
        event(
            at(22, 10), host="DC1", channel="Security", code=4672, user="adm-jdupont"
        ),  # Sunday, 11:00 Paris
        event(at(23, 6, 30), host="DC1", channel="Security", code=4672, user="adm-jdupont"),  # Monday, 7:30
    ]
    write(store, est.id, "evtx", events)

    def off_hours() -> list[str]:
        outcomes = detectors.run_all(session, est.id, store, now=NOW, only=["logons"])
        found = next(o for o in outcomes if o.detector == "off_hours_logons")
        return [d.first.isoformat() for d in found.detections]

    assert off_hours() == [at(22, 10).isoformat()]  # 7–20 h, Monday to Friday
    login(client)
    alert = service.list_alerts(session, est.id)[0]
    shown = client.get(f"/e/{est.id}/alerts/{alert.id}").text  # its links to the detectors' exclusion form
    assert f"/rules?rule={OFF_HOURS}&amp;user=adm-jdupont#detector-exclusion-title" in shown
    assert "Exclure l'utilisateur adm-jdupont de cette règle" in shown
    # The host that logged it is context: one alert per account, whatever the hosts.
    assert f"/rules?rule={OFF_HOURS}&amp;host=DC1" not in shown
    page = client.get(f"/e/{est.id}/rules")
    assert "lun., mar., mer., jeu., ven. · 7\u00a0h – 20\u00a0h · Europe/Paris" in page.text
    token = csrf_from(page.text)
    form = {"csrf_token": token, "timezone": "Europe/Paris", "start": "20", "end": "8", "days": ["0"]}
    refused = client.post(f"/e/{est.id}/rules/working-hours", data=form)
    assert refused.status_code == 422 and 'id="hours-error"' in refused.text
    assert "La fin de la journée de travail doit venir après son début." in refused.text
    assert (
        client.post(
            f"/e/{est.id}/rules/working-hours", data=form | {"start": "8", "end": "20", "days": []}
        ).status_code
        == 422
    )
    assert config.working_hours(session, est.id) == config.DEFAULT_HOURS

    every_day = [str(d) for d in range(7)]
    saved = client.post(
        f"/e/{est.id}/rules/working-hours", data=form | {"start": "8", "end": "20", "days": every_day}
    )
    assert (
        saved.status_code == 303 and saved.headers["location"] == f"/e/{est.id}/rules?saved=hours#hours-title"
    )
    shown = client.get(saved.headers["location"]).text
    assert (
        "Heures ouvrées enregistrées" in shown
        and "lun., mar., mer., jeu., ven., sam., dim. · 8\u00a0h" in shown
    )
    # 8–20 h every day: Sunday 11:00 is working time now, Monday 7:30 is not.
    assert off_hours() == [at(23, 6, 30).isoformat()]
    assert audit_actions(session, est.id) == ["detection.working_hours"]


def test_auditor_sees_the_detectors_without_forms(session: Session, client: TestClient) -> None:
    est = make_establishment(session)
    make_user(session, role=Role.AUDITOR, establishment_id=est.id)
    tuning.add_entity_exclusion(session, est.id, "host", "SRV-BACKUP01", rule_id=MASS)
    login(client)
    page = client.get(f"/e/{est.id}/rules")
    assert page.status_code == 200 and "hôte = SRV-BACKUP01" in page.text and "Heures ouvrées" in page.text
    assert "/rules/working-hours" not in page.text and "/rules/entity-exclusions" not in page.text
    assert "/delete" not in page.text
    token = csrf_from(page.text)
    denied = client.post(
        f"/e/{est.id}/rules/working-hours",
        data={"csrf_token": token, "timezone": "UTC", "start": "0", "end": "24", "days": ["6"]},
    )
    assert denied.status_code == 403 and config.working_hours(session, est.id) == config.DEFAULT_HOURS
