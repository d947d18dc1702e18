"""Drafts of the reports: their content comes from the case, in French and in English, text and PDF."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from pypdf import PdfReader
from sqlalchemy.orm import Session

from hygie.incidents import service
from hygie.incidents.drafts import render_pdf, render_text
from hygie.incidents.models import Answer, ClockKind
from hygie.incidents.schemas import CaseUpdate, IndicatorIn, SentIn
from tests.factories import make_establishment
from tests.incidents.conftest import open_ransomware

DETECTED = datetime(2026, 3, 28, 10, 0, tzinfo=UTC)  # 11:00 in Paris (winter time)


def test_early_warning_draft_holds_the_case_and_what_is_missing(session: Session) -> None:
    establishment = make_establishment(session, name="CH de Test-sur-Mer")
    case = open_ransomware(session, establishment.id, detected_at=DETECTED, aware_at=DETECTED)
    draft = service.draft_for(session, case, ClockKind.NIS2_EARLY_WARNING, "fr")
    text = render_text(draft, "fr")
    assert "ALERTE PRÉCOCE NIS2" in text
    assert "CH de Test-sur-Mer" in text and establishment.finess in text
    assert "Rançongiciel sur le PACS" in text and "note de rançon LockBit" in text
    assert "Échéance : 29/03/2026 12:00 (heure de Paris)" in text  # 24 h later: 10:00 UTC, summer time
    assert "si l'incident est soupçonné d'être malveillant" in text  # still missing
    english = render_text(service.draft_for(session, case, ClockKind.NIS2_EARLY_WARNING, "en"), "en")
    assert "NIS2 EARLY WARNING" in english and "Deadline: 2026-03-29 12:00 (Paris time)" in english


def test_notification_and_cert_sante_drafts_carry_impact_indicators_and_measures(session: Session) -> None:
    case = open_ransomware(session, make_establishment(session).id, detected_at=DETECTED)
    service.update_case(
        session,
        case,
        CaseUpdate(
            malicious=Answer.YES,
            care_impact="Mode dégradé aux urgences, 12 transferts",
            measures="VLAN imagerie isolé, comptes réinitialisés",
            patient_data=Answer.YES,
            persons_affected=4200,
        ),
        "RSSI",
    )
    service.add_indicator(session, case, IndicatorIn(value="198.51.100.7"), "RSSI")
    service.mark_sent(session, case, ClockKind.NIS2_EARLY_WARNING, SentIn(sent_at=DETECTED), "RSSI")
    notification = render_text(service.draft_for(session, case, ClockKind.NIS2_NOTIFICATION, "fr"), "fr")
    for fact in ("Urgences", "Imagerie", "12 transferts", "198.51.100.7", "VLAN imagerie isolé"):
        assert fact in notification
    sante = render_text(service.draft_for(session, case, ClockKind.CERT_SANTE, "fr"), "fr")
    assert "4200" in sante and "Alerte précoce NIS2 envoyée le 28/03/2026 11:00" in sante
    cnil = render_text(service.draft_for(session, case, ClockKind.CNIL, "fr"), "fr")
    assert "Données patients ou personnelles concernées : Oui" in cnil


def test_pdf_draft(session: Session) -> None:
    case = open_ransomware(session, make_establishment(session).id, detected_at=DETECTED)
    pdf = render_pdf(service.draft_for(session, case, ClockKind.CERT_SANTE, "fr"), "fr")
    assert pdf.startswith(b"%PDF")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "Rançongiciel sur le PACS" in text and "CERT Santé" in text
