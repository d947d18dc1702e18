"""NetBox, read live with pynetbox: devices (``dcim.devices``) and virtual machines
(``virtualization.virtual_machines``) with their site, location and rack, role, platform, maker and
model, serial number, primary and assigned IPs, the MAC addresses of their interfaces, tags and the
custom fields named like a field of Hygie
(docs/en/inventory-glpi-netbox.md, docs/fr/inventaire-glpi-netbox.md).

Every list is read whole (pynetbox follows NetBox's ``next`` links) before anything is imported; an
error (a refused token, a server down, a custom field with a wrong value) stops the reading, and
nothing is imported. The token is sent in a header and kept nowhere.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import pydantic
import pynetbox
import requests

from hygie.assets.importers import csvfile
from hygie.assets.importers.common import ParsedFile, drop_shared_addresses, hostname_of_name, source_name
from hygie.assets.importers.glpi import ips_of, kind_of_words, macs_of
from hygie.assets.models import AssetKind, Importer
from hygie.assets.schemas import AssetRecord, ImportSource
from hygie.core.errors import ContentError, ImportRejectedError, Location

# Statuses of an object that is not there yet.
SKIPPED_STATUSES = frozenset({"planned"})

# Custom fields a NetBox may carry for Hygie, found by name like the columns of the CSV template
# (``clinical_criticality``, ``care_department``, ``network_zone``…). The identifying fields and
# the ones NetBox states itself (name, addresses, serial, maker, model) are not taken from them.
_CUSTOM_FIELDS = frozenset(
    {
        "hostname",
        "kind",
        "medical_subtype",
        "os_version",
        "os_cpe",
        "firmware",
        "department",
        "network_zone",
        "criticality",
        "owner",
        "end_of_support",
        "patchable",
        "patched_by",
        "remote_service",
        "internet_exposed",
    }
)
_FIELD_OF_CUSTOM = {
    name: field for field, names in csvfile.COLUMNS.items() if field in _CUSTOM_FIELDS for name in names
}

# Tags (by slug, key() form) that state a fact.
_TAG_FACTS: dict[str, tuple[str, Any]] = {
    "internet_exposed": ("internet_exposed", True),
    "expose_internet": ("internet_exposed", True),
    "remote_service": ("remote_service", True),
    "telemaintenance": ("remote_service", True),
    "medical_device": ("kind", AssetKind.MEDICAL_DEVICE),
    "dispositif_medical": ("kind", AssetKind.MEDICAL_DEVICE),
    "biomedical": ("kind", AssetKind.MEDICAL_DEVICE),
}


class _TimeoutSession(requests.Session):
    """pynetbox sets no timeout: a server that stops answering would hang the import forever."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self.timeout = timeout

    def request(self, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("timeout", self.timeout)
        return super().request(*args, **kwargs)


def _name(value: object) -> str | None:
    """The name of a nested object (``{"id": 3, "name": "CHU Nord"}``), or a plain value as text."""
    if isinstance(value, dict):
        value = value.get("name") or value.get("model") or value.get("display") or value.get("label")
    if value is None or value == "":
        return None
    text = str(value).strip()
    return text or None


def _address(value: object) -> str | None:
    """``10.1.2.3/24`` of a nested IP address → ``10.1.2.3``."""
    if isinstance(value, dict):
        value = value.get("address")
    return str(value).split("/", 1)[0].strip() if value else None


def _interface_macs(interface: dict[str, Any]) -> list[str]:
    """The MACs of an interface: ``mac_address`` up to NetBox 4.1, MAC objects since 4.2."""
    found = [interface.get("mac_address")]
    primary = interface.get("primary_mac_address")
    if isinstance(primary, dict):
        found.append(primary.get("mac_address"))
    for mac in interface.get("mac_addresses") or []:
        if isinstance(mac, dict):
            found.append(mac.get("mac_address"))
    return [str(mac) for mac in found if mac]


Owner = tuple[str, int]  # ("device" or "vm", its id)
_INTERFACE_TYPES = {
    "dcim.interface": ("device", "device"),
    "virtualization.vminterface": ("vm", "virtual_machine"),
}


def _addresses(
    ip_addresses: list[dict[str, Any]], interfaces: list[dict[str, Any]], vm_interfaces: list[dict[str, Any]]
) -> tuple[dict[Owner, list[str]], dict[Owner, list[str]]]:
    """The IPs assigned to each device's and machine's interfaces, and their MACs: those of the
    interfaces that carry an IP (a switch's management interface, not its 48 ports), or of all its
    interfaces when none does (a device NetBox knows no address of)."""
    ips: dict[Owner, list[str]] = defaultdict(list)
    addressed: set[Owner] = set()  # ("device" or "vm", interface id)
    for address in ip_addresses:
        status = address.get("status")
        if (status.get("value") if isinstance(status, dict) else status) == "deprecated":
            continue
        kind = _INTERFACE_TYPES.get(str(address.get("assigned_object_type")))
        interface = address.get("assigned_object")
        if kind is None or not isinstance(interface, dict) or not isinstance(interface.get(kind[1]), dict):
            continue
        if value := _address(address.get("address")):
            ips[(kind[0], int(interface[kind[1]]["id"]))].append(value)
        addressed.add((kind[0], int(address.get("assigned_object_id") or interface["id"])))
    every: dict[Owner, list[str]] = defaultdict(list)
    carrying: dict[Owner, list[str]] = defaultdict(list)
    for what, parent, rows in (("device", "device", interfaces), ("vm", "virtual_machine", vm_interfaces)):
        for interface in rows:
            if not isinstance(interface.get(parent), dict):
                continue
            owner = (what, int(interface[parent]["id"]))
            found = _interface_macs(interface)
            every[owner] += found
            if (what, int(interface["id"])) in addressed:
                carrying[owner] += found
    macs = {owner: carrying.get(owner) or found for owner, found in every.items()}
    return ips, macs


def _custom_value(field: str, value: object) -> Any:
    """A custom field's value as the field of AssetRecord (ValueError when it is not one)."""
    if isinstance(value, list):
        if len(value) != 1:
            raise ValueError(f"{len(value)} values where one is expected")
        value = value[0]
    if isinstance(value, dict):
        value = value.get("value") or value.get("name") or value.get("display")
    if isinstance(value, bool):
        if field in ("remote_service", "internet_exposed"):
            return value
        if field == "patchable":
            return "yes" if value else "no"
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not a value of {field}")
    return csvfile.convert(field, value)


def _location(item: dict[str, Any]) -> str | None:
    parts = [_name(item.get("site")), _name(item.get("location")), _name(item.get("rack"))]
    text = " / ".join(part for part in parts if part)
    if text and item.get("rack") and item.get("position") is not None:
        text += f" (U{item['position']})".replace(".0)", ")")
    return text or None


def _record(item: dict[str, Any], ips: Iterable[str], macs: Iterable[str], *, virtual: bool) -> AssetRecord:
    """One device or virtual machine as a record (ValueError or pydantic's error when it is wrong)."""
    values: dict[str, Any] = {}
    guessed: set[str] = set()
    name = _name(item.get("name"))
    values["name"] = name or _name(item.get("asset_tag"))
    values["hostname"] = hostname_of_name(name)
    if values["hostname"]:
        guessed.add("hostname")
    role = _name(item.get("role")) or _name(item.get("device_role"))
    kind = kind_of_words(role)
    if kind is None and virtual:
        kind = AssetKind.SERVER  # a virtual machine serves; a role may say otherwise
        guessed.add("kind")
    values["kind"] = kind
    device_type = item.get("device_type")
    if isinstance(device_type, dict):
        values["maker"] = _name(device_type.get("manufacturer"))
        values["model"] = _name(device_type.get("model") or device_type.get("display"))
    values["serial"] = _name(item.get("serial"))
    values["os_name"] = _name(item.get("platform"))
    values["location"] = _location(item)
    primary = [_address(item.get(k)) for k in ("primary_ip4", "primary_ip6", "primary_ip")]
    values["ips"] = ips_of(dict.fromkeys(a for a in [*primary, *ips] if a))
    values["macs"] = macs_of(macs)
    for tag in item.get("tags") or []:
        fact = _TAG_FACTS.get(csvfile.key(str(tag.get("slug") or tag.get("name") or "")))
        if fact is not None:
            values[fact[0]] = fact[1]
            guessed.discard(fact[0])
    for custom, value in (item.get("custom_fields") or {}).items():
        field = _FIELD_OF_CUSTOM.get(csvfile.key(custom))
        if field is None or value is None or value == "" or value == []:
            continue
        try:
            values[field] = _custom_value(field, value)
        except ValueError as exc:
            raise ValueError(f"custom field {custom}: {exc}") from None
        guessed.discard(field)
    values["guessed"] = frozenset(guessed)
    return AssetRecord.model_validate({k: v for k, v in values.items() if v is not None})


def _read(api: Any, source: str) -> tuple[list[dict[str, Any]], ...]:
    def fail(message: str) -> ImportRejectedError:
        return ImportRejectedError(source, [ContentError(message, Location(source))])

    try:
        return (
            [dict(r) for r in api.dcim.devices.all()],
            [dict(r) for r in api.virtualization.virtual_machines.all()],
            [dict(r) for r in api.dcim.interfaces.all()],
            [dict(r) for r in api.virtualization.interfaces.all()],
            [dict(r) for r in api.ipam.ip_addresses.all()],
        )
    except pynetbox.RequestError as exc:
        status = exc.req.status_code
        hint = ""
        if status in (401, 403):
            hint = ": check the token (--token or HYGIE_NETBOX_TOKEN) and its permissions"
        raise fail(f"HTTP {status} on {exc.req.url.split('?')[0]}: {exc.error}{hint}") from exc
    except pynetbox.ContentError as exc:
        raise fail("the answer is not JSON: is the URL NetBox's (without /api)?") from exc
    except requests.RequestException as exc:
        raise fail(f"cannot reach NetBox: {exc}") from exc
    except (KeyError, TypeError, ValueError) as exc:  # a paginated answer without results/next
        raise fail(f"not an answer of NetBox's API: {exc}") from exc


def fetch(url: str, *, token: str | None, timeout: float = 60.0) -> ParsedFile:
    """The devices and virtual machines of a NetBox, as records for ``service.import_assets``;
    ImportRejectedError naming the server (and the object) when anything is wrong."""
    source = source_name("netbox", url)
    api = pynetbox.api(url.rstrip("/"), token=token or None)
    api.http_session = _TimeoutSession(timeout)
    devices, machines, interfaces, vm_interfaces, ip_addresses = _read(api, source)
    ips, macs = _addresses(ip_addresses, interfaces, vm_interfaces)
    records: list[AssetRecord] = []
    notes: list[str] = []
    problems: list[ContentError] = []
    for what, items in (("device", devices), ("vm", machines)):
        for item in items:
            where = f"{'device' if what == 'device' else 'virtual machine'} {item.get('id')}"
            label = _name(item.get("name")) or where
            status = item.get("status")
            status_value = status.get("value") if isinstance(status, dict) else status
            if status_value in SKIPPED_STATUSES:
                notes.append(f"{source}: {label!r} ({where}) skipped, its status is {status_value!r}")
                continue
            try:
                owner = (what, int(item["id"]))
                record = _record(item, ips.get(owner, []), macs.get(owner, []), virtual=what == "vm")
            except pydantic.ValidationError as exc:
                message = "; ".join(f"{e['loc'][0] if e['loc'] else ''}: {e['msg']}" for e in exc.errors())
                problems.append(ContentError(message, Location(source, None, f"{where} {label!r}")))
                continue
            except ValueError as exc:
                problems.append(ContentError(str(exc), Location(source, None, f"{where} {label!r}")))
                continue
            if record.identified:
                records.append(record)
            else:
                notes.append(f"{source}: {where} skipped, nothing identifies it")
    if problems:
        raise ImportRejectedError(source, problems)
    records, shared = drop_shared_addresses(records, source)
    notes += shared
    return ParsedFile(
        source=ImportSource(importer=Importer.NETBOX, file_name=source), records=records, warnings=notes
    )
