from __future__ import annotations

import hashlib
import io
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hygie.assess import service
from hygie.assess.models import Answer, Evidence
from hygie.assess.schemas import AnswerIn, AnswerStatus, CampaignPath, CampaignStatus, EvidenceKind
from hygie.core.errors import NotFoundError, ValidationError
from hygie.frameworks.schema import Dimension
from tests.assess.builders import ALT, NA, UNKNOWN, answer, library, lvl
from tests.factories import make_establishment

LIB = library()


def _campaign(session: Session, path: CampaignPath = CampaignPath.FULL, on: date = date(2025, 3, 1)):  # type: ignore[no-untyped-def]
    establishment = make_establishment(session)
    return service.create_campaign(session, establishment.id, "Campagne 2025", on, path, library=LIB)


def test_record_answer_and_reopen_keeps_last_change(session: Session) -> None:
    campaign = _campaign(session)
    first = service.record_answer(session, campaign, "GOV-A", answer(2), "alice", library=LIB)
    stamp = first.answered_at
    assert stamp.tzinfo is not None and first.answered_by == "alice"
    # the same answer again changes nothing, not even who answered last
    same = service.record_answer(session, campaign, "GOV-A", answer(2), "bob", library=LIB)
    assert (same.answered_by, same.answered_at) == ("alice", stamp)
    changed = service.record_answer(
        session, campaign, "GOV-A", answer(4, comment="audit"), "bob", library=LIB
    )
    assert changed.id == first.id and (changed.level, changed.comment, changed.answered_by) == (
        4,
        "audit",
        "bob",
    )
    assert changed.answered_at >= stamp
    assert (
        session.scalar(select(func.count()).select_from(Answer).where(Answer.campaign_id == campaign.id)) == 1
    )
    assert service.answers_of(campaign) == {"GOV-A": lvl(4)}


def test_justification_mandatory_and_unknown_control(session: Session) -> None:
    campaign = _campaign(session)
    with pytest.raises(ValidationError, match="justification is mandatory"):
        service.answer_in(AnswerStatus.ALTERNATIVE, justification="   ")
    with pytest.raises(ValidationError, match="justification is mandatory"):
        service.answer_in(AnswerStatus.NOT_APPLICABLE)
    # bypassing the model's validation does not get past the service
    bypass = AnswerIn.model_construct(status=AnswerStatus.NOT_APPLICABLE, level=None, justification=None)
    with pytest.raises(ValidationError, match="justification"):
        service.record_answer(session, campaign, "GOV-A", bypass, "alice", library=LIB)
    with pytest.raises(ValidationError, match="'GOV-NOPE'"):
        service.record_answer(session, campaign, "GOV-NOPE", answer(1), "alice", library=LIB)
    ok = service.answer_in(AnswerStatus.NOT_APPLICABLE, justification="no such system")
    saved = service.record_answer(session, campaign, "TEC-B", ok, "alice", library=LIB)
    assert saved.justification == "no such system"


def test_short_path_refuses_other_controls_and_next_unanswered(session: Session) -> None:
    campaign = _campaign(session, CampaignPath.SHORT)
    assert [c.id for c in service.path_controls(campaign, LIB)] == ["TEC-A", "GOV-A", "CON-A"]
    with pytest.raises(ValidationError, match="not in the short path"):
        service.record_answer(session, campaign, "GOV-B", answer(1), "alice", library=LIB)
    next_control = service.next_unanswered(campaign, LIB)
    assert next_control is not None and next_control.id == "TEC-A"
    service.record_answer(session, campaign, "TEC-A", answer(3), "alice", library=LIB)
    next_control = service.next_unanswered(campaign, LIB)
    assert next_control is not None and next_control.id == "GOV-A"
    service.record_answer(session, campaign, "GOV-A", answer(status=AnswerStatus.UNKNOWN), "a", library=LIB)
    service.record_answer(session, campaign, "CON-A", answer(1), "alice", library=LIB)
    assert service.next_unanswered(campaign, LIB) is None


