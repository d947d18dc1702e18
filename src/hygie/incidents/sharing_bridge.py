"""The link between the incidents' case and the sharing formats: a ``CaseExport`` becomes a
``SharedCase`` for the STIX, MISP and DFIR-IRIS writers, and indicators read from a shared file
are added to a case.

The sharing package knows nothing of the database; this module is the only place that maps the
incidents' vocabularies onto its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from pydantic import ValidationError as PydanticValidationError
from sqlalchemy.orm import Session

from hygie.core.errors import ContentError, Location, ValidationError
from hygie.incidents import service, sharing
from hygie.incidents.models import Answer, Case, CaseStatus, IndicatorKind, Severity
from hygie.incidents.schemas import CaseExport, IndicatorImportOut, IndicatorIn, UnreadOut
from hygie.incidents.sharing.reading import load_json
from hygie.incidents.views import label


class ExportFormat(StrEnum):
    STIX = "stix"
    MISP = "misp"
    IRIS = "iris"
    JSON = "json"


class ImportFormat(StrEnum):
    AUTO = "auto"
    STIX = "stix"
    MISP = "misp"


# What each format's file is, for downloads: media type and file name suffix.
MEDIA_TYPES: dict[ExportFormat, tuple[str, str]] = {
    ExportFormat.STIX: ("application/stix+json;version=2.1", "stix.json"),
    ExportFormat.MISP: ("application/json", "misp.json"),
    ExportFormat.IRIS: ("application/json", "iris.json"),
    ExportFormat.JSON: ("application/json", "hygie.json"),
}

_TO_SHARED: dict[IndicatorKind, sharing.IndicatorKind] = {
    IndicatorKind.IPV4: sharing.IndicatorKind.IPV4,
    IndicatorKind.IPV6: sharing.IndicatorKind.IPV6,
    IndicatorKind.DOMAIN: sharing.IndicatorKind.DOMAIN,
    IndicatorKind.URL: sharing.IndicatorKind.URL,
    IndicatorKind.MD5: sharing.IndicatorKind.MD5,
    IndicatorKind.SHA1: sharing.IndicatorKind.SHA1,
    IndicatorKind.SHA256: sharing.IndicatorKind.SHA256,
    IndicatorKind.ACCOUNT: sharing.IndicatorKind.ACCOUNT,
    IndicatorKind.EMAIL: sharing.IndicatorKind.EMAIL,
}
_FROM_SHARED = {shared: mine for mine, shared in _TO_SHARED.items()}
_SEVERITY = {
    Severity.LOW: sharing.Severity.LOW,
    Severity.MEDIUM: sharing.Severity.MEDIUM,
    Severity.HIGH: sharing.Severity.HIGH,
    Severity.CRITICAL: sharing.Severity.CRITICAL,
}


def _determination(export: CaseExport) -> sharing.Determination:
    # A case is "confirmed" once the crisis cell has said it is malicious; until then, suspected.
    if export.case.malicious == Answer.YES:
        return sharing.Determination.CONFIRMED
    if export.case.malicious == Answer.NO and export.case.status == CaseStatus.CLOSED:
        return sharing.Determination.FALSE_POSITIVE
    return sharing.Determination.SUSPECTED


def shared_case(export: CaseExport, tlp: str | None = None, lang: str = "fr") -> sharing.SharedCase:
    """The case as the sharing formats read it; ``tlp`` overrides the case's marking.
    A value the formats refuse is a ValidationError saying which."""
    case = export.case
    try:
        return sharing.SharedCase(
            id=str(case.id),
            title=case.title,
            description=case.description,
            category=case.category.value,
            severity=_SEVERITY[case.severity],
            status=case.status.value,
            detected_at=case.detected_at,
            started_at=case.started_at,
            closed_at=case.closed_at,
            establishment_name=export.establishment_name,
            establishment_finess=export.finess or None,
            care_services=tuple(label(service_, lang) for service_ in case.care_services),
            timeline=tuple(sharing.TimelineEntry(time=e.at, text=e.text) for e in case.entries),
            indicators=tuple(
                sharing.Indicator(kind=_TO_SHARED[i.kind], value=i.value, comment=i.comment)
                for i in case.indicators
            ),
            tlp=sharing.Tlp((tlp or case.tlp).strip().lower().removeprefix("tlp:")),
            determination=_determination(export),
        )
    except PydanticValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise ValidationError(f"the case cannot be shared as it stands: {problems}") from None
    except ValueError as exc:  # an unknown TLP label
        raise ValidationError(f"TLP is one of clear, green, amber, amber+strict, red, not {tlp!r}") from exc


def export_text(export: CaseExport, fmt: ExportFormat, tlp: str | None = None, lang: str = "fr") -> str:
    """The text of the file in format ``fmt``."""
    if fmt is ExportFormat.JSON:
        return export.model_dump_json(indent=2)
    case = shared_case(export, tlp, lang)
    if fmt is ExportFormat.STIX:
        return sharing.export_stix(case)
    if fmt is ExportFormat.MISP:
        return sharing.export_misp(case)
    return sharing.export_iris(case, lang)


def detect_format(path: Path) -> ImportFormat:
    """STIX when the document is a bundle, MISP when it holds an event; a ContentError otherwise."""
    document = load_json(path)
    if isinstance(document, dict) and document.get("type") == "bundle":
        return ImportFormat.STIX
    if isinstance(document, dict) and ("Event" in document or "Attribute" in document or "info" in document):
        return ImportFormat.MISP
    raise ContentError("neither a STIX bundle nor a MISP event", Location(path.name))


def read_indicators(path: Path, fmt: ImportFormat = ImportFormat.AUTO) -> sharing.IndicatorImport:
    if fmt is ImportFormat.AUTO:
        fmt = detect_format(path)
    reader = sharing.read_stix_indicators if fmt is ImportFormat.STIX else sharing.read_misp_indicators
    return reader(path)


@dataclass
class ImportResult:
    """What an import did: the indicators added, those already on the case, those not taken."""

    source: str
    added: list[str] = field(default_factory=list)
    duplicates: int = 0
    unread: list[sharing.UnreadIndicator] = field(default_factory=list)

    def out(self) -> IndicatorImportOut:
        unread = [UnreadOut(ref=u.ref, text=u.text, reason=u.reason) for u in self.unread]
        return IndicatorImportOut(
            source=self.source, added=len(self.added), duplicates=self.duplicates, unread=unread
        )


def import_indicators(
    session: Session, case: Case, path: Path, author: str, fmt: ImportFormat = ImportFormat.AUTO
) -> ImportResult:
    """Adds the indicators of a STIX bundle or MISP event to ``case`` with ``service.add_indicator``.
    The file is read whole first: a file refused adds nothing. The caller's transaction holds it all."""
    read = read_indicators(path, fmt)
    result = ImportResult(source=read.source, unread=list(read.unread))
    known = {(i.kind, i.value) for i in case.indicators}
    for indicator in read.indicators:
        kind = _FROM_SHARED[indicator.kind]
        if (kind, indicator.value) in known:
            result.duplicates += 1
            continue
        try:
            data = IndicatorIn(value=indicator.value, kind=kind, comment=indicator.comment[:500])
            added = service.add_indicator(session, case, data, author)
        except (ValidationError, PydanticValidationError) as exc:
            # The case keeps single addresses; a network shared as an indicator stays unread.
            result.unread.append(sharing.UnreadIndicator(indicator.value, indicator.value[:200], str(exc)))
            continue
        known.add((added.kind, added.value))
        result.added.append(added.value)
    return result
