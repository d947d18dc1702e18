"""API of the assessment: campaigns, answers (rules checked: 422), evidence upload (size, type and
content checked) and download (owner only), scores, the XLSX round trip, the audit trail."""

from __future__ import annotations

import io
import zipfile
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from hygie.assess import service as assess_service
from hygie.assess import xlsx
from hygie.assess.api import XLSX_TYPE
from hygie.assess.schemas import AnswerStatus
from hygie.frameworks.service import get_library
from hygie.org import accounts, tokens
from hygie.org.models import AuditEntry, Establishment, Role
from tests.factories import make_establishment
from tests.web.conftest import make_user

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _home(hygie_home: Path) -> Path:
    """Evidence files land in the test's own HYGIE_HOME."""
    return hygie_home


def _bearer(session: Session, email: str) -> dict[str, str]:
    secret, _row = tokens.create_api_token(session, accounts.find_user(session, email), "tests")
    return {"Authorization": f"Bearer {secret}"}


def _setup(session: Session, role: Role = Role.RSSI) -> tuple[Establishment, dict[str, str]]:
    establishment = make_establishment(session)
    make_user(session, role=role, establishment_id=establishment.id)
    return establishment, _bearer(session, "rssi@chu-exemple.fr")


def _audit(session: Session, action: str) -> list[AuditEntry]:
    return list(
        session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id))
    )