def test_establishment_isolation(session: Session) -> None:
    campaign = _campaign(session)
    other = make_establishment(session)
    with pytest.raises(NotFoundError):
        service.get_campaign(session, other.id, campaign.id)
    assert service.get_campaign(session, campaign.establishment_id, campaign.id) is campaign
    assert service.list_campaigns(session, other.id) == []
    with pytest.raises(NotFoundError):
        service.latest_campaign(session, other.id)


def test_latest_previous_copy_and_score(session: Session) -> None:
    establishment = make_establishment(session)
    first = service.create_campaign(
        session, establishment.id, "2024", date(2024, 5, 1), CampaignPath.FULL, library=LIB
    )
    for control_id, value in {"GOV-A": answer(2), "TEC-A": answer(3), "CON-A": answer(1)}.items():
        service.record_answer(session, first, control_id, value, "alice", library=LIB)
    service.record_answer(
        session,
        first,
        "GOV-B",
        answer(status=AnswerStatus.ALTERNATIVE, justification="EDR"),
        "al",
        library=LIB,
    )
    service.close_campaign(session, first)
    assert first.status == CampaignStatus.CLOSED and first.closed_at is not None
    with pytest.raises(ValidationError, match="closed"):
        service.record_answer(session, first, "GOV-A", answer(5), "alice", library=LIB)

    second = service.create_campaign(
        session,
        establishment.id,
        "2025",
        date(2025, 5, 1),
        CampaignPath.SHORT,
        from_previous=True,
        library=LIB,
    )
    # only the controls of the short path are copied, with who answered them
    assert service.answers_of(second) == {"GOV-A": lvl(2), "TEC-A": lvl(3), "CON-A": lvl(1)}
    assert {a.answered_by for a in second.answers} == {"alice"}
    service.record_answer(session, second, "CON-A", answer(4), "bob", library=LIB)

    assert service.latest_campaign(session, establishment.id) is second
    assert service.latest_campaign(session, establishment.id, before=date(2025, 5, 1)) is first
    assert service.previous_campaign(session, second) is first
    assert [c.id for c in service.list_campaigns(session, establishment.id)] == [first.id, second.id]

    score = service.campaign_score(session, second, LIB)
    assert score.completion == 100.0 and score.in_scope == 3
    assert score.dimension(Dimension.CONTINUITY).score == pytest.approx(80.0)  # 2x4 / 2x5
    first_score = service.campaign_score(session, first, LIB)
    assert first_score.dimension(Dimension.GOVERNANCE).score == pytest.approx(100 * 8 / 15)  # alternative = 4
    diff = service.compare_campaigns(session, first, second, LIB)
    assert [(c.control_id, c.before, c.after) for c in diff.raised] == [("CON-A", 1, 4)]
    assert service.levels_of(second, LIB) == {"TEC-A": 3, "GOV-A": 2, "CON-A": 4}


def test_from_previous_without_previous(session: Session) -> None:
    establishment = make_establishment(session)
    with pytest.raises(ValidationError, match="no previous campaign"):
        service.create_campaign(
            session,
            establishment.id,
            "x",
            date(2025, 1, 1),
            CampaignPath.FULL,
            from_previous=True,
            library=LIB,
        )
    with pytest.raises(NotFoundError):
        service.create_campaign(session, 999_999, "x", date(2025, 1, 1), CampaignPath.FULL)


