"""Pages of the action plan: weaknesses, the board (moved with a plain form or htmx), the list, the
roadmap, the optimisation and its adoption; management reads only; French and English."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from hygie.core.time import today
from hygie.demo import accounts as demo_accounts
from hygie.demo import service as demo_service
from hygie.frameworks.service import get_library
from hygie.org.models import AuditEntry, Role
from hygie.plan import service as plan_service
from hygie.plan.catalogue import default_actions
from hygie.plan.models import ActionStatus, PlanAction
from hygie.plan.schemas import OwnerRole
from hygie.reports import service as report_service
from hygie.reports.vocabulary import label
from tests.factories import make_establishment
from tests.web.conftest import csrf_from, login, make_user


def _demo(session: Session) -> tuple[int, dict[Role, demo_accounts.DemoAccount]]:
    result = demo_service.build(session, get_library(), inventory=False)
    created = demo_accounts.create_accounts(session, result.establishment_id)
    return result.establishment_id, {a.role: a for a in created}


def _sign_in(client: TestClient, account: demo_accounts.DemoAccount) -> None:
    login(client, account.email, account.password)


def _todo(session: Session, establishment_id: int) -> PlanAction:
    return next(
        a
        for a in plan_service.list_actions(session, establishment_id)
        # The demo's incident lessons are actions outside the catalogue: the tests move a planned one.
        if a.status == ActionStatus.TODO and not a.template_id.startswith("incident:")
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
    # Before any amount is given, the establishment's security budget is proposed, not yet solved for.
    blank = client.get(f"/e/{establishment_id}/plan/optimise?lang=en").text
    assert 'name="budget" value="126000"' in blank and "Chosen actions" not in blank
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


def _action_url(establishment_id: int, action: PlanAction) -> str:
    return f"/e/{establishment_id}/plan/actions/{action.id}"


def test_board_list_and_roadmap_link_to_the_action_page(session: Session, client: TestClient) -> None:
    establishment_id, users = _demo(session)
    _sign_in(client, users[Role.MANAGEMENT])
    actions = plan_service.list_actions(session, establishment_id)
    base = f"/e/{establishment_id}"
    for path in ("/plan", "/plan?view=list", "/plan/roadmap"):
        page = client.get(base + path).text
        for action in actions:
            assert f'href="{_action_url(establishment_id, action)}"' in page, (path, action.id)


def test_action_page_shows_what_the_action_does(session: Session, client: TestClient) -> None:
    establishment_id, users = _demo(session)
    _sign_in(client, users[Role.RSSI])
    action = _todo(session, establishment_id)
    template = default_actions().by_id()[action.template_id]
    page = client.get(_action_url(establishment_id, action) + "?lang=en")
    assert page.status_code == 200, page.text
    html = page.text.replace("&#39;", "'")
    assert f"<h1>{template.title.en}</h1>" in html
    assert template.description.en in html
    for control_id, gain in template.raises.items():
        assert f"<td>{control_id}</td>" in html and f"<td>+{gain}</td>" in html
    # The open weaknesses on those controls, and none other.
    addressed = [
        f
        for f in plan_service.list_findings(session, establishment_id)
        if set(f.control_ids) & set(template.raises)
    ]
    assert addressed
    section = html.split('id="findings-title"')[1]
    assert section.count('<span class="badge badge-') == len(addressed)
    # The form, filled with what is stored, the owner as a word.
    assert f'action="{_action_url(establishment_id, action)}"' in html
    assert 'name="csrf_token"' in html
    assert f'name="due_date" value="{action.due_date.isoformat()}"' in html
    owner = action.owner
    assert (
        f'name="owner" value="{label(OwnerRole(owner), "en") if owner in set(OwnerRole) else owner}"' in html
    )
    assert '<option value="todo" selected>' in html


def test_edit_an_action_with_the_form(session: Session, client: TestClient) -> None:
    establishment_id, _users = _demo(session)
    make_user(session, "technicien@chu-exemple.fr", Role.TECHNICIAN, establishment_id)
    login(client, "technicien@chu-exemple.fr")  # a technician, as the RSSI, may edit the actions
    action = _todo(session, establishment_id)
    url = _action_url(establishment_id, action)
    token = csrf_from(client.get(url).text)
    due = date(today().year + 1, 8, 31)
    form = {
        "status": "in_progress",
        "owner": "DSI",
        "due_date": due.strftime("%d/%m/%Y"),
        "notes": "Devis reçu",
    }

    assert client.post(url, data=form).status_code == 403  # no CSRF token
    response = client.post(url, data=form | {"csrf_token": token})
    assert response.status_code == 303 and response.headers["location"] == f"{url}?saved=1"
    session.refresh(action)
    assert (action.status, action.owner, action.due_date, action.quarter, action.notes) == (
        ActionStatus.IN_PROGRESS,
        "dsi",  # the role's word in the form is stored as the role
        due,
        f"{due.year}-Q3",
        "Devis reçu",
    )
    [entry] = session.scalars(select(AuditEntry).where(AuditEntry.action == "plan_action.update")).all()
    assert entry.object_id == str(action.id)
    assert (entry.details or {})["status"] == {"from": "todo", "to": "in_progress"}
    assert (entry.details or {})["owner"]["to"] == "dsi"
    saved = client.get(response.headers["location"]).text
    assert "Modifications enregistrées." in saved and "Devis reçu</textarea>" in saved
    assert 'name="owner" value="DSI"' in saved


def test_refused_values_show_next_to_their_field(session: Session, client: TestClient) -> None:
    establishment_id, users = _demo(session)
    _sign_in(client, users[Role.RSSI])
    action = _todo(session, establishment_id)
    url = _action_url(establishment_id, action)
    token = csrf_from(client.get(url).text)
    stored = (action.status, action.owner, action.due_date, action.notes)
    yesterday = (today() - timedelta(days=1)).isoformat()

    past = client.post(
        url, data={"csrf_token": token, "status": "done", "owner": " ", "due_date": yesterday, "notes": "x"}
    )
    assert past.status_code == 422 and "<html" in past.text
    owner_error = re.search(r'<p class="field-error" id="edit-owner-error">(.*?)</p>', past.text)
    due_error = re.search(r'<p class="field-error" id="edit-due-error">(.*?)</p>', past.text)
    assert owner_error and due_error
    assert due_error.group(1) == "La date d’échéance ne peut pas être passée."
    assert 'aria-describedby="edit-due-hint edit-due-error" aria-invalid="true"' in past.text
    assert f'value="{yesterday}"' in past.text  # what was sent comes back, to correct it
    assert "edit-notes-error" not in past.text

    malformed = client.post(
        url,
        data={"csrf_token": token, "status": "done", "owner": "rssi", "due_date": "31/02/2027", "notes": ""},
    )
    assert malformed.status_code == 422
    assert re.search(r'id="edit-due-error">[^<]*AAAA-MM-JJ', malformed.text)
    too_long = client.post(
        url,
        data={"csrf_token": token, "status": "done", "owner": "rssi", "due_date": "", "notes": "n" * 4001},
    )
    assert too_long.status_code == 422
    assert 'id="edit-due-error"' in too_long.text and 'id="edit-notes-error"' in too_long.text
    session.refresh(action)
    assert (action.status, action.owner, action.due_date, action.notes) == stored
    assert session.scalars(select(AuditEntry).where(AuditEntry.action.like("plan_action.%"))).all() == []


def test_edit_an_action_with_htmx_swaps_the_detail(session: Session, client: TestClient) -> None:
    establishment_id, users = _demo(session)
    _sign_in(client, users[Role.RSSI])
    action = _todo(session, establishment_id)
    url = _action_url(establishment_id, action) + "?lang=en"
    headers = {"HX-Request": "true", "X-CSRF-Token": csrf_from(client.get(url).text)}
    due = action.due_date.isoformat()  # unchanged, even if it is already past

    refused = client.post(url, data={"status": "todo", "owner": "", "due_date": due}, headers=headers)
    assert refused.status_code == 422
    assert refused.text.lstrip().startswith('<div id="action-detail"') and "<html" not in refused.text
    assert "Give the owner" in refused.text
    done = client.post(
        url, data={"status": "done", "owner": "rssi", "due_date": due, "notes": "Clos"}, headers=headers
    )
    assert done.status_code == 200
    assert done.text.lstrip().startswith('<div id="action-detail"') and "Changes saved." in done.text
    session.refresh(action)
    assert action.status == ActionStatus.DONE and action.notes == "Clos"


@pytest.mark.parametrize("role", [Role.MANAGEMENT, Role.AUDITOR])
def test_read_only_roles_see_the_action_without_a_form(
    session: Session, client: TestClient, role: Role
) -> None:
    establishment_id, users = _demo(session)
    action = _todo(session, establishment_id)
    plan_service.update_action(session, establishment_id, action.id, notes="Attente du devis")
    if role not in users:
        user = make_user(session, "audit@chu-exemple.fr", role, establishment_id)
        login(client, user.email)
    else:
        _sign_in(client, users[role])
    url = _action_url(establishment_id, action)
    page = client.get(url)
    assert page.status_code == 200
    assert "<form" not in page.text.split('id="action-detail"')[1]
    assert 'name="owner"' not in page.text and "Attente du devis" in page.text
    refused = client.post(
        url,
        data={
            "csrf_token": csrf_from(page.text),
            "status": "done",
            "owner": "rssi",
            "due_date": "",
            "notes": "",
        },
    )
    assert refused.status_code == 403
    session.refresh(action)
    assert action.status == ActionStatus.TODO


def test_action_of_another_establishment_is_not_found(session: Session, client: TestClient) -> None:
    establishment_id, _users = _demo(session)
    action = _todo(session, establishment_id)
    other = make_establishment(session, name="Clinique voisine")
    make_user(session, "rssi@voisine.fr", Role.RSSI, other.id)
    login(client, "rssi@voisine.fr")
    token = csrf_from(client.get(f"/e/{other.id}/plan").text)
    for base in (f"/e/{other.id}", f"/e/{establishment_id}"):
        url = f"{base}/plan/actions/{action.id}"
        assert client.get(url).status_code == 404
        form = {"csrf_token": token, "status": "done", "owner": "x", "due_date": "", "notes": ""}
        assert client.post(url, data=form).status_code == 404
    session.refresh(action)
    assert action.status == ActionStatus.TODO
