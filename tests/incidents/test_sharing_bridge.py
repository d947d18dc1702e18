"""The incidents' case shared as STIX 2.1, MISP and DFIR-IRIS, and indicators read back into a case."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import stix2
from pymisp import MISPEvent
from sqlalchemy.orm import Session

from hygie.core.errors import ContentError, NotFoundError, ValidationError
from hygie.demo import incidents as demo_incidents
from hygie.incidents import service, sharing
from hygie.incidents.models import IndicatorKind
from hygie.incidents.schemas import IndicatorIn
from hygie.incidents.sharing_bridge import (
    ExportFormat,
    ImportFormat,
    export_text,
    import_indicators,
    shared_case,
)
from tests.factories import make_establishment
from tests.incidents.conftest import open_ransomware

PHISHING_INDICATORS = {
    (IndicatorKind.DOMAIN, "renouvellement-dsi.com"),
    (IndicatorKind.URL, "https://renouvellement-dsi.com/owa/login"),
    (IndicatorKind.IPV4, "185.220.101.47"),
}


def _demo(session: Session) -> tuple[int, int, int]:
    establishment = make_establishment(session, name="CH de Démo", finess="750803447")
    closed, opened = demo_incidents.build(session, establishment.id)
    return establishment.id, closed, opened


def test_demo_case_maps_onto_the_shared_case(session: Session) -> None:
    establishment_id, closed_id, _ = _demo(session)
    case = service.get_case(session, establishment_id, closed_id)
    shared = shared_case(service.export_data(session, case, "fr"))
    assert shared.id == str(closed_id)
    assert shared.establishment_name == "CH de Démo"
    assert shared.establishment_finess == "750803447"
    assert shared.severity is sharing.Severity(case.severity.value)
    assert shared.status == "closed"
    assert shared.investigation_status == "closed"
    assert shared.tlp is sharing.Tlp(case.tlp)
    assert shared.determination is sharing.Determination.CONFIRMED  # the demo says malicious: yes
    got = {(i.kind.value, i.value) for i in shared.indicators}
    assert got == {
        ("domain", "renouvellement-dsi.com"),
        ("url", "https://renouvellement-dsi.com/owa/login"),
        ("ip-v4", "185.220.101.47"),
    }
    assert len(shared.timeline) == len(case.entries)
    assert shared_case(service.export_data(session, case), tlp="TLP:RED").tlp is sharing.Tlp.RED
    with pytest.raises(ValidationError, match="TLP"):
        shared_case(service.export_data(session, case), tlp="purple")


def test_demo_case_exports_validate(session: Session) -> None:
    establishment_id, closed_id, _ = _demo(session)
    export = service.export_data(session, service.get_case(session, establishment_id, closed_id))
    bundle = stix2.parse(export_text(export, ExportFormat.STIX), allow_custom=False)
    patterns = sorted(o.pattern for o in bundle.objects if o.type == "indicator")
    assert patterns == [
        "[domain-name:value = 'renouvellement-dsi.com']",
        "[ipv4-addr:value = '185.220.101.47']",
        "[url:value = 'https://renouvellement-dsi.com/owa/login']",
    ]
    event = MISPEvent()
    event.load(export_text(export, ExportFormat.MISP))
    assert {a.value for a in event.attributes} >= {"renouvellement-dsi.com", "185.220.101.47"}
    assert event.Orgc.name == "CH de Démo"
    iris = json.loads(export_text(export, ExportFormat.IRIS, lang="en"))
    assert isinstance(iris, dict)
    assert json.loads(export_text(export, ExportFormat.JSON))["case"]["id"] == closed_id


@pytest.mark.parametrize("fmt", [ExportFormat.STIX, ExportFormat.MISP])
def test_round_trip_gives_the_same_indicators(session: Session, tmp_path: Path, fmt: ExportFormat) -> None:
    establishment_id, closed_id, _ = _demo(session)
    source = service.get_case(session, establishment_id, closed_id)
    path = tmp_path / f"shared.{fmt.value}.json"
    path.write_text(export_text(service.export_data(session, source), fmt), encoding="utf-8")
    other = make_establishment(session, name="CH Voisin", finess="690000880")
    target = open_ransomware(session, other.id)
    result = import_indicators(session, target, path, "Import")
    assert {(i.kind, i.value) for i in target.indicators} == PHISHING_INDICATORS
    assert (len(result.added), result.duplicates, result.unread) == (3, 0, [])
    again = import_indicators(session, target, path, "Import", ImportFormat(fmt.value))
    assert (len(again.added), again.duplicates) == (0, 3)
    assert len(target.indicators) == 3


def test_import_lists_what_it_cannot_take(session: Session, tmp_path: Path) -> None:
    establishment = make_establishment(session)
    case = open_ransomware(session, establishment.id)
    service.add_indicator(session, case, IndicatorIn(value="10.0.0.1"), "RSSI")
    event = {
        "Event": {
            "info": "partage",
            "Attribute": [
                {"type": "ip-dst", "value": "10.0.0.1"},
                {"type": "domain", "value": "evil.example.org", "comment": "C2"},
                {"type": "md5", "value": "not-a-hash"},
                {"type": "btc", "value": "1BoatSLRtMp"},
            ],
        }
    }
    path = tmp_path / "event.json"
    path.write_text(json.dumps(event), encoding="utf-8")
    result = import_indicators(session, case, path, "RSSI")
    assert result.added == ["evil.example.org"]
    assert result.duplicates == 1
    assert sorted(u.text for u in result.unread) == ["1BoatSLRtMp", "not-a-hash"]
    (domain,) = [i for i in case.indicators if i.kind == IndicatorKind.DOMAIN]
    assert domain.comment == "C2"


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"\xff\xfe not utf-8",
        b'{"type": "bundle", "objects": ',
        b'{"hello": "world"}',
        b'{"type": "bundle", "objects": {"not": "a list"}}',
        b"[" * 100_000 + b"]" * 100_000,
    ],
)
def test_hostile_file_is_refused_and_adds_nothing(session: Session, tmp_path: Path, content: bytes) -> None:
    establishment = make_establishment(session)
    case = open_ransomware(session, establishment.id)
    path = tmp_path / "hostile.json"
    path.write_bytes(content)
    with pytest.raises(ContentError):
        import_indicators(session, case, path, "RSSI")
    assert case.indicators == []


def test_another_establishments_case_is_not_found(session: Session) -> None:
    establishment_id, closed_id, _ = _demo(session)
    other = make_establishment(session, name="CH Voisin", finess="690000880")
    with pytest.raises(NotFoundError):
        service.get_case(session, other.id, closed_id)
    assert establishment_id != other.id
