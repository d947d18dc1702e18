"""The statistical detectors on the "Precursor signals" page: the signals at a glance, the translated
title and the explanation of an alert."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from hygie.core.settings import Settings
from hygie.detect import detectors
from hygie.org.models import Role
from tests.detect.detectors.helpers import NOW, at, event, write
from tests.factories import make_establishment
from tests.web.conftest import login, make_user


def test_signals_at_a_glance_and_explanation(session: Session, client: TestClient, store: Settings) -> None:
    establishment = make_establishment(session)
    make_user(session, role=Role.RSSI, establishment_id=establishment.id)
    privileged = [
        event(at(22, 10, i), host="DC1", channel="Security", code=4672, user="adm-x") for i in range(2)
    ]
    write(store, establishment.id, "evtx", privileged)
    outcomes = detectors.run_all(session, establishment.id, store, now=NOW)
    [alert_id] = [i for o in outcomes for i in o.alert_ids]
    login(client)

    page = client.get(f"/e/{establishment.id}/alerts").text
    for label in ("Courriels suspects", "Ralentissements inhabituels", "Accès inconnus ou inhabituels",
                  "Sauvegardes en échec ou non testées", "Comportements de rançongiciel"):  # fmt: skip
        assert label in page
    assert "<h2 id=\"glance-title\">Les signaux d'un coup d'œil</h2>" in page
    # French: 0 and 1 take the singular
    assert page.count('0 <span class="muted">alerte ouverte') == 4
    assert page.count('1 <span class="muted">alerte ouverte') == 1
    assert "Alertes cette semaine : 1, la semaine précédente : 0" in page
    assert "Connexion privilégiée hors des heures ouvrées" in page

    detail = client.get(f"/e/{establishment.id}/alerts/{alert_id}").text
    assert "<h1>Connexion privilégiée hors des heures ouvrées</h1>" in detail
    assert "Pourquoi cette alerte" in detail
    assert "2 connexions privilégiées de adm-x sur DC1 à partir du 22/02/2026 11:00" in detail
    # Times in the establishment's zone, as the explanation gives them (10:00 UTC is 11:00 in Paris).
    assert "<dd>2026-02-22 11:00:00 (Europe/Paris)</dd>" in detail
    assert "<td>2026-02-22 11:00:00</td>" in detail
    assert "<td>2026-02-22 11:01</td>" in page
