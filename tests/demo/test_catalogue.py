"""The demo's offline vulnerability catalogue: real feed formats, read by the real parsers, and an audit
of the demo hospital whose results follow from the inventory's facts."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from sqlalchemy.orm import Session

from hygie.assets import service as assets_service
from hygie.assets.models import Asset
from hygie.core.db import make_engine
from hygie.core.migrate import upgrade
from hygie.core.settings import Settings
from hygie.demo import catalogue
from hygie.demo import service as demo_service
from hygie.frameworks.loader import default_library
from hygie.plan import service as plan_service
from hygie.plan.models import FindingSource
from hygie.reports import service as report_service
from hygie.vulns import service as vulns_service
from hygie.vulns.models import ResultKind
from hygie.vulns.ssvc import Priority


def host(asset: Asset) -> str:
    return (asset.hostname or asset.name).split(".")[0].lower()


def test_catalogue_files_load_whole(tmp_path: Path) -> None:
    snapshot = catalogue.install(Settings(home=tmp_path))
    feeds = snapshot.manifest.feeds
    assert set(feeds) == {"nvd", "kev", "epss", "vulnrichment", "eol", "csaf"}
    for name, entry in feeds.items():
        assert (entry.skipped, entry.flawed, entry.problems) == (0, 0, []), name
    assert feeds["kev"].version == feeds["epss"].version == catalogue.VERSION
    assert feeds["nvd"].rows == len(catalogue.CVES)
    assert feeds["kev"].rows == sum(1 for c in catalogue.CVES if c.kev_added)
    # A home that has a snapshot keeps it: the demo never replaces real catalogues.
    assert catalogue.install(Settings(home=tmp_path)).id == snapshot.id


def test_demo_audit_follows_the_inventory(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    engine = make_engine(settings.resolved_database_url)
    upgrade(engine)
    with Session(engine) as session:
        result = demo_service.build(session, default_library(tmp_path / "library"), feeds=settings)
        scan = result.vulnerabilities
        assert scan is not None and scan.results > 0 and scan.needs_review == 0
        assets = {a.id: a for a in assets_service.list_assets(session, result.establishment_id)}
        found: dict[str, set[str]] = defaultdict(set)
        priorities: dict[tuple[str, str], Priority] = {}
        for row in vulns_service.list_results(session, result.establishment_id):
            asset = assets[row.asset_id]
            key = row.cve_id or row.advisory_id or f"eol:{row.eol_product}"
            found[host(asset)].add(key)
            priorities[(host(asset), key)] = row.priority
            if row.kind is ResultKind.ADVISORY and row.advisory_id == "DEMO-ICSMA-26-002":
                # "< 7.4": the monitors on firmware 7.3 only.
                assert (asset.model, asset.firmware) == ("VM-12", "7.3"), asset.name
        by_model: dict[tuple[str | None, str | None], list[str]] = defaultdict(list)
        for asset in assets.values():
            by_model[(asset.model, asset.firmware)].append(host(asset))
        # Every VP-300 pump (firmware 2.4.1 and 2.4.3, both "<= 2.4.3") has the Telnet advisory.
        pumps = by_model[("VP-300", "2.4.1")] + by_model[("VP-300", "2.4.3")]
        assert pumps and all("DEMO-ICSMA-26-001" in found[name] for name in pumps)
        # The advisory's CVSS vector (no CVE) gives SSVC its technical impact (C/I/A all high: total):
        # no known exploitation, not automatable (adjacent network), total impact on a life-sustaining
        # pump in intensive care → Track*; the same pumps in a support role stay at Track.
        icu = [host(a) for a in assets.values() if a.model == "VP-300" and a.department == "Réanimation"]
        assert len(icu) == 24
        assert {priorities[(n, "DEMO-ICSMA-26-001")] for n in icu} == {Priority.TRACK_STAR}
        others = set(pumps) - set(icu)
        assert {priorities[(n, "DEMO-ICSMA-26-001")] for n in others} == {Priority.TRACK}
        monitors = by_model[("VM-12", "7.3")]
        assert monitors and all("DEMO-ICSMA-26-002" in found[name] for name in monitors)
        # The CT scanners run Windows 7 Embedded: BlueKeep, in KEV, and Windows 7's end of life.
        scanners = [host(a) for a in assets.values() if a.model == "Scanora CT 64"]
        assert len(scanners) == 2
        assert all({"CVE-2019-0708", "CVE-2017-0144", "eol:windows"} <= found[n] for n in scanners)
        # Servers: the patient portal's nginx 1.14.1 (resolver flaw), the patient record's database
        # on OpenSSH 8.0 (before 9.3), CentOS 7's end of life on the laboratory system; RHEL 8 is
        # supported until 2029, and Windows Server 2022 has none of the catalogue's CVEs.
        assert "CVE-2021-23017" in found["portail-patients"]
        assert "CVE-2023-38408" in found["dpi-db01"]
        assert "eol:centos" in found["sil01"]
        assert not any(k.startswith("eol:rhel") for keys in found.values() for k in keys)
        assert found["wsus01"] == set()
        # Zerologon on the domain controllers (Windows Server 2019): actively exploited.
        assert priorities[("dc01", "CVE-2020-1472")] in {Priority.ATTEND, Priority.ACT}
        # The results are the plan's vulnerability findings.
        findings = plan_service.list_findings(
            session, result.establishment_id, source=FindingSource.VULNERABILITY
        )
        assert len(findings) == scan.results
        # The management report gives one line per flaw with its number of assets, not one per asset.
        report = report_service.maturity_report(
            session, result.establishment_id, default_library(tmp_path / "library"), lang="fr"
        )
        titles = [w.title for w in report.weaknesses]
        assert len(titles) == len(set(titles))
        eternal_blue = sum(1 for keys in found.values() if "CVE-2017-0144" in keys)
        assert f"CVE-2017-0144 — {eternal_blue} équipements" in titles
    engine.dispose()
