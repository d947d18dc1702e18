"""Group isolation through the pages, the API and the exports (tests/group/conftest.py's world).

An establishment's RSSI never reaches a group view (404, as for a group that does not exist) and
never reads another establishment's name or figures there; the Nord group's RSSI sees A and B
side by side, never C (the Sud group's).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session

from hygie.org import tokens
from hygie.org.models import AuditEntry, User
from tests.group.conftest import A_NAME, B_NAME, C_NAME, Ght
from tests.web.conftest import login, make_app

# What must never leak from C (the other group): its name, its budget and its plan's cost, written
# the ways a page, a CSV or a PDF may write them.
C_SECRETS = (C_NAME, "999 000", "999000", "999,000", "777 000", "777000", "777,000", "999 k", "777 k")
# B seen by A's RSSI: its name.
B_SECRETS = (B_NAME,)


@pytest.fixture
def app(session: Session) -> FastAPI:
    return make_app(session)


class Clients(dict[str, TestClient]):
    """A signed-in page client per user, signed in when first asked for (a login costs an argon2 check)."""

    def __init__(self, app: FastAPI, users: dict[str, User]) -> None:
        super().__init__()
        self.app, self.users = app, users

    def __missing__(self, name: str) -> TestClient:
        client = TestClient(self.app, base_url="https://testserver", follow_redirects=False)
        login(client, self.users[name].email)
        self[name] = client
        return client


@pytest.fixture
def clients(app: FastAPI, ght: Ght) -> Iterator[Clients]:
    users = {"group": ght.group_rssi, "a": ght.a_rssi, "c": ght.c_rssi, "tech": ght.group_technician}
    opened = Clients(app, users)
    yield opened
    for client in opened.values():
        client.close()


def _token(session: Session, user: User) -> dict[str, str]:
    secret, _row = tokens.create_api_token(session, user, "tests")
    return {"Authorization": f"Bearer {secret}"}


def _text_of_pdf(content: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def _never(text: str, secrets: tuple[str, ...], where: str) -> None:
    for secret in secrets:
        assert secret not in text, f"{secret!r} leaked in {where}"


def _without_path(html: str) -> str:
    return re.sub(r"/g/\d+", "/g/N", html)


def group_urls(group_id: int) -> list[str]:
    return [
        f"/g/{group_id}",
        f"/g/{group_id}/table.csv",
        f"/g/{group_id}/report.html",
        f"/g/{group_id}/report.pdf",
    ]


def api_urls(group_id: int) -> list[str]:
    base = f"/api/v1/groups/{group_id}"
    return [base, f"{base}/table.csv", f"{base}/report.html", f"{base}/report.pdf"]


def test_an_establishment_rssi_gets_404_everywhere(
    session: Session, ght: Ght, clients: dict[str, TestClient]
) -> None:
    a = clients["a"]
    for group_id in (ght.nord, ght.sud, 987654):
        for url in group_urls(group_id):
            response = a.get(url)
            assert response.status_code == 404, url
            _never(response.text, B_SECRETS + C_SECRETS, url)
            assert "GHT Nord" not in response.text and "GHT Sud" not in response.text, url
    # A group that exists answers exactly as one that does not.
    assert _without_path(a.get(f"/g/{ght.nord}").text) == _without_path(a.get("/g/987654").text)
    listing = a.get("/groups")
    assert listing.status_code == 200 and "/g/" not in listing.text
    _never(listing.text, B_SECRETS + C_SECRETS, "/groups")
    # Its own establishment's page names its group, without a link to a view it cannot open.
    own = a.get(f"/e/{ght.a.id}")
    assert own.status_code == 200 and "GHT Nord" in own.text and f'href="/g/{ght.nord}"' not in own.text
    _never(own.text, B_SECRETS + C_SECRETS, "A's page")


def test_an_establishment_rssi_gets_404_on_the_api(session: Session, ght: Ght, app: FastAPI) -> None:
    headers = _token(session, ght.a_rssi)
    with TestClient(app, base_url="https://testserver") as api:
        listed = api.get("/api/v1/groups", headers=headers)
        assert listed.status_code == 200 and listed.json() == []
        for group_id in (ght.nord, ght.sud, 987654):
            for url in api_urls(group_id):
                response = api.get(url, headers=headers)
                assert response.status_code == 404, url
                assert response.json()["error"]["code"] == "not_found"
                _never(response.text, B_SECRETS + C_SECRETS, url)


def test_the_other_groups_rssi_gets_404_on_the_nord_group(
    session: Session, ght: Ght, clients: dict[str, TestClient]
) -> None:
    for url in group_urls(ght.nord) + group_urls(ght.sud):
        response = clients["c"].get(url)
        assert response.status_code == 404, url
        assert A_NAME not in response.text and B_NAME not in response.text


def test_a_group_technician_is_refused_with_403(ght: Ght, clients: dict[str, TestClient]) -> None:
    assert clients["tech"].get(f"/g/{ght.nord}").status_code == 403
    assert clients["tech"].get(f"/g/{ght.sud}").status_code == 404


def test_the_group_rssi_page_shows_a_and_b_never_c(ght: Ght, clients: dict[str, TestClient]) -> None:
    group = clients["group"]
    page = group.get(f"/g/{ght.nord}")
    assert page.status_code == 200, page.text
    html = page.text
    assert A_NAME in html and B_NAME in html
    _never(html, C_SECRETS, "the group page")
    # Heat and benchmark: A's governance 20 (band 1 of 5: heat-1) is 20 below the median 40.
    assert 'class="num heat heat-1">20 <span class="diff diff-down">−20</span>' in html
    assert 'class="num heat heat-3">60 <span class="diff diff-up">+20</span>' in html  # B's governance
    assert 'data-shared="control:TEC-PATCH"' in html
    assert "Faiblesses communes" in html and "Médiane du groupement" in html
    # The header leads to the view; the Sud group stays out of reach and out of sight.
    assert f'href="/g/{ght.nord}"' in group.get("/account").text
    assert group.get(f"/g/{ght.sud}").status_code == 404
    assert f'href="/g/{ght.sud}"' not in html and "GHT Sud" not in html
    # From an establishment to its group.
    assert f'href="/g/{ght.nord}"' in group.get(f"/e/{ght.b.id}").text
    # English on demand.
    english = group.get(f"/g/{ght.nord}?lang=en").text
    assert "Shared weaknesses" in english and "Group median" in english


def test_the_csv_export(session: Session, ght: Ght, clients: dict[str, TestClient]) -> None:
    response = clients["group"].get(f"/g/{ght.nord}/table.csv")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert f"hygie-groupe-{ght.nord}-" in response.headers["content-disposition"]
    text = response.content.decode("utf-8-sig")
    _never(text, C_SECRETS, "the CSV")
    rows = {row[0]: row[1:] for row in csv.reader(io.StringIO(text), delimiter=";")}
    assert rows["Indicateur"] == [A_NAME, B_NAME, "Médiane du groupement"]
    assert rows["Gouvernance"] == ["20,0", "60,0", "40,0"]
    assert rows["Gouvernance : écart à la médiane"] == ["-20,0", "20,0", ""]
    assert rows["Réponse aux incidents"] == ["100,0", "60,0", "80,0"]
    assert rows["Alertes de détection ouvertes"] == ["0", "2", ""]
    assert rows["Coût du plan adopté"] == ["46000", "30000", ""]
    assert rows["Budget sécurité annuel"] == ["120000", "", ""]
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "group_table.export")).one()
    assert entry.object_id == str(ght.nord) and entry.details["establishments"] == [ght.a.id, ght.b.id]


def test_the_reports_in_both_languages(ght: Ght, clients: dict[str, TestClient]) -> None:
    group = clients["group"]
    html = group.get(f"/g/{ght.nord}/report.html").text
    assert "Rapport de cyber-résilience du groupement" in html and A_NAME in html and B_NAME in html
    _never(html, C_SECRETS, "the HTML report")
    pdf = group.get(f"/g/{ght.nord}/report.pdf?lang=en")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    text = _text_of_pdf(pdf.content)
    assert A_NAME in text and B_NAME in text
    # The headings are set in capitals by the stylesheet.
    assert "group cyber-resilience report" in text.lower() and "shared weaknesses" in text.lower()
    _never(text, C_SECRETS, "the PDF report")


def test_the_group_rssi_api(session: Session, ght: Ght, app: FastAPI) -> None:
    headers = _token(session, ght.group_rssi)
    with TestClient(app, base_url="https://testserver") as api:
        assert api.get("/api/v1/groups", headers=headers).json() == [
            {"id": ght.nord, "name": "GHT Nord", "establishments": 2}
        ]
        view = api.get(f"/api/v1/groups/{ght.nord}", headers=headers)
        assert view.status_code == 200
        body = view.json()
        assert [c["name"] for c in body["establishments"]] == [A_NAME, B_NAME]
        assert [m["median"] for m in body["medians"]] == pytest.approx([40, 50, 60, 70, 80])
        _never(view.text, C_SECRETS, "the API")
        assert api.get(f"/api/v1/groups/{ght.sud}", headers=headers).status_code == 404
        exported = api.get(f"/api/v1/groups/{ght.nord}/table.csv", headers=headers)
        assert exported.status_code == 200 and A_NAME in exported.content.decode("utf-8-sig")