def test_evidence_file_stored_by_hash_and_link(session: Session, evidence_home: Path, tmp_path: Path) -> None:
    campaign = _campaign(session)
    saved = service.record_answer(session, campaign, "TEC-A", answer(3), "alice", library=LIB)
    content = b"%PDF-1.4 proof of backups\n"
    source = tmp_path / "rapport sauvegardes.pdf"
    source.write_bytes(content)
    evidence = service.attach_evidence_file(session, saved, source, "alice")
    digest = hashlib.sha256(content).hexdigest()
    stored = evidence_home / "evidence" / str(campaign.establishment_id) / digest
    assert stored.read_bytes() == content
    assert (evidence.kind, evidence.name, evidence.size, evidence.sha256) == (
        EvidenceKind.FILE,
        "rapport sauvegardes.pdf",
        len(content),
        digest,
    )
    assert (
        evidence.content_type == "application/pdf" and evidence.establishment_id == campaign.establishment_id
    )
    # the same content twice is stored once
    again = service.attach_evidence_file(session, saved, io.BytesIO(content), "bob", name="copie.pdf")
    assert again.sha256 == digest and len(list(stored.parent.iterdir())) == 1

    link = service.attach_evidence_link(session, saved, "https://intranet.example/pssi", "alice", name="PSSI")
    assert (link.kind, link.url, link.name) == (EvidenceKind.LINK, "https://intranet.example/pssi", "PSSI")
    assert [e.id for e in saved.evidence] == [evidence.id, again.id, link.id]
    for bad in ("javascript:alert(1)", "file:///etc/passwd", "ftp://x.example/a", "https://", "http://a b"):
        with pytest.raises(ValidationError, match="http"):
            service.attach_evidence_link(session, saved, bad, "alice")


def test_evidence_refuses_traversal_and_big_files(session: Session, evidence_home: Path) -> None:
    campaign = _campaign(session)
    saved = service.record_answer(session, campaign, "TEC-A", answer(3), "alice", library=LIB)
    for name in ("../../etc/passwd", "..", "a/b.pdf", "..\\win.ini", "x\x00.pdf"):
        with pytest.raises(ValidationError, match="refused"):
            service.attach_evidence_file(session, saved, io.BytesIO(b"x"), "alice", name=name)
    big = io.BytesIO(b"\0" * (service.MAX_EVIDENCE_BYTES + 1))
    with pytest.raises(ValidationError, match="20 MB"):
        service.attach_evidence_file(session, saved, big, "alice", name="big.bin")
    folder = evidence_home / "evidence" / str(campaign.establishment_id)
    assert list(folder.iterdir()) == []  # the partial upload was removed
    assert session.scalar(select(func.count()).select_from(Evidence)) == 0
    assert service.sanitise_file_name("  .rapport\x07 <final>.pdf") == "rapport_ _final_.pdf"


def test_answer_values_from_each_status(session: Session) -> None:
    campaign = _campaign(session)
    service.record_answer(
        session, campaign, "GOV-B", service.answer_in(AnswerStatus.ALTERNATIVE, None, "EDR"), "a", library=LIB
    )
    service.record_answer(
        session,
        campaign,
        "TEC-B",
        service.answer_in(AnswerStatus.NOT_APPLICABLE, None, "no"),
        "a",
        library=LIB,
    )
    service.record_answer(
        session, campaign, "AWA-A", service.answer_in(AnswerStatus.UNKNOWN), "a", library=LIB
    )
    assert service.answers_of(campaign) == {"GOV-B": ALT, "TEC-B": NA, "AWA-A": UNKNOWN}
    score = service.campaign_score(session, campaign, LIB)
    assert score.knowledge_gaps == ["AWA-A"] and score.completion == pytest.approx(100 * 3 / 8)


def _stored(home: Path, establishment_id: int, content: bytes) -> Path:
    return home / "evidence" / str(establishment_id) / hashlib.sha256(content).hexdigest()


def test_delete_evidence_removes_the_row_and_the_file_once_committed(
    session: Session, evidence_home: Path
) -> None:
    campaign = _campaign(session)
    saved = service.record_answer(session, campaign, "TEC-A", answer(3), "alice", library=LIB)
    mistake = b"%PDF-1.4 wrong document\n"
    evidence = service.attach_evidence_file(session, saved, io.BytesIO(mistake), "alice", name="erreur.pdf")
    link = service.attach_evidence_link(session, saved, "https://ged.example/pca", "alice")
    session.commit()
    stored = _stored(evidence_home, campaign.establishment_id, mistake)
    assert stored.is_file()

    removed, parent = service.delete_evidence(session, campaign, evidence.id)
    assert (removed.id, removed.name, parent.id) == (evidence.id, "erreur.pdf", saved.id)
    assert [e.id for e in saved.evidence] == [link.id]
    assert session.get(Evidence, evidence.id) is None
    assert stored.is_file()  # still there until the deletion is committed
    session.commit()
    assert not stored.exists()
    assert session.scalar(select(func.count()).select_from(Evidence)) == 1

    # A dead link goes the same way (no file involved).
    service.delete_evidence(session, campaign, link.id)
    session.commit()
    assert session.scalar(select(func.count()).select_from(Evidence)) == 0


