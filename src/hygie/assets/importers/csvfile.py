"""The CSV inventory template (docs/fr/inventaire-csv.md, docs/en/inventory-csv.md).

UTF-8 (a byte-order mark is fine), ``;`` or ``,`` between columns (whichever the header line uses
more), one asset per line. Column names are accepted in French or English, in any case, with or
without accents, spaces or hyphens. Values are kept as the text they are: a cell starting with ``=``
is a name, never a formula. Every wrong cell is reported with its line and column, and then nothing
is imported.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

import pydantic

from hygie.assets.models import AssetKind, ClinicalCriticality, MedicalSubtype, Patchable, PatchedBy
from hygie.assets.schemas import AssetRecord, MacRecord, normalise_ip, normalise_mac
from hygie.core.csvtext import decode_utf8, delimiter_of, key
from hygie.core.errors import ContentError, ImportRejectedError, Location
from hygie.core.files import MAX_IMPORT_BYTES, check_size

__all__ = ["COLUMNS", "convert", "key", "parse"]


# field → accepted column names (already in key() form). The first English and the first French
# name are the ones the template shows.
COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("name", "nom", "designation", "libelle"),
    "hostname": ("hostname", "nom_d_hote", "nom_hote", "host", "fqdn", "nom_dns"),
    "ips": ("ip", "adresse_ip", "ips", "ip_address", "ip_addresses", "adresses_ip"),
    "macs": ("mac", "adresse_mac", "macs", "mac_address", "mac_addresses", "adresses_mac"),
    "kind": ("kind", "type", "category", "categorie"),
    "medical_subtype": ("subtype", "sous_type", "medical_subtype", "type_de_dispositif"),
    "maker": ("maker", "fabricant", "manufacturer", "vendor", "constructeur", "marque"),
    "model": ("model", "modele"),
    "serial": (
        "serial",
        "numero_de_serie",
        "serial_number",
        "numero_serie",
        "n_de_serie",
        "n_serie",
        "no_serie",
    ),
    "os_name": ("os", "systeme", "os_name", "operating_system", "systeme_d_exploitation"),
    "os_version": ("os_version", "version_systeme", "version_os"),
    "os_cpe": ("os_cpe", "cpe_systeme", "cpe_os"),
    "firmware": ("firmware", "micrologiciel", "version_firmware"),
    "location": ("location", "emplacement", "localisation"),
    "department": ("department", "service", "care_department", "service_de_soins", "unite"),
    "network_zone": ("zone", "zone_reseau", "network_zone", "vlan"),
    "criticality": ("criticality", "criticite", "clinical_criticality", "criticite_clinique"),
    "owner": ("owner", "responsable", "proprietaire", "referent"),
    "end_of_support": ("end_of_support", "fin_de_support", "eos", "fin_support", "date_fin_support"),
    "patchable": ("patchable", "correctifs_possibles", "correctif_possible", "mise_a_jour_possible"),
    "patched_by": ("patched_by", "correctifs_par", "mis_a_jour_par"),
    "remote_service": ("remote_service", "telemaintenance", "maintenance_a_distance"),
    "internet_exposed": ("internet_exposed", "expose_internet", "exposed", "exposition_internet"),
}
_FIELD_OF_COLUMN = {name: field for field, names in COLUMNS.items() for name in names}

# Words accepted for the values of each vocabulary, in key() form.
_WORDS: dict[type[StrEnum], dict[str, str]] = {
    AssetKind: {
        "serveur": "server",
        "poste": "workstation",
        "poste_de_travail": "workstation",
        "pc": "workstation",
        "reseau": "network",
        "equipement_reseau": "network",
        "dispositif_medical": "medical_device",
        "dm": "medical_device",
        "biomedical": "medical_device",
        "building": "iot",
        "batiment": "iot",
        "iot_batiment": "iot",
        "iot_building": "iot",
        "objet_connecte": "iot",
        "autre": "other",
    },
    MedicalSubtype: {
        "pompe_a_perfusion": "infusion_pump",
        "pousse_seringue": "infusion_pump",
        "moniteur": "patient_monitor",
        "moniteur_patient": "patient_monitor",
        "moniteur_de_surveillance": "patient_monitor",
        "modalite": "imaging_modality",
        "modalite_d_imagerie": "imaging_modality",
        "imagerie": "imaging_modality",
        "lab_analyzer": "lab_analyser",
        "automate": "lab_analyser",
        "automate_de_laboratoire": "lab_analyser",
        "analyseur": "lab_analyser",
        "respirateur": "ventilator",
        "ventilateur": "ventilator",
        "anesthesia_machine": "anaesthesia_machine",
        "station_d_anesthesie": "anaesthesia_machine",
        "respirateur_d_anesthesie": "anaesthesia_machine",
        "generateur_de_dialyse": "dialysis_machine",
        "dialyse": "dialysis_machine",
        "autre": "other",
    },
    ClinicalCriticality: {
        "vital": "life_sustaining",
        "vitale": "life_sustaining",
        "maintien_en_vie": "life_sustaining",
        "soutien": "support",
        "aucune": "none",
    },
    Patchable: {"oui": "yes", "o": "yes", "y": "yes", "non": "no", "n": "no", "inconnu": "unknown"},
    PatchedBy: {
        "fabricant": "maker",
        "constructeur": "maker",
        "manufacturer": "maker",
        "etablissement": "establishment",
        "hopital": "establishment",
    },
}
_TRUE = {"yes", "oui", "o", "y", "true", "vrai", "1"}
_FALSE = {"no", "non", "n", "false", "faux", "0"}
_UNKNOWN = {"unknown", "inconnu", "nsp"}
_ENUM_OF_FIELD: dict[str, type[StrEnum]] = {
    "kind": AssetKind,
    "medical_subtype": MedicalSubtype,
    "criticality": ClinicalCriticality,
    "patchable": Patchable,
    "patched_by": PatchedBy,
}


def _enum(enum: type[StrEnum]) -> Callable[[str], Any]:
    def convert(text: str) -> Any:
        word = key(text)
        word = _WORDS.get(enum, {}).get(word, word)
        try:
            return enum(word)
        except ValueError:
            allowed = ", ".join(m.value for m in enum)
            raise ValueError(f"{text!r} is not one of: {allowed}") from None

    return convert


def _boolean(text: str) -> bool | None:
    word = key(text)
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    if word in _UNKNOWN:
        return None
    raise ValueError(f"{text!r} is not yes/oui, no/non or unknown/inconnu")


def _date(text: str) -> date:
    for layout in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text.strip(), layout).date()  # noqa: DTZ007 -- a date, no time
        except ValueError:
            continue
    raise ValueError(f"{text!r} is not a date (YYYY-MM-DD or DD/MM/YYYY)")


def _several(text: str) -> list[str]:
    return [part for part in re.split(r"[\s|;,]+", text) if part]


_CONVERT: dict[str, Callable[[str], Any]] = {
    **{field: _enum(enum) for field, enum in _ENUM_OF_FIELD.items()},
    "remote_service": _boolean,
    "internet_exposed": _boolean,
    "end_of_support": _date,
    "ips": lambda text: [normalise_ip(ip) for ip in _several(text)],
    "macs": lambda text: [MacRecord(address=normalise_mac(mac)) for mac in _several(text)],
}


def convert(field: str, text: str) -> Any:
    """The value of a field of ``AssetRecord`` written as text (ValueError when it is not one)."""
    return _CONVERT[field](text) if field in _CONVERT else text


def _columns(header: list[str], name: str) -> tuple[dict[int, str], list[str]]:
    """Column index → field, and the names of the columns that are ignored."""
    fields: dict[int, str] = {}
    ignored: list[str] = []
    problems: list[ContentError] = []
    seen: dict[str, str] = {}
    for index, title in enumerate(header):
        field = _FIELD_OF_COLUMN.get(key(title))
        if field is None:
            if title.strip():
                ignored.append(title.strip())
            continue
        if field in seen:
            problems.append(ContentError(f"same column as {seen[field]!r}", Location(name, 1, title.strip())))
            continue
        seen[field] = title.strip()
        fields[index] = field
    if not fields and not problems:
        known = ", ".join(names[0] for names in COLUMNS.values())
        problems.append(ContentError(f"no known column; the template's are: {known}", Location(name, 1)))
    if problems:
        raise ImportRejectedError(name, problems)
    return fields, ignored


def parse(path: Path, max_bytes: int = MAX_IMPORT_BYTES) -> tuple[list[AssetRecord], list[str]]:
    """The records of a CSV inventory, and notes on the columns ignored; ImportRejectedError naming
    the line and column of every wrong cell."""
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
    titles = {index: header[index].strip() for index in columns}
    records: list[AssetRecord] = []
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
            problems.append(
                ContentError(
                    f"{len(row)} cells for {len(header)} columns (a separator inside a value?)",
                    Location(name, line),
                )
            )
            continue
        values: dict[str, Any] = {"line": line}
        bad = False
        for index, field in columns.items():
            cell = row[index].strip() if index < len(row) else ""
            if not cell:
                continue
            try:
                values[field] = convert(field, cell)
            except ValueError as exc:
                problems.append(ContentError(str(exc), Location(name, line, titles[index])))
                bad = True
        if bad:
            continue
        try:
            record = AssetRecord.model_validate(values)
        except pydantic.ValidationError as exc:
            for error in exc.errors():
                field = str(error["loc"][0]) if error["loc"] else ""
                column = next((titles[i] for i, f in columns.items() if f == field), field)
                message = error["msg"].removeprefix("Value error, ")
                problems.append(ContentError(message, Location(name, line, column)))
            continue
        if not record.identified:
            problems.append(
                ContentError(
                    "no name, hostname, IP, MAC or serial: nothing identifies the asset", Location(name, line)
                )
            )
            continue
        records.append(record)
    if problems:
        raise ImportRejectedError(name, problems)
    notes = [f"{name}: column ignored (not in the template): {title!r}" for title in ignored]
    return records, notes
