"""Pages of the action plan: weaknesses, the board (moved with a plain form or htmx), the list, the
roadmap, the optimisation and its adoption; management reads only; French and English."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from hygie.demo import accounts as demo_accounts
from hygie.demo import service as demo_service
from hygie.frameworks.service import get_library
from hygie.org.models import AuditEntry, Role
from hygie.plan import service as plan_service
from hygie.plan.catalogue import default_actions
from hygie.plan.models import ActionStatus, PlanAction
from hygie.reports import service as report_service
from tests.web.conftest import csrf_from, login


def _demo(session: Session) -> tuple[int, dict[Role, demo_accounts.DemoAccount]]:
    result = demo_service.build(session, get_library())
    created = demo_accounts.create_accounts(session, result.establishment_id)
    return result.establishment_id, {a.role: a for a in created}


def _sign_in(client: TestClient, account: demo_accounts.DemoAccount) -> None:
    login(client, account.email, account.password)


def _todo(session: Session, establishment_id: int) -> PlanAction:
    return next(
        a for a in plan_service.list_actions(session, establishment_id) if a.status == ActionStatus.TODO
    )


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("fr", ["Faiblesses", "Plan d’action", "Gravité", "Tableau", "À faire", "En cours", "Terminée"]),
        ("en", ["Weaknesses", "Action plan", "Severity", "Board", "To do", "In progress", "Done"]),
    ],
)
def test_pages_render_in_both_languages(
    session: Session, client: TestClient, lang: str, words: list[str]
) -> None:
    establishment_id, users = _demo(session)
    _sign_in(client, users[Role.RSSI])
    base = f"/e/{establishment_id}"
    texts = []
    for path in ("/findings", "/plan", "/plan?view=list", "/plan/roadmap", "/plan/optimise?budget=50000"):
        response = client.get(f"{base}{path}{'&' if '?' in path else '?'}lang={lang}")
        assert response.status_code == 200, (path, response.text)
        assert f'<html lang="{lang}">' in response.text
        texts.append(response.text)
    joined = "\n".join(texts).replace("&#39;", "'")
    for word in words:
        assert word in joined, word
    # The nav has both entries.
    assert f'href="{base}/findings"' in texts[0] and f'href="{base}/plan"' in texts[0]


def test_findings_page_badges_and_filters(session: Session, client: TestClient) -> None:
    establishment_id, users = _demo(session)
    _sign_in(client, users[Role.MANAGEMENT])
    page = client.get(f"/e/{establishment_id}/findings?severity=high&lang=en")
    assert page.status_code == 200
    high = [f for f in plan_service.list_findings(session, establishment_id) if f.severity == "high"]
    assert page.text.count('class="badge badge-high">High</span>') == len(high) > 0
    assert "badge-critical" not in page.text and "badge-medium" not in page.text
    assert client.get(f"/e/{establishment_id}/findings?severity=urgent").status_code == 422


def test_board_form_moves_an_action_without_js(session: Session, client: TestClient) -> None:
    establishment_id, users = _demo(session)
    _sign_in(client, users[Role.RSSI])
    action = _todo(session, establishment_id)
    before = report_service.maturity_report(session, establishment_id, get_library(), lang="fr").global_index
    board = client.get(f"/e/{establishment_id}/plan")
    url = f"/e/{establishment_id}/plan/actions/{action.id}/status"
    assert f'action="{url}"' in board.text
    token = csrf_from(board.text)
    # Without the CSRF token, refused and nothing moves.
    assert client.post(url, data={"status": "done"}).status_code == 403
    session.refresh(action)
    assert action.status == ActionStatus.TODO
    response = client.post(url, data={"status": "done", "view": "board", "csrf_token": token})
    assert (
        response.status_code == 303
        and response.headers["location"] == f"/e/{establishment_id}/plan?view=board"
    )
    session.refresh(action)
    assert action.status == ActionStatus.DONE
    after = report_service.maturity_report(session, establishment_id, get_library(), lang="fr").global_index
    assert after > before
    entries = session.scalars(select(AuditEntry).where(AuditEntry.action == "plan_action.status")).all()
    assert [e.object_id for e in entries] == [str(action.id)]


def test_board_form_with_htmx_swaps_the_board(session: Session, client: TestClient) -> None:
    establishment_id, users = _demo(session)
    _sign_in(client, users[Role.RSSI])
    action = _todo(session, establishment_id)
    token = csrf_from(client.get(f"/e/{establishment_id}/plan").text)
    response = client.post(
        f"/e/{establishment_id}/plan/actions/{action.id}/status",
        data={"status": "in_progress", "view": "board"},
        headers={"HX-Request": "true", "X-CSRF-Token": token},
    )
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<div id="board"')
    assert "<html" not in response.text
    # The card now sits in the "in progress" column.
    columns = re.split(r'<section class="board-column"', response.text)[1:]
    in_progress = next(c for c in columns if 'id="col-in_progress"' in c)
    title = default_actions().by_id()[action.template_id].title.fr
    assert title in in_progress
    session.refresh(action)
    assert action.status == ActionStatus.IN_PROGRESS


def test_management_sees_the_board_but_cannot_move(session: Session, client: TestClient) -> None:
    establishment_id, users = _demo(session)
    _sign_in(client, users[Role.MANAGEMENT])
    action = _todo(session, establishment_id)
    board = client.get(f"/e/{establishment_id}/plan")
    assert board.status_code == 200
    title = default_actions().by_id()[action.template_id].title.fr
    assert title in board.text
    assert "/status" not in board.text and 'name="status"' not in board.text
    listing = client.get(f"/e/{establishment_id}/plan?view=list")
    assert "/status" not in listing.text
    optimise = client.get(f"/e/{establishment_id}/plan/optimise?budget=50000")
    assert optimise.status_code == 200 and "/plan/adopt" not in optimise.text
    token = csrf_from(board.text)
    moved = client.post(
        f"/e/{establishment_id}/plan/actions/{action.id}/status", data={"status": "done", "csrf_token": token}
    )
    assert moved.status_code == 403
    adopt = client.post(f"/e/{establishment_id}/plan/adopt", data={"budget": "50000", "csrf_token": token})
    assert adopt.status_code == 403
    session.refresh(action)
    assert action.status == ActionStatus.TODO


def test_optimise_page_and_adopt(session: Session, client: TestClient) -> None:
    establishment_id, users = _demo(session)
    _sign_in(client, users[Role.RSSI])
    page = client.get(
        f"/e/{establishment_id}/plan/optimise", params={"budget": "30 000", "days": "", "lang": "en"}
    )
    assert page.status_code == 200, page.text
    assert "Chosen actions" in page.text and "greedy" in page.text
    assert f'action="/e/{establishment_id}/plan/adopt"' in page.text
    assert '<input type="hidden" name="budget" value="30000">' in page.text
    token = csrf_from(page.text)
    response = client.post(
        f"/e/{establishment_id}/plan/adopt",
        data={"budget": "30000", "days": "", "cost_basis": "mid", "csrf_token": token},
    )
    assert (
        response.status_code == 303
        and response.headers["location"] == f"/e/{establishment_id}/plan?adopted=1"
    )
    [entry] = session.scalars(select(AuditEntry).where(AuditEntry.action == "plan.adopt")).all()
    assert (entry.details or {})["budget"] == 30000
    live = plan_service.list_actions(session, establishment_id)
    assert set((entry.details or {})["actions"]) <= {a.template_id for a in live}
    assert sum(a.cost for a in live if a.status == ActionStatus.TODO) <= 30000
    roadmap = client.get(f"/e/{establishment_id}/plan/roadmap")
    for quarter in {a.quarter for a in live}:
        assert f'id="q-{quarter}"' in roadmap.text
