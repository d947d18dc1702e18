"""If this asset, application or network zone is lost, which care services stop, through which path,
and for how long. Pure: it reads a ``Graph`` (built by ``service.graph``) and touches no database.

The graph: care services depend on applications, applications on other applications, each dependency
``blocking`` (the dependent stops) or ``degraded`` (it carries on in degraded mode); applications run
on assets, and assets sit in network zones. Losing an asset loses every application that runs on it
(no redundancy is assumed: the pessimistic reading, the one a ransomware makes true); losing a zone
loses its assets.

A service reached from a lost application through blocking dependencies only is *stopped*; one reached
only through a path with a degraded dependency is *degraded*. The path shown is a shortest one. The
outage lasts until every lost application the service reaches is restored; restores are assumed to
run side by side, so the estimate is the longest of their last tested restore times, and it is
unknown as soon as one of them was never tested. Cycles (A needs B, B needs A) are walked once.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from hygie.continuity.models import Criticality


class Effect(StrEnum):
    STOPPED = "stopped"
    DEGRADED = "degraded"


class Verdict(StrEnum):
    """The estimated outage against the service's RTO (the colour of the business-impact view)."""

    WITHIN = "within"  # green: restored within the RTO
    UNKNOWN = "unknown"  # amber: a restore was never tested, or nothing is mapped
    OVER = "over"  # red: the tested restore takes longer than the RTO


@dataclass(frozen=True)
class ServiceNode:
    name: str
    rto_hours: float


@dataclass(frozen=True)
class ApplicationNode:
    name: str
    restore_hours: float | None = None  # duration of the last successful restore test; None: never


@dataclass(frozen=True)
class Edge:
    """``dependent`` (a service id or an application id, as ``kind`` says) depends on ``on``."""

    kind: str  # "service" or "application"
    dependent: int
    on: int
    criticality: Criticality = Criticality.BLOCKING


@dataclass
class Graph:
    services: dict[int, ServiceNode] = field(default_factory=dict)
    applications: dict[int, ApplicationNode] = field(default_factory=dict)
    edges: list[Edge] = field(default_factory=list)
    runs_on: dict[int, frozenset[int]] = field(default_factory=dict)  # application → asset ids
    zones: dict[int, str | None] = field(default_factory=dict)  # asset → its network zone
    asset_names: dict[int, str] = field(default_factory=dict)

    def needs(self, kind: str, node: int, *, blocking_only: bool) -> list[int]:
        """The applications ``node`` depends on directly (sorted, for stable paths)."""
        return sorted(
            e.on
            for e in self.edges
            if e.kind == kind
            and e.dependent == node
            and (not blocking_only or e.criticality == Criticality.BLOCKING)
        )


@dataclass(frozen=True)
class ServiceImpact:
    service_id: int
    name: str
    effect: Effect
    path: tuple[str, ...]  # service, then each application down to a lost one
    lost_applications: tuple[int, ...]  # the lost applications the service reaches
    rto_hours: float
    restore_hours: float | None  # None: unknown (a restore never tested)
    verdict: Verdict


@dataclass(frozen=True)
class Impact:
    lost_assets: tuple[int, ...]
    lost_applications: tuple[int, ...]
    services: tuple[ServiceImpact, ...]

    @property
    def stopped(self) -> list[ServiceImpact]:
        return [s for s in self.services if s.effect == Effect.STOPPED]

    @property
    def degraded(self) -> list[ServiceImpact]:
        return [s for s in self.services if s.effect == Effect.DEGRADED]


def verdict(restore_hours: float | None, rto_hours: float) -> Verdict:
    if restore_hours is None:
        return Verdict.UNKNOWN
    return Verdict.WITHIN if restore_hours <= rto_hours else Verdict.OVER


def _walk(graph: Graph, service_id: int, *, blocking_only: bool) -> dict[int, int | None]:
    """Every application the service reaches, with its parent on a shortest path (None: direct)."""
    parents: dict[int, int | None] = {}
    queue: deque[int] = deque()
    for app in graph.needs("service", service_id, blocking_only=blocking_only):
        if app not in parents:
            parents[app] = None
            queue.append(app)
    while queue:
        current = queue.popleft()
        for app in graph.needs("application", current, blocking_only=blocking_only):
            if app not in parents:  # a cycle or a diamond: each application once
                parents[app] = current
                queue.append(app)
    return parents


def _path(graph: Graph, service_id: int, parents: Mapping[int, int | None], end: int) -> tuple[str, ...]:
    chain: list[int] = [end]
    while (parent := parents[chain[-1]]) is not None:
        chain.append(parent)
    return (graph.services[service_id].name, *(graph.applications[a].name for a in reversed(chain)))


def _restore(graph: Graph, apps: Iterable[int]) -> float | None:
    hours: list[float] = []
    for app in apps:
        value = graph.applications[app].restore_hours
        if value is None:
            return None
        hours.append(value)
    return max(hours, default=0.0)


def _depth(parents: Mapping[int, int | None], node: int) -> int:
    depth = 0
    while (parent := parents[node]) is not None:
        node = parent
        depth += 1
    return depth


