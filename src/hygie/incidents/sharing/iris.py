"""A case as DFIR-IRIS's case export JSON, for the teams that run IRIS.

The shape follows ``export_case_json`` of iris-web v2.4 (source/app/datamgmt/reporter/report_db.py):
top-level ``case``, ``evidences``, ``timeline``, ``iocs``, ``assets``, ``tasks``, ``comments``,
``notes`` and ``export_date``; IOCs with the fields of IRIS's ``Ioc`` model (``ioc_type`` nested as
in ``IocSchema``), timeline events with those of ``CasesEvent`` (local date, ``event_tz`` offset and
UTC date). What IRIS has no field for (FINESS, care services, TLP of the case, category, start time)
goes into the case's ``custom_attributes`` in IRIS's tab/field format. IRIS's numeric ids depend on
each installation and are left out, except ``ioc_tlp_id`` (ids of a fresh IRIS, see below).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from hygie.core.i18n import N_, gettext
from hygie.incidents.sharing.case import IndicatorKind, Severity, SharedCase, Tlp

PARIS = ZoneInfo("Europe/Paris")

# IRIS IOC type names (MISP's attribute types plus IRIS's own "ip-any" and "account").
IRIS_IOC_TYPES: dict[IndicatorKind, str] = {
    IndicatorKind.IPV4: "ip-any",
    IndicatorKind.IPV6: "ip-any",
    IndicatorKind.DOMAIN: "domain",
    IndicatorKind.URL: "url",
    IndicatorKind.MD5: "md5",
    IndicatorKind.SHA1: "sha1",
    IndicatorKind.SHA256: "sha256",
    IndicatorKind.EMAIL: "email",
    IndicatorKind.ACCOUNT: "account",
}
# Rows of IRIS's tlp table in the order post_init creates them: red, amber, green, clear, amber+strict.
IRIS_TLP_IDS: dict[Tlp, int] = {Tlp.RED: 1, Tlp.AMBER: 2, Tlp.GREEN: 3, Tlp.CLEAR: 4, Tlp.AMBER_STRICT: 5}
IRIS_SEVERITY: dict[Severity, str] = {
    Severity.LOW: "Low",
    Severity.MEDIUM: "Medium",
    Severity.HIGH: "High",
    Severity.CRITICAL: "Critical",
}
_DATE = "%Y-%m-%dT%H:%M:%S.%f"
# Labels of the case's custom attributes, shown in IRIS in the user's language.
_CATEGORY, _STATUS = N_("Incident category"), N_("Status")
_STARTED, _SERVICES = N_("Start of the incident"), N_("Affected care services")


def _state(case: SharedCase) -> str:
    """One of IRIS's default case states."""
    if case.closed_at is not None:
        return "Closed"
    return "Opened" if case.investigation_status == "new" else "In progress"


def _field(value: str) -> dict[str, Any]:
    return {"type": "input_string", "value": value, "mandatory": False}


def _event(case: SharedCase, time: datetime, text: str) -> dict[str, Any]:
    local = time.astimezone(PARIS)
    offset = local.strftime("%z")
    return {
        "event_uuid": case.uuid_for("iris-event", time.isoformat(), text),
        "event_title": (text.strip().splitlines() or ["-"])[0][:150],
        "event_date": local.replace(tzinfo=None).strftime(_DATE),
        "event_tz": f"{offset[:3]}:{offset[3:]}",
        "event_date_wtz": time.astimezone(UTC).replace(tzinfo=None).strftime(_DATE),
        "event_content": text,
        "event_tags": "",
        "event_source": "Hygie",
        "event_raw": "",
        "category": "Unspecified",
        "event_in_summary": True,
        "event_in_graph": True,
        "assets": [],
        "iocs": [],
    }


def build_iris_case(case: SharedCase, lang: str = "fr") -> dict[str, Any]:
    """The case as a dict in the shape of IRIS's case export (see the module's docstring); the
    labels of its custom attributes in ``lang``."""
    hygie = {
        "FINESS": case.establishment_finess or "",
        "TLP": f"TLP:{case.tlp.value.upper()}",
        gettext(_CATEGORY, lang): case.category,
        gettext(_STATUS, lang): case.status,
        gettext(_STARTED, lang): case.started_at.isoformat() if case.started_at else "",
        gettext(_SERVICES, lang): ", ".join(case.care_services),
    }
    info = {
        "case_uuid": case.uuid_for("iris-case"),
        "name": case.title,
        "description": case.description,
        "soc_id": case.id,
        "client_name": case.establishment_name,
        "open_date": case.detected_at.astimezone(PARIS).date().isoformat(),
        "close_date": case.closed_at.astimezone(PARIS).date().isoformat() if case.closed_at else None,
        "severity": IRIS_SEVERITY[case.severity],
        "state": _state(case),
        "custom_attributes": {"Hygie": {name: _field(value) for name, value in hygie.items()}},
    }
    iocs = [
        {
            "ioc_uuid": case.uuid_for("iris-ioc", indicator.kind.value, indicator.value),
            "ioc_value": indicator.value,
            "ioc_type": {"type_name": IRIS_IOC_TYPES[indicator.kind]},
            "ioc_tlp_id": IRIS_TLP_IDS[case.tlp],
            "ioc_description": indicator.comment,
            "ioc_tags": indicator.kind.value,
            "custom_attributes": {},
        }
        for indicator in case.unique_indicators()
    ]
    timeline = [_event(case, entry.time, entry.text) for entry in case.unique_timeline()]
    return {
        "case": info,
        "evidences": [],
        "timeline": timeline,
        "iocs": iocs,
        "assets": [],
        "tasks": [],
        "comments": [],
        "notes": [],
        # The case's last change, not the clock: the same case gives the same file.
        "export_date": max(case.detected_at, case.last_change).astimezone(UTC).isoformat(),
    }


def export_iris(case: SharedCase, lang: str = "fr") -> str:
    return json.dumps(build_iris_case(case, lang), indent=2, ensure_ascii=False) + "\n"
