"""What drives the building of one demo establishment: who it is, how mature, what it holds.

:data:`HOSPITAL` is the demo hospital of :mod:`hygie.demo.hospital` (and of the sub-builders' defaults);
the group's other two establishments are in :mod:`hygie.demo.ght`. :func:`hygie.demo.service.build`
builds any of them the same way, through the services a user's commands call.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from hygie.demo import awareness as demo_awareness
from hygie.demo import continuity as demo_continuity
from hygie.demo import hospital
from hygie.demo import incidents as demo_incidents
from hygie.demo import inventory as demo_inventory
from hygie.demo import network as demo_network
from hygie.demo import tuning as demo_tuning
from hygie.demo.hospital import DemoEstablishment


@dataclass(frozen=True)
class Maturity:
    """How an establishment answers its assessment campaigns.

    A control's level is its ``story`` level at that campaign when it has one, else its dimension's
    ``baseline`` give or take one (drawn from the seed), one more at a later campaign for a share
    ``progress`` of the controls. ``alternatives`` and ``not_applicable`` carry their justification;
    ``unknown`` are answered "don't know"."""

    baseline: Mapping[str, int]
    story: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    alternatives: Mapping[str, str] = field(default_factory=dict)
    not_applicable: Mapping[str, str] = field(default_factory=dict)
    unknown: tuple[str, ...] = ()
    progress: float = 0.3


@dataclass(frozen=True)
class Profile:
    """One demo establishment: its identity, its campaigns (oldest first) and maturity, the budget and team
    days its plan is optimised for, the authors of its answers (the first campaign's, the later ones'), and
    the facts each sub-builder turns into data, and the tuning of its detection."""

    key: str
    establishment: DemoEstablishment
    campaigns: tuple[tuple[str, date], ...]
    maturity: Maturity
    plan_budget: int
    plan_days: int
    authors: tuple[str, str]
    inventory: demo_inventory.Shape
    network: demo_network.Layout
    continuity: demo_continuity.Facts
    awareness: demo_awareness.Awareness
    incidents: tuple[demo_incidents.Incident, ...] | None  # None: the demo hospital's own two incidents
    actions_started: int = 2  # of the adopted plan: the first done, the second under way
    tuning: demo_tuning.Tuning = demo_tuning.NONE  # of the detection, set before its logs are detected


HOSPITAL = Profile(
    key="saint-aurele",
    establishment=hospital.HOSPITAL,
    campaigns=(hospital.FIRST_CAMPAIGN, hospital.SECOND_CAMPAIGN),
    maturity=Maturity(
        baseline=hospital.DIMENSION_BASELINE,
        story=hospital.STORY,
        alternatives=hospital.ALTERNATIVES,
        not_applicable=hospital.NOT_APPLICABLE,
        unknown=hospital.UNKNOWN,
    ),
    plan_budget=hospital.PLAN_BUDGET,
    plan_days=hospital.PLAN_DAYS,
    authors=("Paul Bernard (DSI)", "Claire Martin (RSSI)"),
    inventory=demo_inventory.HOSPITAL_SHAPE,
    network=demo_network.HOSPITAL_LAYOUT,
    continuity=demo_continuity.HOSPITAL_FACTS,
    awareness=demo_awareness.HOSPITAL_AWARENESS,
    incidents=None,
    tuning=demo_tuning.HOSPITAL_TUNING,
)


# --- Building blocks of the group's other profiles ------------------------------------------------------

GROUP = hospital.HOSPITAL.group
LAST_WEEK_NIGHT = demo_continuity.LAST_NIGHT + timedelta(days=7)
"""The last night of the other establishments' job reports: the end of the demo hospital's week of logs."""
PLACEHOLDER = datetime(2026, 1, 1, tzinfo=UTC)
"""An incident's detection time in a profile, replaced by the build's own (see :class:`Incident`)."""


def zones(*names: str) -> tuple[demo_network.Zone, ...]:
    """The demo hospital's zones of these names, with the internet and the unassigned addresses."""
    wanted = {"Internet", "Adresses internes non affectées", *names}
    return tuple(zone for zone in demo_network.ZONES if zone[0] in wanted)


def rules(*lines: str) -> str:
    """An ``iptables-save`` filter table: everything dropped but the established flows and ``lines``."""
    head = ("*filter", ":INPUT DROP [0:0]", ":FORWARD DROP [0:0]", ":OUTPUT ACCEPT [0:0]")
    established = "-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT"
    return "\n".join((*head, established, *lines, "COMMIT", ""))
