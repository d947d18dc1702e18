"""GLPI into the inventory: the search-result export (CSV, French and English headers) and the REST
API (apirest.php) emulated with httpx.MockTransport: sessions, pages, software, refused tokens, and the
merge with an Nmap scan of the same hosts."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from hygie.assets import service
from hygie.assets.importers import glpi_api, guess_format, read_file
from hygie.assets.models import Asset, AssetKind, Importer, InstalledSoftware
from hygie.cli.common import console
from hygie.cli.main import app
from hygie.core.errors import ImportRejectedError
from tests.factories import make_establishment

DATA = Path(__file__).parent / "data"
EXPORT_FR = DATA / "glpi_computers_fr.csv"

# --- The CSV export -----------------------------------------------------------------------------


def test_a_french_export_is_recognised_and_read() -> None:
    assert guess_format(EXPORT_FR.read_bytes()[:4096]) is Importer.GLPI
    parsed = read_file(EXPORT_FR)
    assert parsed.source.importer is Importer.GLPI
    console, pc, laptop = parsed.records
    assert console.line == 2 and console.name == "IRM-CONSOLE" and console.hostname is None
    assert console.kind is AssetKind.MEDICAL_DEVICE and "kind" not in console.guessed
    assert (console.maker, console.model, console.serial) == (
        "Siemens Healthineers",
        "Magnetom Aera",
        "SN-IRM-42",
    )
    assert (console.os_name, console.os_version) == ("Windows 7", "SP1")
    assert console.location == "Imagerie > Salle IRM 1" and console.owner == "Biomédical"
    assert console.ips == ["10.20.0.40"]  # the link-local fe80:: address says no host
    assert [m.address for m in console.macs] == ["00:1b:21:3a:4f:5c"]
    assert console.observed_at == datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # 09:00 in Paris, winter
    # A cell over two lines: the next record starts on line 4.
    assert pc.line == 4 and pc.ips == ["10.1.2.3"] and [m.address for m in pc.macs] == ["00:1a:2b:3c:4d:5e"]
    assert pc.owner == "Jean Martin" and pc.kind is AssetKind.WORKSTATION and pc.observed_at is None
    # A formula is a name like any other, never computed.
    assert laptop.name == "=HYPERLINK(''http://x'';''clic'')" and laptop.serial == "CZC9999ABC"
    assert parsed.warnings == [
        "glpi_computers_fr.csv, line 6: 'PC-VIEUX-07' skipped, its status is 'Réformé'"
    ]


ENGLISH = (
    '"Name","Entity","Status","Manufacturer","Serial number","Inventory number","Item type","Type","Model",'
    '"Operating System - Name","Location","Networking - MAC address","Networking - IP",'
    '"Group in charge of the hardware","Last inventory date","Last update","Components - Processor"\r\n'
    '"sw-core-01.chu.local","Root entity","In use","Cisco","FOC1234X0AB","","Network device","Switch",'
    '"Catalyst 9300","","DC1","70:10:5c:aa:bb:cc","10.0.0.2","Network team","2026-07-01 12:30","",""\r\n'
    '"","Root entity","Retired","HP","","INV-PRN-3","Printer","","LaserJet","","","","","","","",""\r\n'
    '"","Root entity","In use","Epson","","INV-PRN-4","Printer","","WF-4830","","Hall","",'
    '"10.3.0.8","","","",""\r\n'
)


def test_an_english_export_with_commas(tmp_path: Path) -> None:
    path = tmp_path / "glpi.csv"
    path.write_text(ENGLISH, encoding="utf-8")  # no byte-order mark
    parsed = read_file(path)
    assert parsed.source.importer is Importer.GLPI
    switch, printer = parsed.records
    assert switch.hostname == "sw-core-01.chu.local" and "hostname" in switch.guessed
    assert switch.kind is AssetKind.NETWORK and switch.owner == "Network team"
    assert switch.observed_at == datetime(2026, 7, 1, 10, 30, tzinfo=UTC)  # summer time in Paris
    assert printer.name == "INV-PRN-4" and printer.kind is AssetKind.IOT and printer.ips == ["10.3.0.8"]
    assert "glpi.csv: column ignored: 'Components - Processor'" in parsed.warnings
    assert any("line 3" in note and "Retired" in note for note in parsed.warnings)


def test_the_format_can_be_forced(tmp_path: Path) -> None:
    path = tmp_path / "few-columns.csv"
    path.write_text("Nom;Numéro de série;Statut\nPC-1;S1;Au rebut\nPC-2;S2;En production\n", encoding="utf-8")
    assert read_file(path).source.importer is Importer.CSV  # one GLPI-only column: the template
    forced = read_file(path, Importer.GLPI)
    assert [r.serial for r in forced.records] == ["S2"]


def test_every_wrong_cell_is_named(tmp_path: Path) -> None:
    path = tmp_path / "broken.csv"
    path.write_text(
        '"Nom";"Statut";"Réseau - Adresse MAC";"Réseau - IP";"Date du dernier inventaire";\n'
        '"PC-1";"En production";"00:1a:2b:3c:4d:5e";"10.0.0.1";"";\n'
        '"PC-2";"En production";"zz:1a:2b:3c:4d:5e";"10.0.0.300";"hier";\n'
        '"";"En production";"";"";"";\n',
        encoding="utf-8",
    )
    with pytest.raises(ImportRejectedError) as caught:
        read_file(path)
    assert [str(p) for p in caught.value.problems] == [
        "broken.csv, line 3, Réseau - Adresse MAC: not a MAC address: 'zz:1a:2b:3c:4d:5e'",
        "broken.csv, line 3, Réseau - IP: not an IP address: '10.0.0.300'",
        "broken.csv, line 3, Date du dernier inventaire: 'hier' is not a date (YYYY-MM-DD HH:MM or "
        "DD-MM-YYYY HH:MM)",
        "broken.csv, line 4: no name, serial, IP or MAC: nothing identifies the asset",
    ]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            "Statut;Entité;Lieu\nEn production;CHU;A\n".encode(),
            "no Name/Nom, Serial number, IP or MAC column",
        ),
        (b"Nom;Statut;Nom\nA;B;C\n", "same column as 'Nom'"),
        ("Nom;Statut;Entité\nPC-\xe9;B;C\n".encode("latin-1"), "the file is not UTF-8"),
    ],
)
def test_broken_exports(tmp_path: Path, content: bytes, expected: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(ImportRejectedError) as caught:
        read_file(path, Importer.GLPI)
    assert expected in str(caught.value) and "bad.csv" in str(caught.value)


def test_the_api_importers_read_no_file() -> None:
    with pytest.raises(ImportRejectedError, match="import-glpi"):
        read_file(EXPORT_FR, Importer.GLPI_API)
    with pytest.raises(ImportRejectedError, match="import-netbox"):
        read_file(EXPORT_FR, Importer.NETBOX)


def test_addresses_every_computer_shares_identify_none(session: Session, tmp_path: Path) -> None:
    path = tmp_path / "glpi.csv"
    path.write_text(
        '"Nom";"Statut";"Réseau - Adresse MAC";"Réseau - IP";\n'
        # VMware's VMnet8 and a VirtualBox host-only adapter on both; a dock MAC and an IP on both.
        '"PC-1";"En production";"3c:52:82:00:00:01<br>00:50:56:c0:00:08<br>0a:00:27:00:00:03<br>'
        'a0:ce:c8:00:00:99";"10.1.0.1<br>192.168.56.1";\n'
        '"PC-2";"En production";"3c:52:82:00:00:02<br>00:50:56:C0:00:08<br>0a:00:27:00:00:03<br>'
        'a0:ce:c8:00:00:99";"10.1.0.2<br>192.168.56.1";\n',
        encoding="utf-8",
    )
    parsed = read_file(path)
    assert [([m.address for m in r.macs], r.ips) for r in parsed.records] == [
        (["3c:52:82:00:00:01"], ["10.1.0.1"]),
        (["3c:52:82:00:00:02"], ["10.1.0.2"]),
    ]
    assert parsed.warnings == [
        "glpi.csv: MAC a0:ce:c8:00:00:99 is given to 2 assets: it identifies none of them and was left out",
        "glpi.csv: IP 192.168.56.1 is given to 2 assets: it identifies none of them and was left out",
    ]
    chu = make_establishment(session)
    report = service.import_assets(session, chu.id, parsed.records, parsed.source)
    assert len(report.created) == 2 and report.warnings == []


def test_the_export_merges_with_a_scan_of_the_same_host(session: Session) -> None:
    chu = make_establishment(session)
    scan = read_file(DATA / "ward_scan.xml")
    service.import_assets(session, chu.id, scan.records, scan.source)
    export = read_file(EXPORT_FR)
    report = service.import_assets(session, chu.id, export.records, export.source)
    assert [(e.name, e.matched_on) for e in report.updated] == [("IRM-CONSOLE", "mac")]
    assert sorted(e.name for e in report.created) == ["=HYPERLINK(''http://x'';''clic'')", "PC-ACCUEIL-01"]
    changes = {c.field: (c.old, c.new) for c in report.updated[0].changes}
    assert changes["os_name"] == ("Microsoft Windows 7 SP1", "Windows 7")  # stated beats the guess
    assert changes["kind"] == ("workstation", "medical_device")
    assert session.scalar(select(func.count()).select_from(Asset)) == 4
    again = service.import_assets(session, chu.id, export.records, export.source)
    assert again.created == [] and again.updated == [] and len(again.unchanged) == 3


# --- The REST API -------------------------------------------------------------------------------

URL = "https://glpi.chu.local/apirest.php"

COMPUTERS: list[dict[str, Any]] = [
    {
        "id": 11,
        "name": "IRM-CONSOLE",
        "serial": "SN-IRM-42",
        "otherserial": "INV-2019-0042",
        "computertypes_id": "Dispositif médical",
        "computermodels_id": "Magnetom Aera",
        "manufacturers_id": "Siemens Healthineers",
        "locations_id": "Imagerie &gt; Salle IRM 1",
        "states_id": "En production",
        "users_id_tech": "&nbsp;",
        "groups_id_tech": "Biomédical",
        "is_deleted": 0,
        "is_template": 0,
        "last_inventory_update": "2026-03-02 09:00:00",
    },
    {
        "id": 12,
        "name": "PC-ADM-01",
        "serial": "5CD1234XYZ",
        "computertypes_id": "Laptop",
        "computermodels_id": "Latitude 5440",
        "manufacturers_id": "Dell Inc.",
        "locations_id": 0,
        "states_id": "En production",
        "users_id_tech": "Jean Martin",
        "groups_id_tech": 0,
        "is_deleted": 0,
        "is_template": 0,
    },
    {"id": 13, "name": "PC-XP", "serial": "OLD-1", "states_id": "Réformé", "is_deleted": 0, "is_template": 0},
    {"id": 14, "name": "", "template_name": "Modèle PC", "is_deleted": 0, "is_template": 1},
    {"id": 15, "name": "srv-old", "serial": "DEL-1", "is_deleted": 1, "is_template": 0},
]
LISTS: dict[str, list[dict[str, Any]]] = {
    "Computer": COMPUTERS,
    "NetworkEquipment": [
        {
            "id": 21,
            "name": "sw-etage2",
            "serial": "FOC99",
            "manufacturers_id": "Cisco",
            "networkequipmentmodels_id": "Catalyst 2960",
            "networkequipmenttypes_id": "Switch",
            "is_deleted": 0,
            "is_template": 0,
        }
    ],
    "Printer": [
        {"id": 31, "name": "IMP-ACCUEIL", "printermodels_id": "LaserJet", "is_deleted": 0, "is_template": 0}
    ],
    "Peripheral": [
        {"id": 41, "name": "Lecteur badges", "serial": "RFID-7", "is_deleted": 0, "is_template": 0}
    ],
    "NetworkPort": [
        {"id": 101, "itemtype": "Computer", "items_id": 11, "mac": "00:1B:21:3A:4F:5C", "is_deleted": 0},
        {"id": 102, "itemtype": "Computer", "items_id": 12, "mac": "3c:52:82:00:00:01", "is_deleted": 0},
        {"id": 103, "itemtype": "Computer", "items_id": 12, "mac": "00:00:00:00:00:00", "is_deleted": 0},
        {
            "id": 104,
            "itemtype": "NetworkEquipment",
            "items_id": 21,
            "mac": "70:10:5c:aa:bb:01",
            "is_deleted": 0,
        },
        {"id": 105, "itemtype": "Printer", "items_id": 31, "mac": "", "is_deleted": 0},
    ],
    "FQDN": [{"id": 1, "name": "Domaine du CHU", "fqdn": "chu.local"}],
    "NetworkName": [
        {"id": 201, "itemtype": "NetworkPort", "items_id": 102, "name": "pc-adm-01", "fqdns_id": 1},
        {"id": 202, "itemtype": "NetworkPort", "items_id": 105, "name": "imp-accueil", "fqdns_id": 0},
    ],
    "IPAddress": [
        {
            "id": 301,
            "itemtype": "NetworkName",
            "items_id": 0,
            "name": "10.20.0.40",
            "mainitemtype": "Computer",
            "mainitems_id": 11,
            "is_deleted": 0,
        },
        {
            "id": 302,
            "itemtype": "NetworkName",
            "items_id": 201,
            "name": "10.1.2.3",
            "mainitemtype": "Computer",
            "mainitems_id": 12,
            "is_deleted": 0,
        },
        {
            "id": 303,
            "itemtype": "NetworkName",
            "items_id": 201,
            "name": "127.0.0.1",
            "mainitemtype": "Computer",
            "mainitems_id": 12,
            "is_deleted": 0,
        },
        {
            "id": 304,
            "itemtype": "NetworkName",
            "items_id": 202,
            "name": "10.3.0.8",
            "mainitemtype": "",
            "mainitems_id": 0,
            "is_deleted": 0,
        },
    ],
    "Item_OperatingSystem": [
        {
            "id": 401,
            "itemtype": "Computer",
            "items_id": 11,
            "operatingsystems_id": "Windows 7",
            "operatingsystemversions_id": "SP1",
            "is_deleted": 0,
        },
        {
            "id": 402,
            "itemtype": "Computer",
            "items_id": 12,
            "operatingsystems_id": "Microsoft Windows 11 Professionnel",
            "operatingsystemversions_id": "23H2",
            "is_deleted": 0,
        },
    ],
    "Software": [
        {"id": 501, "name": "Mozilla Firefox", "manufacturers_id": "Mozilla"},
        {"id": 502, "name": "7-Zip", "manufacturers_id": "Igor Pavlov"},
        {"id": 503, "name": "DICOM Viewer", "manufacturers_id": 0, "cpe": "cpe:/a:acme:dicom_viewer"},
    ],
    "SoftwareVersion": [
        {"id": 601, "softwares_id": 501, "name": "128.0.3"},
        {"id": 602, "softwares_id": 502, "name": "23.01"},
        {"id": 603, "softwares_id": 503, "name": "2.4"},
    ],
    "Item_SoftwareVersion": [
        {"id": 701, "itemtype": "Computer", "items_id": 12, "softwareversions_id": 601, "is_deleted": 0},
        {"id": 702, "itemtype": "Computer", "items_id": 12, "softwareversions_id": 602, "is_deleted": 0},
        {"id": 703, "itemtype": "Computer", "items_id": 11, "softwareversions_id": 603, "is_deleted": 0},
        {"id": 704, "itemtype": "Computer", "items_id": 11, "softwareversions_id": 601, "is_deleted": 1},
    ],
}


class FakeGlpi:
    """GLPI's apirest.php as far as the reader uses it, recording every call."""

    def __init__(self, lists: dict[str, list[dict[str, Any]]], *, fail: dict[str, int] | None = None) -> None:
        self.lists = lists
        self.fail = fail or {}
        self.calls: list[str] = []
        self.killed = False

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path.removeprefix("/apirest.php/")
        query = {k: v[0] for k, v in parse_qs(request.url.query.decode()).items()}
        self.calls.append(f"{path}?range={query['range']}" if "range" in query else path)
        if request.headers.get("App-Token") != "app-secret":
            return httpx.Response(
                400, json=["ERROR_WRONG_APP_TOKEN_PARAMETER", "parameter app_token seems wrong"]
            )
        if path == "initSession":
            if request.headers.get("Authorization") != "user_token user-secret":
                return httpx.Response(
                    401, json=["ERROR_GLPI_LOGIN_USER_TOKEN", "parameter user_token seems invalid"]
                )
            return httpx.Response(200, json={"session_token": "s3ss10n"})
        if request.headers.get("Session-Token") != "s3ss10n":
            return httpx.Response(401, json=["ERROR_SESSION_TOKEN_INVALID", "session_token seems invalid"])
        if path == "killSession":
            self.killed = True
            return httpx.Response(200, json=[])
        if path in self.fail:
            return httpx.Response(self.fail[path], json=["ERROR_RIGHT_MISSING", "You don't have permission"])
        rows = self.lists[path]
        first, last = (int(n) for n in query["range"].split("-"))
        if rows and first >= len(rows):
            return httpx.Response(
                400, json=["ERROR_RANGE_EXCEED_TOTAL", "Provided range exceed total count of data"]
            )
        page = rows[first : last + 1]
        end = first + len(page) - 1
        headers = {"Content-Range": f"{first}-{end}/{len(rows)}", "Accept-Range": f"{path} 1000"}
        status = 206 if end + 1 < len(rows) else 200
        return httpx.Response(status, headers=headers, content=json.dumps(page).encode())


