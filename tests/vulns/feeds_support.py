"""Feed test material: the real samples of ../shared/data, and the few files the shared data lacks
(EPSS, CERT-FR, the endoflife.date API shape), written here in their published formats."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import zipfile
from collections.abc import Callable
from pathlib import Path

import httpx

from hygie.core.settings import Settings, get_settings
from hygie.vulns.feeds.catalogue import OFFICIAL_URLS, SSVC_TABLES

EPSS_TEXT = (
    "#model_version:v2025.03.14,score_date:2025-08-25T00:00:00+0000\n"
    "cve,epss,percentile\n"
    "CVE-2023-43208,0.94316,0.99941\n"
    "CVE-2021-44228,0.94358,0.99983\n"
    "CVE-2022-26390,0.00044,0.11877\n"
)

CERTFR_RSS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel>
<title>CERT-FR - Avis</title><link>https://www.cert.ssi.gouv.fr/avis/</link>
<item><title>Vulnérabilité dans Mirth Connect</title>
<link>https://www.cert.ssi.gouv.fr/avis/CERTFR-2024-AVI-0420/</link>
<guid>https://www.cert.ssi.gouv.fr/avis/CERTFR-2024-AVI-0420/</guid>
<pubDate>Tue, 21 May 2024 00:00:00 +0000</pubDate>
<description>Une vulnérabilité a été découverte dans Mirth Connect.</description></item>
<item><title>Multiples vulnérabilités dans Citrix</title>
<link>https://www.cert.ssi.gouv.fr/avis/CERTFR-2023-AVI-0850/</link>
<pubDate>Wed, 11 Oct 2023 00:00:00 +0000</pubDate>
<description>De multiples vulnérabilités ont été découvertes dans Citrix.</description></item>
</channel></rss>
"""

CERTFR_ALERT_RSS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>CERT-FR - Alertes</title>
<item><title>Vulnérabilité dans Palo Alto Networks PAN-OS</title>
<link>https://www.cert.ssi.gouv.fr/alerte/CERTFR-2024-ALE-006/</link>
<pubDate>Fri, 12 Apr 2024 00:00:00 +0000</pubDate><description>Exploitée.</description></item>
</channel></rss>
"""


def certfr_detail(reference: str, cves: list[str], **extra: object) -> dict[str, object]:
    """A bulletin's JSON document, in the shape cert.ssi.gouv.fr publishes."""
    return {
        "$ref": "https://www.cert.ssi.gouv.fr/openapi.json",
        "reference": reference,
        "title": "Vulnérabilité dans Mirth Connect",
        "summary": "Une vulnérabilité a été découverte dans NextGen Mirth Connect.",
        "content": "## Solutions\n\nSe référer au bulletin de sécurité de l'éditeur.",
        "affected_systems": [
            {
                "description": "Mirth Connect versions antérieures à 4.4.1",
                "product": {
                    "name": "Mirth Connect",
                    "vendor": {"name": "NextGen Healthcare", "scada": False},
                },
            }
        ],
        "affected_systems_content": "",
        "cves": [{"name": c, "url": f"https://www.cve.org/CVERecord?id={c}"} for c in cves],
        "links": [],
        "revisions": [
            {"description": "Version initiale", "revision_date": "2024-05-21T00:00:00.000000"},
            {"description": "Exploitation active", "revision_date": "2024-05-23T00:00:00.000000"},
        ],
        "risks": [{"description": "Exécution de code arbitraire à distance"}],
        "vendor_advisories": [
            {"published_at": "2023-10-25", "title": "Bulletin NextGen", "url": "https://example.org/mirth"}
        ],
        **extra,
    }


EOL_V1 = {
    "schema_version": "1.2.0",
    "generated_at": "2025-08-20T10:00:00+00:00",
    "last_modified": "2025-08-20T09:00:00+00:00",
    "total": 1,
    "result": [
        {
            "name": "windows-embedded",
            "label": "Microsoft Windows Embedded",
            "category": "os",
            "tags": ["microsoft", "windows"],
            "identifiers": [],
            "links": {"releasePolicy": "https://learn.microsoft.com/lifecycle/"},
            "releases": [
                {
                    "name": "standard-7-sp1",
                    "label": "Standard 7 SP1",
                    "releaseDate": "2011-02-28",
                    "isLts": False,
                    "isEoas": True,
                    "eoasFrom": "2015-10-13",
                    "isEol": True,
                    "eolFrom": "2020-10-13",
                    "isMaintained": False,
                },
                {"name": "future", "releaseDate": "2025-01-01", "isEol": False, "eolFrom": None},
            ],
        }
    ],
}


