"""Greenbone/OpenVAS reports into the inventory: the real samples (XML and CSV export), the merge
with an Nmap scan of the same host, a newer report replacing the host's findings, hostile files."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from hygie.assets import service
from hygie.assets.importers import guess_format, read_file
from hygie.assets.models import Asset, AssetImport, Importer
from hygie.assets.schemas import AssetRecord, ImportSource, ScanFindingRecord
from hygie.cli.common import console
from hygie.cli.main import app
from hygie.core.errors import ImportRejectedError
from tests.assets.test_hostile import BOMB, XXE
from tests.factories import make_establishment

FIREFOX_OID = "1.3.6.1.4.1.25623.1.0.832260"
WINDOWS_OID = "1.3.6.1.4.1.25623.1.0.836484"


@pytest.fixture(scope="module")
def samples(shared_data: Path) -> Path:
    return shared_data / "scans" / "openvas"


# file → (hosts, findings kept, findings above log level, warnings), counted by hand in the files:
# many_vuln.xml has 44 <result>s on one host; report_combine_v2.csv repeats its one line twice;
# report_using_openVAS.csv has 13 lines of which 12 are "Log" (CVSS 0.0).
COUNTS = {
    "many_vuln.xml": (1, 44, 44, 1),
    "one_vuln.xml": (1, 1, 1, 0),
    "no_vuln.xml": (0, 0, 0, 0),
    "report_detail_v2.xml": (1, 1, 1, 0),
    "many_vuln.csv": (1, 4, 4, 0),
    "one_vuln.csv": (1, 1, 1, 0),
    "no_vuln.csv": (0, 0, 0, 0),
    "report_combine_v2.csv": (1, 1, 1, 0),
    "report_detail_v2.csv": (1, 1, 1, 0),
    "report_using_CVE.csv": (1, 43, 43, 0),
    "report_using_openVAS.csv": (1, 13, 1, 0),
}


def test_every_sample_is_counted(samples: Path) -> None:
    assert sorted(p.name for p in samples.iterdir()) == sorted(COUNTS)


@pytest.mark.parametrize("name", sorted(COUNTS))
def test_every_real_sample_parses(samples: Path, name: str) -> None:
    path = samples / name
    with path.open("rb") as handle:
        assert guess_format(handle.read(4096)) is Importer.OPENVAS
    parsed = read_file(path)
    hosts, findings, above_log, warnings = COUNTS[name]
    assert parsed.source.importer is Importer.OPENVAS
    assert len(parsed.records) == hosts
    assert sum(len(r.scan_findings) for r in parsed.records) == findings
    assert sum(1 for r in parsed.records for f in r.scan_findings if f.severity > 0) == above_log
    assert len(parsed.warnings) == warnings


def test_one_vuln_xml_in_detail(samples: Path) -> None:
    (record,) = read_file(samples / "one_vuln.xml").records
    assert record.ips == ["10.0.101.2"] and record.hostname is None
    assert record.observed_at == datetime(2023, 9, 28, 16, 12, 15, tzinfo=UTC)  # the host's <end>
    assert record.ports == []  # found on general/tcp: no port
    (finding,) = record.scan_findings
    assert (finding.nvt_oid, finding.port, finding.severity, finding.qod) == (
        FIREFOX_OID,
        "general/tcp",
        10.0,
        97,
    )
    assert finding.family == "General" and finding.threat == "High"
    assert finding.cves[:2] == ("CVE-2023-4573", "CVE-2023-4574") and len(finding.cves) == 12
    assert finding.solution_type == "VendorFix" and finding.solution is not None
    assert finding.solution.startswith("Upgrade to version 117 or later")


def test_report_detail_v2_gives_the_vector_and_the_hostname(samples: Path) -> None:
    (xml,) = read_file(samples / "report_detail_v2.xml").records
    (csv,) = read_file(samples / "report_detail_v2.csv").records
    assert (xml.ips, xml.hostname, csv.ips, csv.hostname) == (
        ["10.99.99.99"],
        "server99",
        ["10.99.99.99"],
        "server99",
    )
    assert [(p.protocol, p.port) for p in xml.ports] == [("tcp", 42)]
    (finding,) = xml.scan_findings
    assert finding.cvss_vector == "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"
    assert (finding.nvt_oid, finding.port, finding.severity) == (WINDOWS_OID, "42/tcp", 9.8)
    assert len(finding.cves) == 93 == len(csv.scan_findings[0].cves)  # 93 <ref type="cve">
    assert finding.seen_at == datetime(2025, 8, 22, 14, 55, 31, tzinfo=UTC)  # +02:00 → UTC


def test_an_address_that_is_not_an_ip_leaves_the_host_known_by_name(samples: Path) -> None:
    parsed = read_file(samples / "many_vuln.xml")
    (record,) = parsed.records
    assert record.ips == [] and record.hostname == "b6b9f466d63"
    assert "'192.168.1.1001' is not an IP address" in parsed.warnings[0]
    # 14 numbered ports among the results (general/tcp is none).
    assert len(record.ports) == 14 and ("tcp", 1524) in {(p.protocol, p.port) for p in record.ports}


def test_the_cve_scanner_export_names_its_cve(samples: Path) -> None:
    (record,) = read_file(samples / "report_using_CVE.csv").records
    assert all(f.cves == (f.nvt_oid,) for f in record.scan_findings)


def test_a_gmp_response_wrapping_the_report_is_read(samples: Path, tmp_path: Path) -> None:
    text = (samples / "one_vuln.xml").read_text(encoding="utf-8")
    path = tmp_path / "gmp.xml"
    path.write_text(f'<get_reports_response status="200" status_text="OK">{text}</get_reports_response>')
    parsed = read_file(path)
    assert parsed.source.importer is Importer.OPENVAS
    assert parsed.records[0].scan_findings[0].nvt_oid == FIREFOX_OID


def test_the_inventory_template_is_still_a_plain_csv() -> None:
    assert guess_format(b"nom;ip;type\nPompe;10.0.0.1;medical_device\n") is Importer.CSV
    assert guess_format(b"<report><foo/></report>") is None  # a <report> that Greenbone did not write


def _report(tmp_path: Path, name: str, results: str, *, end: str = "2026-11-01T10:00:00Z") -> Path:
    path = tmp_path / name
    path.write_text(
        f"""<report id="r" format_id="a994b278-1f62-11e1-96ac-406186ea4fc5" content_type="text/xml">
