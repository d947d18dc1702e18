"""Every feed parser on the real samples: real values out, AND configurations and range bounds kept,
bad records counted with their file and position, bad files named."""

from __future__ import annotations

import gzip
import json
import lzma
import zipfile
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from hygie.vulns.feeds.errors import FeedFileError
from hygie.vulns.feeds.parsers.certfr import parse_certfr
from hygie.vulns.feeds.parsers.csaf import parse_csaf
from hygie.vulns.feeds.parsers.endoflife import parse_endoflife
from hygie.vulns.feeds.parsers.epss import parse_epss
from hygie.vulns.feeds.parsers.kev import parse_kev
from hygie.vulns.feeds.parsers.nvd import parse_nvd, split_cpe23
from hygie.vulns.feeds.parsers.ssvc import parse_ssvc
from hygie.vulns.feeds.parsers.vulnrichment import parse_vulnrichment
from hygie.vulns.feeds.report import FeedReport
from tests.vulns.feeds_support import CERTFR_ALERT_RSS, CERTFR_RSS, EOL_V1, certfr_detail, nvd_page, zip_of

Rows = dict[str, list[dict[str, Any]]]


def run(parser: Any, files: list[Path]) -> tuple[Rows, FeedReport]:
    report = FeedReport("test")
    rows: Rows = {}
    for table, row in parser(files, report):
        rows.setdefault(table, []).append(row)
    return rows, report


def one(rows: list[dict[str, Any]], **where: Any) -> dict[str, Any]:
    found = [r for r in rows if all(r[k] == v for k, v in where.items())]
    assert len(found) == 1, (where, len(found))
    return found[0]


# --- KEV ---------------------------------------------------------------------------------------


def test_kev_sample(samples: dict[str, list[Path]]) -> None:
    rows, report = run(parse_kev, samples["kev"])
    assert len(rows["kev"]) == 1404 and report.skipped == report.flawed == 0
    assert report.version == "2025.08.25"
    assert report.published == datetime(2025, 8, 25, 17, 4, 19, 979600, tzinfo=UTC)
    mirth = one(rows["kev"], cve_id="CVE-2023-43208")
    assert mirth["date_added"] == date(2024, 5, 20) and mirth["due_date"] == date(2024, 6, 10)
    assert mirth["vendor_project"] == "NextGen Healthcare" and mirth["product"] == "Mirth Connect"
    assert mirth["known_ransomware_use"] is True and mirth["cwes"] == ["CWE-502"]
    assert sum(r["known_ransomware_use"] for r in rows["kev"]) == 293  # "Known" 293 / "Unknown" 1111


def test_kev_bad_records_are_reported_and_the_rest_goes_on(tmp_path: Path) -> None:
    good = {"cveID": "CVE-2024-0001", "dateAdded": "2024-01-02", "dueDate": "2024-01-23", "cwes": []}
    entries = [
        good,
        {"dateAdded": "2024-01-02"},
        {**good, "cveID": "CVE-2024-0002", "dateAdded": "2 janvier"},
        good,
    ]
    path = tmp_path / "kev.json"
    path.write_text(json.dumps({"catalogVersion": "x", "count": 4, "vulnerabilities": entries}))
    rows, report = run(parse_kev, [path])
    assert [r["cve_id"] for r in rows["kev"]] == ["CVE-2024-0001"]
    assert report.skipped == 3
    assert [(p.file, p.position) for p in report.problems] == [
        ("kev.json", "vulnerabilities[1]"),
        ("kev.json", "vulnerabilities[2]"),
        ("kev.json", "vulnerabilities[3]"),
    ]
    assert "listed twice" in report.problems[2].message


def test_kev_cut_short_is_a_bad_file_named(tmp_path: Path, samples: dict[str, list[Path]]) -> None:
    path = tmp_path / "known_exploited_vulnerabilities.json"
    path.write_bytes(samples["kev"][0].read_bytes()[:300_000])
    with pytest.raises(FeedFileError) as caught:
        run(parse_kev, [path])
    assert caught.value.file == str(path) and str(path) in str(caught.value)


