"""GLPI's REST API (``apirest.php``), read live: computers, network devices, printers and peripherals
with their network ports, IP addresses, operating system and installed software.

One session: ``initSession`` with the App-Token and the user's API token, every list read page by page
(``range=0-499``, GLPI answers 206 Partial Content with ``Content-Range: 0-499/1234`` until the last
page), ``killSession`` at the end, whatever happened. The tokens are sent in headers and kept nowhere.
Any error (a refused token, a missing right, a server down) stops the reading: nothing is imported
from half an inventory.
"""

from __future__ import annotations

import html
import re
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import httpx
import pydantic

from hygie.assets.importers.common import ParsedFile, drop_shared_addresses, hostname_of_name, source_name
from hygie.assets.importers.cpe import to_cpe23
from hygie.assets.importers.glpi import glpi_datetime, ips_of, is_gone, kind_of, macs_of
from hygie.assets.models import Importer
from hygie.assets.schemas import AssetRecord, ImportSource, SoftwareRecord
from hygie.core.errors import ContentError, ImportRejectedError, Location

# The asset types read, with the name of their model and type dropdowns.
ITEMTYPES: dict[str, str] = {
    "Computer": "computer",
    "NetworkEquipment": "networkequipment",
    "Printer": "printer",
    "Peripheral": "peripheral",
}
PAGE_SIZE = 500
MAX_PAGES = 10_000  # 5 million rows: a server that never ends a list is stopped
_RANGE = re.compile(r"^\s*(\d+)\s*-\s*(-?\d+)\s*/\s*(\d+)\s*$")


class GlpiClient:
    """A session on GLPI's REST API (use it as a context manager: the session is killed on exit)."""

    def __init__(
        self,
        url: str,
        *,
        user_token: str,
        app_token: str | None = None,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 60.0,
        page_size: int = PAGE_SIZE,
    ) -> None:
        self.source = source_name("glpi", url)
        self.page_size = page_size
        headers = {"Accept": "application/json"}
        if app_token:
            headers["App-Token"] = app_token
        self._user_token = user_token
        self._http = httpx.Client(
            base_url=url.rstrip("/") + "/", headers=headers, transport=transport, timeout=timeout
        )
        self._session: str | None = None

    def __enter__(self) -> GlpiClient:
        self._open()
        return self

    def __exit__(self, *_: object) -> None:
        try:
            if self._session is not None:
                self._http.get("killSession", headers={"Session-Token": self._session})
        except httpx.HTTPError:
            pass  # the session expires on its own; the import's outcome does not depend on it
        finally:
            self._session = None
            self._http.close()

    def fail(self, message: str) -> ImportRejectedError:
        """The error that stops the import, naming the server."""
        return ImportRejectedError(self.source, [ContentError(message, Location(self.source))])

    def _call(self, path: str, **kwargs: Any) -> httpx.Response:
        try:
            return self._http.get(path, **kwargs)
        except httpx.HTTPError as exc:
            raise self.fail(f"cannot reach GLPI: {exc}") from exc

    def _error(self, response: httpx.Response, what: str) -> ImportRejectedError:
        """GLPI's answer to a refused call is ``["ERROR_CODE", "message"]``."""
        detail = ""
        try:
            body = response.json()
            if isinstance(body, list) and body:
                detail = " ".join(html.unescape(str(part)) for part in body[:2])
        except ValueError:
            detail = response.text[:200]
        hint = ""
        if response.status_code == 401 and what == "initSession":
            hint = ": check the user token (--user-token or HYGIE_GLPI_USER_TOKEN)"
        elif response.status_code in (400, 401) and "APP_TOKEN" in detail:
            hint = ": check the App-Token (--app-token or HYGIE_GLPI_APP_TOKEN)"
        elif response.status_code == 401:
            hint = ": the user's profile may not read this list"
        return self.fail(f"{what}: HTTP {response.status_code} {detail}{hint}".rstrip())

    def _open(self) -> None:
        response = self._call("initSession", headers={"Authorization": f"user_token {self._user_token}"})
        if response.status_code != 200:
            raise self._error(response, "initSession")
        try:
            token = response.json()["session_token"]
        except (ValueError, KeyError, TypeError):
            raise self.fail(
                "initSession: the answer has no session_token (is the URL apirest.php?)"
            ) from None
        self._session = str(token)

    def items(self, itemtype: str, *, expand: bool = False) -> Iterator[dict[str, Any]]:
        """Every row of a list, page by page (``Content-Range`` says where the list ends)."""
        if self._session is None:
            raise RuntimeError("the GLPI session is not open")
        start = 0
        for _ in range(MAX_PAGES):
            params = {
                "range": f"{start}-{start + self.page_size - 1}",
                "expand_dropdowns": "true" if expand else "false",
                "get_hateoas": "false",
            }
            response = self._call(itemtype, params=params, headers={"Session-Token": self._session})
            if response.status_code == 400 and "ERROR_RANGE_EXCEED_TOTAL" in response.text:
                return  # asked past the end: the previous page was the last
            if response.status_code not in (200, 206):
                raise self._error(response, itemtype)
            try:
                rows = response.json()
            except ValueError:
                raise self.fail(f"{itemtype}: the answer is not JSON") from None
            if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
                raise self.fail(f"{itemtype}: the answer is not a list of items")
            yield from rows
            found = _RANGE.match(response.headers.get("Content-Range", ""))
            if found is None:
                if response.status_code == 206:
                    raise self.fail(f"{itemtype}: a partial answer without Content-Range")
                return  # 200 without a range: the whole list at once
            last, total = int(found.group(2)), int(found.group(3))
            if last + 1 >= total or last < start or not rows:
                return
            start = last + 1
        raise self.fail(f"{itemtype}: more than {MAX_PAGES} pages")


