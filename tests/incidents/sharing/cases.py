"""One case to export, in the shape the incidents service will build."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hygie.incidents.sharing import Indicator, SharedCase, TimelineEntry

DETECTED = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)  # 01:30 in Paris, the night clocks go forward

INDICATORS = (
    Indicator(kind="ip-v4", value="203.0.113.5", first_seen=datetime(2026, 3, 28, 22, 0, tzinfo=UTC)),
    Indicator(kind="ip-v6", value="2001:DB8::1", comment="C2"),
    Indicator(kind="domain", value="Evil.Example.ORG."),
    Indicator(kind="url", value="https://evil.example.org/a?q='x'&b=\\y"),
    Indicator(kind="md5", value="D41D8CD98F00B204E9800998ECF8427E"),
    Indicator(kind="sha1", value="da39a3ee5e6b4b0d3255bfef95601890afd80709"),
    Indicator(kind="sha256", value="e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
    Indicator(kind="email", value="phish@Evil.Example.org"),
    Indicator(kind="account", value="CHU\\svc_o'brien", comment="compte de service détourné"),
)


def make_case(**overrides: Any) -> SharedCase:
    values: dict[str, Any] = {
        "id": "42",
        "title": "Rançongiciel sur le DPI",
        "description": "Chiffrement des serveurs du DPI.",
        "category": "Ransomware",
        "severity": "critical",
        "status": "open",
        "detected_at": DETECTED,
        "started_at": datetime(2026, 3, 28, 21, 0, tzinfo=UTC),
        "establishment_name": "Centre hospitalier de Test",
        "establishment_finess": "750000001",
        "care_services": ("Urgences", "Bloc opératoire"),
        "timeline": (
            TimelineEntry(time=datetime(2026, 3, 29, 1, 15, tzinfo=UTC), text="Isolation du réseau du DPI"),
            TimelineEntry(time=datetime(2026, 3, 29, 0, 45, tzinfo=UTC), text="Cellule de crise réunie"),
        ),
        "indicators": INDICATORS,
        "tlp": "amber+strict",
    }
    values.update(overrides)
    return SharedCase(**values)
