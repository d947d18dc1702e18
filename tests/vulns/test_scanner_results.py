"""A vulnerability scanner's findings (OpenVAS reports in the inventory) as results of the audit:
CVE results merged with the feeds' matches, scanner-check results, their SSVC priorities, their
explanations in words, the findings of the plan, and a newer report resolving what it no longer lists."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from hygie.assets import service as assets_service
from hygie.assets.importers import read_file
from hygie.assets.models import AssetKind, ClinicalCriticality, Importer
from hygie.assets.schemas import AssetRecord, ImportSource, ScanFindingRecord, SoftwareRecord
from hygie.cli.common import console
from hygie.cli.main import app
from hygie.core.settings import Settings
from hygie.plan.models import Finding, FindingSource, FindingStatus, Severity
from hygie.vulns import scanner, service
from hygie.vulns.feeds import service as feeds_service
from hygie.vulns.feeds.read import connect
from hygie.vulns.labels import explain, subject
from hygie.vulns.matching.engine import Match
from hygie.vulns.models import MatchBasis, MatchStatus, ResultKind, VulnResult
from hygie.vulns.ssvc import Priority
from tests.factories import make_establishment
from tests.vulns.feeds_support import EPSS_TEXT

TODAY = date(2026, 11, 29)
SEEN = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
BACKDOOR = "1.3.6.1.4.1.25623.1.0.103549"
TLS = "1.3.6.1.4.1.25623.1.0.117274"
VECTOR = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"


@pytest.fixture(scope="module")
def feeds(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    root = tmp_path_factory.mktemp("feeds")
    epss = root / "epss_scores-current.csv.gz"
    epss.write_bytes(gzip.compress(EPSS_TEXT.encode()))
    files = {
        "kev": [shared_data / "kev" / "known_exploited_vulnerabilities.json"],
        "nvd": sorted((shared_data / "nvd").glob("CVE-*.json")),
        "vulnrichment": [shared_data / "vulnrichment"],
        "epss": [epss],
    }
    result = feeds_service.ingest(files, settings=Settings(home=root / "home"))
    db = connect(result.snapshot)
    yield db
    db.close()


def finding(oid: str, name: str, port: str, severity: float, **fields: object) -> ScanFindingRecord:
    return ScanFindingRecord.model_validate(
        {"nvt_oid": oid, "name": name, "port": port, "severity": severity, **fields}
    )


MIRTH_CVE = finding(
    "1.3.6.1.4.1.25623.1.0.900001", "Mirth Connect RCE", "8443/tcp", 9.8, cves=("CVE-2023-43208",), qod=80
)
INGRESLOCK = finding(
    BACKDOOR,
    "Possible Backdoor: Ingreslock",
    "1524/tcp",
    10.0,
    qod=99,
    solution_type="Workaround",
    solution="Remove the backdoor and reinstall the system.",
)
LOG = finding("1.3.6.1.4.1.25623.1.0.10330", "Services", "80/tcp", 0.0, threat="Log", qod=80)
LOG4J = finding(
    "1.3.6.1.4.1.25623.1.0.900002", "Log4Shell", "8080/tcp", 10.0, cves=("CVE-2021-44228",), qod=95
)
WEAK_TLS = finding(TLS, "Weak TLS", "443/tcp", 7.5, cvss_vector=VECTOR, qod=98, solution_type="Mitigation")
DOUBTFUL = finding(
    "1.3.6.1.4.1.25623.1.0.900003", "Maybe old SSH", "22/tcp", 5.0, qod=50, solution_type="WillNotFix"
)


def scanned(name: str, *findings: ScanFindingRecord, **fields: object) -> AssetRecord:
    return AssetRecord.model_validate(
        {"hostname": name, "observed_at": SEEN, "scan_findings": list(findings), **fields}
    )


def inventory(session: Session, establishment_id: int, *records: AssetRecord) -> None:
    mirth = AssetRecord(
        name="mirth-01",
        hostname="mirth-01",
        kind=AssetKind.SERVER,
        criticality=ClinicalCriticality.SUPPORT,
        internet_exposed=True,
        software=[
            SoftwareRecord(name="Mirth Connect", cpe="cpe:2.3:a:nextgen:mirth_connect:4.4.0:*:*:*:*:*:*:*")
        ],
    )
    lab = AssetRecord(name="labo-01", hostname="labo-01", criticality=ClinicalCriticality.NONE)
    icu = AssetRecord(
        name="rea-01", hostname="rea-01", department="Réanimation", criticality=ClinicalCriticality.SUPPORT
    )
    sbom = ImportSource(importer=Importer.CYCLONEDX, file_name="sbom.json")
    assets_service.import_assets(session, establishment_id, [mirth, lab, icu], sbom)
    report = ImportSource(importer=Importer.OPENVAS, file_name="openvas.xml")
    assets_service.import_assets(session, establishment_id, list(records), report)


def by_key(session: Session, establishment_id: int) -> dict[tuple[str, str], VulnResult]:
    names = {a.id: a.name for a in assets_service.list_assets(session, establishment_id)}
    return {
        (names[r.asset_id], r.cve_id or r.nvt_oid or ""): r
        for r in service.list_results(session, establishment_id)
    }


@pytest.fixture
def audited(
    session: Session, feeds: duckdb.DuckDBPyConnection
) -> tuple[int, dict[tuple[str, str], VulnResult]]:
    hospital = make_establishment(session)
    inventory(
        session,
        hospital.id,
        scanned("mirth-01", MIRTH_CVE, INGRESLOCK, LOG, LOG4J),
        scanned("labo-01", WEAK_TLS, DOUBTFUL),
        scanned("rea-01", WEAK_TLS),
    )
    service.scan(session, hospital.id, db=feeds, today=TODAY)
    return hospital.id, by_key(session, hospital.id)


def points(result: VulnResult) -> dict[str, tuple[str, str]]:
    return {p["name"]: (p["value"], p["source"]) for p in result.explanation["ssvc"]["points"]}


def test_a_cve_both_found_is_one_result_with_both_bases(
    audited: tuple[int, dict[tuple[str, str], VulnResult]],
) -> None:
    _, found = audited
    mirth = found[("mirth-01", "CVE-2023-43208")]
    assert (mirth.kind, mirth.basis, mirth.status) == (ResultKind.CVE, MatchBasis.NVD, MatchStatus.AFFECTED)
    assert mirth.explanation["match"]["bases"] == ["nvd", "scanner"]
    assert [s["port"] for s in mirth.explanation["match"]["scanner"]] == ["8443/tcp"]
    assert mirth.explanation["match"]["reason"] == "version 4.4.0 in <4.4.1"  # the feed's match kept
    assert mirth.priority is Priority.ACT and mirth.kev  # KEV, as without the scanner
    assert points(mirth)["Exploitation"] == ("active", "kev")


def test_a_cve_only_the_scanner_found_takes_the_feeds_facts(
    audited: tuple[int, dict[tuple[str, str], VulnResult]],
) -> None:
    _, found = audited
    log4j = found[("mirth-01", "CVE-2021-44228")]
    assert (log4j.kind, log4j.basis, log4j.status) == (
        ResultKind.CVE,
        MatchBasis.SCANNER,
        MatchStatus.AFFECTED,
    )
    assert log4j.kev and log4j.epss == 0.94358  # KEV and EPSS apply as to an NVD match
    assert points(log4j)["Exploitation"] == ("active", "kev")
    assert log4j.priority is Priority.ACT
    assert log4j.component == "8080/tcp"


def test_a_check_without_cve_is_prioritised_from_what_the_scanner_saw(
    audited: tuple[int, dict[tuple[str, str], VulnResult]],
) -> None:
    _, found = audited
    door = found[("mirth-01", BACKDOOR)]
    assert (door.kind, door.basis, door.cve_id, door.nvt_oid) == (
        ResultKind.SCANNER,
        MatchBasis.SCANNER,
        None,
        BACKDOOR,
    )
    assert subject(door) == "Possible Backdoor: Ingreslock"
    # Verified on the host (QoD 99) → public poc; no vector → automatable "no" (not assessed);
    # severity 10.0 → total; a support server → medium. Table: Track*; the internet reaches it → Attend.
    assert points(door)["Exploitation"] == ("public poc", "scanner:verified")
    assert points(door)["Automatable"] == ("no", "default:not assessed")
    assert points(door)["Technical Impact"] == ("total", "scanner:severity")
    assert points(door)["Mission & Well-being"][0] == "medium"
    assert door.explanation["ssvc"]["table_outcome"] == "track*" and door.priority is Priority.ATTEND
    assert door.explanation["actions"] == ["mitigate", "remove_exposure"]  # its solution is a workaround
    assert door.cvss3 is None and not door.kev

    # The same check with a CVSS vector: not verified (QoD 98) → none; AV:N/PR:N/UI:N → yes; C/I/A:H → total.
    lab, icu = found[("labo-01", TLS)], found[("rea-01", TLS)]
    assert points(lab)["Exploitation"] == ("none", "default:not assessed")
    assert points(lab)["Automatable"] == ("yes", "cvss") and points(lab)["Technical Impact"] == (
        "total",
        "cvss",
    )
    assert lab.cvss3 == 9.8
    assert lab.priority is Priority.TRACK  # no clinical role → low
    assert icu.priority is Priority.ATTEND  # intensive care → high, automatable → Attend
    assert points(icu)["Mission Prevalence"] == ("essential", "asset:department")
    assert lab.explanation["actions"] == ["mitigate"]

    doubt = found[("labo-01", DOUBTFUL.nvt_oid)]
    assert doubt.status is MatchStatus.NEEDS_REVIEW  # QoD 50, under Greenbone's 70
    assert points(doubt)["Technical Impact"] == ("partial", "scanner:severity")
    assert doubt.priority is Priority.TRACK
    assert doubt.explanation["actions"] == ["verify", "restrict_access"]  # the maker will not fix it


def test_log_entries_are_not_results(audited: tuple[int, dict[tuple[str, str], VulnResult]]) -> None:
    _, found = audited
    assert ("mirth-01", LOG.nvt_oid) not in found
    scanner_keys = {k for k, r in found.items() if MatchBasis.SCANNER in (r.basis,) or r.nvt_oid}
    assert scanner_keys == {
        ("mirth-01", "CVE-2021-44228"),
        ("mirth-01", BACKDOOR),
        ("labo-01", TLS),
        ("labo-01", DOUBTFUL.nvt_oid),
        ("rea-01", TLS),
    }


def test_scanner_results_are_findings_of_the_plan_and_a_newer_report_resolves_them(
    session: Session, feeds: duckdb.DuckDBPyConnection, audited: tuple[int, dict[tuple[str, str], VulnResult]]
) -> None:
    establishment_id, found = audited
    door = found[("mirth-01", BACKDOOR)]
    findings = {
        f.key: f
        for f in session.scalars(
            select(Finding).where(
                Finding.establishment_id == establishment_id, Finding.source == FindingSource.VULNERABILITY
            )
        )
    }
    plan = findings[door.key]
    assert door.key.startswith("scanner:1.3.6.1.4.1.25623.1.0.103549@")
    assert plan.title == "Possible Backdoor: Ingreslock — mirth-01"
    assert plan.severity is Severity.HIGH and plan.evidence["sla_days"] == 30
    assert plan.evidence["nvt_oid"] == BACKDOOR and plan.evidence["bases"] == ["scanner"]
    assert plan.control_ids == ["TEC-PATCH", "TEC-EXPOSURE"]
    doubt = findings[found[("labo-01", DOUBTFUL.nvt_oid)].key]
    assert doubt.severity is Severity.LOW  # Track (low), needs review: never below low

    # The backdoor is gone from the next report of the host.
    later = ImportSource(importer=Importer.OPENVAS, file_name="openvas-2.xml")
    newer = scanned("mirth-01", MIRTH_CVE, LOG4J).model_copy(
        update={"observed_at": datetime(2026, 11, 28, tzinfo=UTC)}
    )
    assets_service.import_assets(session, establishment_id, [newer], later)
    report = service.scan(session, establishment_id, db=feeds, today=TODAY)
    session.expire_all()
    assert report.gone == 1
    assert session.get(Finding, plan.id).status is FindingStatus.RESOLVED  # type: ignore[union-attr]
    assert ("mirth-01", BACKDOOR) not in by_key(session, establishment_id)


def test_explain_tells_the_scanners_part(
    session: Session, audited: tuple[int, dict[tuple[str, str], VulnResult]]
) -> None:
    _, found = audited
    door = found[("mirth-01", BACKDOOR)]
    english = explain(door, "mirth-01", "en")
    assert (
        english[0]
        == "Possible Backdoor: Ingreslock on mirth-01: affected, found through vulnerability scan (OpenVAS)."
    )
    assert (
        "Scanner check Possible Backdoor: Ingreslock (1.3.6.1.4.1.25623.1.0.103549) on 1524/tcp: "
        "severity 10.0, quality of detection 99 %."
    ) in english
    assert "The scanner's solution (Workaround): Remove the backdoor and reinstall the system." in english
    assert (
        "Exploitation: public proof of concept — the scanner proved it on the asset "
        "(quality of detection 99 % or more)" in english
    )
    assert "Technical impact: total — from the scanner's severity (total from 9.0)" in english
    assert "CISA coordinator decision table: Track*." in english
    assert "Raised to Attend because the internet reaches it." in english
    assert "→ Apply the mitigation the scanner gives (configuration, workaround)" in english
    french = explain(door, "mirth-01", "fr")
    assert french[0] == (
        "Possible Backdoor: Ingreslock sur mirth-01 : concerné, trouvé par scan de vulnérabilités (OpenVAS)."
    )
    assert any(line.startswith("Test du scanner Possible Backdoor: Ingreslock") for line in french)

    both = explain(found[("mirth-01", "CVE-2023-43208")], "mirth-01", "en")
    assert "Found through NVD configuration, vulnerability scan (OpenVAS): one result." in both
    assert any(line.startswith("Scanner check Mirth Connect RCE") for line in both)


def test_a_real_report_end_to_end(session: Session, shared_data: Path) -> None:
    """many_vuln.xml: 44 results on one host, 46 distinct CVEs among them and 19 checks without CVE
    (counted in the file), audited without any feed."""
    hospital = make_establishment(session)
    parsed = read_file(shared_data / "scans" / "openvas" / "many_vuln.xml")
    assets_service.import_assets(session, hospital.id, parsed.records, parsed.source)
    db = duckdb.connect()
    try:
        report = service.scan(session, hospital.id, db=db, today=TODAY)
    finally:
        db.close()
    results = service.list_results(session, hospital.id)
    assert report.results == len(results) == 65
    assert sum(1 for r in results if r.kind is ResultKind.CVE) == 46
    assert sum(1 for r in results if r.kind is ResultKind.SCANNER) == 19
    assert {r.basis for r in results} == {MatchBasis.SCANNER}
    # Brute-forced FTP logins on 21/tcp and 2121/tcp: one result for the check's CVE, both ports.
    ftp = next(r for r in results if r.cve_id == "CVE-1999-0501")
    assert ftp.component == "21/tcp, 2121/tcp"


def test_cli_lists_and_explains_scanner_results(
    hygie_home: Path, shared_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(console, "width", 220)
    runner = CliRunner()

    def run(*args: str) -> str:
        result = runner.invoke(app, list(args))
        assert result.exit_code == 0, result.output
        return result.output

    run("establishments", "add", "--name", "CH Test", "--finess", "750803447", "--kind", "ch")
    feeds_service.ingest({"kev": [shared_data / "kev" / "known_exploited_vulnerabilities.json"]})
    run("assets", "import", "750803447", str(shared_data / "scans" / "openvas" / "many_vuln.xml"))
    assert "65 résultat(s)" in run("vulns", "scan", "750803447")
    listed = json.loads(run("vulns", "list", "750803447", "--json"))
    door = next(r for r in listed if r["nvt_oid"] == "1.3.6.1.4.1.25623.1.0.103549")
    assert (door["kind"], door["basis"], door["cve"]) == ("scanner", "scanner", None)
    assert "Possible Backdoor: Ingreslock" in run("vulns", "list", "750803447")
    words = run("vulns", "explain", "750803447", str(door["id"]), "--lang", "en")
    assert "Possible Backdoor: Ingreslock on b6b9f466d63: affected, found through vulnerability scan" in words
    assert "Scanner check Possible Backdoor: Ingreslock (1.3.6.1.4.1.25623.1.0.103549) on 1524/tcp" in words


def test_the_scanner_settles_a_match_that_needed_review() -> None:
    feed = Match(asset_id=1, kind="cve", basis="nvd", status="needs_review", cve_id="CVE-2024-0001")
    seen = Match(
        asset_id=1,
        kind="cve",
        basis="scanner",
        status="affected",
        cve_id="CVE-2024-0001",
        details={"name": "x", "bases": ["scanner"], "scanner": [{"port": "80/tcp"}]},
    )
    other = Match(asset_id=2, kind="cve", basis="scanner", status="needs_review", cve_id="CVE-2024-0001")
    merged = scanner.merge([feed], [seen, other])
    assert merged == [feed, other]  # one per asset and CVE
    assert feed.status == "affected" and feed.details["confirmed_by_scanner"] is True
    assert feed.details["bases"] == ["nvd", "scanner"] and feed.details["scanner"] == [{"port": "80/tcp"}]
