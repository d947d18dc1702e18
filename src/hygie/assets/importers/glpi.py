"""GLPI's search-result export (CSV), and the vocabulary GLPI's export and API share
(docs/en/inventory-glpi-netbox.md, docs/fr/inventaire-glpi-netbox.md).

The export is the list of Computers, Network devices, Printers, Peripherals or Monitors as GLPI shows
it, saved with "Export → CSV": UTF-8 with a byte-order mark, ``;`` between cells (``,`` when the
user's preference says so), every cell quoted, a header line in the language of the user who
exported it (French and English are read), several values of one cell (IPs, MACs) one per line or
joined with ``<br>``. Cells stay the text they are (a cell starting with ``=`` is never computed), as
in the CSV template. Every wrong cell is reported with its line and column, and nothing is imported.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pydantic

from hygie.assets.importers.common import (
    MAX_IMPORT_BYTES,
    check_size,
    drop_shared_addresses,
    hostname_of_name,
    useful_ip,
    useful_mac,
)
from hygie.assets.importers.csvfile import key
from hygie.assets.models import AssetKind
from hygie.assets.schemas import AssetRecord, MacRecord, normalise_ip, normalise_mac
from hygie.core.csvtext import decode_utf8, delimiter_of
from hygie.core.errors import ContentError, ImportRejectedError, Location

# GLPI writes its dates in the server's time; French hospitals run it in Paris time.
GLPI_TIMEZONE = ZoneInfo("Europe/Paris")

# Column of the export → what it holds, in key() form. GLPI prefixes a column of a linked object
# with its group ("Système d'exploitation - Nom"): those forms are listed as they are, since the part
# after the dash alone ("Nom") would be another column.
COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("name", "nom"),
    "entity": ("entity", "entite"),
    "status": ("status", "statut"),
    "maker": ("manufacturer", "fabricant", "constructeur"),
    "model": (
        "model",
        "modele",
        *(f"{kind}_model" for kind in ("computer", "network_equipment", "printer", "peripheral", "monitor")),
        "modele_d_ordinateur",
        "modele_de_materiel_reseau",
        "modele_d_imprimante",
        "modele_de_peripherique",
        "modele_de_moniteur",
        "modele_d_ecran",
    ),
    "serial": ("serial_number", "numero_de_serie", "serial"),
    "inventory": ("inventory_number", "numero_d_inventaire", "otherserial"),
    "type": (
        "type",
        *(f"{kind}_type" for kind in ("computer", "network_equipment", "printer", "peripheral", "monitor")),
        "type_d_ordinateur",
        "type_de_materiel_reseau",
        "type_d_imprimante",
        "type_de_peripherique",
        "type_de_moniteur",
        "type_d_ecran",
    ),
    "os_name": (
        "operating_system",
        "systeme_d_exploitation",
        "operating_system_name",
        "systeme_d_exploitation_nom",
    ),
    "os_version": (
        "operating_system_version",
        "systeme_d_exploitation_version",
        "version_of_the_operating_system",
        "version_du_systeme_d_exploitation",
    ),
    "location": ("location", "lieu", "emplacement", "localisation"),
    "ips": (
        "ip",
        "ips",
        "ip_address",
        "ip_addresses",
        "adresse_ip",
        "adresses_ip",
        "networking_ip",
        "reseau_ip",
        "networking_ip_address",
        "reseau_adresse_ip",
        "network_name_ip",
        "nom_reseau_ip",
        "network_ports_ip",
        "ports_reseau_ip",
    ),
    "macs": (
        "mac",
        "mac_address",
        "mac_addresses",
        "adresse_mac",
        "adresses_mac",
        "networking_mac_address",
        "reseau_adresse_mac",
        "network_ports_mac_address",
        "ports_reseau_adresse_mac",
        "network_port_mac_address",
        "port_reseau_adresse_mac",
    ),
    "tech_user": (
        "technician_in_charge_of_the_hardware",
        "technicien_responsable_du_materiel",
        "technician_in_charge",
        "technicien_responsable",
        "responsable_technique",
    ),
    "tech_group": (
        "group_in_charge_of_the_hardware",
        "groupe_responsable_du_materiel",
        "group_in_charge",
        "groupe_responsable",
        "groupe_technique",
    ),
    "user": ("user", "utilisateur", "usager"),
    "group": ("group", "groupe"),
    "updated": ("last_update", "derniere_modification", "derniere_mise_a_jour"),
    "inventoried": (
        "last_inventory_date",
        "last_inventory_update",
        "date_du_dernier_inventaire",
        "derniere_date_d_inventaire",
        "derniere_mise_a_jour_de_l_inventaire",
    ),
    "itemtype": ("item_type", "type_d_element", "type_d_objet"),
}
_COLUMN_OF_KEY = {name: column for column, names in COLUMNS.items() for name in names}
# Columns no inventory template has: two of them in a header line mean a GLPI export.
_GLPI_ONLY = {
    name
    for column in ("entity", "status", "inventory", "tech_user", "tech_group", "updated", "inventoried")
    for name in COLUMNS[column]
} | {"operating_system_name", "systeme_d_exploitation_nom", "networking_mac_address", "reseau_adresse_mac"}

# Statuses (GLPI's « Statut » dropdown, named by each hospital) of an asset that is no longer there.
_GONE = (
    "retired",
    "retire",
    "reforme",
    "reformee",
    "reformes",
    "reformees",
    "au_rebut",
    "mis_au_rebut",
    "rebut",
    "scrapped",
    "disposed",
    "detruit",
    "destroyed",
    "stolen",
    "vole",
    "lost",
    "perdu",
    "hors_parc",
    "sorti_de_l_inventaire",
    "decommissioned",
)


def _has_word(text: str, words: Iterable[str]) -> bool:
    padded = f"_{key(text)}_"
    return any(f"_{word}_" in padded for word in words)


def is_gone(status: str | None) -> bool:
    """Whether a GLPI status says the asset is retired, scrapped, stolen or lost."""
    return bool(status) and _has_word(status or "", _GONE)


# Words of a GLPI or NetBox type / role (key() form) → the kind of asset they say.
_KIND_WORDS: tuple[tuple[AssetKind, tuple[str, ...]], ...] = (
    (
        AssetKind.MEDICAL_DEVICE,
        (
            "medical",
            "biomedical",
            "biomedical_device",
            "dispositif_medical",
            "dm",
            "biomed",
            "medical_device",
        ),
    ),
    (
        AssetKind.SERVER,
        ("server", "serveur", "serveurs", "servers", "hypervisor", "hyperviseur", "blade", "lame"),
    ),
    (
        AssetKind.NETWORK,
        (
            "switch",
            "commutateur",
            "router",
            "routeur",
            "firewall",
            "pare_feu",
            "access_point",
            "point_d_acces",
            "borne_wifi",
            "wifi",
            "load_balancer",
            "network",
            "reseau",
            "wlc",
        ),
    ),
    (
        AssetKind.WORKSTATION,
        (
            "laptop",
            "portable",
            "notebook",
            "desktop",
            "workstation",
            "poste",
            "pc",
            "station_de_travail",
            "all_in_one",
            "thin_client",
            "client_leger",
            "tablet",
            "tablette",
        ),
    ),
    (
        AssetKind.IOT,
        (
            "camera",
            "printer",
            "imprimante",
            "mfp",
            "multifonction",
            "copieur",
            "badge",
            "controle_d_acces",
            "access_control",
            "gtb",
            "hvac",
            "iot",
        ),
    ),
)

# Kind of each GLPI item type, and whether it is only a guess (a Computer may be a server).
ITEMTYPE_KINDS: dict[str, tuple[AssetKind, bool]] = {
    "computer": (AssetKind.WORKSTATION, True),
    "ordinateur": (AssetKind.WORKSTATION, True),
    "networkequipment": (AssetKind.NETWORK, False),
    "network_device": (AssetKind.NETWORK, False),
    "materiel_reseau": (AssetKind.NETWORK, False),
    "printer": (AssetKind.IOT, False),
    "imprimante": (AssetKind.IOT, False),
    "peripheral": (AssetKind.OTHER, True),
    "peripherique": (AssetKind.OTHER, True),
    "monitor": (AssetKind.OTHER, True),
    "moniteur": (AssetKind.OTHER, True),
    "ecran": (AssetKind.OTHER, True),
}


def kind_of_words(text: str | None) -> AssetKind | None:
    """The kind a type or role names (« Serveur », "Laptop", "Core switch"), None when none does."""
    if not text:
        return None
    for kind, words in _KIND_WORDS:
        if _has_word(text, words):
            return kind
    return None


def kind_of(itemtype: str | None, type_text: str | None) -> tuple[AssetKind | None, bool]:
    """The kind of an item from its type's words, else from its item type; and whether it is a guess."""
    kind = kind_of_words(type_text)
    if kind is not None:
        return kind, False
    found = ITEMTYPE_KINDS.get(key(itemtype or "").removesuffix("s"))
    return found if found is not None else (None, False)


