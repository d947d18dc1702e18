"""The demo hospital: built through the services, on both databases, and audited end to end."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from hygie.assess import scoring
from hygie.assess import service as assess_service
from hygie.cli.common import database
from hygie.cli.main import app
from hygie.demo import hospital
from hygie.demo import service as demo_service
from hygie.frameworks.service import get_library
from hygie.org import accounts
from hygie.org.auth import AuthStatus, authenticate
from hygie.org.models import Role
from hygie.plan import service as plan_service
from hygie.plan.models import ActionStatus, FindingSource
from hygie.reports import service as report_service

runner = CliRunner()


def test_build_tells_the_story(session: Session) -> None:
    library = get_library()
    result = demo_service.build(session, library)
    first, second = (
        assess_service.get_campaign(session, result.establishment_id, c) for c in result.campaign_ids
    )
    before = assess_service.campaign_score(session, first, library)
    after = assess_service.campaign_score(session, second, library)
    # Every control answered, the two statuses that need a justification among them.
    assert after.completion == 100
    assert set(after.knowledge_gaps) == set(hospital.UNKNOWN)
    # The hospital progressed between the two campaigns, on every dimension.
    assert after.global_index is not None and before.global_index is not None
    assert after.global_index > before.global_index
    assert all(a.score >= b.score for a, b in zip(after.dimensions, before.dimensions, strict=True))  # type: ignore[operator]
    # Its weak spots are findings, and the plan was adopted with one action done.
    findings = plan_service.list_findings(session, result.establishment_id, source=FindingSource.ASSESSMENT)
    assert {"control:TEC-MFA", "control:CON-BACKUP-OFFLINE"} <= {f.key for f in findings}
    actions = plan_service.list_actions(session, result.establishment_id)
    # Beside the adopted plan, the lessons of the closed incident (two actions, keyed "incident:...").
    statuses = [a.status for a in actions if not a.template_id.startswith("incident:")]
    assert result.adopted_actions == len(statuses) > 2
    assert sum(a.template_id.startswith("incident:") for a in actions) == 2
    assert statuses.count(ActionStatus.DONE) == 1


def test_report_figures_are_the_scores(session: Session) -> None:
    """The management report shows the assessment's own figures, and a plan within budget."""
    library = get_library()
    result = demo_service.build(session, library, inventory=False)
    report = report_service.maturity_report(
        session,
        result.establishment_id,
        library,
        lang="en",
        budget=hospital.PLAN_BUDGET,
        days=hospital.PLAN_DAYS,
    )
    campaign = assess_service.latest_campaign(session, result.establishment_id)
    answers = plan_service.current_maturity(session, result.establishment_id, library).answers
    expected = scoring.score(library, answers, assess_service.scope_of(campaign, library))
    assert report.global_index == pytest.approx(expected.global_index)
    assert {d.dimension: d.score for d in report.dimensions} == {
        d.dimension: d.score for d in expected.dimensions
    }
    assert [h.name for h in report.history] == [hospital.FIRST_CAMPAIGN[0], hospital.SECOND_CAMPAIGN[0]]
    # The trend's last point is the headline, the first the earlier campaign as answered.
    assert report.history[-1].global_index == pytest.approx(report.global_index)
    first = assess_service.get_campaign(session, result.establishment_id, result.campaign_ids[0])
    assert report.history[0].global_index == pytest.approx(
        assess_service.campaign_score(session, first, library).global_index
    )
    # The plan shown is the adopted one, with where its actions stand.
    adopted = plan_service.list_actions(session, result.establishment_id)
    assert report.plan is not None and report.plan.adopted and report.greedy is None
    assert report.plan.total_cost == sum(a.cost for a in adopted) <= hospital.PLAN_BUDGET
    assert report.plan.done == 1 and report.actions_done_since == 1
    assert [a.status for a in report.plan.actions].count(ActionStatus.DONE) == 1
    assert report.plan.index_after > report.plan.index_before == pytest.approx(report.global_index)
    # English text throughout: the NIS2 reasons and the weaknesses' titles.
    assert "Annex I" in report.establishment.nis2_reasons[0]
    open_findings = plan_service.list_findings(session, result.establishment_id)
    english = {library.control(w.control).title.en for w in report.weaknesses}
    english |= {f.evidence["title_en"] for f in open_findings if "title_en" in f.evidence}
    # The incident's lessons keep their own title.
    assert report.weaknesses and all(
        w.title in english for w in report.weaknesses if not w.title.startswith("Retour d'expérience")
    )


def test_a_done_action_moves_the_score(session: Session) -> None:
    library = get_library()
    result = demo_service.build(session, library, inventory=False)
    campaign = assess_service.latest_campaign(session, result.establishment_id)
    answered = assess_service.campaign_score(session, campaign, library)
    with_actions = plan_service.current_maturity(session, result.establishment_id, library).answers
    moved = scoring.score(library, with_actions, assess_service.scope_of(campaign, library))
    assert moved.global_index is not None and answered.global_index is not None
    assert moved.global_index > answered.global_index