def _text(value: object) -> str | None:
    """A field as GLPI gives it: an expanded dropdown is its name (``&nbsp;`` or 0 when empty)."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return None if value == 0 else str(value)
    text = html.unescape(str(value)).replace("\xa0", " ").strip()
    return text or None


def _hostname(network_name: dict[str, Any], domains: dict[int, str]) -> str | None:
    """``pc-adm-01`` in the domain (GLPI's FQDN) ``chu.local`` → ``pc-adm-01.chu.local``."""
    name = _text(network_name.get("name"))
    domain = domains.get(int(network_name.get("fqdns_id") or 0))
    if name and domain:
        return hostname_of_name(f"{name}.{domain}")
    return hostname_of_name(name)


class _Inventory:
    """Everything read, indexed by asset (itemtype, id)."""

    def __init__(self, client: GlpiClient) -> None:
        self.client = client
        self.ips: dict[tuple[str, int], list[str]] = defaultdict(list)
        self.macs: dict[tuple[str, int], list[str]] = defaultdict(list)
        self.hostnames: dict[tuple[str, int], str] = {}
        self.os: dict[tuple[str, int], tuple[str | None, str | None]] = {}
        self.software: dict[tuple[str, int], list[SoftwareRecord]] = defaultdict(list)

    def read_network(self) -> None:
        ports: dict[int, tuple[str, int]] = {}
        for port in self.client.items("NetworkPort"):
            owner = (str(port.get("itemtype")), int(port.get("items_id") or 0))
            if port.get("is_deleted"):
                continue
            ports[int(port["id"])] = owner
            if mac := _text(port.get("mac")):
                self.macs[owner].append(mac)
        # A domain's label (``name``) may be anything: its DNS name is ``fqdn``.
        domains = {int(d["id"]): fqdn for d in self.client.items("FQDN") if (fqdn := _text(d.get("fqdn")))}
        names: dict[int, tuple[str, int]] = {}
        for network_name in self.client.items("NetworkName"):
            if network_name.get("itemtype") != "NetworkPort" or network_name.get("is_deleted"):
                continue
            owner_of_port = ports.get(int(network_name.get("items_id") or 0))
            if owner_of_port is None:
                continue
            names[int(network_name["id"])] = owner_of_port
            hostname = _hostname(network_name, domains)
            if hostname:
                self.hostnames.setdefault(owner_of_port, hostname)
        for address in self.client.items("IPAddress"):
            if address.get("is_deleted"):
                continue
            owner = (str(address.get("mainitemtype")), int(address.get("mainitems_id") or 0))
            if owner[1] == 0 and address.get("itemtype") == "NetworkName":
                owner = names.get(int(address.get("items_id") or 0), owner)
            if ip := _text(address.get("name")):
                self.ips[owner].append(ip)

    def read_os(self) -> None:
        for row in self.client.items("Item_OperatingSystem", expand=True):
            if row.get("is_deleted"):
                continue
            owner = (str(row.get("itemtype")), int(row.get("items_id") or 0))
            self.os.setdefault(
                owner, (_text(row.get("operatingsystems_id")), _text(row.get("operatingsystemversions_id")))
            )

    def read_software(self) -> None:
        vendors: dict[int, tuple[str, str | None, str | None]] = {}
        for row in self.client.items("Software", expand=True):
            if name := _text(row.get("name")):
                cpe = to_cpe23(_text(row.get("cpe")) or "")
                vendors[int(row["id"])] = (name, _text(row.get("manufacturers_id")), cpe)
        versions: dict[int, SoftwareRecord] = {}
        for version in self.client.items("SoftwareVersion"):
            found = vendors.get(int(version.get("softwares_id") or 0))
            if found is None:
                continue
            name, vendor, cpe = found
            number = _text(version.get("name"))
            if cpe and number and cpe.split(":")[5] in ("*", "-"):
                parts = cpe.split(":")
                parts[5] = re.sub(r"([^A-Za-z0-9_.\-])", r"\\\1", number)
                cpe = ":".join(parts)
            versions[int(version["id"])] = SoftwareRecord(
                name=name[:300], version=number[:200] if number else None, vendor=vendor, cpe=cpe
            )
        for installed in self.client.items("Item_SoftwareVersion"):
            if installed.get("is_deleted") or installed.get("is_deleted_item"):
                continue
            found_version = versions.get(int(installed.get("softwareversions_id") or 0))
            if found_version is not None:
                owner = (str(installed.get("itemtype")), int(installed.get("items_id") or 0))
                self.software[owner].append(found_version)


def _record(itemtype: str, item: dict[str, Any], inventory: _Inventory) -> AssetRecord:
    owner = (itemtype, int(item["id"]))
    prefix = ITEMTYPES[itemtype]
    values: dict[str, Any] = {}
    guessed: set[str] = set()
    name = _text(item.get("name"))
    values["name"] = name or _text(item.get("otherserial"))
    hostname = inventory.hostnames.get(owner) or hostname_of_name(name)
    if hostname:
        values["hostname"] = hostname
        if owner not in inventory.hostnames:
            guessed.add("hostname")
    kind, kind_guessed = kind_of(itemtype, _text(item.get(f"{prefix}types_id")))
    values["kind"] = kind
    if kind_guessed:
        guessed.add("kind")
    values["maker"] = _text(item.get("manufacturers_id"))
    values["model"] = _text(item.get(f"{prefix}models_id"))
    values["serial"] = _text(item.get("serial"))
    os_name, os_version = inventory.os.get(owner, (None, None))
    values["os_name"] = os_name or _text(item.get("operatingsystems_id"))
    values["os_version"] = os_version or _text(item.get("operatingsystemversions_id"))
    values["location"] = _text(item.get("locations_id"))
    values["owner"] = _text(item.get("users_id_tech")) or _text(item.get("groups_id_tech"))
    values["ips"] = ips_of(inventory.ips.get(owner, []))
    values["macs"] = macs_of([*inventory.macs.get(owner, []), *filter(None, [_text(item.get("mac"))])])
    values["software"] = list({s.key: s for s in inventory.software.get(owner, [])}.values())
    inventoried = _text(item.get("last_inventory_update"))
    if inventoried:
        values["observed_at"] = glpi_datetime(inventoried)
    values["guessed"] = frozenset(guessed)
    return AssetRecord.model_validate({k: v for k, v in values.items() if v is not None})


def fetch(
    url: str,
    *,
    user_token: str,
    app_token: str | None = None,
    transport: httpx.BaseTransport | None = None,
    page_size: int = PAGE_SIZE,
) -> ParsedFile:
    """The assets of a GLPI server, as records for ``service.import_assets``; ImportRejectedError naming
    the server (and the item) when anything goes wrong: then nothing is imported."""
    with GlpiClient(
        url, user_token=user_token, app_token=app_token, transport=transport, page_size=page_size
    ) as client:
        inventory = _Inventory(client)
        try:
            items = {itemtype: list(client.items(itemtype, expand=True)) for itemtype in ITEMTYPES}
            inventory.read_network()
            inventory.read_os()
            inventory.read_software()
        except (KeyError, TypeError, ValueError) as exc:  # an id missing or not a number
            raise client.fail(f"an answer of GLPI is not what its API gives: {exc!r}") from exc
    records: list[AssetRecord] = []
    notes: list[str] = []
    problems: list[ContentError] = []
    for itemtype, rows in items.items():
        for item in rows:
            where = f"{itemtype} {item.get('id')}"
            label = _text(item.get("name")) or where
            if item.get("is_template") or item.get("is_deleted"):
                continue
            status = _text(item.get("states_id"))
            if is_gone(status):
                notes.append(f"{client.source}: {label!r} ({where}) skipped, its status is {status!r}")
                continue
            try:
                record = _record(itemtype, item, inventory)
            except pydantic.ValidationError as exc:
                message = "; ".join(f"{e['loc'][0] if e['loc'] else ''}: {e['msg']}" for e in exc.errors())
                problems.append(ContentError(message, Location(client.source, None, f"{where} {label!r}")))
                continue
            except ValueError as exc:
                message = str(exc)
                problems.append(ContentError(message, Location(client.source, None, f"{where} {label!r}")))
                continue
            if record.identified:
                records.append(record)
            else:
                notes.append(f"{client.source}: {where} skipped, nothing identifies it")
    if problems:
        raise ImportRejectedError(client.source, problems)
    records, shared = drop_shared_addresses(records, client.source)
    source = ImportSource(importer=Importer.GLPI_API, file_name=client.source)
    return ParsedFile(source=source, records=records, warnings=notes + shared)