def test_a_file_that_is_not_kev_is_named(tmp_path: Path) -> None:
    path = tmp_path / "other.json"
    path.write_text('{"title": "x", "vulnerabilities": []}')
    with pytest.raises(FeedFileError, match="not a KEV catalogue"):
        run(parse_kev, [path])


# --- EPSS --------------------------------------------------------------------------------------


def test_epss_comment_line_gives_model_and_date(epss_file: Path) -> None:
    rows, report = run(parse_epss, [epss_file])
    assert report.version == "v2025.03.14"
    assert report.published == datetime(2025, 8, 25, tzinfo=UTC)
    assert one(rows["epss"], cve_id="CVE-2023-43208") == {
        "cve_id": "CVE-2023-43208",
        "epss": 0.94316,
        "percentile": 0.99941,
    }
    assert len(rows["epss"]) == 3


def test_epss_without_comment_and_with_bad_lines(tmp_path: Path) -> None:
    path = tmp_path / "epss.csv"
    path.write_text("cve,epss,percentile\nCVE-1999-0001,0.0142,0.7991\nCVE-2,0.1,0.2\nCVE-2000-0001,x,0.1\n"
                    "CVE-2000-0002,1.5,0.1\nCVE-2000-0003,0.5\n")  # fmt: skip
    rows, report = run(parse_epss, [path])
    assert [r["cve_id"] for r in rows["epss"]] == ["CVE-1999-0001"] and report.version is None
    assert [p.position for p in report.problems] == ["line 3", "line 4", "line 5", "line 6"]


def test_epss_wrong_header_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "scores.csv.gz"
    path.write_bytes(gzip.compress(b"id,score\nCVE-1999-0001,0.1\n"))
    with pytest.raises(FeedFileError, match=r"scores\.csv\.gz: not an EPSS file"):
        run(parse_epss, [path])


# --- NVD ---------------------------------------------------------------------------------------


def test_nvd_samples_keep_and_configurations(samples: dict[str, list[Path]]) -> None:
    rows, report = run(parse_nvd, samples["nvd"])
    assert report.skipped == report.flawed == 0
    assert len(rows["nvd_cve"]) == 10 and len(rows["nvd_cpe_match"]) == 804 and len(rows["nvd_node"]) == 256
    baxter = [r for r in rows["nvd_cpe_match"] if r["cve_id"] == "CVE-2022-26390"]
    assert {r["config_operator"] for r in baxter} == {"AND"} and len({r["config_index"] for r in baxter}) == 4
    # configuration 0: firmware (vulnerable) AND running on the hardware (not vulnerable, context)
    firmware = one(baxter, config_index=0, node_index=0, match_index=0)
    assert firmware["vulnerable"] is True and firmware["part"] == "o" and firmware["vendor"] == "baxter"
    assert firmware["product"] == "spectrum_wireless_battery_module_firmware" and firmware["version"] == "*"
    assert (firmware["version_start_including"], firmware["version_end_including"]) == ("20d29", "20d32")
    assert firmware["version_start_excluding"] is None and firmware["version_end_excluding"] is None
    hardware = one(baxter, config_index=0, node_index=1, match_index=0)
    assert hardware["vulnerable"] is False and hardware["part"] == "h" and hardware["version"] == "-"
    assert hardware["node_operator"] == "OR" and hardware["node_negate"] is False
    exact = one(baxter, config_index=0, node_index=0, match_index=3)
    assert exact["version"] == "16d38" and exact["version_end_including"] is None


