"""TEC-PATCH, TEC-EOL, TEC-BIOMED and TEC-VULN-SCAN measured from the audit's results (metrics in
hygie.vulns.evidence, levels by the rules of controls.yaml)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy.orm import Session

from hygie.assess import evidence
from hygie.assets.models import Asset, AssetKind
from hygie.frameworks.loader import SHIPPED_LIBRARY, load_library
from hygie.frameworks.service import get_library
from hygie.vulns import evidence as vulns_evidence
from hygie.vulns.models import MatchBasis, MatchStatus, ResultKind, VulnResult
from hygie.vulns.ssvc import Priority
from tests.factories import make_establishment

ON = date(2026, 11, 1)
AUDIT = datetime(2026, 10, 20, 9, 0, tzinfo=UTC)
CONTROLS = ("TEC-PATCH", "TEC-EOL", "TEC-BIOMED", "TEC-VULN-SCAN")


def audited(session: Session) -> int:
    """Ten assets (two medical devices) and the results of an audit of 2026-10-20, by hand."""
    eid = make_establishment(session).id
    assets = [Asset(establishment_id=eid, name=f"poste-{n}", kind=AssetKind.WORKSTATION) for n in range(8)]
    assets += [
        Asset(establishment_id=eid, name=f"pompe-{n}", kind=AssetKind.MEDICAL_DEVICE) for n in range(2)
    ]
    session.add_all(assets)
    session.flush()

    def result(asset: Asset, key: str, priority: Priority, first_seen: date, **more: object) -> VulnResult:
        return VulnResult(
            establishment_id=eid,
            asset_id=asset.id,
            key=key,
            kind=more.pop("kind", ResultKind.CVE),
            basis=MatchBasis.EOL if more.get("eol_date") else MatchBasis.NVD,
            status=MatchStatus.AFFECTED,
            priority=priority,
            first_seen=datetime(first_seen.year, first_seen.month, first_seen.day, tzinfo=UTC),
            last_seen=AUDIT,
            **more,
        )

    session.add_all(
        [
            # Act, seen on 1 October: 7 days to fix, overdue on 1 November.
            result(assets[0], "cve:0", Priority.ACT, date(2026, 10, 1), cve_id="CVE-2026-0001"),
            # Known exploited but Track: 180 days, not overdue.
            result(assets[1], "cve:1", Priority.TRACK, date(2026, 10, 1), cve_id="CVE-2026-0002", kev=True),
            # Act seen on 28 October: due on 4 November, not yet overdue.
            result(assets[2], "cve:2", Priority.ACT, date(2026, 10, 28), cve_id="CVE-2026-0003"),
            # Windows 7, past its end of life.
            result(
                assets[3],
                "eol:3",
                Priority.TRACK_STAR,
                date(2026, 10, 1),
                kind=ResultKind.EOL,
                eol_product="windows",
                eol_date=date(2020, 1, 14),
            ),
            # A pump with an Attend flaw seen on 1 October: 30 days, overdue on 1 November.
            result(assets[8], "cve:8", Priority.ATTEND, date(2026, 10, 1), cve_id="CVE-2026-0008"),
            # A pump whose end of life is to come.
            result(
                assets[9],
                "eol:9",
                Priority.TRACK,
                date(2026, 10, 1),
                kind=ResultKind.EOL,
                eol_product="pump-os",
                eol_date=date(2027, 6, 1),
            ),
        ]
    )
    session.flush()
    return eid


def levels(session: Session, eid: int, on: date, library: object = None) -> dict[str, int]:
    found = evidence.measured_levels(session, eid, on, library or get_library())  # type: ignore[arg-type]
    return {c: m.level for c, m in found.items() if c in CONTROLS}


def test_no_audit_measures_nothing(session: Session) -> None:
    eid = make_establishment(session).id
    session.add(Asset(establishment_id=eid, name="poste", kind=AssetKind.WORKSTATION))
    session.flush()
    assert vulns_evidence.measure(session, eid, ON) == []


def test_levels_from_the_audit(session: Session) -> None:
    eid = audited(session)
    read = {r.metric: r for r in vulns_evidence.measure(session, eid, ON)}
    # 9/10 assets with no overdue Act/KEV flaw; 9/10 not past end of life; 1/2 pumps with no overdue
    # Act/Attend flaw; the audit is 12 days old.
    assert read["vulns.patched_share"].value == 0.9
    assert read["vulns.supported_share"].value == 0.9
    assert read["vulns.medical_patched_share"].value == 0.5
    assert read["vulns.days_since_audit"].value == 12
    assert read["vulns.patched_share"].facts_on == date(2026, 10, 20)
    # TEC-PATCH 0.9 ≥ 0.85 → 3; TEC-EOL 0.9 ≥ 0.9 → 3; TEC-BIOMED 0.5 ≥ 0.001 → 1; 12 days ≤ 31 → 4.
    assert levels(session, eid, ON) == {"TEC-PATCH": 3, "TEC-EOL": 3, "TEC-BIOMED": 1, "TEC-VULN-SCAN": 4}
    patch = evidence.measured_levels(session, eid, ON, get_library())["TEC-PATCH"]
    assert patch.basis.fr.startswith("9/10 actifs sans vulnérabilité « Agir » ou exploitée (KEV)")
    assert [i.fr for i in patch.items] == ["poste-0 : CVE-2026-0001"]
    assert (patch.source, patch.measured_at, patch.stale) == ("vulns", date(2026, 10, 20), False)


def test_stale_audit_counts_for_less(session: Session) -> None:
    eid = audited(session)
    # 10 January 2027, audit 82 days old. TEC-PATCH: the 28 October Act flaw is overdue too (8/10,
    # ≥ 0.7 → 2), and the evidence is 52 days past its 30: two periods → 0. TEC-EOL: 82 ≤ 90 days,
    # fresh, still 3. TEC-VULN-SCAN: 82 days ≤ 92 → 3.
    got = levels(session, eid, date(2027, 1, 10))
    assert (got["TEC-PATCH"], got["TEC-EOL"], got["TEC-VULN-SCAN"]) == (0, 3, 3)
    patch = evidence.measured_levels(session, eid, date(2027, 1, 10), get_library())["TEC-PATCH"]
    assert patch.stale and patch.rule_level == 2
    assert patch.basis.fr.endswith("; preuve du 2026-10-20, plus de 30 jours : -2 niveaux")


def test_the_thresholds_come_from_the_yaml(session: Session, tmp_path: Path) -> None:
    eid = audited(session)
    text = (SHIPPED_LIBRARY / "controls.yaml").read_text(encoding="utf-8")
    shipped = (
        "thresholds: [{at_least: 0.99, level: 5}, {at_least: 0.95, level: 4}, {at_least: 0.85, level: 3}"
    )
    assert text.count(shipped) == 1
    (tmp_path / "controls.yaml").write_text(
        text.replace(shipped, shipped.replace("{at_least: 0.95, level: 4}", "{at_least: 0.9, level: 4}")),
        encoding="utf-8",
    )
    # The same audit (0.9) under a 0.9 threshold for level 4: TEC-PATCH measured 4, not 3.
    assert levels(session, eid, ON, load_library([tmp_path]))["TEC-PATCH"] == 4


def test_a_known_exploited_flaw_is_due_by_cisas_date(session: Session) -> None:
    eid = audited(session)
    kev = next(r for r in session.query(VulnResult).filter_by(establishment_id=eid, key="cve:1"))
    # Track priority gives 180 days, but CISA's due date of 15 October is past on 1 November.
    kev.explanation = {"scores": {"kev": True, "kev_due": "2026-10-15"}}
    session.flush()
    assert vulns_evidence.deadline(kev) == date(2026, 10, 15)
    read = {r.metric: r for r in vulns_evidence.measure(session, eid, ON)}
    assert read["vulns.patched_share"].value == 0.8  # poste-0 and poste-1 now
    assert levels(session, eid, ON)["TEC-PATCH"] == 2  # 0.8 ≥ 0.7 → 2