def several(text: str) -> list[str]:
    """The values of a multi-valued cell: one per line, or joined with ``<br>``, spaces, ``|``, ``,``."""
    return [part for part in re.split(r"<br\s*/?>|[\s|;,]+", text, flags=re.I) if part]


def ips_of(values: Iterable[str]) -> list[str]:
    """Normalised IPs that identify a host (ValueError naming a value that is not an IP)."""
    return [ip for ip in (normalise_ip(v) for v in values) if useful_ip(ip)]


def macs_of(values: Iterable[str]) -> list[MacRecord]:
    """Normalised MACs that identify a host (ValueError naming a value that is not a MAC)."""
    found = dict.fromkeys(normalise_mac(v) for v in values)
    return [MacRecord(address=mac) for mac in found if useful_mac(mac)]


def glpi_datetime(text: str) -> datetime:
    """A date GLPI wrote (``2026-03-02 14:05``, ``02-03-2026 14:05`` or ``02/03/2026``) in its
    server's time, as an aware UTC datetime."""
    text = text.strip()
    for layout in (
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%d",
        "%d-%m-%Y %H:%M:%S",
        "%d-%m-%Y %H:%M",
        "%d-%m-%Y",
        "%d/%m/%Y %H:%M",
        "%d/%m/%Y",
    ):
        try:
            naive = datetime.strptime(text, layout)  # noqa: DTZ007 -- GLPI's local time, zoned below
        except ValueError:
            continue
        return naive.replace(tzinfo=GLPI_TIMEZONE).astimezone(UTC)
    raise ValueError(f"{text!r} is not a date (YYYY-MM-DD HH:MM or DD-MM-YYYY HH:MM)")