def _campaign(client: TestClient, establishment_id: int, headers: dict[str, str], path: str = "full") -> int:
    response = client.post(
        f"/api/v1/establishments/{establishment_id}/campaigns",
        json={"name": "Campagne 2025", "assessed_on": "2025-03-01", "path": path},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def _controls() -> list[str]:
    return [c.id for c in get_library().full_path()]


def test_campaign_and_answer_round_trip(session: Session, client: TestClient) -> None:
    establishment, headers = _setup(session)
    campaign_id = _campaign(client, establishment.id, headers)
    base = f"/api/v1/establishments/{establishment.id}/campaigns"
    controls = _controls()
    first, second = controls[0], controls[1]

    listed = client.get(base, headers=headers).json()
    assert listed["total"] == 1
    assert listed["items"][0]["completion"] == 0
    assert listed["items"][0]["in_scope"] == len(controls)

    put = client.put(
        f"{base}/{campaign_id}/answers/{first}",
        json={"status": "level", "level": 3, "comment": "revue trimestrielle"},
        headers=headers,
    )
    assert put.status_code == 200, put.text
    assert put.json()["level"] == 3
    got = client.get(f"{base}/{campaign_id}/answers/{first}", headers=headers).json()
    assert (got["status"], got["level"], got["comment"], got["evidence"]) == (
        "level",
        3,
        "revue trimestrielle",
        [],
    )
    client.put(
        f"{base}/{campaign_id}/answers/{second}",
        json={"status": "not_applicable", "justification": "pas de messagerie interne"},
        headers=headers,
    )
    answers = client.get(f"{base}/{campaign_id}/answers", headers=headers).json()
    assert answers["total"] == 2
    assert sorted(a["control_id"] for a in answers["items"]) == sorted([first, second])

    detail = client.get(f"{base}/{campaign_id}", headers=headers).json()
    assert detail["answered"] == 2
    assert detail["completion"] == pytest.approx(100 * 2 / len(controls))

    score = client.get(f"{base}/{campaign_id}/score", headers=headers).json()
    assert score["answered"] == 2
    assert score["levels"] == {first: 3}

    entries = _audit(session, "answer.record")
    assert [(e.object_type, e.establishment_id) for e in entries] == [("assess_answer", establishment.id)] * 2
    assert entries[0].details is not None and entries[0].details["control_id"] == first
    assert entries[0].actor.startswith("user:")


def test_missing_justification_is_422(session: Session, client: TestClient) -> None:
    establishment, headers = _setup(session)
    campaign_id = _campaign(client, establishment.id, headers)
    control = _controls()[0]
    url = f"/api/v1/establishments/{establishment.id}/campaigns/{campaign_id}/answers/{control}"
    response = client.put(url, json={"status": "alternative", "justification": "   "}, headers=headers)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert "justification" in error["message"]
    # nothing stored, nothing audited
    assert client.get(url, headers=headers).status_code == 404
    assert _audit(session, "answer.record") == []


def test_level_out_of_scale_and_unknown_control(session: Session, client: TestClient) -> None:
    establishment, headers = _setup(session)
    campaign_id = _campaign(client, establishment.id, headers)
    base = f"/api/v1/establishments/{establishment.id}/campaigns/{campaign_id}/answers"
    assert (
        client.put(
            f"{base}/{_controls()[0]}", json={"status": "level", "level": 6}, headers=headers
        ).status_code
        == 422
    )
    unknown = client.put(f"{base}/NOPE-X", json={"status": "unknown"}, headers=headers)
    assert unknown.status_code == 422 and "NOPE-X" in unknown.json()["error"]["message"]


def _answered(client: TestClient, session: Session) -> tuple[Establishment, dict[str, str], str]:
    establishment, headers = _setup(session)
    campaign_id = _campaign(client, establishment.id, headers)
    control = _controls()[0]
    base = f"/api/v1/establishments/{establishment.id}/campaigns/{campaign_id}/answers/{control}"
    assert client.put(base, json={"status": "level", "level": 2}, headers=headers).status_code == 200
    return establishment, headers, base


def test_upload_pdf_then_download(session: Session, client: TestClient, hygie_home: Path) -> None:
    establishment, headers, base = _answered(client, session)
    response = client.post(
        f"{base}/evidence",
        files={"file": ("politique sécurité.pdf", PDF, "application/pdf")},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    evidence = response.json()
    assert (evidence["name"], evidence["size"], evidence["content_type"]) == (
        "politique sécurité.pdf",
        len(PDF),
        "application/pdf",
    )
    # stored by content under HYGIE_HOME/evidence, nowhere near the static folder
    stored = hygie_home / "evidence" / str(establishment.id) / evidence["sha256"]
    assert stored.read_bytes() == PDF
    assert client.get(base, headers=headers).json()["evidence"][0]["id"] == evidence["id"]

    download = client.get(
        f"/api/v1/establishments/{establishment.id}/evidence/{evidence['id']}", headers=headers
    )
    assert download.status_code == 200
    assert download.content == PDF
    assert download.headers["content-disposition"].startswith("attachment;")
    assert "filename*=utf-8''politique%20s%C3%A9curit%C3%A9.pdf" in download.headers["content-disposition"]
    assert download.headers["x-content-type-options"] == "nosniff"
    assert [e.details["name"] for e in _audit(session, "evidence.upload") if e.details] == [
        "politique sécurité.pdf"
    ]


def _xlsx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr("[Content_Types].xml", "<Types/>")
        package.writestr("xl/workbook.xml", "<workbook/>")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "content", "accepted"),
    [
        ("scan.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 20, True),
        ("note.txt", "Sauvegardes testées le 3 mars.\n".encode(), True),
        ("inventaire.csv", "poste;os\nPC-01;Windows 10\n".encode("cp1252"), True),
        ("tableau.xlsx", _xlsx_bytes(), True),
        ("outil.exe", b"MZ\x90\x00" + b"\x00" * 60, False),
        ("rapport.pdf", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 60, False),
        ("rapport.pdf", b"<!DOCTYPE html><html><script>alert(1)</script></html>", False),
        ("note.txt", b"<html><body><script>alert(1)</script></body></html>", False),
        ("note.txt", b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 40, False),
        ("tableau.xlsx", PDF, False),
        ("page.html", b"<html></html>", False),
        ("sans-extension", PDF, False),
    ],
)
def test_upload_checks_type_and_content(
    session: Session, client: TestClient, name: str, content: bytes, accepted: bool
) -> None:
    _establishment, headers, base = _answered(client, session)
    response = client.post(
        f"{base}/evidence", files={"file": (name, content, "application/pdf")}, headers=headers
    )
    if accepted:
        assert response.status_code == 201, response.text
    else:
        assert response.status_code == 422, response.text
        assert response.json()["error"]["code"] == "validation_error"
        assert _audit(session, "evidence.upload") == []


def test_upload_too_big(session: Session, client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    _establishment, headers, base = _answered(client, session)
    # Over the real limit: refused before anything reads the body.
    huge = PDF + b"0" * (20 * 1024 * 1024)
    response = client.post(
        f"{base}/evidence", files={"file": ("gros.pdf", huge, "application/pdf")}, headers=headers
    )
    assert response.status_code == 413
    # Under the request limit but over the evidence limit: refused by the upload check.
    monkeypatch.setattr(assess_service, "MAX_EVIDENCE_BYTES", 1000)
    response = client.post(
        f"{base}/evidence",
        files={"file": ("moyen.pdf", PDF + b"0" * 1000, "application/pdf")},
        headers=headers,
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"
    assert client.get(base, headers=headers).json()["evidence"] == []


def test_links(session: Session, client: TestClient) -> None:
    _establishment, headers, base = _answered(client, session)
    ok = client.post(
        f"{base}/links", json={"url": "https://intranet.chu/pssi.pdf", "name": "PSSI"}, headers=headers
    )
    assert ok.status_code == 201 and ok.json()["kind"] == "link"
    bad = client.post(f"{base}/links", json={"url": "javascript:alert(1)"}, headers=headers)
    assert bad.status_code == 422
    assert len(_audit(session, "evidence.link")) == 1


def test_evidence_of_another_establishment_is_404(session: Session, client: TestClient) -> None:
    establishment, headers, base = _answered(client, session)
    evidence_id = client.post(
        f"{base}/evidence", files={"file": ("a.pdf", PDF, "application/pdf")}, headers=headers
    ).json()["id"]
    other = make_establishment(session, name="Clinique voisine")
    intruder = make_user(session, "rssi@voisine.fr", Role.RSSI, other.id)
    intruder_headers = _bearer(session, intruder.email)
    # through the intruder's own establishment: the evidence is not theirs
    own = client.get(f"/api/v1/establishments/{other.id}/evidence/{evidence_id}", headers=intruder_headers)
    assert own.status_code == 404
    # through the owner's establishment: not visible to them
    theirs = client.get(
        f"/api/v1/establishments/{establishment.id}/evidence/{evidence_id}", headers=intruder_headers
    )
    assert theirs.status_code == 404
    assert own.json()["error"]["code"] == "not_found"


def test_delete_evidence(session: Session, client: TestClient, hygie_home: Path) -> None:
    establishment, headers, base = _answered(client, session)
    campaign_url = base.rsplit("/answers/", 1)[0]

    def upload(name: str, content: bytes) -> dict[str, str]:
        response = client.post(
            f"{base}/evidence", files={"file": (name, content, "application/pdf")}, headers=headers
        )
        assert response.status_code == 201, response.text
        return dict(response.json())

    wrong = upload("erreur.pdf", PDF + b"% wrong\n")
    kept = upload("politique.pdf", PDF)
    twin = upload("politique-copie.pdf", PDF)  # the same content: one stored file, two rows
    link = client.post(f"{base}/links", json={"url": "https://ged.chu/mort"}, headers=headers).json()
    folder = hygie_home / "evidence" / str(establishment.id)

    response = client.delete(f"{campaign_url}/evidence/{wrong['id']}", headers=headers)
    assert response.status_code == 204 and response.content == b""
    assert not (folder / wrong["sha256"]).exists()
    ids = [e["id"] for e in client.get(base, headers=headers).json()["evidence"]]
    assert ids == [kept["id"], twin["id"], link["id"]]
    [entry] = _audit(session, "evidence.delete")
    assert (entry.object_type, entry.object_id, entry.establishment_id) == (
        "assess_evidence",
        str(wrong["id"]),
        establishment.id,
    )
    assert entry.details is not None
    assert (entry.details["name"], entry.details["kind"], entry.details["sha256"]) == (
        "erreur.pdf",
        "file",
        wrong["sha256"],
    )
    # Gone: a second deletion and the download are 404.
    assert client.delete(f"{campaign_url}/evidence/{wrong['id']}", headers=headers).status_code == 404
    download = f"/api/v1/establishments/{establishment.id}/evidence/{wrong['id']}"
    assert client.get(download, headers=headers).status_code == 404

    # A file two rows share stays until the last one goes.
    assert client.delete(f"{campaign_url}/evidence/{kept['id']}", headers=headers).status_code == 204
    assert (folder / kept["sha256"]).read_bytes() == PDF
    twin_download = f"/api/v1/establishments/{establishment.id}/evidence/{twin['id']}"
    assert client.get(twin_download, headers=headers).content == PDF
    assert client.delete(f"{campaign_url}/evidence/{link['id']}", headers=headers).status_code == 204
    assert client.delete(f"{campaign_url}/evidence/{twin['id']}", headers=headers).status_code == 204
    assert not (folder / kept["sha256"]).exists()
    assert client.get(base, headers=headers).json()["evidence"] == []
    assert len(_audit(session, "evidence.delete")) == 4


def test_delete_evidence_refused_once_closed_and_for_others(session: Session, client: TestClient) -> None:
    _establishment, headers, base = _answered(client, session)
    campaign_url = base.rsplit("/answers/", 1)[0]
    evidence = client.post(
        f"{base}/evidence", files={"file": ("a.pdf", PDF, "application/pdf")}, headers=headers
    ).json()
    url = f"{campaign_url}/evidence/{evidence['id']}"

    other = make_establishment(session, name="Clinique voisine")
    intruder = make_user(session, "rssi@voisine.fr", Role.RSSI, other.id)
    intruder_headers = _bearer(session, intruder.email)
    assert client.delete(url, headers=intruder_headers).status_code == 404
    foreign_campaign = _campaign(client, other.id, intruder_headers)
    mine = f"/api/v1/establishments/{other.id}/campaigns/{foreign_campaign}/evidence/{evidence['id']}"
    refused = client.delete(mine, headers=intruder_headers)
    assert refused.status_code == 404 and refused.json()["error"]["code"] == "not_found"

    assert client.post(f"{campaign_url}/close", headers=headers).status_code == 200
    closed = client.delete(url, headers=headers)
    assert closed.status_code == 422 and "closed" in closed.json()["error"]["message"]
    assert [e["id"] for e in client.get(base, headers=headers).json()["evidence"]] == [evidence["id"]]
    assert _audit(session, "evidence.delete") == []


def test_xlsx_export_then_import(session: Session, client: TestClient, tmp_path: Path) -> None:
    establishment, headers = _setup(session)
    campaign_id = _campaign(client, establishment.id, headers)
    base = f"/api/v1/establishments/{establishment.id}/campaigns/{campaign_id}"
    controls = _controls()
    # A comment that a spreadsheet would run as a formula: exported as inert text.
    client.put(
        f"{base}/answers/{controls[2]}",
        json={"status": "unknown", "comment": '=HYPERLINK("http://evil")'},
        headers=headers,
    )

    exported = client.get(f"{base}/export.xlsx?lang=en", headers=headers)
    assert exported.status_code == 200
    assert exported.headers["content-type"] == XLSX_TYPE
    assert exported.headers["content-disposition"].startswith("attachment;")
    assert [(e.action, e.object_id) for e in _audit(session, "campaign.export")] == [
        ("campaign.export", str(campaign_id))
    ]

    path = tmp_path / "filled.xlsx"
    path.write_bytes(exported.content)
    workbook = openpyxl.load_workbook(path)
    sheet = workbook[xlsx.SHEET]
    assert sheet["A1"].value == "Control id"
    assert sheet["A2"].value == controls[0]
    assert sheet["H4"].value == '\'=HYPERLINK("http://evil")' and sheet["H4"].data_type == "s"
    sheet["E2"], sheet["F2"] = "level", 4
    sheet["E3"], sheet["G3"] = "alternative measure", "segmentation du réseau"
    workbook.save(path)

    imported = client.post(
        f"{base}/import",
        files={"file": ("filled.xlsx", path.read_bytes(), "application/octet-stream")},
        headers=headers,
    )
    assert imported.status_code == 200, imported.text
    assert imported.json()["recorded"] == 2  # the third answer is unchanged
    first = client.get(f"{base}/answers/{controls[0]}", headers=headers).json()
    second = client.get(f"{base}/answers/{controls[1]}", headers=headers).json()
    assert (first["status"], first["level"]) == ("level", 4)
    assert (second["status"], second["justification"]) == ("alternative", "segmentation du réseau")
    assert len(_audit(session, "campaign.import")) == 1

    # Every problem of a bad workbook, with its cell; nothing recorded.
    sheet["F2"] = 9
    sheet["E4"] = "peut-être"
    sheet["E5"], sheet["G5"] = "not applicable", None
    workbook.save(path)
    rejected = client.post(
        f"{base}/import",
        files={"file": ("bad.xlsx", path.read_bytes(), "application/octet-stream")},
        headers=headers,
    )
    assert rejected.status_code == 422
    error = rejected.json()["error"]
    assert error["code"] == "import_rejected"
    fields = [d["field"] for d in error["details"]]
    assert any(f.startswith("Questionnaire!F2") for f in fields), fields
    assert any(f.startswith("Questionnaire!E4") for f in fields), fields
    assert any(f.startswith("Questionnaire!G5") or f.startswith("Questionnaire!E5") for f in fields), fields
    assert client.get(f"{base}/answers/{controls[0]}", headers=headers).json()["level"] == 4
    assert len(_audit(session, "campaign.import")) == 1


def test_scopes(session: Session, client: TestClient) -> None:
    establishment, headers = _setup(session, Role.AUDITOR)
    campaign = assess_service.create_campaign(
        session, establishment.id, "Audit", date(2025, 1, 1), library=get_library()
    )
    base = f"/api/v1/establishments/{establishment.id}/campaigns"
    assert client.get(base, headers=headers).status_code == 200
    assert client.get(f"{base}/{campaign.id}/export.xlsx", headers=headers).status_code == 200
    put = client.put(
        f"{base}/{campaign.id}/answers/{_controls()[0]}", json={"status": "unknown"}, headers=headers
    )
    assert put.status_code == 403
    assert client.post(f"{base}/{campaign.id}/close", headers=headers).status_code == 403
    saved = assess_service.record_answer(
        session, campaign, _controls()[0], assess_service.answer_in(AnswerStatus.UNKNOWN), "rssi"
    )
    link = assess_service.attach_evidence_link(session, saved, "https://ged.chu/pca", "rssi")
    assert client.delete(f"{base}/{campaign.id}/evidence/{link.id}", headers=headers).status_code == 403
    assert [e.id for e in saved.evidence] == [link.id]
    assert (
        client.post(base, json={"name": "x", "assessed_on": "2025-01-02"}, headers=headers).status_code == 403
    )


def test_close_and_compare(session: Session, client: TestClient) -> None:
    establishment, headers = _setup(session)
    base = f"/api/v1/establishments/{establishment.id}/campaigns"
    control = _controls()[0]
    first = _campaign(client, establishment.id, headers)
    client.put(f"{base}/{first}/answers/{control}", json={"status": "level", "level": 1}, headers=headers)
    closed = client.post(f"{base}/{first}/close", headers=headers)
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    late = client.put(
        f"{base}/{first}/answers/{control}", json={"status": "level", "level": 2}, headers=headers
    )
    assert late.status_code == 422
    second = client.post(
        base,
        json={"name": "Campagne 2026", "assessed_on": "2026-03-01", "from_previous": True},
        headers=headers,
    ).json()["id"]
    client.put(f"{base}/{second}/answers/{control}", json={"status": "level", "level": 4}, headers=headers)
    comparison = client.get(f"{base}/{second}/comparison", headers=headers)
    assert comparison.status_code == 200, comparison.text
    assert comparison.json()["raised"] == [{"control_id": control, "before": 1, "after": 4}]
    assert client.get(f"{base}/{first}/comparison", headers=headers).status_code == 404
    assert [e.action for e in _audit(session, "campaign.close")] == ["campaign.close"]