def test_nvd_bounds_and_plain_configurations(samples: dict[str, list[Path]]) -> None:
    rows, _ = run(parse_nvd, samples["nvd"])
    mirth = one(rows["nvd_cpe_match"], cve_id="CVE-2023-43208")
    assert mirth["config_operator"] == "OR"  # no operator key in the record: plain OR
    assert mirth["version_end_excluding"] == "4.4.1" and mirth["version_end_including"] is None
    assert mirth["criteria"] == "cpe:2.3:a:nextgen:mirth_connect:*:*:*:*:*:*:*:*"
    cve = one(rows["nvd_cve"], cve_id="CVE-2023-43208")
    assert cve["cvss3_vector"] == "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H" and cve["cvss3_score"] == 9.8
    assert cve["cvss3_severity"] == "Critical" and cve["cisa_exploit_add"] == date(2024, 5, 20)
    assert cve["cwes"] == ["CWE-78", "CWE-502"] and cve["configuration_count"] == 1
    baxter = one(rows["nvd_cve"], cve_id="CVE-2022-26390")
    assert baxter["cvss3_score"] == 4.2 and baxter["cvss3_source"] == "nvd@nist.gov"
    assert baxter["published"] == datetime(2022, 9, 9, 15, 15, 9, 453000, tzinfo=UTC)
    # EternalBlue: SMB (vulnerable) AND running on Windows (context)
    smb = [r for r in rows["nvd_cpe_match"] if r["cve_id"] == "CVE-2017-0144" and r["config_index"] == 0]
    assert {(r["node_index"], r["vulnerable"]) for r in smb} == {(0, True), (1, False)}


def test_cpe_escapes_are_kept_and_split_right() -> None:
    parts = split_cpe23("cpe:2.3:o:ricon:s9922l_firmware:16.10.3\\(3794\\):*:*:*:*:*:*:*")
    assert parts["version"] == "16.10.3\\(3794\\)" and parts["other"] == "*"
    colon = split_cpe23("cpe:2.3:a:vendor:prod\\:uct:1.0:*:*:*:*:*:*:*")
    assert colon["product"] == "prod\\:uct" and colon["version"] == "1.0"
    with pytest.raises(ValueError, match=r"not a CPE 2\.3"):
        split_cpe23("cpe:/a:mysql:mysql:5.7.32")


def test_nvd_feed_and_mirror_shapes_give_the_same_rows(
    tmp_path: Path, samples: dict[str, list[Path]]
) -> None:
    records = [json.loads(p.read_bytes()) for p in samples["nvd"]]
    page = tmp_path / "nvdcve-2.0-2022.json.gz"
    page.write_bytes(nvd_page(records))
    mirror = tmp_path / "CVE-All.json.xz"
    mirror.write_bytes(lzma.compress(json.dumps({"cve_count": 10, "cve_items": records}).encode()))
    listed = tmp_path / "list.json"
    listed.write_text(json.dumps(records))
    expected, _ = run(parse_nvd, samples["nvd"])
    for path in (page, mirror, listed):
        rows, report = run(parse_nvd, [path])
        assert rows == expected, path.name
    _, report = run(parse_nvd, [page])
    assert report.version == "2025-10-25T03:00:00.000"


def test_nvd_cvss_40_is_scored_and_labelled(tmp_path: Path, samples: dict[str, list[Path]]) -> None:
    record = json.loads((samples["nvd"][0].parent / "CVE-2023-43208.json").read_bytes())
    vector = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"
    cna = {"version": "4.0", "vectorString": vector + "/E:U", "baseScore": 8.1}
    nvd = {"version": "4.0", "vectorString": vector, "baseScore": 9.3}
    record["metrics"]["cvssMetricV40"] = [
        {"source": "cna@example", "type": "Secondary", "cvssData": cna},
        {"source": "nvd@nist.gov", "type": "Primary", "cvssData": nvd},
    ]
    path = tmp_path / "record.json"
    path.write_text(json.dumps(record))
    rows, report = run(parse_nvd, [path])
    cve = rows["nvd_cve"][0]
    assert (cve["cvss40_score"], cve["cvss40_severity"], cve["cvss40_nomenclature"]) == (
        9.3,
        "Critical",
        "CVSS-B",
    )
    assert cve["cvss40_source"] == "nvd@nist.gov" and report.flawed == 0


