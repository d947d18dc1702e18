"""Sharing a case with the CERT and peers: STIX 2.1, MISP and DFIR-IRIS files, and indicators read back.

Pure functions of a ``SharedCase``: no database, no network. The incidents service builds the
``SharedCase`` from its case and writes the text these functions return.
"""

from hygie.incidents.sharing.case import (
    Determination,
    Indicator,
    IndicatorKind,
    Severity,
    SharedCase,
    TimelineEntry,
    Tlp,
)
from hygie.incidents.sharing.iris import export_iris
from hygie.incidents.sharing.misp import export_misp, read_misp_indicators
from hygie.incidents.sharing.reading import MAX_IMPORT_BYTES, IndicatorImport, UnreadIndicator
from hygie.incidents.sharing.stix import export_stix, read_stix_indicators

__all__ = [
    "MAX_IMPORT_BYTES",
    "Determination",
    "Indicator",
    "IndicatorImport",
    "IndicatorKind",
    "Severity",
    "SharedCase",
    "TimelineEntry",
    "Tlp",
    "UnreadIndicator",
    "export_iris",
    "export_misp",
    "export_stix",
    "read_misp_indicators",
    "read_stix_indicators",
]
