"""NetBox into the inventory, read with pynetbox from a fake NetBox API served on 127.0.0.1: pages
followed by their ``next`` links, devices and virtual machines, interfaces' MACs of NetBox 4.1 and
4.2+, tags and custom fields, refused tokens, wrong values, and the merge with an Nmap scan."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from copy import deepcopy
from dataclasses import dataclass
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from hygie.assets import service
from hygie.assets.importers import netbox, read_file
from hygie.assets.models import Asset, AssetKind, ClinicalCriticality, Importer, Patchable
from hygie.cli.common import console
from hygie.cli.main import app
from hygie.core.errors import ImportRejectedError
from tests.factories import make_establishment

DATA = Path(__file__).parent / "data"
TOKEN = "0123456789abcdef0123456789abcdef01234567"


def _site(name: str) -> dict[str, Any]:
    return {"id": 1, "url": "http://x/api/dcim/sites/1/", "display": name, "name": name, "slug": "chu-sud"}


DEVICES: list[dict[str, Any]] = [
    {
        "id": 7,
        "name": "IRM-CONSOLE",
        "device_type": {
            "id": 3,
            "manufacturer": {"id": 2, "name": "Siemens Healthineers", "slug": "siemens"},
            "model": "Magnetom Aera",
            "slug": "magnetom-aera",
        },
        "role": {"id": 4, "name": "Dispositif médical", "slug": "dispositif-medical"},
        "platform": {"id": 5, "name": "Windows 7", "slug": "windows-7"},
        "serial": "SN-IRM-42",
        "asset_tag": "INV-2019-0042",
        "site": _site("CHU Sud"),
        "location": {"id": 9, "name": "Imagerie", "slug": "imagerie"},
        "rack": None,
        "position": None,
        "status": {"value": "active", "label": "Active"},
        "primary_ip": {"id": 40, "family": 4, "address": "10.20.0.40/24"},
        "primary_ip4": {"id": 40, "family": 4, "address": "10.20.0.40/24"},
        "primary_ip6": None,
        "tags": [{"id": 1, "name": "Télémaintenance", "slug": "telemaintenance"}],
        "custom_fields": {
            "clinical_criticality": "diagnostic",
            "care_department": "Imagerie",
            "network_zone": "VLAN-BIOMED",
            "patchable": False,
            "end_of_support": "2020-01-14",
            "contrat_maintenance": "CT-2024-17",
        },
    },
    {
        "id": 8,
        "name": "sw-core-01.chu.local",
        "device_type": {"id": 6, "manufacturer": {"id": 3, "name": "Cisco"}, "model": "Catalyst 9300"},
        "device_role": {"id": 5, "name": "Core switch"},  # NetBox 3.x names it device_role
        "platform": None,
        "serial": "FOC1234X0AB",
        "site": _site("CHU Sud"),
        "location": {"id": 10, "name": "Bâtiment B"},
        "rack": {"id": 12, "name": "Baie B12"},
        "position": 14.0,
        "status": {"value": "active", "label": "Active"},
        "primary_ip4": {"id": 41, "family": 4, "address": "10.0.0.2/24"},
        "primary_ip6": {"id": 42, "family": 6, "address": "2001:db8::2/64"},
        "tags": [],
        "custom_fields": {"clinical_criticality": None},
    },
    {
        "id": 9,
        "name": "sw-futur",
        "device_type": {"id": 6, "manufacturer": {"id": 3, "name": "Cisco"}, "model": "Catalyst 9300"},
        "role": {"id": 5, "name": "Access switch"},
        "status": {"value": "planned", "label": "Planned"},
        "tags": [],
        "custom_fields": {},
    },
    {
        "id": 10,
        "name": "PSE-REA-03",
        "device_type": {"id": 7, "manufacturer": {"id": 4, "name": "Baxter"}, "model": "Sigma Spectrum"},
        "role": {"id": 4, "name": "Dispositif médical"},
        "serial": "SN-77001",
        "site": _site("CHU Sud"),
        "location": {"id": 11, "name": "Réanimation"},
        "status": {"value": "active", "label": "Active"},
        "primary_ip4": None,
        "tags": [],
        "custom_fields": {"clinical_criticality": "vital"},
    },
]
MACHINES: list[dict[str, Any]] = [
    {
        "id": 21,
        "name": "vm-dpi-01.chu.local",
        "role": None,
        "platform": {"id": 8, "name": "Ubuntu 22.04"},
        "site": _site("CHU Sud"),
        "cluster": {"id": 1, "name": "VMware Prod"},
        "status": {"value": "active", "label": "Active"},
        "primary_ip4": {"id": 50, "family": 4, "address": "10.30.0.15/24"},
        "tags": [{"id": 2, "name": "Exposé internet", "slug": "expose-internet"}],
        "custom_fields": {
            "owner": "DSI — équipe système",
            "criticality": {"value": "support", "label": "Support"},
        },
    }
]
INTERFACES: list[dict[str, Any]] = [
    {
        "id": 100,
        "device": {"id": 7, "name": "IRM-CONSOLE"},
        "name": "eth0",
        "mac_address": "00:1B:21:3A:4F:5C",
    },
    {"id": 101, "device": {"id": 7, "name": "IRM-CONSOLE"}, "name": "eth1", "mac_address": None},
    {
        "id": 102,
        "device": {"id": 8, "name": "sw-core-01.chu.local"},
        "name": "Vlan1",
        "primary_mac_address": {"id": 5, "mac_address": "70:10:5C:AA:BB:CC"},
    },
    {"id": 103, "device": {"id": 8, "name": "sw-core-01.chu.local"}, "name": "Gi1/0/1", "mac_address": None},
    {"id": 104, "device": {"id": 9, "name": "sw-futur"}, "name": "Vlan1", "mac_address": "70:10:5c:00:00:09"},
    {
        "id": 106,
        "device": {"id": 8, "name": "sw-core-01.chu.local"},
        "name": "Gi1/0/2",
        "mac_address": "70:10:5c:aa:bb:02",
    },
    {
        "id": 107,
        "device": {"id": 10, "name": "PSE-REA-03"},
        "name": "wlan0",
        "mac_address": "00:0A:95:9D:68:16",
    },
]


def _ip(
    number: int, address: str, kind: str, interface: int, parent: dict[str, Any], **more: Any
) -> dict[str, Any]:
    side = "device" if kind == "dcim.interface" else "virtual_machine"
    assigned = {"id": interface, "name": "if", side: parent}
    return {
        "id": number,
        "address": address,
        "assigned_object_type": kind,
        "assigned_object_id": interface,
        "assigned_object": assigned,
        "status": {"value": "active", "label": "Active"},
        **more,
    }


IP_ADDRESSES: list[dict[str, Any]] = [
    _ip(40, "10.20.0.40/24", "dcim.interface", 100, {"id": 7, "name": "IRM-CONSOLE"}),
    _ip(41, "10.0.0.2/24", "dcim.interface", 102, {"id": 8, "name": "sw-core-01.chu.local"}),
    _ip(43, "10.99.0.2/24", "dcim.interface", 102, {"id": 8}, status={"value": "deprecated"}),
    _ip(44, "10.0.1.2/24", "dcim.interface", 102, {"id": 8, "name": "sw-core-01.chu.local"}),
    _ip(50, "10.30.0.15/24", "virtualization.vminterface", 200, {"id": 21, "name": "vm-dpi-01.chu.local"}),
    {"id": 60, "address": "10.50.0.1/24", "assigned_object_type": None, "assigned_object": None},
]
VM_INTERFACES: list[dict[str, Any]] = [
    {
        "id": 200,
        "virtual_machine": {"id": 21, "name": "vm-dpi-01.chu.local"},
        "name": "ens192",
        "mac_addresses": [{"id": 9, "mac_address": "00:50:56:9a:00:15"}],
    }
]
LISTS = {
    "/api/dcim/devices/": DEVICES,
    "/api/virtualization/virtual-machines/": MACHINES,
    "/api/dcim/interfaces/": INTERFACES,
    "/api/virtualization/interfaces/": VM_INTERFACES,
    "/api/ipam/ip-addresses/": IP_ADDRESSES,
}
PAGE = 2  # NetBox's default page size (PAGINATE_COUNT), small to make pages
MAX_PAGE = 2  # and its MAX_PAGE_SIZE: a larger limit is cut down to it


class FakeNetBox(BaseHTTPRequestHandler):
    lists: dict[str, list[dict[str, Any]]] = LISTS
    requests: list[str]

    def log_message(self, *_: Any) -> None:  # quiet
        pass

    def _send(self, status: int, body: object) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("API-Version", "4.2")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        self.requests.append(self.path)
        if self.headers.get("Authorization") != f"Token {TOKEN}":
            self._send(403, {"detail": "Invalid token"})
            return
        rows = self.lists.get(parts.path)
        if rows is None:
            self._send(404, {"detail": "Not found."})
            return
        query = {k: int(v[0]) for k, v in parse_qs(parts.query).items() if k in ("limit", "offset")}
        limit = min(query.get("limit") or PAGE, MAX_PAGE)
        offset = query.get("offset", 0)
        page = rows[offset : offset + limit]
        host = f"http://{self.headers['Host']}"
        following = offset + limit
        next_link = f"{host}{parts.path}?limit={limit}&offset={following}" if following < len(rows) else None
        self._send(200, {"count": len(rows), "next": next_link, "previous": None, "results": page})


@dataclass
class Served:
    url: str
    requests: list[str]
    handler: type[FakeNetBox]


@pytest.fixture
def fake_netbox() -> Iterator[Served]:
    seen: list[str] = []
    handler = type("Handler", (FakeNetBox,), {"requests": seen, "lists": deepcopy(LISTS)})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Served(f"http://127.0.0.1:{server.server_address[1]}", seen, handler)
    finally:
        server.shutdown()
        server.server_close()


def test_devices_and_virtual_machines_are_read_page_by_page(fake_netbox: Served) -> None:
    url, seen = fake_netbox.url, fake_netbox.requests
    parsed = netbox.fetch(url, token=TOKEN)
    interface_pages = [p for p in seen if p.startswith("/api/dcim/interfaces/")]
    assert len(interface_pages) == 4  # 7 interfaces, 2 a page: the next links were followed
    assert parsed.source.importer is Importer.NETBOX and parsed.source.file_name == f"netbox {url}"
    assert parsed.warnings == [f"netbox {url}: 'sw-futur' (device 9) skipped, its status is 'planned'"]
    irm, switch, pump, vm = parsed.records
    assert (irm.name, irm.hostname, irm.kind) == ("IRM-CONSOLE", None, AssetKind.MEDICAL_DEVICE)
    assert (irm.maker, irm.model, irm.serial, irm.os_name) == (
        "Siemens Healthineers",
        "Magnetom Aera",
        "SN-IRM-42",
        "Windows 7",
    )
    assert irm.location == "CHU Sud / Imagerie" and irm.ips == ["10.20.0.40"]
    assert [m.address for m in irm.macs] == ["00:1b:21:3a:4f:5c"]
    assert irm.criticality is ClinicalCriticality.DIAGNOSTIC and irm.department == "Imagerie"
    assert irm.network_zone == "VLAN-BIOMED" and irm.patchable is Patchable.NO
    assert irm.end_of_support == date(2020, 1, 14) and irm.remote_service is True
    assert irm.guessed == frozenset()
    assert switch.hostname == "sw-core-01.chu.local" and "hostname" in switch.guessed
    assert switch.kind is AssetKind.NETWORK and switch.location == "CHU Sud / Bâtiment B / Baie B12 (U14)"
    # Its addresses, not the deprecated one; the MAC of the interface that carries them, not of its ports.
    assert switch.ips == ["10.0.0.2", "2001:db8::2", "10.0.1.2"]
    assert [m.address for m in switch.macs] == ["70:10:5c:aa:bb:cc"]
    # No address known: the MACs of all its interfaces.
    assert pump.ips == [] and [m.address for m in pump.macs] == ["00:0a:95:9d:68:16"]
    assert (
        pump.criticality is ClinicalCriticality.LIFE_SUSTAINING and pump.location == "CHU Sud / Réanimation"
    )
    assert switch.criticality is None
    assert vm.kind is AssetKind.SERVER and "kind" in vm.guessed and vm.os_name == "Ubuntu 22.04"
    assert vm.internet_exposed is True and vm.owner == "DSI — équipe système"
    assert vm.criticality is ClinicalCriticality.SUPPORT and vm.location == "CHU Sud"
    assert [m.address for m in vm.macs] == ["00:50:56:9a:00:15"] and vm.ips == ["10.30.0.15"]


def test_a_refused_token_is_a_clear_error(fake_netbox: Served) -> None:
    url, seen = fake_netbox.url, fake_netbox.requests
    with pytest.raises(ImportRejectedError) as caught:
        netbox.fetch(url, token="not-the-token")
    message = str(caught.value)
    assert caught.value.source == f"netbox {url}" and "HTTP 403" in message and "Invalid token" in message
    assert "HYGIE_NETBOX_TOKEN" in message and "not-the-token" not in message
    assert len(seen) == 1  # the first refusal stops everything


def test_a_wrong_custom_field_names_the_device(fake_netbox: Served) -> None:
    url = fake_netbox.url
    broken = deepcopy(LISTS)
    broken["/api/dcim/devices/"][0]["custom_fields"]["clinical_criticality"] = "extrême"
    broken["/api/virtualization/virtual-machines/"][0]["primary_ip4"]["address"] = "10.30.0.999/24"
    fake_netbox.handler.lists = broken
    with pytest.raises(ImportRejectedError) as caught:
        netbox.fetch(url, token=TOKEN)
    problems = [str(p) for p in caught.value.problems]
    assert len(problems) == 2
    assert problems[0].startswith(
        f"netbox {url}, device 7 'IRM-CONSOLE': custom field clinical_criticality: "
    )
    assert "'extrême' is not one of" in problems[0]
    assert (
        problems[1]
        == f"netbox {url}, virtual machine 21 'vm-dpi-01.chu.local': not an IP address: '10.30.0.999'"
    )


def test_an_unreachable_netbox_is_a_clear_error() -> None:
    with pytest.raises(ImportRejectedError, match="cannot reach NetBox"):
        netbox.fetch("http://127.0.0.1:9", token=TOKEN, timeout=5)


def test_netbox_merges_with_a_scan_of_the_same_host(session: Session, fake_netbox: Served) -> None:
    url = fake_netbox.url
    chu = make_establishment(session)
    scan = read_file(DATA / "ward_scan.xml")
    service.import_assets(session, chu.id, scan.records, scan.source)
    parsed = netbox.fetch(url, token=TOKEN)
    report = service.import_assets(session, chu.id, parsed.records, parsed.source)
    assert [(e.name, e.matched_on) for e in report.updated] == [("IRM-CONSOLE", "mac"), ("PSE-REA-03", "mac")]
    assert sorted(e.name for e in report.created) == ["sw-core-01.chu.local", "vm-dpi-01.chu.local"]
    changes = {c.field: (c.old, c.new) for c in report.updated[0].changes}
    assert changes["kind"] == ("workstation", "medical_device")
    assert changes["criticality"] == (None, "diagnostic") and changes["department"] == (None, "Imagerie")
    assert session.scalar(select(func.count()).select_from(Asset)) == 4
    again = service.import_assets(session, chu.id, parsed.records, parsed.source)
    assert again.created == [] and again.updated == [] and len(again.unchanged) == 4


runner = CliRunner()


def test_the_command(hygie_home: Path, monkeypatch: pytest.MonkeyPatch, fake_netbox: Served) -> None:
    url = fake_netbox.url
    monkeypatch.setattr(console, "width", 200)
    added = runner.invoke(
        app, ["establishments", "add", "--name", "CH Test", "--finess", "750803447", "--kind", "ch"]
    )
    assert added.exit_code == 0, added.output
    refused = runner.invoke(app, ["assets", "import-netbox", "CH Test", "--url", url, "--token", "nope"])
    assert refused.exit_code == 1 and "1 problème(s)" in refused.output
    monkeypatch.setenv("HYGIE_NETBOX_TOKEN", TOKEN)
    result = runner.invoke(app, ["assets", "import-netbox", "CH Test", "--url", url])
    assert result.exit_code == 0, result.output
    assert "4 créé(s), 0 mis à jour, 0 inchangé(s)" in result.output and "API NetBox" in result.output
    report = json.loads(
        runner.invoke(app, ["assets", "import-netbox", "CH Test", "--url", url, "--json"]).output
    )
    assert report["importer"] == "netbox" and len(report["unchanged"]) == 4