def _fetch(fake: FakeGlpi, **options: Any) -> Any:
    options = {"user_token": "user-secret", "app_token": "app-secret", "page_size": 2, **options}
    return glpi_api.fetch(URL, transport=httpx.MockTransport(fake), **options)


def test_the_api_reads_every_page_and_kills_its_session() -> None:
    fake = FakeGlpi(LISTS)
    parsed = _fetch(fake)
    assert fake.calls[0] == "initSession" and fake.calls[-1] == "killSession" and fake.killed
    assert [c for c in fake.calls if c.startswith("Computer?")] == [
        "Computer?range=0-1",
        "Computer?range=2-3",
        "Computer?range=4-5",
    ]
    assert parsed.source.importer is Importer.GLPI_API
    assert parsed.source.file_name == "glpi https://glpi.chu.local/apirest.php"
    by_name = {r.name: r for r in parsed.records}
    assert sorted(by_name) == ["IMP-ACCUEIL", "IRM-CONSOLE", "Lecteur badges", "PC-ADM-01", "sw-etage2"]
    assert parsed.warnings == [
        "glpi https://glpi.chu.local/apirest.php: 'PC-XP' (Computer 13) skipped, its status is 'Réformé'"
    ]
    irm = by_name["IRM-CONSOLE"]
    assert irm.kind is AssetKind.MEDICAL_DEVICE and irm.location == "Imagerie > Salle IRM 1"
    assert irm.owner == "Biomédical" and (irm.os_name, irm.os_version) == ("Windows 7", "SP1")
    assert [m.address for m in irm.macs] == ["00:1b:21:3a:4f:5c"] and irm.ips == ["10.20.0.40"]
    assert irm.observed_at == datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    assert [(s.name, s.version, s.cpe) for s in irm.software] == [
        (
            "DICOM Viewer",
            "2.4",
            "cpe:2.3:a:acme:dicom_viewer:2.4:*:*:*:*:*:*:*",
        )  # the uninstalled one is gone
    ]
    pc = by_name["PC-ADM-01"]
    assert pc.hostname == "pc-adm-01.chu.local" and "hostname" not in pc.guessed
    assert pc.kind is AssetKind.WORKSTATION and pc.owner == "Jean Martin" and pc.location is None
    assert pc.ips == ["10.1.2.3"] and [m.address for m in pc.macs] == ["3c:52:82:00:00:01"]
    assert [(s.name, s.version, s.vendor, s.cpe) for s in pc.software] == [
        ("Mozilla Firefox", "128.0.3", "Mozilla", None),
        ("7-Zip", "23.01", "Igor Pavlov", None),
    ]
    assert by_name["sw-etage2"].kind is AssetKind.NETWORK and by_name["sw-etage2"].macs
    printer = by_name["IMP-ACCUEIL"]
    assert printer.kind is AssetKind.IOT and printer.ips == ["10.3.0.8"] and printer.hostname is None
    assert by_name["Lecteur badges"].kind is AssetKind.OTHER and "kind" in by_name["Lecteur badges"].guessed


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"user_token": "Xq7-bad"}, "HTTP 401 ERROR_GLPI_LOGIN_USER_TOKEN"),
        ({"app_token": "Xq7-bad"}, "check the App-Token"),
    ],
)
def test_a_refused_token_is_a_clear_error(options: dict[str, str], expected: str) -> None:
    fake = FakeGlpi(LISTS)
    with pytest.raises(ImportRejectedError) as caught:
        _fetch(fake, **options)
    assert expected in str(caught.value) and caught.value.source == "glpi https://glpi.chu.local/apirest.php"
    assert "Xq7" not in str(caught.value)  # a token is never shown
    assert fake.calls == ["initSession"]