def looks_like_glpi(head: bytes) -> bool:
    """Whether the header line of a CSV is a GLPI export (two columns only GLPI writes)."""
    first = head.decode("utf-8-sig", errors="ignore").lstrip("\ufeff").split("\n", 1)[0]
    cells = next(csv.reader([first], delimiter=delimiter_of(first)), [])
    return len({key(cell) for cell in cells} & _GLPI_ONLY) >= 2


def _columns(header: list[str], name: str) -> tuple[dict[int, str], list[str]]:
    columns: dict[int, str] = {}
    ignored: list[str] = []
    seen: dict[str, str] = {}
    problems: list[ContentError] = []
    for index, title in enumerate(header):
        column = _COLUMN_OF_KEY.get(key(title))
        if column is None:
            if title.strip():
                ignored.append(title.strip())
            continue
        if column in seen:
            problems.append(
                ContentError(f"same column as {seen[column]!r}", Location(name, 1, title.strip()))
            )
            continue
        seen[column] = title.strip()
        columns[index] = column
    if "name" not in seen and "serial" not in seen and "ips" not in seen and "macs" not in seen:
        problems.append(
            ContentError("not a GLPI export: no Name/Nom, Serial number, IP or MAC column", Location(name, 1))
        )
    if problems:
        raise ImportRejectedError(name, problems)
    return columns, ignored