def settings_with(**changes: object) -> Settings:
    # Only fields: a derived path (feeds_dir) given here would be ignored, and the real home written.
    unknown = set(changes) - set(Settings.model_fields)
    assert not unknown, f"not Settings fields: {unknown}"
    return get_settings().model_copy(update=changes)


def nvd_page(records: list[dict[str, object]]) -> bytes:
    """The NVD 2.0 feed / API page shape, gzip-compressed."""
    page = {
        "resultsPerPage": len(records),
        "startIndex": 0,
        "totalResults": len(records),
        "format": "NVD_CVE",
        "version": "2.0",
        "timestamp": "2025-10-25T03:00:00.000",
        "vulnerabilities": [{"cve": r} for r in records],
    }
    return gzip.compress(json.dumps(page).encode())


def zip_of(files: list[Path], prefix: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in files:
            archive.write(file, f"{prefix}/{file.name[4:8]}/{file.name}")
    return buffer.getvalue()


def official_site(shared_data: Path, year: int = 2025) -> dict[str, bytes]:
    """What each official URL serves, built from the shared samples (plus EPSS, CERT-FR, eol API)."""
    nvd_records = [json.loads(p.read_bytes()) for p in sorted((shared_data / "nvd").glob("CVE-*.json"))]
    site: dict[str, bytes] = {
        OFFICIAL_URLS["kev"]: (shared_data / "kev" / "known_exploited_vulnerabilities.json").read_bytes(),
        OFFICIAL_URLS["epss"]: gzip.compress(EPSS_TEXT.encode()),
        OFFICIAL_URLS["vulnrichment"]: zip_of(
            sorted((shared_data / "vulnrichment").glob("*.json")), "vulnrichment-develop"
        ),
        OFFICIAL_URLS["eol"]: json.dumps(EOL_V1).encode(),
        OFFICIAL_URLS["certfr_avis"]: CERTFR_RSS.encode(),
        OFFICIAL_URLS["certfr_alerte"]: CERTFR_ALERT_RSS.encode(),
        "https://www.cert.ssi.gouv.fr/avis/CERTFR-2024-AVI-0420/json/": json.dumps(
            certfr_detail("CERTFR-2024-AVI-0420", ["CVE-2023-43208"])
        ).encode(),
        "https://www.cert.ssi.gouv.fr/alerte/CERTFR-2024-ALE-006/json/": json.dumps(
            certfr_detail("CERTFR-2024-ALE-006", ["CVE-2024-3400"], closed_at="2024-06-01T00:00:00.000000")
        ).encode(),
    }
    for y in range(2002, year + 1):
        chosen = [r for r in nvd_records if str(r["id"]).startswith(f"CVE-{y}-")]
        site[OFFICIAL_URLS["nvd"].replace("{year}", str(y))] = nvd_page(chosen)
    entries = []
    base = "https://raw.githubusercontent.com/cisagov/CSAF/develop/csaf_files/OT/white"
    for path in sorted((shared_data / "csaf-icsma").rglob("*.json")):
        url = f"{base}/{path.parent.name}/{path.name}"
        content = path.read_bytes()
        site[url] = content
        site[url.replace(".json", ".sha512")] = (
            f"{hashlib.sha512(content).hexdigest()}  {path.name}\n".encode()
        )
        entries.append(
            {
                "id": path.stem.upper(),
                "link": [
                    {"rel": "self", "href": url},
                    {"rel": "hash", "href": url.replace(".json", ".sha512")},
                ],
            }
        )
    entries.append(
        {"id": "ICSA-24-298-03", "link": [{"rel": "self", "href": f"{base}/2024/icsa-24-298-03.json"}]}
    )
    site[OFFICIAL_URLS["csaf"]] = json.dumps({"feed": {"id": "cisa-csaf-ot", "entry": entries}}).encode()
    for name in SSVC_TABLES:
        site[OFFICIAL_URLS["ssvc"] + name] = (shared_data / "ssvc" / name.rsplit("/", 1)[-1]).read_bytes()
    return site


def mock_client(site: dict[str, bytes], requested: list[str] | None = None) -> httpx.Client:
    """An httpx client answering from ``site``; 404 for anything else."""

    def handler(request: httpx.Request) -> httpx.Response:
        url = str(request.url)
        if requested is not None:
            requested.append(url)
        if url in site:
            return httpx.Response(200, content=site[url])
        return httpx.Response(404, text="not found")

    return httpx.Client(transport=httpx.MockTransport(handler))


def offline_client() -> httpx.Client:
    """What httpx does on a machine without network: every connection fails."""

    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno -3] Temporary failure in name resolution", request=request)

    return httpx.Client(transport=httpx.MockTransport(handler))


Builder = Callable[[dict[str, bytes]], httpx.Client]