def impact_of_applications(graph: Graph, lost: Iterable[int], lost_assets: Iterable[int] = ()) -> Impact:
    """The services stopped or degraded when the applications ``lost`` are lost."""
    lost_set = {a for a in lost if a in graph.applications}
    results: list[ServiceImpact] = []
    for service_id, node in graph.services.items():
        effect = Effect.STOPPED
        parents = _walk(graph, service_id, blocking_only=True)
        reached = [a for a in parents if a in lost_set]
        if not reached:
            effect = Effect.DEGRADED
            parents = _walk(graph, service_id, blocking_only=False)
            reached = [a for a in parents if a in lost_set]
        if not reached:
            continue
        nearest = min(reached, key=lambda a: (_depth(parents, a), graph.applications[a].name, a))
        restore = _restore(graph, reached)
        results.append(
            ServiceImpact(
                service_id=service_id,
                name=node.name,
                effect=effect,
                path=_path(graph, service_id, parents, nearest),
                lost_applications=tuple(sorted(reached)),
                rto_hours=node.rto_hours,
                restore_hours=restore,
                verdict=verdict(restore, node.rto_hours),
            )
        )
    results.sort(key=lambda s: (s.effect != Effect.STOPPED, s.name, s.service_id))
    return Impact(
        lost_assets=tuple(sorted(set(lost_assets))),
        lost_applications=tuple(sorted(lost_set)),
        services=tuple(results),
    )


def impact_of_assets(graph: Graph, assets: Iterable[int]) -> Impact:
    """The services hit when these assets are lost: every application running on one is lost."""
    lost_assets = set(assets)
    lost = [app for app, on in graph.runs_on.items() if on & lost_assets]
    return impact_of_applications(graph, lost, lost_assets)


def impact_of_asset(graph: Graph, asset_id: int) -> Impact:
    return impact_of_assets(graph, [asset_id])


def _zone_key(name: str) -> str:
    return name.strip().casefold()


def impact_of_zones(graph: Graph, zones: Iterable[str]) -> Impact:
    """The services hit when these network zones are lost (names compared without case or spaces)."""
    wanted = {_zone_key(z) for z in zones}
    assets = [a for a, z in graph.zones.items() if z is not None and _zone_key(z) in wanted]
    return impact_of_assets(graph, assets)


def impact_of_zone(graph: Graph, zone: str) -> Impact:
    """The services hit when a network zone is lost (its name compared without case or spaces)."""
    return impact_of_zones(graph, [zone])


def reachable_zones(flows: Iterable[tuple[str, str]], start: str) -> dict[str, int]:
    """Every zone an attacker holding ``start`` can reach, with the number of hops: the open flows
    (source, destination) followed transitively, as a foothold in a reached zone opens its own flows.
    ``start`` is in the result with 0; names are matched without case or spaces, the flows' kept."""
    ahead: dict[str, list[str]] = {}
    names: dict[str, str] = {_zone_key(start): start.strip()}
    for source, destination in flows:
        ahead.setdefault(_zone_key(source), []).append(destination)
        names.setdefault(_zone_key(source), source)
    hops = {_zone_key(start): 0}
    queue: deque[str] = deque([_zone_key(start)])
    while queue:
        current = queue.popleft()
        for destination in sorted(ahead.get(current, ())):
            key = _zone_key(destination)
            if key not in hops:
                hops[key] = hops[current] + 1
                names.setdefault(key, destination)
                queue.append(key)
    return {names[k]: h for k, h in sorted(hops.items(), key=lambda item: (item[1], item[0]))}


def impact_of_application(graph: Graph, application_id: int) -> Impact:
    return impact_of_applications(graph, [application_id])


@dataclass(frozen=True)
class Readiness:
    """A service's business impact: how long bringing back everything it stops without takes, by
    the restores tested, against its RTO."""

    service_id: int
    applications: tuple[int, ...]  # what it needs, through blocking dependencies
    restore_hours: float | None  # None: one of them was never tested
    tested_hours: float | None  # the longest of the restores tested (None: none tested)
    rto_hours: float
    verdict: Verdict
    slowest: int | None  # the application whose restore sets the estimate (or never tested)


def readiness(graph: Graph, service_id: int) -> Readiness:
    """Everything the service needs lost at once (a ransomware's case): green when the tested
    restores fit its RTO, red when one does not, amber when one was never tested or nothing is mapped."""
    node = graph.services[service_id]
    needed = sorted(_walk(graph, service_id, blocking_only=True))
    untested = [a for a in needed if graph.applications[a].restore_hours is None]
    restore = _restore(graph, needed) if needed else None
    slowest: int | None
    if untested:
        slowest = untested[0]
    elif needed:
        slowest = max(needed, key=lambda a: (graph.applications[a].restore_hours or 0.0, -a))
    else:
        slowest = None
    tested = [h for a in needed if (h := graph.applications[a].restore_hours) is not None]
    result = verdict(restore, node.rto_hours)
    if untested and any(
        (graph.applications[a].restore_hours or 0.0) > node.rto_hours for a in needed if a not in untested
    ):
        result = Verdict.OVER  # already too slow, whatever the untested ones take
    return Readiness(
        service_id=service_id,
        applications=tuple(needed),
        restore_hours=restore,
        tested_hours=max(tested, default=None),
        rto_hours=node.rto_hours,
        verdict=result,
        slowest=slowest,
    )