def test_an_error_midway_stops_everything_and_still_ends_the_session() -> None:
    fake = FakeGlpi(LISTS, fail={"IPAddress": 401})
    with pytest.raises(ImportRejectedError, match="IPAddress: HTTP 401 ERROR_RIGHT_MISSING"):
        _fetch(fake)
    assert fake.killed


def test_a_malformed_answer_is_refused_and_the_session_ended() -> None:
    fake = FakeGlpi({**LISTS, "NetworkPort": [{"itemtype": "Computer", "items_id": 11, "mac": "x"}]})
    with pytest.raises(ImportRejectedError, match="not what its API gives: KeyError"):
        _fetch(fake)
    assert fake.killed


def test_a_partial_answer_without_its_range_is_refused() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("initSession"):
            return httpx.Response(200, json={"session_token": "s"})
        return httpx.Response(206, json=[{"id": 1, "name": "x"}])

    with pytest.raises(ImportRejectedError, match="without Content-Range"):
        glpi_api.fetch(URL, user_token="t", transport=httpx.MockTransport(handler))


def test_the_api_merges_with_a_scan_and_owns_its_software(session: Session) -> None:
    chu = make_establishment(session)
    scan = read_file(DATA / "ward_scan.xml")
    service.import_assets(session, chu.id, scan.records, scan.source)
    parsed = _fetch(FakeGlpi(LISTS))
    report = service.import_assets(session, chu.id, parsed.records, parsed.source)
    assert [(e.name, e.matched_on) for e in report.updated] == [("IRM-CONSOLE", "mac")]
    assert len(report.created) == 4
    assert session.scalar(select(func.count()).select_from(Asset)) == 6
    glpi_software = session.scalars(
        select(InstalledSoftware.name).where(InstalledSoftware.source == Importer.GLPI_API)
    ).all()
    assert sorted(glpi_software) == ["7-Zip", "DICOM Viewer", "Mozilla Firefox"]
    # Firefox uninstalled from the PC: the next reading removes it, and only it.
    lists = {**LISTS, "Item_SoftwareVersion": [r for r in LISTS["Item_SoftwareVersion"] if r["id"] != 701]}
    again = service.import_assets(session, chu.id, *_records_and_source(_fetch(FakeGlpi(lists))))
    assert [(e.name, [(c.field, c.old, c.new) for c in e.changes]) for e in again.updated] == [
        ("PC-ADM-01", [("software", "Mozilla Firefox 128.0.3", None)])
    ]
    assert again.created == [] and len(again.unchanged) == 4


