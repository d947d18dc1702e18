"""The impact query on a small graph whose answers were worked out by hand.

Services: Urgences (RTO 4 h), Bloc (RTO 8 h), Maternité (RTO 24 h).
Applications and their last tested restore: DPI 6 h, AD 2 h, LIS never tested, PACS 3 h, Mail 1 h.

    Urgences  ──blocking──► DPI ──blocking──► AD ──blocking──► DPI   (a cycle)
    Urgences  ──degraded──► PACS ──degraded──► AD
    Bloc      ──blocking──► PACS
    Bloc      ──blocking──► LIS ──blocking──► DPI
    Maternité ──degraded──► Mail

Assets: DPI on 10 and 11 (zone Serveurs), AD on 20 (Cœur), LIS on 30 (Serveurs), PACS on 40
(Imagerie), Mail on 50 (DMZ).
"""

from __future__ import annotations

import pytest

from hygie.continuity import impact
from hygie.continuity.impact import ApplicationNode, Edge, Effect, Graph, ServiceNode, Verdict
from hygie.continuity.models import Criticality

URG, BLOC, MAT = 1, 2, 3
DPI, AD, LIS, PACS, MAIL = 1, 2, 3, 4, 5
B, D = Criticality.BLOCKING, Criticality.DEGRADED


def _graph(bloc_rto: float = 8) -> Graph:
    return Graph(
        services={
            URG: ServiceNode("Urgences", 4),
            BLOC: ServiceNode("Bloc", bloc_rto),
            MAT: ServiceNode("Maternité", 24),
        },
        applications={
            DPI: ApplicationNode("DPI", 6),
            AD: ApplicationNode("AD", 2),
            LIS: ApplicationNode("LIS", None),
            PACS: ApplicationNode("PACS", 3),
            MAIL: ApplicationNode("Mail", 1),
        },
        edges=[
            Edge("service", URG, DPI, B),
            Edge("service", URG, PACS, D),
            Edge("service", BLOC, PACS, B),
            Edge("service", BLOC, LIS, B),
            Edge("service", MAT, MAIL, D),
            Edge("application", DPI, AD, B),
            Edge("application", AD, DPI, B),
            Edge("application", PACS, AD, D),
            Edge("application", LIS, DPI, B),
        ],
        runs_on={
            DPI: frozenset({10, 11}),
            AD: frozenset({20}),
            LIS: frozenset({30}),
            PACS: frozenset({40}),
            MAIL: frozenset({50}),
        },
        zones={10: "Serveurs", 11: "Serveurs", 20: "Cœur", 30: "Serveurs", 40: "Imagerie", 50: "DMZ"},
    )


def _by_name(result: impact.Impact) -> dict[str, impact.ServiceImpact]:
    return {s.name: s for s in result.services}


def test_losing_the_domain_controller_stops_both_services_that_need_it_through_blocking_paths() -> None:
    result = impact.impact_of_asset(_graph(), 20)
    assert result.lost_applications == (AD,)
    services = _by_name(result)
    assert set(services) == {"Urgences", "Bloc"}  # Maternité needs nothing of AD
    urg = services["Urgences"]
    assert (urg.effect, urg.path, urg.restore_hours, urg.verdict) == (
        Effect.STOPPED,
        ("Urgences", "DPI", "AD"),
        2,
        Verdict.WITHIN,
    )
    bloc = services["Bloc"]
    # Shortest blocking path: Bloc → LIS → DPI → AD (PACS → AD is only degraded).
    assert (bloc.effect, bloc.path, bloc.verdict) == (
        Effect.STOPPED,
        ("Bloc", "LIS", "DPI", "AD"),
        Verdict.WITHIN,
    )


def test_losing_the_pacs_stops_the_theatre_and_degrades_the_emergency_department() -> None:
    services = _by_name(impact.impact_of_asset(_graph(), 40))
    assert services["Bloc"].effect == Effect.STOPPED
    assert services["Bloc"].path == ("Bloc", "PACS")
    assert services["Urgences"].effect == Effect.DEGRADED
    assert services["Urgences"].path == ("Urgences", "PACS")
    assert services["Urgences"].restore_hours == 3
    assert "Maternité" not in services


