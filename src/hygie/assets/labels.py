"""Words for the inventory's values and fields, in the reader's language (the data keeps identifiers)."""

from __future__ import annotations

from enum import StrEnum

from hygie.assets.models import (
    AssetKind,
    ClinicalCriticality,
    Importer,
    MedicalSubtype,
    Patchable,
    PatchedBy,
)
from hygie.core.i18n import N_, gettext

# A list of pairs, not a dict literal: equal values of different enums ("other", "none") must not collide.
_LABEL_LIST: list[tuple[StrEnum, str]] = [
    (AssetKind.SERVER, N_("Server")),
    (AssetKind.WORKSTATION, N_("Workstation")),
    (AssetKind.NETWORK, N_("Network equipment")),
    (AssetKind.MEDICAL_DEVICE, N_("Medical device")),
    (AssetKind.IOT, N_("IoT / building")),
    (AssetKind.OTHER, N_("Other")),
    (MedicalSubtype.INFUSION_PUMP, N_("Infusion pump")),
    (MedicalSubtype.PATIENT_MONITOR, N_("Patient monitor")),
    (MedicalSubtype.IMAGING_MODALITY, N_("Imaging modality")),
    (MedicalSubtype.PACS, N_("PACS")),
    (MedicalSubtype.LAB_ANALYSER, N_("Laboratory analyser")),
    (MedicalSubtype.VENTILATOR, N_("Ventilator")),
    (MedicalSubtype.ANAESTHESIA_MACHINE, N_("Anaesthesia machine")),
    (MedicalSubtype.DIALYSIS_MACHINE, N_("Dialysis machine")),
    (MedicalSubtype.OTHER, N_("Other")),
    (ClinicalCriticality.LIFE_SUSTAINING, N_("Life-sustaining")),
    (ClinicalCriticality.DIAGNOSTIC, N_("Diagnostic")),
    (ClinicalCriticality.SUPPORT, N_("Support")),
    (ClinicalCriticality.NONE, N_("None")),
    (Patchable.YES, N_("Yes")),
    (Patchable.NO, N_("No")),
    (Patchable.UNKNOWN, N_("Unknown")),
    (PatchedBy.MAKER, N_("The maker")),
    (PatchedBy.ESTABLISHMENT, N_("The establishment")),
    (Importer.NMAP, N_("Nmap scan")),
    (Importer.CSV, N_("CSV inventory")),
    (Importer.CYCLONEDX, N_("CycloneDX SBOM")),
    (Importer.GLPI, N_("GLPI export")),
    (Importer.GLPI_API, N_("GLPI API")),
    (Importer.NETBOX, N_("NetBox API")),
    (Importer.OPENVAS, N_("Greenbone/OpenVAS report")),
]
_LABELS: dict[tuple[type[StrEnum], str], str] = {(type(k), k.value): v for k, v in _LABEL_LIST}

FIELD_LABELS: dict[str, str] = {
    "name": N_("Name"),
    "hostname": N_("Hostname"),
    "kind": N_("Kind"),
    "medical_subtype": N_("Medical device type"),
    "maker": N_("Maker"),
    "model": N_("Model"),
    "serial": N_("Serial number"),
    "os_name": N_("Operating system"),
    "os_version": N_("OS version"),
    "os_cpe": N_("OS CPE"),
    "firmware": N_("Firmware"),
    "location": N_("Location"),
    "department": N_("Care department"),
    "network_zone": N_("Network zone"),
    "criticality": N_("Clinical criticality"),
    "owner": N_("Owner"),
    "end_of_support": N_("Maker's end of support"),
    "patchable": N_("Can be patched (MDS2)"),
    "patched_by": N_("Patched by (MDS2)"),
    "remote_service": N_("Remote service (MDS2)"),
    "internet_exposed": N_("Exposed to the internet"),
    "ip": N_("IP address"),
    "mac": N_("MAC address"),
    "port": N_("Open port"),
    "software": N_("Software"),
    "finding": N_("Scanner finding"),
}


# A vulnerability scanner's words (Greenbone/OpenVAS), kept as it writes them in the data.
SOLUTION_TYPES = {
    "vendorfix": N_("Maker's fix"),
    "mitigation": N_("Mitigation"),
    "workaround": N_("Workaround"),
    "nonavailable": N_("No solution available"),
    "willnotfix": N_("Will not be fixed"),
}
THREATS = {"high": N_("High"), "medium": N_("Medium"), "low": N_("Low"), "log": N_("Log")}


def solution_label(solution_type: str | None, lang: str) -> str:
    """``VendorFix`` → « Correctif du fabricant »; an unknown type as the scanner wrote it."""
    if not solution_type:
        return "–"
    text = SOLUTION_TYPES.get(solution_type.lower())
    return gettext(text, lang) if text else solution_type


def threat_label(threat: str | None, lang: str) -> str:
    if not threat:
        return "–"
    text = THREATS.get(threat.lower())
    return gettext(text, lang) if text else threat


def label(value: StrEnum | None, lang: str) -> str:
    if value is None:
        return "–"
    text = _LABELS.get((type(value), value.value))
    return gettext(text, lang) if text else value.value


def field_label(field: str, lang: str) -> str:
    """``os_name`` → « Système d'exploitation »; ``port tcp/80`` → « Port ouvert tcp/80 »."""
    head, _, rest = field.partition(" ")
    text = FIELD_LABELS.get(head)
    if text is None:
        return field
    words = gettext(text, lang)
    return f"{words} {rest}".strip()


_ENUM_OF_FIELD: dict[str, type[StrEnum]] = {
    "kind": AssetKind,
    "medical_subtype": MedicalSubtype,
    "criticality": ClinicalCriticality,
    "patchable": Patchable,
    "patched_by": PatchedBy,
}


def value_label(field: str, text: str | None, lang: str) -> str:
    """A value as the import report writes it (``workstation``), in words (« Poste de travail »)."""
    if text is None:
        return "–"
    enum = _ENUM_OF_FIELD.get(field)
    if enum is not None and text in {m.value for m in enum}:
        return label(enum(text), lang)
    if field in ("remote_service", "internet_exposed") and text in ("true", "false"):
        return yes_no(text == "true", lang)
    return text


def yes_no(value: bool | None, lang: str) -> str:
    if value is None:
        return gettext("Unknown", lang)
    return gettext("Yes", lang) if value else gettext("No", lang)
