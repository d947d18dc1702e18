"""Vulnerability-audit metrics (the ``vulns`` provider), read from the stored results of the last audit.

Read as of the day ``on``, once an audit has stored results (before that, or for an audit that found
nothing at all, nothing is read); the facts date from the last audit. A result is *overdue* when its
deadline has passed: CISA's due date for a known-exploited flaw (KEV), otherwise the day it was
first seen plus the time its priority gives (``service.SLA_DAYS``: 7 days for Act, 30 for Attend…).
The catalogue (``controls.yaml``) turns each metric into a level.

* ``patched_share`` (TEC-PATCH): share of the inventory with no overdue vulnerability of priority
  Act or known to be exploited.
* ``supported_share`` (TEC-EOL): share of the inventory with no system past its end of life.
* ``medical_patched_share`` (TEC-BIOMED, once the inventory holds medical devices): share of the
  medical devices with no overdue vulnerability of priority Act or Attend.
* ``days_since_audit`` (TEC-VULN-SCAN): days since the last audit.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, timedelta

from sqlalchemy.orm import Session

from hygie.assess.evidence import register
from hygie.assess.evidence_rules import Reading, count_summary
from hygie.assets import service as assets_service
from hygie.assets.models import AssetKind
from hygie.frameworks.schema import Text
from hygie.vulns import service
from hygie.vulns.models import ResultKind, VulnResult
from hygie.vulns.ssvc import Priority

SOURCE = "vulns"
URGENT = (Priority.ACT, Priority.ATTEND)


def deadline(result: VulnResult) -> date:
    """CISA's due date for a known-exploited flaw when the feeds gave one, else first seen + SLA."""
    due = (result.explanation or {}).get("scores", {}).get("kev_due") if result.kev else None
    if isinstance(due, str):
        try:
            return date.fromisoformat(due)
        except ValueError:
            pass
    return result.first_seen.date() + timedelta(days=service.SLA_DAYS[result.priority])


def overdue(result: VulnResult, on: date) -> bool:
    return result.kind != ResultKind.EOL and deadline(result) < on


def past_end_of_life(result: VulnResult, on: date) -> bool:
    return result.kind == ResultKind.EOL and (result.eol_date is None or result.eol_date <= on)


def _label(result: VulnResult) -> str:
    return result.cve_id or result.advisory_id or result.nvt_oid or result.eol_product or result.key


def _share(
    session: Session,
    establishment_id: int,
    metric: str,
    total: int,
    flagged: Sequence[VulnResult],
    what: Text,
    audited: date,
) -> Reading:
    """The share of ``total`` assets that no ``flagged`` result touches, naming those it touches."""
    names = {a.id: a.name for a in service.assets_of(session, establishment_id, flagged).values()}
    labels: dict[str, list[str]] = {}
    for result in flagged:
        labels.setdefault(names.get(result.asset_id, f"#{result.asset_id}"), []).append(_label(result))
    value, summary, _ = count_summary(total - len(labels), total, sorted(labels), what)
    items = tuple(
        Text(fr=f"{name} : {', '.join(sorted(found)[:5])}", en=f"{name}: {', '.join(sorted(found)[:5])}")
        for name, found in sorted(labels.items())
    )
    return Reading(f"{SOURCE}.{metric}", value, audited, summary, items)


def measure(session: Session, establishment_id: int, on: date) -> list[Reading]:
    last = service.last_scan(session, establishment_id)
    kinds = assets_service.counts_by_kind(session, establishment_id)
    total = sum(kinds.values())
    if last is None or total == 0:
        return []
    audited = last.date()
    results = service.list_results(session, establishment_id)
    day = audited.isoformat()
    age = max(0, (on - audited).days)

    def picked(keep: Callable[[VulnResult], bool]) -> list[VulnResult]:
        return [r for r in results if keep(r)]

    read = [
        Reading(
            f"{SOURCE}.days_since_audit",
            float(age),
            audited,
            Text(
                fr=f"dernier audit de vulnérabilités le {day}, il y a {age} jours",
                en=f"last vulnerability audit on {day}, {age} days ago",
            ),
            (
                Text(
                    fr=f"{len(results)} résultats, {total} actifs",
                    en=f"{len(results)} results, {total} assets",
                ),
            ),
        ),
        _share(
            session,
            establishment_id,
            "patched_share",
            total,
            picked(lambda r: (r.priority == Priority.ACT or r.kev) and overdue(r, on)),
            Text(
                fr="actifs sans vulnérabilité « Agir » ou exploitée (KEV) ouverte au-delà de son délai",
                en="assets with no Act or known-exploited (KEV) vulnerability open past its deadline",
            ),
            audited,
        ),
        _share(
            session,
            establishment_id,
            "supported_share",
            total,
            picked(lambda r: past_end_of_life(r, on)),
            Text(fr="actifs sans système en fin de vie", en="assets with no system past its end of life"),
            audited,
        ),
    ]
    medical = kinds.get(AssetKind.MEDICAL_DEVICE, 0)
    if medical:
        urgent = picked(lambda r: r.priority in URGENT and overdue(r, on))
        touched = service.assets_of(session, establishment_id, urgent)
        devices = {i for i, a in touched.items() if a.kind == AssetKind.MEDICAL_DEVICE}
        read.append(
            _share(
                session,
                establishment_id,
                "medical_patched_share",
                medical,
                [r for r in urgent if r.asset_id in devices],
                Text(
                    fr="dispositifs médicaux sans vulnérabilité « Agir » ou « Traiter » au-delà de son délai",
                    en="medical devices with no Act or Attend vulnerability past its deadline",
                ),
                audited,
            )
        )
    return read


register(SOURCE, measure)
