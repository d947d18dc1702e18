"""The audit of an establishment on the real feed samples: results, priorities, explanations,
findings created and resolved by a rescan, and establishments kept apart."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import duckdb
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from hygie.assets import service as assets_service
from hygie.assets.models import AssetKind, ClinicalCriticality, Importer, MedicalSubtype, Patchable
from hygie.assets.schemas import AssetRecord, ImportSource, SoftwareRecord
from hygie.core.errors import NotFoundError
from hygie.core.settings import Settings
from hygie.plan.models import Finding, FindingSource, FindingStatus, Severity
from hygie.vulns import service
from hygie.vulns.feeds import service as feeds_service
from hygie.vulns.feeds.read import connect
from hygie.vulns.models import MatchBasis, MatchStatus, ResultKind, VulnResult
from hygie.vulns.ssvc import Priority
from tests.factories import make_establishment
from tests.vulns.feeds_support import EPSS_TEXT, mock_client, official_site

TODAY = date(2026, 11, 29)

# A CVE in the NVD shape with a CVSS 4.0 metric and an AND configuration (firmware on its device).
SYNTHETIC = {
    "id": "CVE-2099-1000",
    "sourceIdentifier": "test@example.org",
    "published": "2099-01-01T00:00:00.000",
    "lastModified": "2099-01-02T00:00:00.000",
    "vulnStatus": "Analyzed",
    "descriptions": [{"lang": "en", "value": "Synthetic infusion controller flaw."}],
    "metrics": {
        "cvssMetricV40": [
            {
                "source": "nvd@nist.gov",
                "type": "Primary",
                "cvssData": {
                    "version": "4.0",
                    "vectorString": "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
                    "baseScore": 9.3,
                    "baseSeverity": "CRITICAL",
                },
            }
        ]
    },
    "configurations": [
        {
            "operator": "AND",
            "nodes": [
                {
                    "operator": "OR",
                    "negate": False,
                    "cpeMatch": [
                        {
                            "vulnerable": True,
                            "criteria": "cpe:2.3:o:acme:infuso_firmware:*:*:*:*:*:*:*:*",
                            "versionEndExcluding": "3.2",
                            "matchCriteriaId": "00000000-0000-0000-0000-000000000001",
                        }
                    ],
                },
                {
                    "operator": "OR",
                    "negate": False,
                    "cpeMatch": [
                        {
                            "vulnerable": False,
                            "criteria": "cpe:2.3:h:acme:infuso:-:*:*:*:*:*:*:*",
                            "matchCriteriaId": "00000000-0000-0000-0000-000000000002",
                        }
                    ],
                },
            ],
        }
    ],
}


@pytest.fixture(scope="module")
def feeds(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A snapshot of the real samples plus one synthetic NVD record, read through DuckDB."""
    root = tmp_path_factory.mktemp("feeds")
    extra = root / "CVE-2099-1000.json"
    extra.write_text(json.dumps(SYNTHETIC), encoding="utf-8")
    epss = root / "epss_scores-current.csv.gz"
    epss.write_bytes(gzip.compress(EPSS_TEXT.encode()))
    files = {
        "kev": [shared_data / "kev" / "known_exploited_vulnerabilities.json"],
        "nvd": [*sorted((shared_data / "nvd").glob("CVE-*.json")), extra],
        "vulnrichment": [shared_data / "vulnrichment"],
        "eol": [shared_data / "endoflife" / "products"],
        "csaf": [shared_data / "csaf-icsma"],
        "epss": [epss],
    }
    result = feeds_service.ingest(files, settings=Settings(home=root / "home"))
    db = connect(result.snapshot)
    yield db
    db.close()


def record(name: str, **fields: object) -> AssetRecord:
    return AssetRecord.model_validate({"name": name, "hostname": name, **fields})


def inventory(session: Session, establishment_id: int, *records: AssetRecord) -> None:
    # A CycloneDX import, since it is the one that brings software (the CSV template lists none).
    source = ImportSource(importer=Importer.CYCLONEDX, file_name="sbom.json")
    assets_service.import_assets(session, establishment_id, list(records), source)