def test_nvd_bad_records_and_configurations(tmp_path: Path, samples: dict[str, list[Path]]) -> None:
    mirth = json.loads((samples["nvd"][0].parent / "CVE-2023-43208.json").read_bytes())
    baxter = json.loads((samples["nvd"][0].parent / "CVE-2022-26390.json").read_bytes())
    del baxter["configurations"][1]["nodes"][0]["cpeMatch"][0]["criteria"]
    baxter["metrics"]["cvssMetricV31"][0]["cvssData"]["vectorString"] = "CVSS:3.1/AV:Q"
    start_excluding = json.loads(json.dumps(mirth))
    start_excluding["id"] = "CVE-2023-99999"
    start_excluding["configurations"][0]["nodes"][0]["cpeMatch"][0]["versionStartExcluding"] = "4.0"
    path = tmp_path / "page.json"
    listed = [{"cve": mirth}, {"cve": {"descriptions": []}}, {"cve": baxter}, {"cve": start_excluding}]
    path.write_text(json.dumps({"format": "NVD_CVE", "version": "2.0", "vulnerabilities": listed}))
    rows, report = run(parse_nvd, [path])
    assert [r["cve_id"] for r in rows["nvd_cve"]] == ["CVE-2023-43208", "CVE-2022-26390", "CVE-2023-99999"]
    assert report.skipped == 1 and report.problems[0].position == "vulnerabilities[1]"
    flaws = [p for p in report.problems if not p.skipped]
    assert {p.position for p in flaws} == {"vulnerabilities[2] (CVE-2022-26390)"}
    assert any("configurations[1] dropped" in p.message for p in flaws)
    assert any("AV:Q" in p.message for p in flaws)
    kept = {r["config_index"] for r in rows["nvd_cpe_match"] if r["cve_id"] == "CVE-2022-26390"}
    assert kept == {0, 2, 3}  # the AND configuration with a broken entry is dropped whole
    assert one(rows["nvd_cve"], cve_id="CVE-2022-26390")["cvss3_vector"] is None
    bounds = one(rows["nvd_cpe_match"], cve_id="CVE-2023-99999")
    assert (bounds["version_start_excluding"], bounds["version_end_excluding"]) == ("4.0", "4.4.1")


def test_nvd_bad_files_are_named(tmp_path: Path) -> None:
    cut = tmp_path / "nvdcve-2.0-2024.json.gz"
    head = b'{"format": "NVD_CVE", "version": "2.0", "vulnerabilities": '
    cut.write_bytes(gzip.compress(head + b'[{"cve": {"id": "CVE-2024-0001"}}, {"cve"'))
    with pytest.raises(FeedFileError, match=r"nvdcve-2\.0-2024\.json\.gz: damaged"):
        run(parse_nvd, [cut])
    legacy = tmp_path / "nvdcve-1.1-2019.json"
    legacy.write_text('{"CVE_data_type": "CVE", "CVE_Items": []}')
    with pytest.raises(FeedFileError, match=r"1\.1 is retired"):
        run(parse_nvd, [legacy])
    not_gzip = tmp_path / "nvdcve-2.0-2023.json.gz"
    not_gzip.write_text("{}")
    with pytest.raises(FeedFileError, match=r"nvdcve-2\.0-2023\.json\.gz"):
        run(parse_nvd, [not_gzip])


# --- Vulnrichment --------------------------------------------------------------------------------


