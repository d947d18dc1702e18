"""The default policy, rule by rule, on hand-made matrices; the exposure ratings; policy files."""

from __future__ import annotations

from pathlib import Path

import pytest

from hygie.core.errors import ContentError
from hygie.network.policy import OpenPort, check, default_policy, load_policy, rate_exposure
from hygie.network.reachability import Action, RuleSetSpec, RuleSpec, ZoneSpec, analyse
from hygie.network.services import parse_service

ZONES = (
    ZoneSpec("Internet", "internet"),
    ZoneSpec("DMZ", "dmz", ("10.0.0.0/24",)),
    ZoneSpec("Serveurs", "servers", ("10.1.0.0/16",)),
    ZoneSpec("Admin", "administration", ("10.2.0.0/16",)),
    ZoneSpec("Postes", "clinical_workstations", ("10.10.0.0/16",)),
    ZoneSpec("Biomed", "medical_devices", ("10.20.0.0/16",)),
    ZoneSpec("Imagerie", "imaging", ("10.21.0.0/16",)),
    ZoneSpec("Sauvegarde", "backup", ("10.5.0.0/16",)),
    ZoneSpec("Invites", "guest_wifi", ("10.50.0.0/16",)),
    ZoneSpec("GTB", "building_management", ("10.30.0.0/16",)),
)


def violations(
    *rules: tuple[str, tuple[str, ...], tuple[str, ...], tuple[str, ...]],
) -> set[tuple[str, str, str]]:
    specs = tuple(
        RuleSpec(str(i), Action(a), s, d, tuple(parse_service(x) for x in svc))
        for i, (a, s, d, svc) in enumerate(rules)
    )
    analysis = analyse(ZONES, [RuleSetSpec("fw", "FORWARD", specs)])
    return {(v.rule.id, v.source, v.destination) for v in check(default_policy(), ZONES, analysis)}


def test_clean_hospital_flows_break_nothing() -> None:
    assert (
        violations(
            ("allow", ("Internet",), ("DMZ",), ("tcp/443",)),
            ("allow", ("Postes",), ("Serveurs",), ("tcp/443",)),
            ("allow", ("Imagerie",), ("Serveurs",), ("tcp/104", "tcp/11112")),
            ("allow", ("Biomed",), ("Serveurs",), ("tcp/2575",)),
            ("allow", ("Admin",), ("Serveurs",), ("tcp/3389", "tcp/22")),
            ("allow", ("Serveurs",), ("Sauvegarde",), ("tcp/10000",)),
            ("allow", ("Invites",), ("Internet",), ("tcp/80", "tcp/443")),
            ("allow", ("Invites",), ("Serveurs",), ("udp/53",)),
        )
        == set()
    )


def test_each_mistake_is_found_by_its_rule() -> None:
    found = violations(
        ("allow", ("Invites",), ("Serveurs",), ("tcp/3389",)),
        ("allow", ("Biomed",), ("Internet",), ("tcp/443",)),
        ("allow", ("Internet",), ("Serveurs",), ("tcp/22",)),
        ("allow", ("Postes",), ("Serveurs",), ("tcp/3389",)),
        ("allow", ("Postes",), ("Sauvegarde",), ("tcp/445",)),
        ("allow", ("GTB",), ("Postes",), ()),
        ("allow", ("Admin",), ("Internet",), ("tcp/443",)),
        ("allow", ("Imagerie",), ("Serveurs",), ("tcp/445",)),
    )
    assert found == {
        ("R09", "Invites", "Serveurs"),
        ("R02", "Invites", "Serveurs"),
        ("R04", "Biomed", "Internet"),
        ("R01", "Internet", "Serveurs"),
        ("R02", "Internet", "Serveurs"),
        ("R11", "Postes", "Serveurs"),
        ("R14", "Postes", "Sauvegarde"),
        ("R21", "GTB", "Postes"),
        ("R16", "GTB", "Postes"),
        ("R11", "GTB", "Postes"),  # "any" includes RDP and SSH
        ("R20", "GTB", "Postes"),  # and Telnet, HTTP, FTP…
        ("R12", "Admin", "Internet"),
        ("R07", "Imagerie", "Serveurs"),
    }


def test_violation_names_the_allowing_rule_and_only_the_forbidden_part() -> None:
    specs = (
        RuleSpec("dns", Action.ALLOW, ("Invites",), ("Serveurs",), (parse_service("udp/53"),)),
        RuleSpec(
            "oops",
            Action.ALLOW,
            ("Invites",),
            ("10.1.0.8",),
            (parse_service("tcp/3389"), parse_service("tcp/443")),
        ),
    )
    analysis = analyse(ZONES, [RuleSetSpec("fw", "FORWARD", specs)])
    r09 = next(v for v in check(default_policy(), ZONES, analysis) if v.rule.id == "R09")
    assert r09.services.describe() == "tcp/443,3389 (RDP, HTTPS)"
    assert set(r09.allowed_by) == {"oops"}
    assert r09.key == "policy:R09:Invites->Serveurs"


def test_exposure_ratings() -> None:
    ports = [
        OpenPort("203.0.113.5", "tcp", 3389, "Serveurs"),
        OpenPort("203.0.113.6", "tcp", 443, "DMZ"),
        OpenPort("203.0.113.7", "tcp", 22, "DMZ"),
        OpenPort("203.0.113.8", "tcp", 8081, "Serveurs"),
        OpenPort("203.0.113.9", "tcp", 104, "DMZ"),
    ]
    kinds = {z.name: z.kind for z in ZONES}
    rated = {(e.port.port, e.severity) for e in rate_exposure(default_policy(), ports, kinds)}
    assert rated == {(3389, "critical"), (22, "high"), (8081, "high"), (104, "critical")}


def test_policy_file_errors(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(
        "rules:\n  - id: X1\n    title: {fr: a, en: b}\n    severity: severe\n    from: {}\n    to: {}\n"
    )
    with pytest.raises(ContentError) as caught:
        load_policy(path)
    assert caught.value.location.field == "rules.0.severity"
    head = "rules:\n  - id: X1\n    title: {fr: a, en: b}\n    severity: high\n    from: {}\n    to: {}\n"
    path.write_text(head + "    services: {names: [TELEPORT]}\n")
    with pytest.raises(ContentError, match="TELEPORT"):
        load_policy(path)


def test_policy_controls_exist_in_the_library() -> None:
    from hygie.frameworks.loader import default_library

    library = default_library(None)
    policy = default_policy()
    named = {c for rule in policy.rules for c in rule.controls} | set(policy.exposure.controls)
    assert named and named <= set(library.controls)
    assert {"TEC-SEGMENT", "TEC-EXPOSURE", "TEC-WIFI", "TEC-BIOMED", "CON-BACKUP-ISOLATION"} <= named