<report id="r"><results>{results}</results>
<host><ip>10.1.2.3</ip><start>2026-11-01T09:00:00Z</start><end>{end}</end>
<detail><name>best_os_cpe</name><value>cpe:/o:microsoft:windows_10:1809</value></detail>
<detail><name>best_os_txt</name><value>Microsoft Windows 10 1809</value></detail></host>
</report></report>""",
        encoding="utf-8",
    )
    return path


def _result(oid: str, port: str, severity: float, cves: tuple[str, ...] = (), qod: int = 80) -> str:
    refs = "".join(f'<ref type="cve" id="{c}"/>' for c in cves)
    return f"""<result><host>10.1.2.3<hostname>pacs-01</hostname></host><port>{port}</port>
<nvt oid="{oid}"><name>check {oid}</name><family>F</family><refs>{refs}</refs>
<solution type="VendorFix">Update.</solution></nvt>
<severity>{severity}</severity><threat>High</threat><qod><value>{qod}</value></qod></result>"""


NMAP = """<?xml version="1.0"?><nmaprun start="1790000000">
<scaninfo type="syn" protocol="tcp" services="1-1024"/>
<host starttime="1790000000" endtime="1790000100"><status state="up"/>
<address addr="10.1.2.3" addrtype="ipv4"/><address addr="00:11:22:33:44:55" addrtype="mac"/>
<ports><port protocol="tcp" portid="104"><state state="open"/><service name="dicom"/></port></ports>
</host></nmaprun>"""


def _import(session: Session, establishment_id: int, path: Path) -> service.ImportReport:
    parsed = read_file(path)
    return service.import_assets(session, establishment_id, parsed.records, parsed.source)


def _findings(session: Session, establishment_id: int) -> list[tuple[str, str, float]]:
    return [(f.nvt_oid, f.port, f.severity) for f in service.scan_findings(session, establishment_id)]


def test_import_merges_with_an_nmap_scan_of_the_same_host(session: Session, tmp_path: Path) -> None:
    hospital = make_establishment(session)
    nmap = tmp_path / "scan.xml"
    nmap.write_text(NMAP, encoding="utf-8")
    _import(session, hospital.id, nmap)
    report = _import(session, hospital.id, _report(tmp_path, "r1.xml", _result("1.1", "443/tcp", 7.5)))
    assert report.created == [] and report.updated[0].matched_on == "ip"
    (asset,) = service.list_assets(session, hospital.id)
    detail = service.asset_detail(session, hospital.id, asset.id)
    assert {(s.protocol, s.port) for s in detail.services} == {("tcp", 104), ("tcp", 443)}
    assert (
        detail.hostname == "pacs-01" and detail.os_cpe == "cpe:2.3:o:microsoft:windows_10:1809:*:*:*:*:*:*:*"
    )
    assert {p.field: p.guessed for p in detail.provenance}["os_name"] is True
    assert _findings(session, hospital.id) == [("1.1", "443/tcp", 7.5)]
    # A later Nmap scan of the host leaves the scanner's findings alone.
    _import(session, hospital.id, nmap)
    assert _findings(session, hospital.id) == [("1.1", "443/tcp", 7.5)]
    assert (
        session.scalar(select(func.count()).select_from(Asset).where(Asset.establishment_id == hospital.id))
        == 1
    )


def test_a_newer_report_replaces_the_findings_an_older_one_does_not(session: Session, tmp_path: Path) -> None:
    hospital = make_establishment(session)
    first = _report(tmp_path, "r1.xml", _result("1.1", "443/tcp", 7.5) + _result("1.2", "general/tcp", 0.0))
    created = _import(session, hospital.id, first)
    assert [c.field for c in created.created[0].changes].count("finding") == 2
    again = _import(session, hospital.id, first)
    assert (len(again.created), len(again.updated), len(again.unchanged)) == (0, 0, 1)

    newer = _report(
        tmp_path,
        "r2.xml",
        _result("1.1", "443/tcp", 9.0, ("CVE-2021-44228",)) + _result("1.3", "80/tcp", 5.0),
        end="2026-11-20T10:00:00Z",
    )
    report = _import(session, hospital.id, newer)
    changes = {(c.old, c.new) for c in report.updated[0].changes if c.field == "finding"}
    assert changes == {
        ("general/tcp check 1.2 (0.0)", None),
        ("443/tcp check 1.1 (7.5)", "443/tcp check 1.1 (9.0)"),
        (None, "80/tcp check 1.3 (5.0)"),
    }
    assert _findings(session, hospital.id) == [("1.1", "443/tcp", 9.0), ("1.3", "80/tcp", 5.0)]
    kept = service.scan_findings(session, hospital.id)[0]
    assert kept.cves == ["CVE-2021-44228"] and kept.qod == 80 and kept.solution_type == "VendorFix"
    assert service.scan_findings(session, hospital.id, min_severity=6.0) == [kept]

    # Last month's report imported now: it brings nothing back.
    late = _import(session, hospital.id, first)
    assert "older than the scanner findings already kept" in late.warnings[0]
    assert _findings(session, hospital.id) == [("1.1", "443/tcp", 9.0), ("1.3", "80/tcp", 5.0)]


def test_findings_of_one_establishment_are_not_anothers(session: Session, tmp_path: Path) -> None:
    one, other = make_establishment(session), make_establishment(session)
    _import(session, one.id, _report(tmp_path, "r1.xml", _result("1.1", "443/tcp", 7.5)))
    assert service.scan_findings(session, other.id) == []


@pytest.mark.parametrize("template", [BOMB, XXE], ids=["bomb", "xxe"])
def test_hostile_reports_are_refused_and_nothing_is_imported(
    session: Session, tmp_path: Path, template: str
) -> None:
    hospital = make_establishment(session)
    root = 'report format_id="a994b278-1f62-11e1-96ac-406186ea4fc5"'
    text = template.replace("<!DOCTYPE {root}", "<!DOCTYPE report").replace("<{root}>", f"<{root}>")
    path = tmp_path / "hostile.xml"
    path.write_text(text.replace("</{root}>", "</report>"), encoding="utf-8")
    with path.open("rb") as handle:
        assert guess_format(handle.read(4096)) is Importer.OPENVAS  # guessed, then refused all the same
    with pytest.raises(ImportRejectedError) as caught:
        _import(session, hospital.id, path)
    assert ("XML bomb" if template is BOMB else "XXE") in str(caught.value)
    assert "root:" not in str(caught.value)  # /etc/passwd never read
    imports = select(func.count()).select_from(AssetImport).where(AssetImport.establishment_id == hospital.id)
    assert session.scalar(imports) == 0
    assert (
        service.list_assets(session, hospital.id) == [] and service.scan_findings(session, hospital.id) == []
    )


def test_a_result_without_check_is_refused_with_its_place(tmp_path: Path) -> None:
    bad = _result("1.1", "443/tcp", 7.5).replace('oid="1.1"', 'oid=""')
    with pytest.raises(ImportRejectedError) as caught:
        read_file(_report(tmp_path, "bad.xml", _result("1.2", "22/tcp", 5.0) + bad))
    assert "bad.xml" in str(caught.value) and "result 2" in str(caught.value)


def test_cli_import_guesses_the_format(
    hygie_home: Path, samples: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(console, "width", 200)
    runner = CliRunner()
    result = runner.invoke(
        app, ["establishments", "add", "--name", "CH Test", "--finess", "750803447", "--kind", "ch"]
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["assets", "import", "750803447", str(samples / "many_vuln.xml"), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["importer"] == "openvas" and len(report["created"]) == 1
    result = runner.invoke(app, ["assets", "import", "750803447", str(samples / "one_vuln.xml")])
    assert result.exit_code == 0, result.output
    assert "1 constat(s) du scanner" in result.output
    asset_id = str(report["created"][0]["asset_id"])
    shown = runner.invoke(app, ["assets", "show", "750803447", asset_id, "--json"])
    findings = json.loads(shown.output)["scan_findings"]
    assert len(findings) == 44 and findings[0]["severity"] == 10.0
    assert findings[-1]["severity"] == 4.0  # most severe first
    words = runner.invoke(app, ["assets", "show", "750803447", asset_id, "--lang", "en"]).output
    assert "Scanner findings" in words and "Possible Backdoor: Ingreslock" in words


def test_reimporting_a_real_report_changes_nothing(session: Session, samples: Path) -> None:
    hospital = make_establishment(session)
    first = _import(session, hospital.id, samples / "one_vuln.xml")
    assert len(first.created) == 1
    again = _import(session, hospital.id, samples / "one_vuln.xml")
    assert (len(again.created), len(again.updated), len(again.unchanged), again.warnings) == (0, 0, 1, [])
    assert _findings(session, hospital.id) == [(FIREFOX_OID, "general/tcp", 10.0)]


def test_two_hosts_of_one_report_that_are_one_asset_keep_both_findings(session: Session) -> None:
    hospital = make_establishment(session)
    seen = datetime(2026, 11, 1, tzinfo=UTC)

    def host(ip: str, oid: str) -> AssetRecord:
        finding = ScanFindingRecord(nvt_oid=oid, name=f"check {oid}", port="22/tcp", severity=5.0)
        return AssetRecord(hostname="pacs-01", ips=[ip], observed_at=seen, scan_findings=[finding])

    source = ImportSource(importer=Importer.OPENVAS, file_name="dual-stack.xml")
    report = service.import_assets(
        session, hospital.id, [host("10.1.2.3", "1.1"), host("fd00::3", "1.2")], source
    )
    assert len(report.created) == 1  # the second host matched the first by its hostname
    assert _findings(session, hospital.id) == [("1.1", "22/tcp", 5.0), ("1.2", "22/tcp", 5.0)]