def test_vulnrichment_samples(samples: dict[str, list[Path]]) -> None:
    rows, report = run(parse_vulnrichment, samples["vulnrichment"])
    assert len(rows["vulnrichment_ssvc"]) == 280 and report.skipped == report.flawed == 0
    vcenter = one(rows["vulnrichment_ssvc"], cve_id="CVE-2024-38812")
    assert (vcenter["exploitation"], vcenter["automatable"], vcenter["technical_impact"]) == (
        "none",
        "yes",
        "total",
    )
    assert vcenter["ssvc_version"] == "2.0.3" and vcenter["ssvc_role"] == "CISA Coordinator"
    assert vcenter["assessed"] == datetime(2024, 9, 19, 3, 55, 45, 805246, tzinfo=UTC)
    # "Active"/"Yes"/"Total" and "poc" are folded into the coordinator tree's vocabulary
    capitals = one(rows["vulnrichment_ssvc"], cve_id="CVE-2019-7256")
    assert (capitals["exploitation"], capitals["automatable"], capitals["technical_impact"]) == (
        "active",
        "yes",
        "total",
    )
    assert one(rows["vulnrichment_ssvc"], cve_id="CVE-2018-8863")["exploitation"] == "public poc"
    values = Counter(r["exploitation"] for r in rows["vulnrichment_ssvc"])
    assert set(values) == {"none", "public poc", "active"}
    adp = [
        r
        for r in rows["vulnrichment_affected"]
        if r["cve_id"] == "CVE-2024-38812" and r["container"] == "adp"
    ]
    assert {(r["product"], r["version"], r["less_than"]) for r in adp} == {
        ("vmware_vcenter_server", "8.00", "8.0u3b"), ("vmware_vcenter_server", "7.0", "7.0u3s"),
        ("vmware_cloud_foundation", "4.0", "5.0"), ("vmware_cloud_foundation", "5.0", "6.0"),
    }  # fmt: skip
    assert adp[0]["cpes"] == ["cpe:2.3:a:broadcom:vmware_vcenter_server:*:*:*:*:*:*:*:*"]


def test_vulnrichment_from_the_repository_archive(tmp_path: Path, shared_data: Path) -> None:
    files = sorted((shared_data / "vulnrichment").glob("*.json"))[:20]
    archive = tmp_path / "develop.zip"
    archive.write_bytes(zip_of(files, "vulnrichment-develop"))
    with zipfile.ZipFile(archive, "a") as z:
        z.writestr("vulnrichment-develop/2024/0xxx/CVE-2024-0001.json", "{not json")
    rows, report = run(parse_vulnrichment, [archive])
    assert len(rows["vulnrichment_ssvc"]) == 20 and report.skipped == 1
    assert report.problems[0].position == "vulnrichment-develop/2024/0xxx/CVE-2024-0001.json"


# --- endoflife.date ------------------------------------------------------------------------------


def test_endoflife_product_files(samples: dict[str, list[Path]]) -> None:
    rows, report = run(parse_endoflife, samples["eol"])
    assert len(rows["eol_product"]) == 464 and report.skipped == 0
    pos = one(rows["eol_release"], product="windows-embedded", cycle="posready-7")
    assert pos["eol_date"] == date(2021, 10, 12) and pos["eol_flag"] is None
    assert pos["eoas_date"] == date(2016, 10, 11)
    seven = one(rows["eol_release"], product="windows", cycle="7-sp1")
    assert (seven["eol_date"], seven["latest"]) == (date(2020, 1, 14), "6.1.7601")
    adonis = one(rows["eol_release"], product="adonisjs", cycle="7")
    assert adonis["eol_flag"] is False and adonis["eol_date"] is None  # eol: false (not announced)
    rhel = one(rows["eol_release"], product="rhel", cycle="8")
    assert rhel["eoes_date"] == date(2033, 5, 31) and rhel["lts_date"] == date(2029, 5, 31)
    ids = {(r["type"], r["id"]) for r in rows["eol_identifier"] if r["product"] == "ubuntu"}
    assert ("cpe", "cpe:2.3:o:canonical:ubuntu_linux") in ids
    assert not [r for r in rows["eol_identifier"] if r["product"] == "windows-embedded"]


