"""A case's indicators looked for in the establishment's logs (the detection's event store)."""

from __future__ import annotations

from hygie.core.settings import Settings
from hygie.detect.search import Match, Needle, Sighting, find
from hygie.incidents.models import Case, IndicatorKind

_MATCH = {
    IndicatorKind.IPV4: Match.ADDRESS,
    IndicatorKind.IPV6: Match.ADDRESS,
    IndicatorKind.DOMAIN: Match.DOMAIN,
    IndicatorKind.URL: Match.TEXT,
    IndicatorKind.MD5: Match.TEXT,
    IndicatorKind.SHA1: Match.TEXT,
    IndicatorKind.SHA256: Match.TEXT,
    IndicatorKind.ACCOUNT: Match.WORD,
    IndicatorKind.EMAIL: Match.WORD,
}


def needle_of(kind: IndicatorKind, value: str) -> Needle:
    # Windows logs name an account without its domain (TargetUserName): CORP\jdoe is looked for as jdoe.
    if kind is IndicatorKind.ACCOUNT:
        value = value.rsplit("\\", 1)[-1]
    return Needle(value, _MATCH[kind])


def hunt(case: Case, settings: Settings) -> list[tuple[IndicatorKind, str, Sighting]]:
    """Each indicator of the case with the events that mention it (none when nothing was ingested)."""
    indicators = sorted(case.indicators, key=lambda i: (i.kind.value, i.value))
    sightings = find(settings, case.establishment_id, [needle_of(i.kind, i.value) for i in indicators])
    return [(i.kind, i.value, s) for i, s in zip(indicators, sightings, strict=True)]