def test_make_demo_command(hygie_home: Path) -> None:
    """What `make demo` runs: from an empty home to reports, then again (rebuilt, not duplicated)."""
    printed = []
    for _ in range(2):
        outcome = runner.invoke(app, ["demo"])
        assert outcome.exit_code == 0, outcome.output
        printed.append(_printed_accounts(outcome.output))
    assert "Saint-Aurèle" in outcome.output and "Indice global" in outcome.output
    assert "Inventaire : 3 000 équipements dont 800 dispositifs médicaux" in " ".join(outcome.output.split())
    reports = sorted((hygie_home / "reports").glob("hygie-maturite-*.pdf"))
    assert [p.name.rsplit("-", 1)[-1] for p in reports] == ["en.pdf", "fr.pdf"]
    first_page = PdfReader(reports[1]).pages[0].extract_text()
    assert "Saint-Aurèle" in first_page and "INDICE GLOBAL" in first_page.upper()
    listed = runner.invoke(app, ["establishments", "list", "--json"])
    assert sorted(e["name"] for e in json.loads(listed.output)) == [
        "CHU d'Aurèle",
        "Centre hospitalier de Saint-Aurèle",
        "Centre hospitalier du Val-d'Aurèle",
    ]
    # It ends with the group's dashboard (three side by side, against the median) and the board's report.
    flat = " ".join(outcome.output.split())
    assert "GHT Loire-Aurèle — vue groupement" in flat and "Faiblesses communes" in flat
    index_row = re.search(
        r"Indice global de (?:maturité )?(\d+,\d) \+[\d,]+ ([\d,]+) ±0 (\d+,\d) −[\d,]+ ([\d,]+)", flat
    )
    assert index_row is not None, flat
    assert index_row.group(2) == index_row.group(4)  # the hospital in the middle is the median
    assert flat.index("vue groupement") < flat.index("Rapport de direction") > flat.index("make serve")
    group_reports = sorted(p.name for p in (hygie_home / "reports").glob("hygie-groupe-*"))
    assert [n.rsplit(".", 1)[-1] for n in group_reports] == ["html", "pdf"]
    board = sorted((hygie_home / "reports").glob("hygie-direction-*"))
    assert [p.name.rsplit("-", 1)[-1] for p in board] == ["en.html", "en.pdf", "fr.html", "fr.pdf"]
    board_text = PdfReader(board[3]).pages[0].extract_text()
    assert "Saint-Aurèle" in board_text
    declared = re.search(r"Indice déclaré ([\d,]+), mesuré par les faits ([\d,]+)", flat)
    assert declared is not None and declared.group(1) == index_row.group(2)
    # The week of logs was ingested and detected; the rebuild replaced its alerts, it did not add to them.
    signals = re.search(
        r"Signaux précurseurs : .*?: (\d+) alertes dont (\d+) critiques", " ".join(outcome.output.split())
    )
    assert signals is not None, outcome.output
    alerts = json.loads(runner.invoke(app, ["alerts", "list", hospital.HOSPITAL.finess, "--json"]).output)
    assert len(alerts) == int(signals.group(1)) and int(signals.group(2)) > 0
    # The hospital's tuning at work: the on-call account's two nights suppressed, and said.
    assert "Réglage de la détection : 2 détections écartées (le compte d'astreinte exclu" in flat
    night = [(a["user"], a["rule_id"]) for a in alerts if a["rule_id"] == "hygie-stat-offhours-admin"]
    assert night == [("adm-pbernard", "hygie-stat-offhours-admin")]
    # The printed accounts sign in with the printed passwords, fresh at each build, TOTP off.
    first, second = printed
    assert set(second) == {
        "rssi@ght-loire-aurele.demo",
        "rssi@saint-aurele.demo",
        "direction@saint-aurele.demo",
        "rssi@val-aurele.demo",
        "rssi@chu-aurele.demo",
    }
    assert "RSSI du groupe GHT Loire-Aurèle (tous ses établissements)" in flat
    assert all(first[email] != second[email] for email in second)
    assert "make serve" in outcome.output
    assert "http://127.0.0.1:8000" in outcome.output and "TOTP désactivé" in outcome.output
    with database() as session:
        for email, password in second.items():
            assert authenticate(session, email, password).ok
            assert authenticate(session, email, first[email]).status is AuthStatus.INVALID
        rssi = accounts.find_user(session, "rssi@saint-aurele.demo")
        roles = {m.role for m in accounts.memberships(session, rssi)}
        assert roles == {Role.RSSI} and not rssi.totp_enabled
        direction = accounts.find_user(session, "direction@saint-aurele.demo")
        assert {m.role for m in accounts.memberships(session, direction)} == {Role.MANAGEMENT}


def _printed_accounts(output: str) -> dict[str, str]:
    """{e-mail: password} as `hygie demo` prints them."""
    emails = re.findall(r"e-mail\s+:\s+(\S+)", output)
    passwords = re.findall(r"mot de passe\s+:\s+(\S+)", output)
    assert len(emails) == len(passwords) == 5, output
    return dict(zip(emails, passwords, strict=True))


def test_demo_refuses_a_home_with_real_data(hygie_home: Path) -> None:
    added = runner.invoke(
        app, ["establishments", "add", "--name", "CH réel", "--finess", "750803447", "--kind", "ch"]
    )
    assert added.exit_code == 0, added.output
    outcome = runner.invoke(app, ["demo"])
    assert outcome.exit_code == 1
    assert "contient des données réelles" in " ".join(outcome.output.split())
    listed = runner.invoke(app, ["establishments", "list", "--json"])
    assert [e["name"] for e in json.loads(listed.output)] == ["CH réel"]
