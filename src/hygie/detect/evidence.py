"""Detection metrics (the ``detect`` provider), from the ATT&CK coverage of the ransomware chains.

Read as of the day ``on`` over the coverage window (``coverage.DEFAULT_DAYS``), once the establishment
has sent logs in that window: an establishment watched by another tool sends none, and is not
measured rather than measured at 0.

* ``coverage_share`` (INC-DETECT): the share of the catalogue's techniques covered by an active rule
  on a source the establishment sends, weighted by importance; the items are the gaps, most
  important first.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from hygie.assess import evidence_cache
from hygie.assess.evidence import register
from hygie.assess.evidence_rules import Reading
from hygie.detect import coverage, events
from hygie.frameworks.schema import Text

SOURCE = "detect"


def measure(session: Session, establishment_id: int, on: date) -> list[Reading]:
    summary = coverage.coverage_summary(session, establishment_id, on)
    if summary.events == 0:
        return []
    covered = summary.counts.get(coverage.Status.COVERED, 0)
    total = len(summary.techniques)
    percent = round(summary.share * 100)
    words = Text(
        fr=f"{covered}/{total} techniques des rançongiciels couvertes, {percent} % en poids, "
        f"sur les journaux des {summary.days} derniers jours",
        en=f"{covered}/{total} ransomware techniques covered, {percent}% by weight, "
        f"on the logs of the last {summary.days} days",
    )
    missing = {
        coverage.Status.NO_LOGS: Text(fr="règle sans journaux", en="rule but no logs"),
        coverage.Status.NO_RULE: Text(fr="aucune règle", en="no rule"),
    }
    items = tuple(
        Text(
            fr=f"{gap.id} {gap.technique.name.fr} : {missing[gap.status].fr}",
            en=f"{gap.id} {gap.technique.name.en}: {missing[gap.status].en}",
        )
        for gap in summary.gaps
    )
    return [Reading(f"{SOURCE}.coverage_share", summary.share, on, words, items)]


register(SOURCE, measure)
# Events written in this process (an ingestion) change the coverage: the readings kept are read again.
if evidence_cache.outside_facts_changed not in events.STORE_LISTENERS:
    events.STORE_LISTENERS.append(evidence_cache.outside_facts_changed)