MIRTH = record(
    "mirth-01",
    kind=AssetKind.SERVER,
    criticality=ClinicalCriticality.SUPPORT,
    internet_exposed=True,
    software=[
        SoftwareRecord(name="Mirth Connect", cpe="cpe:2.3:a:nextgen:mirth_connect:4.4.0:*:*:*:*:*:*:*")
    ],
)
PUMP = record(
    "pompe-rea-12",
    kind=AssetKind.MEDICAL_DEVICE,
    medical_subtype=MedicalSubtype.INFUSION_PUMP,
    maker="Baxter",
    model="Spectrum Wireless Battery Module",
    firmware="16d38",
    criticality=ClinicalCriticality.LIFE_SUSTAINING,
    department="Réanimation",
    patchable=Patchable.NO,
)
WORKSTATION = record(
    "poste-w7",
    kind=AssetKind.WORKSTATION,
    os_cpe="cpe:2.3:o:microsoft:windows_7:-:sp1:*:*:*:*:*:*",
    software=[
        SoftwareRecord(name="log4j-core", purl="pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"),
    ],
)
INFUSO = record("infuso-3", kind=AssetKind.MEDICAL_DEVICE, maker="ACME", model="Infuso", firmware="3.1")


def results_by(session: Session, establishment_id: int) -> dict[tuple[str, str], VulnResult]:
    rows = service.list_results(session, establishment_id)
    return {
        (r.explanation["match"]["basis"] and _asset_name(session, r), r.cve_id or r.eol_cycle or ""): r
        for r in rows
    }


def _asset_name(session: Session, row: VulnResult) -> str:
    return assets_service.get_asset(session, row.establishment_id, row.asset_id).name


def test_scan_matches_prioritises_and_explains(session: Session, feeds: duckdb.DuckDBPyConnection) -> None:
    hospital = make_establishment(session)
    inventory(session, hospital.id, MIRTH, PUMP, WORKSTATION, INFUSO)
    report = service.scan(session, hospital.id, db=feeds, today=TODAY)
    found = results_by(session, hospital.id)
    mirth = found[("mirth-01", "CVE-2023-43208")]
    assert (mirth.status, mirth.basis, mirth.kev) == (MatchStatus.AFFECTED, MatchBasis.NVD, True)
    # active (KEV) / yes / total / medium → Act.
    assert mirth.priority is Priority.ACT
    assert mirth.cvss3 == 9.8 and mirth.epss == 0.94316
    points = {p["name"]: p for p in mirth.explanation["ssvc"]["points"]}
    assert points["Exploitation"]["source"] == "kev"
    assert mirth.explanation["match"]["reason"] == "version 4.4.0 in <4.4.1"
    assert mirth.explanation["actions"] == ["patch", "remove_exposure"]

    pump = found[("pompe-rea-12", "CVE-2022-26390")]
    assert pump.status is MatchStatus.AFFECTED
    assert pump.explanation["match"]["context"][0]["criteria"].startswith("cpe:2.3:h:baxter:")
    # An unpatchable life-sustaining pump: compensating actions, never "patch".
    assert pump.explanation["actions"] == ["isolate", "restrict_access", "ask_maker"]
    mission = {p["name"]: p["value"] for p in pump.explanation["ssvc"]["points"]}
    assert mission["Mission & Well-being"] == "high"

    # KEV, no Vulnrichment record: automatable and impact from CVSS (AV:N/PR:N/UI:N, C/I/A:H) → Act.
    bluekeep = found[("poste-w7", "CVE-2019-0708")]
    assert bluekeep.priority is Priority.ACT
    assert [p["source"] for p in bluekeep.explanation["ssvc"]["points"][:3]] == ["kev", "cvss", "cvss"]
    log4j = found[("poste-w7", "CVE-2021-44228")]
    assert (log4j.basis, log4j.component) == (
        MatchBasis.PURL,
        "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
    )
    eol = found[("poste-w7", "7-sp1")]
    assert (eol.kind, eol.eol_product, eol.eol_date) == (ResultKind.EOL, "windows", date(2020, 1, 14))

    infuso = found[("infuso-3", "CVE-2099-1000")]
    assert infuso.cvss4 == 9.3 and infuso.explanation["scores"]["cvss4"]["label"] == "CVSS-B"

    assert report.results == len(found) and report.new == len(found) and report.gone == 0
    assert [r.kind for r in service.obsolete(session, hospital.id)] == [ResultKind.EOL]
    assert {r.cve_id for r in service.list_results(session, hospital.id, kev=True)} >= {
        "CVE-2023-43208",
        "CVE-2019-0708",
        "CVE-2021-44228",
    }
    assert [r.priority for r in service.list_results(session, hospital.id, priorities=[Priority.ACT])] == [
        Priority.ACT
    ] * len([r for r in found.values() if r.priority is Priority.ACT])