def test_endoflife_api_v1_shape(tmp_path: Path) -> None:
    path = tmp_path / "full.json"
    path.write_text(json.dumps(EOL_V1))
    rows, report = run(parse_endoflife, [path])
    assert report.version == "1.2.0" and report.published == datetime(2025, 8, 20, 10, tzinfo=UTC)
    standard = one(rows["eol_release"], cycle="standard-7-sp1")
    assert standard["eol_date"] == date(2020, 10, 13) and standard["eol_flag"] is None
    future = one(rows["eol_release"], cycle="future")
    assert future["eol_flag"] is False and future["eol_date"] is None


def test_endoflife_broken_product_file_is_skipped(tmp_path: Path, shared_data: Path) -> None:
    (tmp_path / "good.md").write_bytes((shared_data / "endoflife" / "products" / "rhel.md").read_bytes())
    (tmp_path / "broken.md").write_text("---\ntitle: x\nreleases: [\n---\n")
    rows, report = run(parse_endoflife, [tmp_path])
    assert [r["product"] for r in rows["eol_product"]] == ["good"]
    assert report.skipped == 1 and report.problems[0].file == "broken.md"


# --- CSAF (ICSMA) --------------------------------------------------------------------------------


def test_csaf_medical_advisories(samples: dict[str, list[Path]]) -> None:
    rows, report = run(parse_csaf, samples["csaf"])
    assert (
        len(rows["csaf_advisory"]) == 144 and len(rows["csaf_vulnerability"]) == 433 and report.skipped == 0
    )
    advisory = one(rows["csaf_advisory"], advisory_id="ICSMA-24-254-01")
    assert advisory["current_release"] is not None and advisory["file"] == "icsma-24-254-01.json"
    app = one(rows["csaf_product"], advisory_id="ICSMA-24-254-01", product_id="CSAFPID-0001")
    assert (
        app["vendor"] == "BPL Medical Technologies" and app["product_name"] == "Be Well Android Application"
    )
    assert app["version"] == "<=3.64" and app["version_is_range"] is True and app["cpe"] is None
    status = [r for r in rows["csaf_product_status"] if r["advisory_id"] == "ICSMA-24-254-01"]
    assert {(r["cve_id"], r["product_id"], r["status"]) for r in status} >= {
        ("CVE-2024-34463", "CSAFPID-0001", "known_affected"),
        ("CVE-2024-34463", "CSAFPID-0002", "known_affected"),
    }
    score = one(rows["csaf_score"], advisory_id="ICSMA-24-254-01", cve_id="CVE-2024-34463")
    assert score["cvss_score"] == 4.6 and score["product_ids"] == ["CSAFPID-0001", "CSAFPID-0002"]
    remediation = next(r for r in rows["csaf_remediation"] if r["advisory_id"] == "ICSMA-24-254-01")
    assert remediation["category"] == "mitigation" and remediation["product_ids"] == [
        "CSAFPID-0001",
        "CSAFPID-0002",
    ]
    assert Counter(r["category"] for r in rows["csaf_remediation"]) == {"vendor_fix": 1254, "mitigation": 740}
    assert sum(1 for r in rows["csaf_product"] if r["vendor"] in ("Philips", "Phillips")) > 0


def test_csaf_unreadable_advisory_is_skipped_others_kept(tmp_path: Path, shared_data: Path) -> None:
    source = shared_data / "csaf-icsma" / "2024" / "icsma-24-254-01.json"
    (tmp_path / "icsma-24-254-01.json").write_bytes(source.read_bytes())
    (tmp_path / "icsma-99-001-01.json").write_text('{"document": ')
    rows, report = run(parse_csaf, [tmp_path])
    assert len(rows["csaf_advisory"]) == 1 and report.skipped == 1
    assert report.problems[0].file == "icsma-99-001-01.json"


