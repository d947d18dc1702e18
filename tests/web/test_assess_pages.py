"""Pages of the assessment: campaigns, the questionnaire in French and English, saving one control
with a plain form (CSRF) or htmx (fragment only), evidence, scores, the workbook round trip."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from hygie.assess import service, xlsx
from hygie.assess.models import Answer, Campaign
from hygie.assess.schemas import AnswerStatus
from hygie.frameworks.service import get_library
from hygie.org.models import AuditEntry, Establishment, Role
from tests.factories import make_establishment
from tests.web.conftest import csrf_from, login, make_user

PDF = b"%PDF-1.4\n%%EOF\n"


@pytest.fixture(autouse=True)
def _home(hygie_home: Path) -> Path:
    return hygie_home


def _setup(session: Session, client: TestClient, role: Role = Role.RSSI) -> tuple[Establishment, Campaign]:
    establishment = make_establishment(session)
    make_user(session, role=role, establishment_id=establishment.id)
    campaign = service.create_campaign(
        session, establishment.id, "Campagne 2025", date(2025, 3, 1), library=get_library()
    )
    login(client)
    return establishment, campaign


def _audit(session: Session, action: str) -> list[AuditEntry]:
    return list(
        session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id))
    )


def _answer(session: Session, campaign: Campaign, control_id: str) -> Answer:
    session.expire_all()  # the requests wrote through their own sessions
    return service.get_answer(session, campaign, control_id)


def _first_control() -> str:
    return get_library().full_path()[0].id


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("fr", ["Évaluation", "Avancement", "Niveau cible", "Justification", "Ne sait pas", "Preuves"]),
        ("en", ["Assessment", "Completion", "Target level", "Justification", "Don't know", "Evidence"]),
    ],
)
def test_questionnaire_renders_in_both_languages(
    session: Session, client: TestClient, lang: str, words: list[str]
) -> None:
    establishment, campaign = _setup(session, client)
    control = get_library().full_path()[0]
    response = client.get(f"/e/{establishment.id}/assess/{campaign.id}?lang={lang}")
    assert response.status_code == 200, response.text
    html = response.text.replace("&#39;", "'")
    assert f'<html lang="{lang}">' in html
    for word in words:
        assert word in html, word
    assert control.question.get(lang) in html.replace("&#34;", '"').replace("&amp;", "&")
    # every control is there, each with a fieldset and legend for its status radio group
    controls = get_library().full_path()
    assert html.count('class="card assess-control"') == len(controls)
    assert html.count("<legend>") >= 2 * len(controls)
    # every field has a label
    ids = re.findall(r'<(?:input|textarea|select)[^>]*\bid="([^"]+)"', html)
    labelled = set(re.findall(r'<label for="([^"]+)"', html))
    assert ids and set(ids) <= labelled, set(ids) - labelled
    assert "<script>" not in html and " style=" not in html
    # the nav entry
    assert f'href="/e/{establishment.id}/assess" aria-current="page"' in html


def test_campaign_list_and_creation(session: Session, client: TestClient) -> None:
    establishment, campaign = _setup(session, client)
    page = client.get(f"/e/{establishment.id}/assess")
    assert page.status_code == 200
    assert "Campagne 2025" in page.text and "<progress" in page.text
    token = csrf_from(page.text)
    created = client.post(
        f"/e/{establishment.id}/assess",
        data={"csrf_token": token, "name": "Parcours court", "assessed_on": "2025-06-01", "path": "short"},
    )
    assert created.status_code == 303, created.text
    new = [c for c in service.list_campaigns(session, establishment.id) if c.id != campaign.id]
    assert [(c.name, c.path.value) for c in new] == [("Parcours court", "short")]
    assert created.headers["location"] == f"/e/{establishment.id}/assess/{new[0].id}"
    refused = client.post(f"/e/{establishment.id}/assess", data={"csrf_token": token, "name": "x"})
    assert refused.status_code == 422
    assert 'role="alert"' in refused.text


def test_save_a_control_with_the_form(session: Session, client: TestClient) -> None:
    establishment, campaign = _setup(session, client)
    control = _first_control()
    page = client.get(f"/e/{establishment.id}/assess/{campaign.id}")
    token = csrf_from(page.text)
    url = f"/e/{establishment.id}/assess/{campaign.id}/controls/{control}"

    without_csrf = client.post(url, data={"status": "level", "level": "3"})
    assert without_csrf.status_code == 403

    saved = client.post(url, data={"csrf_token": token, "status": "level", "level": "3", "comment": "ok"})
    assert saved.status_code == 303
    assert saved.headers["location"] == f"/e/{establishment.id}/assess/{campaign.id}#control-{control}"
    answer = _answer(session, campaign, control)
    assert (answer.status.value, answer.level, answer.comment) == ("level", 3, "ok")
    assert len(_audit(session, "answer.record")) == 1

    # N/A without a justification: the page again, the server's message next to the control
    refused = client.post(url, data={"csrf_token": token, "status": "not_applicable", "justification": " "})
    assert refused.status_code == 422
    assert "<html" in refused.text
    error = re.search(rf'id="control-{control}-error">(.*?)</p>', refused.text, re.S)
    assert error is not None and "justification" in error.group(1)
    assert _answer(session, campaign, control).level == 3

    # a level left ticked with another status is ignored, not refused
    other = client.post(url, data={"csrf_token": token, "status": "unknown", "level": "2"})
    assert other.status_code == 303
    assert _answer(session, campaign, control).level is None

    unanswered = client.get(f"/e/{establishment.id}/assess/{campaign.id}?unanswered=true")
    assert f'id="control-{control}"' not in unanswered.text
    assert unanswered.text.count('class="card assess-control"') == len(get_library().full_path()) - 1


def test_save_a_control_with_htmx_returns_the_fragment(session: Session, client: TestClient) -> None:
    establishment, campaign = _setup(session, client)
    control = _first_control()
    token = csrf_from(client.get(f"/e/{establishment.id}/assess/{campaign.id}?lang=en").text)
    url = f"/e/{establishment.id}/assess/{campaign.id}/controls/{control}?lang=en"
    headers = {"HX-Request": "true", "X-CSRF-Token": token}

    response = client.post(url, data={"status": "alternative", "justification": "bastion"}, headers=headers)
    assert response.status_code == 200, response.text
    assert "<html" not in response.text and "<nav" not in response.text
    assert response.text.lstrip().startswith(f'<article class="card assess-control" id="control-{control}"')
    assert "Answer saved." in response.text
    assert "Answered by Camille Martin on" in response.text  # the person, not an internal id
    assert 'value="alternative" checked' in response.text
    assert _answer(session, campaign, control).justification == "bastion"

    refused = client.post(url, data={"status": "level"}, headers=headers)
    assert refused.status_code == 422
    assert "<html" not in refused.text
    assert "Choose a level from 0 to 5." in refused.text
    assert len(_audit(session, "answer.record")) == 1


def test_evidence_upload_and_download_through_the_pages(session: Session, client: TestClient) -> None:
    establishment, campaign = _setup(session, client)
    control = _first_control()
    page = client.get(f"/e/{establishment.id}/assess/{campaign.id}")
    token = csrf_from(page.text)
    # no answer yet: no upload form for that control
    assert f'action="/e/{establishment.id}/assess/{campaign.id}/controls/{control}/evidence"' not in page.text
    base = f"/e/{establishment.id}/assess/{campaign.id}/controls/{control}"
    client.post(base, data={"csrf_token": token, "status": "level", "level": "2"})

    uploaded = client.post(
        f"{base}/evidence", data={"csrf_token": token}, files={"file": ("preuve.pdf", PDF, "application/pdf")}
    )
    assert uploaded.status_code == 303, uploaded.text
    evidence = _answer(session, campaign, control).evidence[0]
    page = client.get(f"/e/{establishment.id}/assess/{campaign.id}").text
    assert f'href="/e/{establishment.id}/evidence/{evidence.id}"' in page
    assert "octets, Camille Martin)" in page and "user:" not in page
    download = client.get(f"/e/{establishment.id}/evidence/{evidence.id}")
    assert download.status_code == 200 and download.content == PDF
    assert download.headers["content-disposition"].startswith("attachment;")

    refused = client.post(
        f"{base}/evidence",
        data={"csrf_token": token},
        files={"file": ("preuve.pdf", b"<html><script>x</script></html>", "application/pdf")},
    )
    assert refused.status_code == 422
    assert re.search(rf'id="control-{control}-evidence-error">[^<]*preuve\.pdf', refused.text)

    linked = client.post(f"{base}/links", data={"csrf_token": token, "url": "https://ged.chu/pca"})
    assert linked.status_code == 303
    assert len(_answer(session, campaign, control).evidence) == 2


def _with_evidence(
    session: Session, client: TestClient, campaign: Campaign, content: bytes = PDF
) -> tuple[str, str, int]:
    """Answers the first control and attaches a file through the pages: (token, control, evidence id)."""
    establishment_id = campaign.establishment_id
    token = csrf_from(client.get(f"/e/{establishment_id}/assess/{campaign.id}").text)
    control = _first_control()
    base = f"/e/{establishment_id}/assess/{campaign.id}/controls/{control}"
    client.post(base, data={"csrf_token": token, "status": "level", "level": "2"})
    files = {"file": ("erreur.pdf", content, "application/pdf")}
    assert client.post(f"{base}/evidence", data={"csrf_token": token}, files=files).status_code == 303
    return token, control, _answer(session, campaign, control).evidence[-1].id


def test_remove_evidence_with_the_form(session: Session, client: TestClient, hygie_home: Path) -> None:
    establishment, campaign = _setup(session, client)
    token, control, evidence_id = _with_evidence(session, client, campaign)
    sha256 = _answer(session, campaign, control).evidence[0].sha256 or ""
    stored = hygie_home / "evidence" / str(establishment.id) / sha256
    assert stored.is_file()
    url = f"/e/{establishment.id}/assess/{campaign.id}/evidence/{evidence_id}/delete"
    page = client.get(f"/e/{establishment.id}/assess/{campaign.id}?lang=en").text
    assert f'action="{url}"' in page and 'aria-label="Remove erreur.pdf"' in page

    assert client.post(url).status_code == 403  # no CSRF token: refused, nothing removed
    assert len(_answer(session, campaign, control).evidence) == 1
    removed = client.post(url, data={"csrf_token": token})
    assert removed.status_code == 303
    assert removed.headers["location"] == f"/e/{establishment.id}/assess/{campaign.id}#control-{control}"
    assert _answer(session, campaign, control).evidence == []
    assert not stored.exists()
    [entry] = _audit(session, "evidence.delete")
    assert entry.object_id == str(evidence_id) and (entry.details or {})["name"] == "erreur.pdf"
    assert client.post(url, data={"csrf_token": token}).status_code == 404


def test_remove_evidence_with_htmx_returns_the_fragment(session: Session, client: TestClient) -> None:
    establishment, campaign = _setup(session, client)
    token, control, evidence_id = _with_evidence(session, client, campaign)
    link = client.post(
        f"/e/{establishment.id}/assess/{campaign.id}/controls/{control}/links",
        data={"csrf_token": token, "url": "https://ged.chu/lien-mort"},
    )
    assert link.status_code == 303
    response = client.post(
        f"/e/{establishment.id}/assess/{campaign.id}/evidence/{evidence_id}/delete",
        headers={"HX-Request": "true", "X-CSRF-Token": token},
    )
    assert response.status_code == 200, response.text
    assert response.text.lstrip().startswith(f'<article class="card assess-control" id="control-{control}"')
    assert "<html" not in response.text
    assert "Preuve retirée." in response.text
    assert "erreur.pdf" not in response.text and "https://ged.chu/lien-mort" in response.text
    assert [e.url for e in _answer(session, campaign, control).evidence] == ["https://ged.chu/lien-mort"]


def test_remove_evidence_refused_when_closed_or_read_only(session: Session, client: TestClient) -> None:
    establishment, campaign = _setup(session, client)
    token, control, evidence_id = _with_evidence(session, client, campaign)
    url = f"/e/{establishment.id}/assess/{campaign.id}/evidence/{evidence_id}/delete"
    service.close_campaign(session, campaign)
    page = client.get(f"/e/{establishment.id}/assess/{campaign.id}").text
    assert "erreur.pdf" in page and "/delete" not in page
    refused = client.post(url, data={"csrf_token": token})
    assert refused.status_code == 422
    error = re.search(rf'id="control-{control}-evidence-error">(.*?)</p>', refused.text, re.S)
    assert error is not None and "closed" in error.group(1)
    assert len(_answer(session, campaign, control).evidence) == 1
    assert _audit(session, "evidence.delete") == []


def test_auditor_may_not_remove_evidence(session: Session, client: TestClient) -> None:
    establishment, campaign = _setup(session, client, Role.AUDITOR)
    answer = service.record_answer(
        session, campaign, _first_control(), service.answer_in(AnswerStatus.UNKNOWN), "rssi"
    )
    link = service.attach_evidence_link(session, answer, "https://ged.chu/pca", "rssi")
    page = client.get(f"/e/{establishment.id}/assess/{campaign.id}").text
    assert "https://ged.chu/pca" in page and "/delete" not in page
    refused = client.post(
        f"/e/{establishment.id}/assess/{campaign.id}/evidence/{link.id}/delete",
        data={"csrf_token": csrf_from(page)},
    )
    assert refused.status_code == 403
    assert len(_answer(session, campaign, _first_control()).evidence) == 1


def test_scores_page(session: Session, client: TestClient) -> None:
    establishment, campaign = _setup(session, client)
    library = get_library()

    controls = library.full_path()
    service.record_answer(session, campaign, controls[0].id, service.answer_in(AnswerStatus.LEVEL, 4), "t")
    service.record_answer(session, campaign, controls[1].id, service.answer_in(AnswerStatus.UNKNOWN), "t")
    response = client.get(f"/e/{establishment.id}/assess/{campaign.id}/scores?lang=en")
    assert response.status_code == 200, response.text
    html = response.text
    assert "<svg" in html and 'role="img"' in html
    assert "Knowledge gaps" in html and f"#control-{controls[1].id}" in html
    for referential in library.referentials.values():
        assert referential.short_name in html
    assert "A requirement is fully met as soon as" in html


def test_export_and_import_through_the_pages(session: Session, client: TestClient, tmp_path: Path) -> None:
    establishment, campaign = _setup(session, client)
    page = client.get(f"/e/{establishment.id}/assess/{campaign.id}")
    token = csrf_from(page.text)
    exported = client.get(f"/e/{establishment.id}/assess/{campaign.id}/export.xlsx")
    assert exported.status_code == 200
    assert len(_audit(session, "campaign.export")) == 1
    path = tmp_path / "q.xlsx"
    path.write_bytes(exported.content)
    workbook = openpyxl.load_workbook(path)
    sheet = workbook[xlsx.SHEET]
    sheet["E2"], sheet["F2"] = "niveau", 7
    sheet["E3"] = "mesure alternative"
    workbook.save(path)
    url = f"/e/{establishment.id}/assess/{campaign.id}/import"
    files = {"file": ("q.xlsx", path.read_bytes(), "application/octet-stream")}
    rejected = client.post(url, data={"csrf_token": token}, files=files)
    assert rejected.status_code == 422
    table = re.search(r'<table id="import-errors">(.*?)</table>', rejected.text, re.S)
    assert table is not None
    assert "Questionnaire!F2" in table.group(1) and "Questionnaire!G3" in table.group(1)

    sheet["F2"], sheet["G3"] = 3, "pare-feu applicatif"
    workbook.save(path)
    files = {"file": ("q.xlsx", path.read_bytes(), "application/octet-stream")}
    accepted = client.post(url, data={"csrf_token": token}, files=files)
    assert accepted.status_code == 303
    assert accepted.headers["location"].endswith("?imported=2")
    session.expire_all()
    assert len(service.answers_detail(campaign)) == 2


def test_auditor_reads_without_forms(session: Session, client: TestClient) -> None:
    establishment, campaign = _setup(session, client, Role.AUDITOR)
    page = client.get(f"/e/{establishment.id}/assess/{campaign.id}")
    assert page.status_code == 200
    assert "hx-post" not in page.text and "New campaign" not in page.text
    token = csrf_from(page.text)
    refused = client.post(
        f"/e/{establishment.id}/assess/{campaign.id}/controls/{_first_control()}",
        data={"csrf_token": token, "status": "unknown"},
    )
    assert refused.status_code == 403
    other = make_establishment(session, name="Autre")
    assert client.get(f"/e/{other.id}/assess").status_code == 404
