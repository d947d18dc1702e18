"""Network metrics (the ``network`` provider), from the policy check of the imported configurations.

Read as of the day ``on``; the catalogue (``controls.yaml``) turns each metric into a level.

* ``policy_met_share`` (TEC-SEGMENT, once a firewall is imported): share of the segmentation rules
  of the policy (``policy.yaml``, ``rules``) that no allowed flow breaks; the facts date from the
  latest firewall import.
* ``exposed_severe`` and ``exposed_medium`` (TEC-EXPOSURE, once an exposure scan is imported): how
  many internet-facing services the policy rates critical or high, and medium; the facts date
  from the latest observation.
A configuration the analysis refuses reads nothing (the check says why).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from hygie.assess.evidence import register
from hygie.assess.evidence_rules import Reading, count_summary
from hygie.core.errors import ValidationError
from hygie.frameworks.schema import Text
from hygie.network import service

SOURCE = "network"


def measure(session: Session, establishment_id: int, on: date) -> list[Reading]:
    firewalls = service.list_firewalls(session, establishment_id)
    ports = service.list_exposed_ports(session, establishment_id)
    if not firewalls and not ports:
        return []
    policy = service.policy_for()
    try:
        report = service.run_check(session, establishment_id, policy, record=False)
    except ValidationError:
        return []
    result: list[Reading] = []
    if firewalls and policy.rules:
        exported = max(f.imported_at for f in firewalls).date()
        broken = {v.rule.id for v in report.violations}
        missing = [r.id for r in policy.rules if r.id in broken]
        value, summary, _ = count_summary(
            len(policy.rules) - len(missing),
            len(policy.rules),
            missing,
            Text(fr="règles de cloisonnement respectées", en="segmentation rules met"),
        )
        flows: dict[str, list[str]] = {}
        for violation in report.violations:
            flows.setdefault(violation.rule.id, []).append(f"{violation.source} → {violation.destination}")
        items = tuple(
            Text(
                fr=f"{r.id} {r.title.fr} : {', '.join(sorted(flows[r.id])[:5])}",
                en=f"{r.id} {r.title.en}: {', '.join(sorted(flows[r.id])[:5])}",
            )
            for r in policy.rules
            if r.id in flows
        )
        result.append(Reading(f"{SOURCE}.policy_met_share", value, exported, summary, items))
    if ports:
        observed = max(p.observed_at for p in ports).date()
        severe = [e for e in report.exposures if e.severity in ("critical", "high")]
        medium = [e for e in report.exposures if e.severity == "medium"]
        summary = Text(
            fr=f"{len(ports)} services vus depuis internet : {len(severe)} à risque critique ou élevé, "
            f"{len(medium)} à risque moyen",
            en=f"{len(ports)} services seen from the internet: {len(severe)} of critical or high risk, "
            f"{len(medium)} of medium risk",
        )
        items = tuple(
            Text(
                fr=f"{e.port.hostname or e.port.address} {e.port.protocol}/{e.port.port} ({e.severity})",
                en=f"{e.port.hostname or e.port.address} {e.port.protocol}/{e.port.port} ({e.severity})",
            )
            for e in severe + medium
        )
        result.append(Reading(f"{SOURCE}.exposed_severe", float(len(severe)), observed, summary, items))
        result.append(Reading(f"{SOURCE}.exposed_medium", float(len(medium)), observed, summary))
    return result


register(SOURCE, measure)
