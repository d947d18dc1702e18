"""The readers: every shared Nmap and CycloneDX file parses, the details each format gives, and the
format guessed from the first bytes."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from hygie.assets.importers import guess_format, read_file
from hygie.assets.importers.cpe import to_cpe23
from hygie.assets.models import AssetKind, Importer, MedicalSubtype
from hygie.core.errors import ImportRejectedError
from tests.conftest import SHARED_DATA

DATA = Path(__file__).parent / "data"
SCANS = SHARED_DATA / "scans"
NMAP_FILES = sorted((SCANS / "nmap").glob("*.xml"))
CYCLONEDX_FILES = sorted((SCANS / "cyclonedx").glob("*.*"))


def test_the_shared_samples_are_there() -> None:
    assert len(NMAP_FILES) == 6 and len(CYCLONEDX_FILES) == 18


@pytest.mark.parametrize("path", NMAP_FILES, ids=lambda p: p.name)
def test_every_shared_nmap_file_parses(path: Path) -> None:
    parsed = read_file(path)
    assert parsed.source.importer is Importer.NMAP
    hosts_up = path.read_text(encoding="utf-8").count('<status state="up"')
    assert len(parsed.records) == hosts_up >= 1
    assert all(record.ips for record in parsed.records)


@pytest.mark.parametrize("path", CYCLONEDX_FILES, ids=lambda p: p.name)
def test_every_shared_cyclonedx_file_parses(path: Path) -> None:
    parsed = read_file(path)
    assert parsed.source.importer is Importer.CYCLONEDX
    assert len(parsed.records) == 1
    assert len(parsed.source.sha256 or "") == 64


@pytest.mark.parametrize(
    ("cpe", "expected"),
    [
        ("cpe:/a:openbsd:openssh:7.4", "cpe:2.3:a:openbsd:openssh:7.4:*:*:*:*:*:*:*"),
        ("cpe:/o:microsoft:windows_7::sp1", "cpe:2.3:o:microsoft:windows_7:*:sp1:*:*:*:*:*:*"),
        ("cpe:/h:cisco", "cpe:2.3:h:cisco:*:*:*:*:*:*:*:*:*"),
        ("cpe:/a:vendor:prod:1.0::~~~android~~", "cpe:2.3:a:vendor:prod:1.0:*:*:*:*:android:*:*"),
        ("cpe:/a:foo:bar%21baz:1", "cpe:2.3:a:foo:bar\\!baz:1:*:*:*:*:*:*:*"),
        ("cpe:/a:MySQL:MySQL:5.7.32", "cpe:2.3:a:mysql:mysql:5.7.32:*:*:*:*:*:*:*"),
        ("cpe:2.3:a:x:y:1:*:*:*:*:*:*:*", "cpe:2.3:a:x:y:1:*:*:*:*:*:*:*"),
        ("cpe:/x:bad:part", None),
        ("not a cpe", None),
    ],
)
def test_cpe_22_uris_become_cpe_23_strings(cpe: str, expected: str | None) -> None:
    assert to_cpe23(cpe) == expected


def test_nmap_services_give_ports_and_software_with_cpe_23() -> None:
    (host,) = read_file(SCANS / "nmap" / "issue4406.xml").records
    assert host.hostname == "ip-10-250-195-71.eu-west-1.compute.internal"
    assert host.ips == ["10.250.195.71"]
    assert len(host.ports) == 25
    software = {(s.name, s.version, s.cpe) for s in host.software}
    assert ("OpenSSH", "7.4", "cpe:2.3:a:openbsd:openssh:7.4:*:*:*:*:*:*:*") in software
    assert ("MySQL", "5.7.32", "cpe:2.3:a:mysql:mysql:5.7.32:*:*:*:*:*:*:*") in software
    assert len(software) == 3  # seven MySQL ports are one piece of software
    assert host.ports_scanned is not None and host.ports_scanned[0].last == 65535


def test_nmap_user_hostname_wins_over_ptr() -> None:
    google, amazon = read_file(SCANS / "nmap" / "issue12411.xml").records
    assert (google.hostname, amazon.hostname) == ("google.com", "amazon.com")


def test_nmap_os_detection_mac_and_vendor() -> None:
    pump, console = read_file(DATA / "ward_scan.xml").records  # the host that is down is left out
    assert [m.model_dump() for m in pump.macs] == [
        {"address": "00:0a:95:9d:68:16", "vendor": "Baxter Healthcare"}
    ]
    assert pump.hostname == "pump-rea-12.chu.local"
    assert pump.os_name == "Linux 3.2 - 4.9" and pump.os_cpe == "cpe:2.3:o:linux:linux_kernel:3:*:*:*:*:*:*:*"
    assert pump.kind is None  # a "specialized" device type says nothing of the kind
    assert pump.observed_at == datetime(2026, 1, 1, 0, 1, 40, tzinfo=UTC)
    assert console.hostname == "irm-console.chu.local"  # user name, lower case, final dot dropped
    assert console.macs[0].address == "00:1b:21:3a:4f:5c"
    assert console.kind is AssetKind.WORKSTATION and console.os_version == "7"
    assert console.os_cpe == "cpe:2.3:o:microsoft:windows_7:*:sp1:*:*:*:*:*:*"
    assert console.guessed == {"kind", "os_name", "os_version", "os_cpe"}
    assert [p.port for p in console.ports] == [139, 445, 104]  # 3389 is filtered, not open
    # SMB banners name the OS, not software; DICOM's DCMTK is software.
    assert [(s.name, s.vendor) for s in console.software] == [("DCMTK", "offis")]


def test_cyclonedx_metadata_component_is_the_asset() -> None:
    (record,) = read_file(SCANS / "cyclonedx" / "issue_9277.json").records
    assert record.name == "ubuntu:latest"
    assert (record.os_name, record.os_version) == ("ubuntu", "22.04")
    assert len(record.software) == 101 and all(s.purl for s in record.software)
    adduser = next(s for s in record.software if s.name == "adduser")
    assert adduser.purl == "pkg:deb/ubuntu/adduser@3.118ubuntu5?arch=all&distro=ubuntu-22.04"
    assert record.observed_at == datetime(2024, 1, 4, 15, 25, 30, tzinfo=UTC)


def test_cyclonedx_nested_components_and_xml() -> None:
    (nested,) = read_file(SCANS / "cyclonedx" / "nested-component-log4j.json").records
    assert len(nested.software) == 2
    (xml,) = read_file(SCANS / "cyclonedx" / "log4j.xml").records
    (log4j,) = xml.software
    assert log4j.purl == "pkg:maven/org.apache.logging.log4j/log4j-core@2.13.2"
    assert log4j.version == "2.13.2"


def test_cyclonedx_without_timestamp_is_not_dated_now() -> None:
    (record,) = read_file(SCANS / "cyclonedx" / "cyclonedx_bom.xml").records
    assert record.observed_at is None and record.name is None and len(record.software) == 73


def _device_sbom(tmp_path: Path, properties: list[dict[str, str]]) -> Path:
    document = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "version": 1,
        "metadata": {
            "timestamp": "2026-03-01T08:00:00Z",
            "component": {
                "type": "device",
                "name": "Infusomat Space",
                "version": "688F",
                "manufacturer": {"name": "B. Braun"},
                "properties": properties,
            },
        },
        "components": [
            {"type": "operating-system", "name": "VxWorks", "version": "6.9"},
            {
                "type": "library",
                "name": "openssl",
                "version": "1.0.2k",
                "purl": "pkg:generic/openssl@1.0.2k",
                "cpe": "cpe:2.3:a:openssl:openssl:1.0.2k:*:*:*:*:*:*:*",
            },
            {"type": "library", "name": "openssl", "version": "1.0.2k", "purl": "pkg:generic/openssl@1.0.2k"},
        ],
    }
    path = tmp_path / "pump.cdx.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def test_cyclonedx_device_with_hygie_properties(tmp_path: Path) -> None:
    properties = [
        {"name": "hygie:mac", "value": "00-0A-95-9D-68-16"},
        {"name": "hygie:serial", "value": " sn-77001 "},
        {"name": "hygie:medical_subtype", "value": "pompe à perfusion"},
        {"name": "vendor:other", "value": "ignored"},
    ]
    (record,) = read_file(_device_sbom(tmp_path, properties)).records
    assert (record.maker, record.model, record.firmware) == ("B. Braun", "Infusomat Space", "688F")
    assert record.macs[0].address == "00:0a:95:9d:68:16" and record.serial == "SN-77001"
    assert record.medical_subtype is MedicalSubtype.INFUSION_PUMP
    assert (record.os_name, record.os_version) == ("VxWorks", "6.9")
    (openssl,) = record.software  # the same purl twice is one piece of software
    assert openssl.cpe == "cpe:2.3:a:openssl:openssl:1.0.2k:*:*:*:*:*:*:*"


def test_cyclonedx_bad_property_is_named(tmp_path: Path) -> None:
    with pytest.raises(ImportRejectedError) as caught:
        read_file(_device_sbom(tmp_path, [{"name": "hygie:mac", "value": "zz"}]))
    assert "hygie:mac" in str(caught.value) and "not a MAC address" in str(caught.value)


def test_hostname_given_for_an_sbom(tmp_path: Path) -> None:
    (record,) = read_file(SCANS / "cyclonedx" / "jake.xml", hostname="SRV-PACS.chu.local").records
    assert record.hostname == "srv-pacs.chu.local"


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b'<?xml version="1.0"?>\n<!DOCTYPE nmaprun>\n<nmaprun scanner="nmap">', Importer.NMAP),
        (b'<?xml version="1.0"?><bom xmlns="http://cyclonedx.org/schema/bom/1.5">', Importer.CYCLONEDX),
        (b'\xef\xbb\xbf{"bomFormat": "CycloneDX"}', Importer.CYCLONEDX),
        (b"Nom;Adresse IP\nPompe;10.0.0.1\n", Importer.CSV),
        (b"<html></html>", None),
        (b'{"hello": 1}', None),
        (b"", None),
    ],
)
def test_format_guessed_from_content(head: bytes, expected: Importer | None) -> None:
    assert guess_format(head) is expected


def test_unknown_format_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_text("<html><body>no</body></html>", encoding="utf-8")
    with pytest.raises(ImportRejectedError) as caught:
        read_file(path)
    assert "--format" in str(caught.value)


def test_format_given_wins(tmp_path: Path) -> None:
    with pytest.raises(ImportRejectedError) as caught:
        read_file(SCANS / "cyclonedx" / "log4j.xml", Importer.NMAP)
    assert "not an Nmap XML report" in str(caught.value)