def test_delete_evidence_keeps_a_file_another_row_names(session: Session, evidence_home: Path) -> None:
    campaign = _campaign(session)
    first = service.record_answer(session, campaign, "TEC-A", answer(3), "alice", library=LIB)
    second = service.record_answer(session, campaign, "GOV-A", answer(2), "alice", library=LIB)
    content = b"%PDF-1.4 rapport de sauvegarde\n"
    one = service.attach_evidence_file(session, first, io.BytesIO(content), "alice", name="a.pdf")
    two = service.attach_evidence_file(session, second, io.BytesIO(content), "bob", name="b.pdf")
    stored = _stored(evidence_home, campaign.establishment_id, content)

    service.delete_evidence(session, campaign, one.id)
    session.commit()
    assert stored.is_file()  # still named by the other answer's evidence
    service.delete_evidence(session, campaign, two.id)
    session.commit()
    assert not stored.exists()


def test_rolled_back_deletion_keeps_the_file(session: Session, evidence_home: Path) -> None:
    campaign = _campaign(session)
    saved = service.record_answer(session, campaign, "TEC-A", answer(3), "alice", library=LIB)
    content = b"%PDF-1.4 preuve\n"
    evidence = service.attach_evidence_file(session, saved, io.BytesIO(content), "alice", name="p.pdf")
    session.commit()
    stored = _stored(evidence_home, campaign.establishment_id, content)

    nested = session.begin_nested()
    service.delete_evidence(session, campaign, evidence.id)
    nested.rollback()
    session.commit()
    assert stored.is_file() and session.get(Evidence, evidence.id) is not None

    service.delete_evidence(session, campaign, evidence.id)
    session.rollback()
    session.commit()  # a later commit does not remove what a rolled back transaction released
    assert stored.is_file() and session.get(Evidence, evidence.id) is not None


def test_delete_evidence_refused_when_closed_and_scoped_to_the_campaign(
    session: Session, evidence_home: Path
) -> None:
    establishment = make_establishment(session)
    first = service.create_campaign(
        session, establishment.id, "2024", date(2024, 5, 1), CampaignPath.FULL, library=LIB
    )
    saved = service.record_answer(session, first, "TEC-A", answer(3), "alice", library=LIB)
    content = b"%PDF-1.4 copie\n"
    evidence = service.attach_evidence_file(session, saved, io.BytesIO(content), "alice", name="c.pdf")
    service.close_campaign(session, first)
    second = service.create_campaign(
        session,
        establishment.id,
        "2025",
        date(2025, 5, 1),
        CampaignPath.SHORT,
        from_previous=True,
        library=LIB,
    )
    [copied] = service.get_answer(session, second, "TEC-A").evidence
    assert copied.sha256 == evidence.sha256 and copied.id != evidence.id

    with pytest.raises(ValidationError, match="closed"):
        service.delete_evidence(session, first, evidence.id)
    # The evidence of one campaign is not found through another, nor through another establishment's.
    with pytest.raises(NotFoundError):
        service.delete_evidence(session, second, evidence.id)
    other = _campaign(session)
    with pytest.raises(NotFoundError):
        service.delete_evidence(session, other, copied.id)
    with pytest.raises(NotFoundError):
        service.delete_evidence(session, second, 999_999)

    # Removed from the new campaign, the file stays: the closed campaign's evidence still names it.
    service.delete_evidence(session, second, copied.id)
    session.commit()
    assert _stored(evidence_home, establishment.id, content).is_file()
    assert [e.id for e in service.get_answer(session, first, "TEC-A").evidence] == [evidence.id]