def test_losing_a_zone_loses_every_application_on_its_assets_and_the_slowest_restore_sets_the_outage() -> (
    None
):
    result = impact.impact_of_zone(_graph(), "  serveurs ")  # case and spaces ignored
    assert result.lost_assets == (10, 11, 30)
    assert result.lost_applications == (DPI, LIS)
    services = _by_name(result)
    urg = services["Urgences"]
    assert (urg.effect, urg.restore_hours, urg.verdict) == (Effect.STOPPED, 6, Verdict.OVER)  # 6 h > 4 h
    bloc = services["Bloc"]
    # The LIS was never restore-tested: the outage is unknown; LIS is nearer than the DPI.
    assert (bloc.restore_hours, bloc.verdict, bloc.path) == (None, Verdict.UNKNOWN, ("Bloc", "LIS"))
    assert bloc.lost_applications == (DPI, LIS)


def test_losing_an_application_directly_and_a_degraded_only_service() -> None:
    result = impact.impact_of_application(_graph(), MAIL)
    assert [(s.name, s.effect, s.verdict) for s in result.services] == [
        ("Maternité", Effect.DEGRADED, Verdict.WITHIN)
    ]
    assert result.stopped == [] and len(result.degraded) == 1


def test_stopped_services_come_first_then_by_name() -> None:
    result = impact.impact_of_asset(_graph(), 40)
    assert [s.name for s in result.services] == ["Bloc", "Urgences"]


def test_an_unknown_asset_or_zone_stops_nothing() -> None:
    assert impact.impact_of_asset(_graph(), 999).services == ()
    assert impact.impact_of_zone(_graph(), "Wi-Fi invités").services == ()


def test_readiness_puts_each_service_in_green_amber_or_red() -> None:
    graph = _graph()
    urg = impact.readiness(graph, URG)
    assert (urg.applications, urg.restore_hours, urg.verdict, urg.slowest) == (
        (DPI, AD),
        6,
        Verdict.OVER,
        DPI,
    )
    bloc = impact.readiness(graph, BLOC)
    assert (bloc.applications, bloc.verdict, bloc.slowest) == ((DPI, AD, LIS, PACS), Verdict.UNKNOWN, LIS)
    mat = impact.readiness(graph, MAT)  # only a degraded dependency: nothing it needs is mapped
    assert (mat.applications, mat.verdict) == ((), Verdict.UNKNOWN)
    # With an RTO of 5 h the DPI's 6 h is too slow already, whatever the untested LIS takes.
    assert impact.readiness(_graph(bloc_rto=5), BLOC).verdict == Verdict.OVER
    # And with every restore tested and fast enough, green.
    fast = _graph()
    fast.applications[DPI] = ApplicationNode("DPI", 3)
    assert impact.readiness(fast, URG).verdict == Verdict.WITHIN


@pytest.mark.parametrize("start", [DPI, AD])
def test_a_cycle_is_walked_once(start: int) -> None:
    graph = Graph(
        services={1: ServiceNode("S", 1)},
        applications={DPI: ApplicationNode("DPI", 1), AD: ApplicationNode("AD", 1)},
        edges=[
            Edge("service", 1, start, B),
            Edge("application", DPI, AD, B),
            Edge("application", AD, DPI, B),
        ],
    )
    other = AD if start == DPI else DPI
    result = impact.impact_of_application(graph, other)
    assert [s.path for s in result.services] == [
        ("S", graph.applications[start].name, graph.applications[other].name)
    ]


def test_reachable_zones_follow_open_flows_from_zone_to_zone() -> None:
    flows = [("Postes", "Serveurs"), ("Serveurs", "Cœur"), ("Cœur", "Serveurs"), ("Invités", "Internet")]
    # Postes → Serveurs (1 hop) → Cœur (2 hops); the cycle back to Serveurs is walked once.
    assert impact.reachable_zones(flows, "postes ") == {"postes": 0, "Serveurs": 1, "Cœur": 2}
    assert impact.reachable_zones(flows, "Invités") == {"Invités": 0, "Internet": 1}
    assert impact.reachable_zones([], "DMZ") == {"DMZ": 0}


def test_an_attacker_holding_the_reached_zones_stops_what_runs_there() -> None:
    graph = _graph()
    reached = impact.reachable_zones([("Postes", "Serveurs")], "Postes")
    # Serveurs holds DPI (10, 11) and LIS (30): Urgences and Bloc stop, Maternité is untouched.
    hit = impact.impact_of_zones(graph, reached)
    assert hit.lost_applications == (DPI, LIS)
    assert [(s.name, s.effect) for s in hit.services] == [
        ("Bloc", Effect.STOPPED),
        ("Urgences", Effect.STOPPED),
    ]