# --- CERT-FR -------------------------------------------------------------------------------------


def test_certfr_rss_and_json_documents(tmp_path: Path) -> None:
    (tmp_path / "avis.xml").write_text(CERTFR_RSS, encoding="utf-8")
    (tmp_path / "alerte.xml").write_text(CERTFR_ALERT_RSS, encoding="utf-8")
    (tmp_path / "CERTFR-2024-AVI-0420.json").write_text(
        json.dumps(certfr_detail("CERTFR-2024-AVI-0420", ["CVE-2023-43208", "bad-id"]))
    )
    rows, report = run(parse_certfr, [tmp_path])
    assert [r["reference"] for r in rows["certfr_advisory"]] == [
        "CERTFR-2023-AVI-0850", "CERTFR-2024-ALE-006", "CERTFR-2024-AVI-0420",
    ]  # fmt: skip
    detailed = one(rows["certfr_advisory"], reference="CERTFR-2024-AVI-0420")
    assert detailed["has_details"] is True and detailed["kind"] == "avis"
    assert detailed["published"] == datetime(2024, 5, 21, tzinfo=UTC)
    assert detailed["last_revision"] == datetime(2024, 5, 23, tzinfo=UTC)
    assert detailed["risks"] == ["Exécution de code arbitraire à distance"]
    assert rows["certfr_cve"] == [{"reference": "CERTFR-2024-AVI-0420", "cve_id": "CVE-2023-43208"}]
    assert (
        rows["certfr_affected"][0]["vendor"] == "NextGen Healthcare"
        and rows["certfr_affected"][0]["scada"] is False
    )
    rss_only = one(rows["certfr_advisory"], reference="CERTFR-2023-AVI-0850")
    assert rss_only["has_details"] is False and rss_only["title"] == "Multiples vulnérabilités dans Citrix"
    assert rss_only["published"] == datetime(2023, 10, 11, tzinfo=UTC)
    assert one(rows["certfr_advisory"], reference="CERTFR-2024-ALE-006")["kind"] == "alerte"
    assert report.flawed == 1 and "bad-id" in report.problems[0].message


def test_certfr_xml_entities_are_refused(tmp_path: Path) -> None:
    bomb = tmp_path / "feed.xml"
    bomb.write_text('<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>'
                    "<rss><channel><item><title>&b;</title></item></channel></rss>")  # fmt: skip
    with pytest.raises(FeedFileError, match=r"feed\.xml: not a readable RSS feed"):
        run(parse_certfr, [bomb])


# --- SSVC ----------------------------------------------------------------------------------------


def test_ssvc_decision_tables(samples: dict[str, list[Path]]) -> None:
    rows, report = run(parse_ssvc, samples["ssvc"])
    tables = Counter(r["table_id"] for r in rows["ssvc_decision"])
    assert tables == {
        "cisa_coordinator_2_0_3": 36, "deployer_patch_application_priority_1_0_0": 72,
        "human_impact_1_0_0": 16, "public_safety_impact_1_0_0": 4, "cisa_bod_26_04_1_0_0": 16,
    }  # fmt: skip
    act = one(rows["ssvc_decision"], table_id="cisa_coordinator_2_0_3", row=29)
    assert [(i["name"], i["value"]) for i in act["inputs"]] == [
        ("Exploitation", "active"), ("Automatable", "no"), ("Technical Impact", "total"),
        ("Mission and Well-Being Impact", "high"),
    ]  # fmt: skip
    assert (
        act["outcome"] == "act"
        and act["outcome_name"] == "CISA Levels"
        and act["inputs"][0]["version"] == "v1.1.0"
    )
    acts = [
        r
        for r in rows["ssvc_decision"]
        if r["table_id"] == "cisa_coordinator_2_0_3" and r["outcome"] == "act"
    ]
    assert len(acts) == 4 and report.skipped == 0
