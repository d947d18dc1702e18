"""Nmap XML reports (``nmap -sV -O -oX``): hosts up, their addresses, open ports and OS guess.

Each host that is up becomes one record: its IP and MAC addresses (with the MAC's vendor), its first
user-given or reverse-DNS name, its open ports with the service, product, version and CPE that
``-sV`` found, the software those services reveal, and the best ``-O`` match (OS name, generation,
CPE, and the device type mapped to a kind). The OS and kind are fingerprints: marked as guesses, they
never replace what an inventory stated. Nmap writes CPE 2.2 URIs; they are stored as CPE 2.3.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from xml.etree.ElementTree import Element

import pydantic

from hygie.assets.importers.common import parse_xml
from hygie.assets.importers.cpe import to_cpe23
from hygie.assets.models import AssetKind
from hygie.assets.schemas import AssetRecord, MacRecord, PortRange, PortRecord, SoftwareRecord
from hygie.core.errors import ContentError, ImportRejectedError, Location

# Below this accuracy Nmap's OS match is too weak to say anything.
MIN_OS_ACCURACY = 85

# Nmap's device types (nmap-os-db "Class" lines) that tell the kind of asset.
_KIND_OF_DEVICE_TYPE = {
    "switch": AssetKind.NETWORK,
    "router": AssetKind.NETWORK,
    "broadband router": AssetKind.NETWORK,
    "firewall": AssetKind.NETWORK,
    "wap": AssetKind.NETWORK,
    "load balancer": AssetKind.NETWORK,
    "bridge": AssetKind.NETWORK,
    "proxy server": AssetKind.NETWORK,
    "terminal server": AssetKind.NETWORK,
    "webcam": AssetKind.IOT,
    "power-device": AssetKind.IOT,
    "media device": AssetKind.IOT,
    "voip phone": AssetKind.IOT,
    "voip adapter": AssetKind.IOT,
    "pbx": AssetKind.IOT,
}


def software_of_service(port: PortRecord) -> SoftwareRecord | None:
    """The software a service banner names: its product and version, with its application CPE.
    A banner whose CPE names the operating system (Windows' SMB) is the OS, not software."""
    part = port.cpe.split(":")[2] if port.cpe else None
    if part in ("o", "h"):
        return None
    vendor = product = None
    if port.cpe and part == "a":
        fields = port.cpe.split(":")
        vendor, product = fields[3].replace("\\", ""), fields[4].replace("\\", "")
    name = port.product or product
    if not name:
        return None
    return SoftwareRecord(name=name[:300], version=port.version, vendor=vendor, cpe=port.cpe)


def _epoch(value: str | None) -> datetime | None:
    if value and value.isdigit():
        return datetime.fromtimestamp(int(value), UTC)
    return None


def _port_ranges(root: Element) -> list[PortRange] | None:
    ranges: list[PortRange] = []
    for info in root.iter("scaninfo"):
        protocol, services = info.get("protocol"), info.get("services")
        if not protocol or not services:
            return None
        for item in services.split(","):
            first, _, last = item.partition("-")
            if not first.isdigit() or (last and not last.isdigit()):
                return None
            ranges.append(PortRange(protocol=protocol, first=int(first), last=int(last or first)))
    return ranges or None


def _cpes(element: Element) -> list[str]:
    found = (to_cpe23(cpe.text or "") for cpe in element.iter("cpe"))
    return [cpe for cpe in found if cpe]


def _port(element: Element) -> PortRecord | None:
    state = element.find("state")
    if state is None or state.get("state") != "open":
        return None
    service = element.find("service")
    cpes = _cpes(service) if service is not None else []
    application = [c for c in cpes if c.split(":")[2] == "a"]
    return PortRecord(
        protocol=element.get("protocol", ""),
        port=int(element.get("portid", "")),
        service=service.get("name") if service is not None else None,
        product=service.get("product") if service is not None else None,
        version=service.get("version") if service is not None else None,
        cpe=next(iter(application or cpes), None),
    )


def _os_guess(host: Element, values: dict[str, object]) -> None:
    """The best OS match, if accurate enough: name, generation, CPE, and the kind of device."""
    match = host.find("os/osmatch")
    if match is None or int(match.get("accuracy", "0")) < MIN_OS_ACCURACY:
        return
    values["os_name"] = match.get("name")
    osclass = match.find("osclass")
    if osclass is not None:
        values["os_version"] = osclass.get("osgen")
        kind = _KIND_OF_DEVICE_TYPE.get((osclass.get("type") or "").lower())
        if kind is None and osclass.get("type") == "general purpose":
            name = (match.get("name") or "").lower()
            if "windows" in name:
                kind = AssetKind.SERVER if "server" in name else AssetKind.WORKSTATION
        if kind is not None:
            values["kind"] = kind
    os_cpes = [c for c in _cpes(match) if c.split(":")[2] == "o"]
    if os_cpes:
        values["os_cpe"] = os_cpes[0]


def _host(host: Element, scanned: list[PortRange] | None, started: datetime | None) -> dict[str, object]:
    ips, macs = [], []
    for address in host.findall("address"):
        kind, value = address.get("addrtype"), address.get("addr", "")
        if kind in ("ipv4", "ipv6"):
            ips.append(value)
        elif kind == "mac":
            macs.append(MacRecord(address=value, vendor=address.get("vendor")))
    names = host.findall("hostnames/hostname")
    names.sort(key=lambda h: 0 if h.get("type") == "user" else 1)
    values: dict[str, object] = {"line": None, "ips": ips, "macs": macs}
    if names:
        values["hostname"] = names[0].get("name")
    ports = [p for p in (_port(e) for e in host.findall("ports/port")) if p is not None]
    values["ports"] = ports
    values["ports_scanned"] = scanned
    software = [s for s in (software_of_service(p) for p in ports) if s is not None]
    values["software"] = list({s.key: s for s in software}.values())
    _os_guess(host, values)
    values["guessed"] = frozenset({"kind", "os_name", "os_version", "os_cpe"} & values.keys())
    values["observed_at"] = _epoch(host.get("endtime")) or _epoch(host.get("starttime")) or started
    return values


def parse(path: Path) -> list[AssetRecord]:
    """The hosts that are up in an Nmap XML report; ImportRejectedError naming each bad host."""
    root = parse_xml(path)
    if root.tag != "nmaprun":
        raise ContentError("not an Nmap XML report (its root element is not <nmaprun>)", Location(path.name))
    scanned = _port_ranges(root)
    started = _epoch(root.get("start"))
    records: list[AssetRecord] = []
    problems: list[ContentError] = []
    for number, host in enumerate(root.iter("host"), start=1):
        status = host.find("status")
        if status is not None and status.get("state") != "up":
            continue
        where = Location(path.name, None, f"host {number}")
        try:
            records.append(AssetRecord.model_validate(_host(host, scanned, started)))
        except (ValueError, pydantic.ValidationError) as exc:
            problems.append(ContentError(_first_error(exc), where))
    if problems:
        raise ImportRejectedError(path.name, problems)
    return records


def _first_error(exc: Exception) -> str:
    if isinstance(exc, pydantic.ValidationError):
        error = exc.errors()[0]
        field = ".".join(str(p) for p in error["loc"])
        return f"{field}: {error['msg'].removeprefix('Value error, ')}"
    return str(exc)
