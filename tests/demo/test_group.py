"""The demo's group (GHT): three establishments of clearly different maturity, each with facts in every
domain, the group's and the establishments' accounts, built the same way every time."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from hygie.assess import service as assess_service
from hygie.awareness import service as awareness_service
from hygie.continuity import service as continuity_service
from hygie.core.settings import Settings, get_settings
from hygie.demo import accounts as demo_accounts
from hygie.demo import ght
from hygie.demo import inventory as demo_inventory
from hygie.demo import service as demo_service
from hygie.demo import tuning as demo_tuning
from hygie.demo.profiles import HOSPITAL
from hygie.detect import tuning
from hygie.detect.detectors import config as detector_config
from hygie.frameworks.service import get_library
from hygie.group import service as group_service
from hygie.incidents import service as incidents_service
from hygie.org import accounts
from hygie.org.access import Principal, principal_for
from hygie.org.models import Role
from hygie.plan import service as plan_service
from hygie.plan.models import ActionStatus, FindingSource


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    monkeypatch.setenv("HYGIE_HOME", str(tmp_path / "home"))
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()


def test_three_establishments_of_one_group_in_the_expected_order_of_maturity(session: Session) -> None:
    library = get_library()
    group = demo_service.build_group(session, library, inventory=False)
    results = group.establishments
    assert [r.profile.key for r in results] == ["saint-aurele", "val-aurele", "chu-aurele"]
    establishments = [r.establishment_id for r in results]
    assert len(set(establishments)) == 3
    # Each with its RSSI's detection tuning; the CHU's IT team works 7 h to 19 h, Monday to Saturday.
    tuned = [[t.rule_id for t in tuning.list_tunings(session, e)] for e in establishments]
    assert tuned == [
        ["hygie-stat-offhours-admin", demo_tuning.BACKUP_JOB_FAILED],
        ["hygie-stat-first-logon"],
        ["hygie-stat-mass-file-writes"],
    ]
    hours = [detector_config.working_hours(session, e) for e in establishments]
    assert hours[0] == hours[1] == detector_config.DEFAULT_HOURS
    assert (hours[2].start, hours[2].end, hours[2].days) == (7, 19, (0, 1, 2, 3, 4, 5))
    # As the group's dashboard shows them (its RSSI's view).
    view = group_service.group_view(session, Principal.cli(), group.group_id, library, "fr")
    columns = {c.id: c for c in view.establishments}
    for result in results:
        assert columns[result.establishment_id].finess == result.profile.establishment.finess
    hospital, val, chu = (columns[e].global_index for e in establishments)
    assert val is not None and hospital is not None and chu is not None
    # Clearly apart: at least fifteen points between neighbours, the small hospital lowest.
    assert val + 15 < hospital < chu - 15
    # Every dimension has a figure for each, in the same order as the whole.
    scores = []
    for establishment_id in (establishments[1], establishments[0], establishments[2]):
        campaign = assess_service.latest_campaign(session, establishment_id)
        dimensions = assess_service.campaign_score(session, campaign, library).dimensions
        assert len(dimensions) == 5
        scores.append({d.dimension: float(d.score or 0) for d in dimensions if d.score is not None})
    low, middle, high = scores
    assert len(low) == len(middle) == len(high) == 5
    assert all(low[d] < middle[d] < high[d] for d in middle)


def test_each_other_establishment_has_facts_in_every_domain(session: Session, home: Settings) -> None:
    library = get_library()
    built = {p.key: demo_service.build(session, library, feeds=home, profile=p) for p in ght.OTHERS}
    val, chu = built["val-aurele"], built["chu-aurele"]
    # Inventories: the devices, servers, virtual servers, network gear, objects, printers and workstations of
    # each shape, plus the hosts only the scan found (7 + 45 + 4 + 19 + 12 + 12 + 110 + 3 for the small one).
    assert val.inventory is not None and val.inventory.assets == 212 and val.inventory.medical_devices == 45
    assert chu.inventory is not None and chu.inventory.assets == 319 and chu.inventory.medical_devices == 145
    # Audited against the same catalogue: the small hospital's Windows 7 and 2008 R2 weigh.
    assert val.vulnerabilities is not None and chu.vulnerabilities is not None
    assert val.vulnerabilities.by_priority["act"] > 10 * max(1, chu.vulnerabilities.by_priority["act"])
    # One firewall each: the flat one lets through what the policy forbids, the CHU's nothing.
    assert val.network is not None and chu.network is not None
    assert len(val.network.violations) > 0 and chu.network.violations == []
    assert [(e.port.address, e.port.port) for e in val.network.exposures] == [("10.0.0.2", 3389)]
    assert chu.network.exposures == []
    # Continuity, awareness, incidents and the adopted plan.
    for result, services, exercises in ((val, 3, 0), (chu, 5, 1)):
        eid = result.establishment_id
        assert len(continuity_service.list_services(session, eid)) == services
        assert len(continuity_service.list_exercises(session, eid)) == exercises
        assert len(result.incident_ids) == 1
        assert incidents_service.get_case(session, eid, result.incident_ids[0]).closed_at is not None
        actions = plan_service.list_actions(session, eid)
        plan = [a for a in actions if not a.template_id.startswith("incident:")]
        assert len(plan) == result.adopted_actions > 0
        assert 0 < sum(a.cost for a in plan) <= result.profile.plan_budget
        assert plan[0].status == ActionStatus.DONE
        sources = {f.source for f in plan_service.list_findings(session, eid)}
        assert {FindingSource.ASSESSMENT, FindingSource.CONTINUITY, FindingSource.VULNERABILITY} <= sources
    # Phishing: one agent in three clicks in the small hospital (38 of 107), 14 of 230 at the CHU lately.
    [first] = awareness_service.list_campaigns(session, val.establishment_id)
    totals = awareness_service.campaign_out(first).totals
    assert (totals.clicked, totals.recipients) == (38, 107)
    latest = awareness_service.list_campaigns(session, chu.establishment_id)
    clicks = {c.name: awareness_service.campaign_out(c).totals for c in latest}
    assert (clicks["Prime de fin d'année"].clicked, clicks["Prime de fin d'année"].recipients) == (14, 230)


def test_group_and_establishment_accounts(session: Session) -> None:
    library = get_library()
    group = demo_service.build_group(session, library, inventory=False)
    members = [
        (r.establishment_id, r.profile.key, r.profile.establishment.name) for r in group.establishments
    ]
    created = demo_accounts.create_group_accounts(session, group.group_id, ght.GROUP, members)
    assert [(a.email, a.role, a.group) for a in created] == [
        ("rssi@ght-loire-aurele.demo", Role.RSSI, True),
        ("rssi@saint-aurele.demo", Role.RSSI, False),
        ("direction@saint-aurele.demo", Role.MANAGEMENT, False),
        ("rssi@val-aurele.demo", Role.RSSI, False),
        ("rssi@chu-aurele.demo", Role.RSSI, False),
    ]
    ids = [r.establishment_id for r in group.establishments]
    # The group's RSSI: one membership, on the group, which opens its three establishments.
    rssi = accounts.find_user(session, "rssi@ght-loire-aurele.demo")
    [membership] = accounts.memberships(session, rssi)
    assert (membership.group_id, membership.establishment_id, membership.role) == (
        group.group_id,
        None,
        Role.RSSI,
    )
    assert set(principal_for(session, rssi).roles) == set(ids)
    # Each establishment's accounts: their own establishment only.
    for email, establishment_id in (
        ("rssi@saint-aurele.demo", ids[0]),
        ("direction@saint-aurele.demo", ids[0]),
        ("rssi@val-aurele.demo", ids[1]),
        ("rssi@chu-aurele.demo", ids[2]),
    ):
        user = accounts.find_user(session, email)
        assert [(m.establishment_id, m.group_id) for m in accounts.memberships(session, user)] == [
            (establishment_id, None)
        ]
        assert set(principal_for(session, user).roles) == {establishment_id}


def test_the_profiles_draw_the_same_data_every_time() -> None:
    library = get_library()
    for profile in (HOSPITAL, *ght.OTHERS):
        first = demo_inventory.generate(2026, profile.inventory)
        again = demo_inventory.generate(2026, profile.inventory)
        assert [r.model_dump() for r in first.inventory] == [r.model_dump() for r in again.inventory]
        assert [r.model_dump() for r in first.scan] == [r.model_dump() for r in again.scan]
        assert demo_inventory.generate(7, profile.inventory).scan != first.scan
        drawn = demo_service.draw_answers(profile, library)
        assert (
            drawn
            == demo_service.draw_answers(profile, library)
            != demo_service.draw_answers(profile, library, 7)
        )
        assert len(drawn) == len(profile.campaigns) and all(len(d) == 61 for d in drawn)
    # The three draw apart: the same controls, other levels.
    levels = [
        [a.level for a in demo_service.draw_answers(p, library)[-1].values()] for p in (HOSPITAL, *ght.OTHERS)
    ]
    assert levels[0] != levels[1] != levels[2]
