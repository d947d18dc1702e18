"""A vulnerability scanner's findings (OpenVAS reports, kept by the inventory) as matches of the audit.

A finding that names CVEs gives one match per CVE (kind ``cve``, basis ``scanner``): the feeds' facts
(KEV, EPSS, Vulnrichment, CVSS) then apply as for a match of the NVD. When the feeds matched the same
CVE on the same asset, the two are one result: the feed's match gains the scanner's observations and
both bases, and the scanner's confirmation settles a match that needed review. A finding without CVE
gives one match per check (kind ``scanner``, key: the NVT OID), whatever the ports it was seen on.

Log entries (severity 0) are observations, not results. A check whose quality of detection is below
70 % (the threshold below which Greenbone hides results by default) needs review.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from hygie.assets.models import ScanFinding
from hygie.vulns.feeds.cvss_scores import BadVectorError, score_vector
from hygie.vulns.matching.engine import Match
from hygie.vulns.ssvc import CveFacts, ScannerFacts

MIN_QOD = 70
SOLUTION_CHARS = 1000


def observation(finding: ScanFinding) -> dict[str, Any]:
    """What the explanation keeps of one finding (JSON)."""
    solution = finding.solution or None
    if solution and len(solution) > SOLUTION_CHARS:
        solution = solution[: SOLUTION_CHARS - 1] + "…"
    return {
        "oid": finding.nvt_oid,
        "name": finding.name,
        "family": finding.family,
        "port": finding.port,
        "severity": finding.severity,
        "threat": finding.threat,
        "qod": finding.qod,
        "cvss_vector": finding.cvss_vector,
        "solution_type": finding.solution_type,
        "solution": solution,
        "seen_at": finding.seen_at.isoformat(),
    }


@dataclass
class _Group:
    asset_id: int
    kind: str
    cve_id: str | None
    nvt_oid: str | None
    findings: list[ScanFinding] = field(default_factory=list)

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.cve_id or self.nvt_oid}@{self.asset_id}"

    def facts(self) -> ScannerFacts:
        """The most severe finding's severity and vector, the best quality of detection."""
        worst = max(self.findings, key=lambda f: f.severity)
        qods = [f.qod for f in self.findings if f.qod is not None]
        vector = worst.cvss_vector or next((f.cvss_vector for f in self.findings if f.cvss_vector), None)
        return ScannerFacts(severity=worst.severity, qod=max(qods) if qods else None, cvss_vector=vector)

    def match(self) -> Match:
        facts = self.facts()
        status = "needs_review" if facts.qod is not None and facts.qod < MIN_QOD else "affected"
        ordered = sorted(self.findings, key=lambda f: (-f.severity, f.port, f.nvt_oid))
        ports = ", ".join(dict.fromkeys(f.port for f in ordered))
        return Match(
            asset_id=self.asset_id,
            kind=self.kind,
            basis="scanner",
            status=status,
            cve_id=self.cve_id,
            nvt_oid=self.nvt_oid,
            component=ports,
            details={
                "name": ordered[0].name,
                "bases": ["scanner"],
                "scanner": [observation(f) for f in ordered],
            },
        )


def scanner_matches(findings: Iterable[ScanFinding]) -> tuple[list[Match], dict[str, ScannerFacts]]:
    """The matches the findings give, and what the scanner said of each (by match key)."""
    groups: dict[str, _Group] = {}
    for finding in findings:
        if finding.severity <= 0:
            continue
        wanted = (
            [_Group(finding.asset_id, "cve", cve, None) for cve in finding.cves]
            if finding.cves
            else [_Group(finding.asset_id, "scanner", None, finding.nvt_oid)]
        )
        for group in wanted:
            groups.setdefault(group.key, group).findings.append(finding)
    return [g.match() for g in groups.values()], {k: g.facts() for k, g in groups.items()}


def merge(feed: Sequence[Match], scanner: Sequence[Match]) -> list[Match]:
    """The feed's matches and the scanner's, one per key: a CVE both found keeps the feed's match,
    with the scanner's observations and both bases."""
    by_key = {m.key: m for m in feed}
    merged = list(feed)
    for match in scanner:
        known = by_key.get(match.key)
        if known is None:
            merged.append(match)
            by_key[match.key] = match
            continue
        known.details = {
            **known.details,
            "bases": [known.basis, "scanner"],
            "scanner": match.details["scanner"],
        }
        if known.status == "needs_review" and match.status == "affected":
            known.status = "affected"
            known.details["confirmed_by_scanner"] = True
    return merged


def with_vector(facts: CveFacts | None, vector: str | None) -> CveFacts:
    """The feeds' facts of a CVE, with the scanner's CVSS 3 vector where the feeds have none."""
    facts = facts or CveFacts()
    if facts.cvss3_vector or not vector or not vector.startswith("CVSS:3"):
        return facts
    try:
        score = score_vector(vector)
    except BadVectorError:
        return facts
    return replace(facts, cvss3_vector=vector, cvss3_score=score.score)


def solution_type(match: Match) -> str | None:
    """The solution type of the most severe observation (VendorFix, Mitigation, Workaround…)."""
    observations = match.details.get("scanner") or []
    return observations[0].get("solution_type") if observations else None
