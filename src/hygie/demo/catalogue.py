"""The demo's vulnerability catalogue: a few feed files, written in the published formats, that the
demo installs as its feed snapshot when its home has none, so that the audit runs offline.

It is not a copy of the public catalogues: a handful of well-known CVEs described in our own words,
with their CVSS vectors, KEV membership and affected platforms as facts, indicative EPSS scores,
end-of-life dates of the systems the demo inventory runs, and medical advisories about the demo's
fictitious makers. Every feed carries the version ``demo``, which ``hygie feeds status`` shows;
``hygie feeds update`` or ``hygie feeds import`` replace it with the real catalogues.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from cvss import CVSS3

from hygie.core.settings import Settings
from hygie.vulns.feeds import service as feeds_service
from hygie.vulns.feeds.snapshot import Snapshot

VERSION = "demo"
RELEASED = "2026-11-02T08:00:00Z"
PUBLISHER = "Hygie (catalogue de démonstration)"


@dataclass(frozen=True)
class DemoCve:
    cve_id: str
    description: str
    vector: str  # CVSS 3.1
    platforms: tuple[dict[str, Any], ...]  # NVD cpeMatch entries of one OR node
    epss: float  # indicative
    kev_added: date | None = None
    name: str = ""
    vendor: str = ""
    product: str = ""
    ssvc: tuple[str, str, str] | None = None  # exploitation, automatable, technical impact


def _cpe(criteria: str, **bounds: str) -> dict[str, Any]:
    return {"vulnerable": True, "criteria": criteria, **bounds}


WINDOWS_7 = _cpe("cpe:2.3:o:microsoft:windows_7:-:sp1:*:*:*:*:*:*")
SERVER_2008_R2 = _cpe("cpe:2.3:o:microsoft:windows_server_2008:r2:sp1:*:*:*:*:*:*")
SERVER_2012_R2 = _cpe("cpe:2.3:o:microsoft:windows_server_2012:r2:*:*:*:*:*:*:*")
SERVER_2016 = _cpe("cpe:2.3:o:microsoft:windows_server_2016:-:*:*:*:*:*:*:*")
SERVER_2019 = _cpe("cpe:2.3:o:microsoft:windows_server_2019:-:*:*:*:*:*:*:*")

CVES: tuple[DemoCve, ...] = (
    DemoCve(
        "CVE-2019-0708",
        "Remote code execution in Remote Desktop Services before authentication (BlueKeep).",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        (WINDOWS_7, SERVER_2008_R2),
        0.94,
        date(2021, 11, 3),
        "Remote Desktop Services Remote Code Execution Vulnerability",
        "Microsoft",
        "Remote Desktop Services",
        ("active", "yes", "total"),
    ),
    DemoCve(
        "CVE-2017-0144",
        "Remote code execution through crafted SMBv1 packets (EternalBlue, MS17-010).",
        "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H",
        (WINDOWS_7, SERVER_2008_R2, SERVER_2012_R2, SERVER_2016),
        0.94,
        date(2022, 3, 25),
        "SMBv1 Remote Code Execution Vulnerability",
        "Microsoft",
        "SMBv1",
        ("active", "yes", "total"),
    ),
    DemoCve(
        "CVE-2020-1472",
        "Elevation of privilege in the Netlogon protocol: a domain controller can be taken over (Zerologon).",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H",
        (SERVER_2008_R2, SERVER_2012_R2, SERVER_2016, SERVER_2019),
        0.94,
        date(2021, 11, 3),
        "Netlogon Privilege Escalation Vulnerability",
        "Microsoft",
        "Netlogon",
        ("active", "no", "total"),
    ),
    DemoCve(
        "CVE-2021-34527",
        "Remote code execution through the Windows Print Spooler service (PrintNightmare).",
        "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H",
        (WINDOWS_7, SERVER_2008_R2, SERVER_2012_R2, SERVER_2016, SERVER_2019),
        0.94,
        date(2021, 11, 3),
        "Print Spooler Remote Code Execution Vulnerability",
        "Microsoft",
        "Windows",
        ("active", "no", "total"),
    ),
    DemoCve(
        "CVE-2023-38408",
        "Remote code execution through a forwarded ssh-agent and its PKCS#11 support "
        "in OpenSSH before 9.3p2.",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        (_cpe("cpe:2.3:a:openbsd:openssh:*:*:*:*:*:*:*:*", versionEndExcluding="9.3"),),
        0.06,
    ),
    DemoCve(
        "CVE-2021-23017",
        "A one-byte memory overwrite in the nginx resolver, from a forged DNS response.",
        "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:L/A:H",
        (
            _cpe(
                "cpe:2.3:a:f5:nginx:*:*:*:*:*:*:*:*",
                versionStartIncluding="0.6.18",
                versionEndExcluding="1.20.1",
            ),
        ),
        0.09,
    ),
    DemoCve(
        "CVE-2017-7679",
        "A buffer over-read in Apache httpd's mod_mime from a malicious Content-Type response header.",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:H",
        (
            _cpe(
                "cpe:2.3:a:apache:http_server:*:*:*:*:*:*:*:*",
                versionStartIncluding="2.4.0",
                versionEndExcluding="2.4.26",
            ),
        ),
        0.03,
    ),
)

# endoflife.date products: (product, title, CPE identifier, [(cycle, end of support)])
END_OF_LIFE: tuple[tuple[str, str, str | None, tuple[tuple[str, date], ...]], ...] = (
    ("windows", "Microsoft Windows", None, (("7-sp1", date(2020, 1, 14)), ("xp", date(2014, 4, 8)))),
    (
        "windows-server",
        "Microsoft Windows Server",
        None,
        (("2008-sp2", date(2020, 1, 14)), ("2012", date(2023, 10, 10))),
    ),
    ("centos", "CentOS Linux", "cpe:2.3:o:centos:centos", (("7", date(2024, 6, 30)),)),
    ("rhel", "Red Hat Enterprise Linux", "cpe:2.3:o:redhat:enterprise_linux", (("8", date(2029, 5, 31)),)),
)

# Medical advisories about the demo's fictitious makers:
# (id, title, maker, model, versions, what, fix, CVSS 3.1 vector)
ADVISORIES: tuple[tuple[str, str, str, str, str, str, str, str], ...] = (
    (
        "DEMO-ICSMA-26-001",
        "Perfusia VP-300 infusion pumps",
        "Perfusia",
        "VP-300",
        "<= 2.4.3",
        "A maintenance Telnet service accepts a password shared by every pump of the series.",
        "No fix is planned for this end-of-life series: isolate the pumps in their own network zone and "
        "block Telnet at the zone's boundary.",
        "CVSS:3.1/AV:A/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
    ),
    (
        "DEMO-ICSMA-26-002",
        "Vitalis Monitoring VM-12 patient monitors",
        "Vitalis Monitoring",
        "VM-12",
        "< 7.4",
        "The monitor's configuration web page can be reached without signing in.",
        "Update the firmware to 7.4 or later through the maker's service.",
        "CVSS:3.1/AV:A/AC:L/PR:N/UI:N/S:U/C:L/I:L/A:N",
    ),
)


def _nvd_record(cve: DemoCve) -> dict[str, Any]:
    score = float(CVSS3(cve.vector).base_score)
    record: dict[str, Any] = {
        "id": cve.cve_id,
        "sourceIdentifier": "demo@hygie.invalid",
        "published": "2026-01-01T00:00:00.000",
        "lastModified": "2026-11-01T00:00:00.000",
        "vulnStatus": "Analyzed",
        "descriptions": [{"lang": "en", "value": cve.description}],
        "metrics": {
            "cvssMetricV31": [
                {
                    "source": "nvd@nist.gov",
                    "type": "Primary",
                    "cvssData": {"version": "3.1", "vectorString": cve.vector, "baseScore": score},
                }
            ]
        },
        "configurations": [{"nodes": [{"operator": "OR", "negate": False, "cpeMatch": list(cve.platforms)}]}],
    }
    if cve.kev_added:
        record["cisaExploitAdd"] = cve.kev_added.isoformat()
    return record


def _vulnrichment_record(cve: DemoCve, ssvc: tuple[str, str, str]) -> dict[str, Any]:
    exploitation, automatable, impact = ssvc
    content = {
        "id": cve.cve_id,
        "role": "CISA Coordinator",
        "version": "2.0.3",
        "timestamp": "2026-11-01T00:00:00Z",
        "options": [
            {"Exploitation": exploitation},
            {"Automatable": automatable},
            {"Technical Impact": impact},
        ],
    }
    return {
        "dataType": "CVE_RECORD",
        "dataVersion": "5.1",
        "cveMetadata": {"cveId": cve.cve_id, "state": "PUBLISHED", "dateUpdated": "2026-11-01T00:00:00Z"},
        "containers": {
            "adp": [
                {
                    "title": "CISA ADP Vulnrichment",
                    "providerMetadata": {"shortName": "CISA-ADP"},
                    "metrics": [{"other": {"type": "ssvc", "content": content}}],
                }
            ]
        },
    }


def _eol_markdown(title: str, identifier: str | None, cycles: tuple[tuple[str, date], ...]) -> str:
    lines = ["---", f"title: {title}", "category: os"]
    if identifier:
        lines += ["identifiers:", f"  - cpe: {identifier}"]
    lines.append("releases:")
    for cycle, end in cycles:
        lines += [f'  - releaseCycle: "{cycle}"', f"    eol: {end.isoformat()}"]
    return "\n".join([*lines, "---", ""])


def _csaf(advisory: tuple[str, str, str, str, str, str, str, str]) -> dict[str, Any]:
    tracking_id, title, maker, model, versions, what, fix, vector = advisory
    cvss = CVSS3(vector)
    product_id = "CSAFPID-0001"
    return {
        "document": {
            "category": "csaf_security_advisory",
            "csaf_version": "2.0",
            "title": f"{title} (demo)",
            "publisher": {"category": "other", "name": PUBLISHER, "namespace": "https://hygie.invalid/"},
            "distribution": {"tlp": {"label": "WHITE"}},
            "tracking": {
                "id": tracking_id,
                "status": "final",
                "version": "1",
                "initial_release_date": "2026-10-15T00:00:00.000Z",
                "current_release_date": "2026-10-15T00:00:00.000Z",
                "revision_history": [
                    {"date": "2026-10-15T00:00:00.000Z", "number": "1", "summary": "Initial"}
                ],
            },
        },
        "product_tree": {
            "branches": [
                {
                    "category": "vendor",
                    "name": maker,
                    "branches": [
                        {
                            "category": "product_name",
                            "name": model,
                            "branches": [
                                {
                                    "category": "product_version_range",
                                    "name": versions,
                                    "product": {
                                        "name": f"{maker} {model} {versions}",
                                        "product_id": product_id,
                                    },
                                }
                            ],
                        }
                    ],
                }
            ]
        },
        "vulnerabilities": [
            {
                "title": what,
                "notes": [{"category": "summary", "text": what}],
                "product_status": {"known_affected": [product_id]},
                "remediations": [{"category": "mitigation", "details": fix, "product_ids": [product_id]}],
                "scores": [
                    {
                        "products": [product_id],
                        "cvss_v3": {
                            "version": "3.1",
                            "vectorString": vector,
                            "baseScore": float(cvss.base_score),
                            "baseSeverity": cvss.severities()[0].upper(),
                        },
                    }
                ],
            }
        ],
    }


def write(folder: Path) -> dict[str, list[Path]]:
    """Writes the catalogue's files under ``folder`` and returns them by feed, as ``ingest`` takes them."""
    folder.mkdir(parents=True, exist_ok=True)
    nvd = folder / "nvd-demo.json"
    nvd.write_text(
        json.dumps(
            {
                "format": "NVD_CVE",
                "version": "2.0",
                "timestamp": "2026-11-02T08:00:00.000",
                "totalResults": len(CVES),
                "vulnerabilities": [{"cve": _nvd_record(c)} for c in CVES],
            },
            indent=1,
        ),
        encoding="utf-8",
    )

    in_kev = [c for c in CVES if c.kev_added]
    kev = folder / "kev-demo.json"
    kev.write_text(
        json.dumps(
            {
                "title": "Known exploited vulnerabilities (Hygie demo catalogue)",
                "catalogVersion": VERSION,
                "dateReleased": RELEASED,
                "count": len(in_kev),
                "vulnerabilities": [
                    {
                        "cveID": c.cve_id,
                        "vendorProject": c.vendor,
                        "product": c.product,
                        "vulnerabilityName": c.name,
                        "dateAdded": c.kev_added.isoformat() if c.kev_added else None,
                        "shortDescription": c.description,
                        "requiredAction": "Apply the vendor's update or isolate the system.",
                        "dueDate": c.kev_added.isoformat() if c.kev_added else None,
                        "knownRansomwareCampaignUse": "Known",
                        "notes": "",
                    }
                    for c in in_kev
                ],
            },
            indent=1,
        ),
        encoding="utf-8",
    )

    epss = folder / "epss-demo.csv"
    epss.write_text(
        f"#model_version:{VERSION},score_date:2026-11-02T00:00:00+0000\ncve,epss,percentile\n"
        + "".join(f"{c.cve_id},{c.epss:.5f},{min(0.99999, 0.5 + c.epss / 2):.5f}\n" for c in CVES),
        encoding="utf-8",
    )

    vulnrichment = folder / "vulnrichment"
    vulnrichment.mkdir(exist_ok=True)
    for cve in CVES:
        if cve.ssvc:
            record = _vulnrichment_record(cve, cve.ssvc)
            (vulnrichment / f"{cve.cve_id}.json").write_text(json.dumps(record), encoding="utf-8")

    eol = folder / "endoflife"
    eol.mkdir(exist_ok=True)
    for product, title, identifier, cycles in END_OF_LIFE:
        (eol / f"{product}.md").write_text(_eol_markdown(title, identifier, cycles), encoding="utf-8")

    csaf = folder / "csaf"
    csaf.mkdir(exist_ok=True)
    for advisory in ADVISORIES:
        (csaf / f"{advisory[0].lower()}.json").write_text(json.dumps(_csaf(advisory)), encoding="utf-8")

    return {
        "nvd": [nvd],
        "kev": [kev],
        "epss": [epss],
        "vulnrichment": [vulnrichment],
        "eol": [eol],
        "csaf": [csaf],
    }


def install(settings: Settings) -> Snapshot:
    """The home's feed snapshot: the one already there (real catalogues are kept), else this one."""
    current = feeds_service.current_snapshot(settings)
    if current is not None:
        return current
    with tempfile.TemporaryDirectory(prefix="hygie-demo-feeds-") as folder:
        return feeds_service.ingest(write(Path(folder)), settings=settings).snapshot