def _record(
    cells: dict[str, str], line: int, name: str, titles: dict[str, str], problems: list[ContentError]
) -> AssetRecord | None:
    """One row as a record; None, with a problem naming the column of each wrong cell, when wrong."""
    wrong: list[ContentError] = []

    def bad(column: str, exc: ValueError) -> None:
        wrong.append(ContentError(str(exc), Location(name, line, titles[column])))

    values: dict[str, Any] = {"line": line}
    guessed: set[str] = set()
    values["name"] = cells.get("name") or cells.get("inventory")
    hostname = hostname_of_name(cells.get("name"))
    if hostname:
        values["hostname"] = hostname
        guessed.add("hostname")
    kind, kind_guessed = kind_of(cells.get("itemtype"), cells.get("type"))
    if kind is not None:
        values["kind"] = kind
        if kind_guessed:
            guessed.add("kind")
    for column in ("maker", "model", "serial", "os_name", "os_version", "location"):
        if cells.get(column):
            values[column] = cells[column]
    values["owner"] = cells.get("tech_user") or cells.get("tech_group")
    for column, convert in (("ips", ips_of), ("macs", macs_of)):
        if cells.get(column):
            try:
                values[column] = convert(several(cells[column]))
            except ValueError as exc:
                bad(column, exc)
    if cells.get("inventoried"):
        try:
            values["observed_at"] = glpi_datetime(cells["inventoried"])
        except ValueError as exc:
            bad("inventoried", exc)
    values["guessed"] = frozenset(guessed)
    if wrong:
        order = list(titles.values())  # in the order of the columns of the file
        problems.extend(sorted(wrong, key=lambda p: order.index((p.location and p.location.field) or "")))
        return None
    try:
        return AssetRecord.model_validate(values)
    except pydantic.ValidationError as exc:
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else ""
            message = error["msg"].removeprefix("Value error, ")
            column = {"owner": "tech_user"}.get(field, field)
            problems.append(ContentError(message, Location(name, line, titles.get(column, field))))
        return None


def parse(path: Path, max_bytes: int = MAX_IMPORT_BYTES) -> tuple[list[AssetRecord], list[str]]:
    """The records of a GLPI export, and notes (columns ignored, retired assets skipped);
    ImportRejectedError naming the line and column of every wrong cell."""
    name = path.name
    check_size(path, max_bytes)
    text = decode_utf8(path.read_bytes(), name)
    first_line = text.split("\n", 1)[0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter_of(first_line), strict=True)
    try:
        header = next(reader)
    except StopIteration:
        raise ContentError("the file is empty", Location(name)) from None
    except csv.Error as exc:
        raise ContentError(f"unreadable CSV: {exc}", Location(name, 1)) from exc
    columns, ignored = _columns(header, name)
    titles = {column: header[index].strip() for index, column in columns.items()}
    records: list[AssetRecord] = []
    notes = [f"{name}: column ignored: {title!r}" for title in ignored]
    problems: list[ContentError] = []
    while True:
        line = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            problems.append(ContentError(f"unreadable CSV: {exc}", Location(name, line)))
            break
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(header) and any(cell.strip() for cell in row[len(header) :]):
            problems.append(ContentError(f"{len(row)} cells for {len(header)} columns", Location(name, line)))
            continue
        cells = {column: row[index].strip() for index, column in columns.items() if index < len(row)}
        cells = {column: value for column, value in cells.items() if value}
        if is_gone(cells.get("status")):
            label = cells.get("name") or cells.get("serial") or cells.get("inventory") or "?"
            notes.append(f"{name}, line {line}: {label!r} skipped, its status is {cells['status']!r}")
            continue
        record = _record(cells, line, name, titles, problems)
        if record is None:
            continue
        if not record.identified:
            problems.append(
                ContentError("no name, serial, IP or MAC: nothing identifies the asset", Location(name, line))
            )
            continue
        records.append(record)
    if problems:
        raise ImportRejectedError(name, problems)
    records, shared = drop_shared_addresses(records, name)
    return records, notes + shared
