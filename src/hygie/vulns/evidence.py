"""Vulnerability-audit metrics (the ``vulns`` provider), read from the stored results of the last audit.

Read as of the day ``on``, once an audit has stored results (before that, or for an audit that found
nothing at all, nothing is read); the facts date from the last audit. A result is *overdue* when it
was first seen longer ago than the time its priority gives (``service.SLA_DAYS``: 7 days for Act,
30 for Attend…). The catalogue (``controls.yaml``) turns each metric into a level.

* ``patched_share`` (TEC-PATCH): share of the inventory with no overdue vulnerability of priority
  Act or listed as known-exploited (CISA KEV).
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
from hygie.assess.evidence_rules import Reading, share_summary
from hygie.assets import service as assets_service
from hygie.assets.models import Asset, AssetKind
from hygie.frameworks.schema import Text
from hygie.vulns import service
from hygie.vulns.models import ResultKind, VulnResult
from hygie.vulns.ssvc import Priority

SOURCE = "vulns"


def overdue(result: VulnResult, on: date) -> bool:
    """Still open past the time its priority gives (first seen + SLA)."""
    return result.first_seen.date() + timedelta(days=service.SLA_DAYS[result.priority]) < on


def past_end_of_life(result: VulnResult, on: date) -> bool:
    return result.kind == ResultKind.EOL and (result.eol_date is None or result.eol_date <= on)


def _label(result: VulnResult) -> str:
    return result.cve_id or result.advisory_id or result.nvt_oid or result.eol_product or result.key


def _share(
    metric: str,
    assets: Sequence[Asset],
    results: Sequence[VulnResult],
    bad: Callable[[VulnResult], bool],
    what: Text,
    audited: date,
) -> Reading:
    flagged: dict[int, list[str]] = {}
    for result in results:
        if bad(result):
            flagged.setdefault(result.asset_id, []).append(_label(result))
    done = [a.name for a in assets if a.id not in flagged]
    missing = [a.name for a in assets if a.id in flagged]
    value, summary, _items = share_summary(done, missing, what)
    items = tuple(
        Text(
            fr=f"{a.name} : {', '.join(sorted(flagged[a.id])[:5])}",
            en=f"{a.name}: {', '.join(sorted(flagged[a.id])[:5])}",
        )
        for a in sorted(assets, key=lambda a: a.name)
        if a.id in flagged
    )
    return Reading(f"{SOURCE}.{metric}", value, audited, summary, items)


def measure(session: Session, establishment_id: int, on: date) -> list[Reading]:
    last = service.last_scan(session, establishment_id)
    assets = assets_service.list_assets(session, establishment_id)
    if last is None or not assets:
        return []
    audited = last.date()
    results = service.list_results(session, establishment_id)
    day = audited.isoformat()
    age = max(0, (on - audited).days)
    result = [
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
                    fr=f"{len(results)} résultats, {len(assets)} actifs",
                    en=f"{len(results)} results, {len(assets)} assets",
                ),
            ),
        ),
        _share(
            "patched_share",
            assets,
            results,
            lambda r: r.kind != ResultKind.EOL and (r.priority == Priority.ACT or r.kev) and overdue(r, on),
            Text(
                fr="actifs sans vulnérabilité « Agir » ou exploitée (KEV) ouverte au-delà de son délai",
                en="assets with no Act or known-exploited (KEV) vulnerability open past its deadline",
            ),
            audited,
        ),
        _share(
            "supported_share",
            assets,
            results,
            lambda r: past_end_of_life(r, on),
            Text(fr="actifs sans système en fin de vie", en="assets with no system past its end of life"),
            audited,
        ),
    ]
    medical = [a for a in assets if a.kind == AssetKind.MEDICAL_DEVICE]
    if medical:
        urgent = (Priority.ACT, Priority.ATTEND)
        result.append(
            _share(
                "medical_patched_share",
                medical,
                results,
                lambda r: r.kind != ResultKind.EOL and r.priority in urgent and overdue(r, on),
                Text(
                    fr="dispositifs médicaux sans vulnérabilité « Agir » ou « Traiter » au-delà de son délai",
                    en="medical devices with no Act or Attend vulnerability past its deadline",
                ),
                audited,
            )
        )
    return result


register(SOURCE, measure)