def _records_and_source(parsed: Any) -> tuple[Any, Any]:
    return parsed.records, parsed.source


# --- The command --------------------------------------------------------------------------------

runner = CliRunner()


@pytest.fixture
def home(hygie_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(console, "width", 200)
    result = runner.invoke(
        app, ["establishments", "add", "--name", "CH Test", "--finess", "750803447", "--kind", "ch"]
    )
    assert result.exit_code == 0, result.output
    return hygie_home


def _use(monkeypatch: pytest.MonkeyPatch, fake: FakeGlpi) -> None:
    original: Callable[..., Any] = glpi_api.fetch
    monkeypatch.setattr(glpi_api, "fetch", partial(original, transport=httpx.MockTransport(fake)))


def test_the_command_imports_with_tokens_from_the_environment(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _use(monkeypatch, FakeGlpi(LISTS))
    monkeypatch.setenv("HYGIE_GLPI_APP_TOKEN", "app-secret")
    monkeypatch.setenv("HYGIE_GLPI_USER_TOKEN", "user-secret")
    result = runner.invoke(app, ["assets", "import-glpi", "CH Test", "--url", URL])
    assert result.exit_code == 0, result.output
    assert "5 créé(s), 0 mis à jour, 0 inchangé(s)" in result.output and "API GLPI" in result.output
    assert "'PC-XP' (Computer 13) skipped" in result.output
    listed = json.loads(runner.invoke(app, ["assets", "list", "CH Test", "--json"]).output)
    assert len(listed) == 5


def test_the_command_with_a_bad_token_imports_nothing(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _use(monkeypatch, FakeGlpi(LISTS))
    result = runner.invoke(
        app,
        [
            "assets",
            "import-glpi",
            "CH Test",
            "--url",
            URL,
            "--app-token",
            "app-secret",
            "--user-token",
            "nope",
            "--lang",
            "en",
        ],
    )
    assert result.exit_code == 1
    assert (
        "1 problem(s), nothing imported" in result.output and "ERROR_GLPI_LOGIN_USER_TOKEN" in result.output
    )
    assert json.loads(runner.invoke(app, ["assets", "list", "CH Test", "--json"]).output) == []
    missing = runner.invoke(app, ["assets", "import-glpi", "CH Test", "--url", URL])
    assert missing.exit_code == 2 and "HYGIE_GLPI_USER_TOKEN" in missing.output


def test_the_import_command_recognises_an_export(home: Path) -> None:
    result = runner.invoke(app, ["assets", "import", "750803447", str(EXPORT_FR)])
    assert result.exit_code == 0, result.output
    assert "(Export GLPI) — 3 créé(s), 0 mis à jour, 0 inchangé(s)" in result.output
    assert "'PC-VIEUX-07' skipped, its status is 'Réformé'" in result.output
    refused = runner.invoke(app, ["assets", "import", "750803447", str(EXPORT_FR), "--format", "netbox"])
    assert refused.exit_code == 1 and "hygie assets import-netbox" in refused.output
