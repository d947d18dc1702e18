"""TEC-SEGMENT and TEC-EXPOSURE measured from the policy check (metrics in hygie.network.evidence,
levels by the rules of controls.yaml)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from hygie.assess import evidence
from hygie.assets.schemas import AssetRecord, PortRecord
from hygie.core.time import today
from hygie.frameworks.service import get_library
from hygie.network import evidence as network_evidence
from hygie.network import service
from tests.factories import make_establishment
from tests.network.test_service import _loaded


def test_nothing_imported_measures_nothing(session: Session) -> None:
    assert network_evidence.measure(session, make_establishment(session).id, today()) == []


def test_segmentation_and_exposure_from_the_check(session: Session) -> None:
    eid = _loaded(session)
    scan = [
        AssetRecord(ips=["10.0.0.10"], ports=[PortRecord(protocol="tcp", port=443, service="https")]),
        AssetRecord(
            ips=["10.1.0.50"],
            hostname="rds01",
            ports=[PortRecord(protocol="tcp", port=3389, service="ms-wbt-server")],
        ),
    ]
    service.import_exposure(session, eid, scan, "outside.xml")
    on = today()
    read = {r.metric: r for r in network_evidence.measure(session, eid, on)}
    # The policy has 14 segmentation rules; the firewall breaks R01, R02, R09 and R11: 10/14.
    assert read["network.policy_met_share"].value == 10 / 14
    segment = read["network.policy_met_share"]
    assert segment.summary.en == "10/14 segmentation rules met; missing: R01, R02, R09, R11"
    assert segment.items[0].en.startswith("R01 ") and segment.items[0].en.endswith(": Internet → Serveurs")
    # RDP from the internet is critical; HTTPS to the DMZ is not rated.
    assert (read["network.exposed_severe"].value, read["network.exposed_medium"].value) == (1, 0)
    assert [i.en for i in read["network.exposed_severe"].items] == ["rds01 tcp/3389 (critical)"]
    measured = evidence.measured_levels(session, eid, on, get_library())
    # 10/14 = 71 % ≥ 50 % → 2; one severe exposure ≤ 1 → 2.
    assert (measured["TEC-SEGMENT"].level, measured["TEC-EXPOSURE"].level) == (2, 2)
    assert not measured["TEC-SEGMENT"].stale
    # 200 days later: TEC-SEGMENT fresh 180, 20 days beyond → -1; TEC-EXPOSURE fresh 90, 110 beyond,
    # two periods → -2.
    later = evidence.measured_levels(session, eid, on + timedelta(days=200), get_library())
    assert (later["TEC-SEGMENT"].level, later["TEC-EXPOSURE"].level) == (1, 0)
    assert later["TEC-SEGMENT"].stale and "plus de 180 jours : -1 niveau" in later["TEC-SEGMENT"].basis.fr
