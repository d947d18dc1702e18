"""The impact of an attacker in a network zone, on the continuity set-up of ``builders`` and a flow
matrix worked out by hand.

Zones: Postes 10.10/16, Serveurs 10.1/16 (dpi-app01: the DPI), Cœur de réseau 10.3/16 (dc01: the
directory), Invités 10.50/16. Open flows: Postes → Serveurs (HTTPS), Serveurs → Cœur de réseau (LDAP).

    attacker in Postes:  Postes 0, Serveurs 1, Cœur de réseau 2 → DPI and Annuaire lost:
                         Urgences stopped (Urgences → DPI), Laboratoire degraded (SIL needs the DPI
                         in degraded mode: Laboratoire → SIL → DPI).
    attacker in Invités: nothing open from there: only itself, no asset → nothing stops.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from hygie.continuity import service
from hygie.continuity.impact import Effect
from hygie.core.errors import NotFoundError, ValidationError
from hygie.network import service as network_service
from hygie.network.importers import read_firewall
from hygie.network.models import ZoneKind
from hygie.network.schemas import ZoneIn
from tests.continuity.builders import Setup, build

ZONES = [
    ZoneIn(name="Postes", kind=ZoneKind.CLINICAL_WORKSTATIONS, networks=["10.10.0.0/16"]),
    ZoneIn(name="Serveurs", kind=ZoneKind.SERVERS, networks=["10.1.0.0/16"]),
    ZoneIn(name="Cœur de réseau", kind=ZoneKind.SERVERS, networks=["10.3.0.0/16"]),
    ZoneIn(name="Invités", kind=ZoneKind.GUEST_WIFI, networks=["10.50.0.0/16"]),
]
FLOWS = "source;destination;service;action\nPostes;Serveurs;HTTPS;allow\nServeurs;Cœur de réseau;LDAP;allow\n"


def network(session: Session, tmp_path: Path) -> Setup:
    s = build(session)
    network_service.replace_zones(session, s.establishment_id, ZONES)
    path = tmp_path / "flux.csv"
    path.write_text(FLOWS, encoding="utf-8")
    network_service.import_firewall(session, s.establishment_id, read_firewall(path, "matrice"))
    return s


def test_an_attacker_in_the_workstations_reaches_the_servers_and_the_core(
    session: Session, tmp_path: Path
) -> None:
    s = network(session, tmp_path)
    result = service.attacker_impact(session, s.establishment_id, "postes")
    assert result.zone == "Postes"
    assert result.reached == {"Postes": 0, "Serveurs": 1, "Cœur de réseau": 2}
    assert sorted(result.impact.lost_assets) == sorted([s.dpi_server, s.dc])
    assert sorted(result.impact.lost_applications) == sorted([s.dpi, s.ad])
    assert [(h.name, h.effect, h.path) for h in result.impact.services] == [
        ("Urgences", Effect.STOPPED, ("Urgences", "DPI")),
        ("Laboratoire", Effect.DEGRADED, ("Laboratoire", "SIL", "DPI")),
    ]
    # The same through impact_of, as the API and the CLI ask it.
    same = service.impact_of(session, s.establishment_id, attacker_zone="Postes")
    assert same == result.impact


def test_an_attacker_in_a_closed_zone_stops_nothing_and_an_unknown_zone_is_refused(
    session: Session, tmp_path: Path
) -> None:
    s = network(session, tmp_path)
    guest = service.attacker_impact(session, s.establishment_id, "Invités")
    assert guest.reached == {"Invités": 0} and guest.impact.services == ()
    # From the core, only the core: the directory is lost, the emergency stops through the DPI.
    core = service.attacker_impact(session, s.establishment_id, "Cœur de réseau")
    assert core.reached == {"Cœur de réseau": 0}
    assert [(h.name, h.path) for h in core.impact.services] == [
        ("Urgences", ("Urgences", "DPI", "Annuaire")),
        ("Laboratoire", ("Laboratoire", "SIL", "DPI", "Annuaire")),
    ]
    with pytest.raises(NotFoundError):
        service.attacker_impact(session, s.establishment_id, "Nulle part")
    with pytest.raises(ValidationError):
        service.impact_of(session, s.establishment_id, zone="Postes", attacker_zone="Postes")
    assert service.network_zones(session, s.establishment_id) == sorted(z.name for z in ZONES)