def test_findings_follow_the_results_and_a_rescan_resolves_them(
    session: Session, feeds: duckdb.DuckDBPyConnection
) -> None:
    hospital = make_establishment(session)
    inventory(session, hospital.id, MIRTH, PUMP)
    service.scan(session, hospital.id, db=feeds, today=TODAY)
    findings = {
        f.key: f
        for f in session.scalars(
            select(Finding).where(
                Finding.establishment_id == hospital.id, Finding.source == FindingSource.VULNERABILITY
            )
        )
    }
    mirth = service.list_results(session, hospital.id, priorities=[Priority.ACT])[0]
    finding = findings[mirth.key]
    assert finding.severity is Severity.CRITICAL
    assert finding.control_ids == ["TEC-PATCH", "TEC-EXPOSURE"]
    assert finding.evidence["sla_days"] == 7
    pump_key = next(k for k in findings if k.startswith("cve:CVE-2022-26390@"))
    assert findings[pump_key].control_ids == ["TEC-PATCH", "TEC-BIOMED"]
    assert findings[pump_key].care_services == ["Réanimation"]
    first_seen = mirth.first_seen

    # Mirth upgraded to 4.4.1; the pump's firmware changed to one the catalogue cannot order.
    inventory(
        session,
        hospital.id,
        MIRTH.model_copy(
            update={
                "software": [
                    SoftwareRecord(name="Mirth", cpe="cpe:2.3:a:nextgen:mirth_connect:4.4.1:*:*:*:*:*:*:*")
                ]
            }
        ),
        PUMP.model_copy(update={"firmware": "20d30"}),
    )
    report = service.scan(session, hospital.id, db=feeds, today=TODAY)
    session.expire_all()
    assert report.gone >= 1
    assert session.get(Finding, finding.id).status is FindingStatus.RESOLVED  # type: ignore[union-attr]
    pump = next(r for r in service.list_results(session, hospital.id) if r.cve_id == "CVE-2022-26390")
    assert pump.status is MatchStatus.NEEDS_REVIEW
    assert "cannot be compared" in pump.explanation["match"]["reason"]
    assert pump.explanation["actions"][0] == "verify"
    assert session.get(Finding, findings[pump_key].id).status is FindingStatus.OPEN  # type: ignore[union-attr]
    assert report.needs_review >= 1
    # Found again: same row, same first_seen.
    service.scan(session, hospital.id, db=feeds, today=TODAY)
    again = next(r for r in service.list_results(session, hospital.id) if r.cve_id == "CVE-2022-26390")
    assert again.id == pump.id and again.first_seen == pump.first_seen
    assert first_seen is not None


def test_establishments_are_kept_apart(session: Session, feeds: duckdb.DuckDBPyConnection) -> None:
    first, second = make_establishment(session), make_establishment(session)
    inventory(session, first.id, MIRTH)
    inventory(session, second.id, WORKSTATION)
    service.scan(session, first.id, db=feeds, today=TODAY)
    service.scan(session, second.id, db=feeds, today=TODAY)
    mine = service.list_results(session, first.id)
    assert {r.cve_id for r in mine} == {"CVE-2023-43208"}
    assert "CVE-2023-43208" not in {r.cve_id for r in service.list_results(session, second.id)}
    # Rescanning the second establishment with an empty inventory does not touch the first.
    with pytest.raises(NotFoundError):
        service.get_result(session, second.id, mine[0].id)
    assert service.get_result(session, first.id, mine[0].id).id == mine[0].id
    findings = session.scalars(select(Finding).where(Finding.establishment_id == first.id)).all()
    assert {f.key for f in findings} == {mine[0].key}


def test_cve_facts_name_the_cert_fr_bulletins(feeds_settings: Settings, shared_data: Path) -> None:
    feeds_service.update(["certfr"], client=mock_client(official_site(shared_data)))
    with connect() as db:
        facts = service.cve_facts(db, ["CVE-2024-3400", "CVE-2023-43208", "CVE-2099-0001"])
    assert [(b["reference"], b["kind"]) for b in facts["CVE-2024-3400"].certfr] == [
        ("CERTFR-2024-ALE-006", "alerte")
    ]
    assert facts["CVE-2024-3400"].certfr_alert == "CERTFR-2024-ALE-006"
    assert [b["reference"] for b in facts["CVE-2023-43208"].certfr] == ["CERTFR-2024-AVI-0420"]
    assert facts["CVE-2023-43208"].certfr_alert is None and facts["CVE-2099-0001"].certfr == []
