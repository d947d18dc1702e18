from __future__ import annotations

import zipfile
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from hygie.assess import service, xlsx
from hygie.assess.models import Answer, Campaign
from hygie.assess.schemas import AnswerStatus, CampaignPath
from hygie.core.errors import ImportRejectedError
from tests.assess.builders import ANSWERS, answer, library
from tests.factories import make_establishment

LIB = library()
ROW = {c.id: i for i, c in enumerate(LIB.full_path(), start=2)}  # row of each control in the sheet


def _campaign(session: Session) -> Campaign:
    establishment = make_establishment(session)
    return service.create_campaign(
        session, establishment.id, "Campagne", date(2025, 3, 1), CampaignPath.FULL, library=LIB
    )


def _fill(path: Path, values: dict[str, tuple[object, object, object, object]]) -> None:
    """Writes (status, level, justification, comment) on the rows of the given controls."""
    workbook = openpyxl.load_workbook(path)
    sheet = workbook[xlsx.SHEET]
    for control_id, (status, level, justification, comment) in values.items():
        row = ROW[control_id]
        assert sheet[f"A{row}"].value == control_id
        sheet[f"E{row}"], sheet[f"F{row}"], sheet[f"G{row}"], sheet[f"H{row}"] = (
            status,
            level,
            justification,
            comment,
        )
    workbook.save(path)


def _stored(session: Session, campaign: Campaign) -> list[tuple[str, str, int | None, str | None]]:
    rows = session.execute(
        select(Answer.control_id, Answer.status, Answer.level, Answer.justification)
        .where(Answer.campaign_id == campaign.id)
        .order_by(Answer.control_id)
    )
    return [tuple(r) for r in rows]  # type: ignore[misc]


def test_export_layout(session: Session, tmp_path: Path) -> None:
    campaign = _campaign(session)
    service.record_answer(
        session, campaign, "GOV-A", answer(2, comment='=HYPERLINK("http://evil")'), "alice", library=LIB
    )
    path = xlsx.export_campaign(campaign, LIB, "fr", tmp_path / "q.xlsx")
    workbook = openpyxl.load_workbook(path)
    assert workbook.sheetnames == [xlsx.SHEET, xlsx.INSTRUCTIONS, xlsx.META]
    sheet = workbook[xlsx.SHEET]
    assert [c.value for c in sheet[1]] == [c[2] for c in xlsx.COLUMNS]
    row = ROW["GOV-A"]
    assert [sheet[f"{c}{row}"].value for c in "ABDEFI"] == ["GOV-A", "Gouvernance", 3, "niveau", 2, "alice"]
    assert sheet[f"C{row}"].value == "Question GOV-A? (fr)"
    # the comment is text, never a formula
    assert sheet[f"H{row}"].value == '\'=HYPERLINK("http://evil")' and sheet[f"H{row}"].data_type == "s"
    assert sheet.protection.sheet is True
    assert sheet[f"A{row}"].protection.locked and sheet[f"C{row}"].protection.locked
    assert not sheet[f"E{row}"].protection.locked and not sheet[f"G{row}"].protection.locked
    validations = {str(dv.sqref): dv for dv in sheet.data_validations.dataValidation}
    last = 1 + len(LIB.full_path())
    assert validations[f"E2:E{last}"].formula1 == '"niveau,mesure alternative,non applicable,je ne sais pas"'
    assert (validations[f"F2:F{last}"].formula1, validations[f"F2:F{last}"].formula2) == ("0", "5")
    meta = workbook[xlsx.META]
    assert meta.sheet_state == "hidden"
    establishment_finess = meta["B4"].value
    assert meta["B2"].value == str(campaign.id) and len(establishment_finess) == 9
    english = openpyxl.load_workbook(xlsx.export_campaign(campaign, LIB, "en", tmp_path / "en.xlsx"))
    assert english[xlsx.SHEET]["E1"].value == "Status" and "Scale" in english[xlsx.INSTRUCTIONS]["A7"].value


def test_neutralise() -> None:
    for text in ("=1+1", "+33", "-2", "@SUM(A1)", "\tx", "\rx"):
        assert xlsx.neutralise(text) == "'" + text
    assert xlsx.neutralise("ok = fine") == "ok = fine"


def test_round_trip_scores_match(session: Session, tmp_path: Path) -> None:
    campaign = _campaign(session)
    path = xlsx.export_campaign(campaign, LIB, "fr", tmp_path / "q.xlsx")
    _fill(
        path,
        {
            "GOV-A": ("niveau", 2, None, "-- revu en comité"),
            "GOV-B": ("mesure alternative", None, "EDR managé", None),
            "TEC-A": (None, 3, None, None),  # a level alone means status "level"
            "TEC-B": ("not applicable", None, "pas de Wi-Fi", None),  # English labels are read too
            "AWA-A": ("je ne sais pas", None, None, None),
            "AWA-B": ("level", "0", None, None),
            "CON-A": ("Niveau", 1.0, None, None),
        },
    )
    result = xlsx.import_campaign(session, campaign, LIB, path, "chef de service")
    assert (result.recorded, result.unchanged, result.blank) == (7, 0, 1)  # INC-A left blank
    assert service.answers_of(campaign) == ANSWERS
    gov_a = service.get_answer(session, campaign, "GOV-A")
    assert gov_a.comment == "-- revu en comité" and gov_a.answered_by == "chef de service"
    from hygie.assess import scoring

    expected = scoring.score(LIB, ANSWERS, list(LIB.controls))
    assert service.campaign_score(session, campaign, LIB) == expected
    # exported again and imported untouched: nothing changes, the neutralised comment comes back as it was
    again = xlsx.export_campaign(campaign, LIB, "en", tmp_path / "again.xlsx")
    result = xlsx.import_campaign(session, campaign, LIB, again, "someone else")
    assert (result.recorded, result.unchanged) == (0, 7)
    assert service.get_answer(session, campaign, "GOV-A").answered_by == "chef de service"


def test_bad_sheet_lists_every_problem_and_imports_nothing(session: Session, tmp_path: Path) -> None:
    campaign = _campaign(session)
    service.record_answer(session, campaign, "GOV-A", answer(1), "alice", library=LIB)
    before = _stored(session, campaign)
    path = xlsx.export_campaign(campaign, LIB, "fr", tmp_path / "q.xlsx")
    _fill(
        path,
        {
            "GOV-A": ("niveau", 4, None, None),  # valid, but must not land
            "GOV-B": ("mesure alternative", None, None, None),  # no justification
            "TEC-A": ("niveau", 7, None, None),  # level out of range
            "TEC-B": ("non applicable", None, "  ", None),  # blank justification
            "AWA-A": ("peut-être", None, None, None),  # unknown status
            "AWA-B": ("je ne sais pas", 2, None, None),  # level with another status
            "CON-A": ("niveau", "=1+2", None, None),  # formula
        },
    )
    workbook = openpyxl.load_workbook(path)
    sheet = workbook[xlsx.SHEET]
    sheet.protection.sheet = False
    sheet[f"A{ROW['INC-A']}"] = "INC-ZZZ"  # unknown control
    sheet[f"E{ROW['INC-A']}"] = "niveau"
    sheet[f"F{ROW['INC-A']}"] = 1
    workbook.save(path)

    with pytest.raises(ImportRejectedError) as caught:
        xlsx.import_campaign(session, campaign, LIB, path, "bob")
    problems = {(p.sheet, p.cell, p.field) for p in caught.value.problems if isinstance(p, xlsx.CellError)}
    assert problems == {
        ("Questionnaire", f"G{ROW['GOV-B']}", "justification"),
        ("Questionnaire", f"F{ROW['TEC-A']}", "level"),
        ("Questionnaire", f"G{ROW['TEC-B']}", "justification"),
        ("Questionnaire", f"E{ROW['AWA-A']}", "status"),
        ("Questionnaire", f"F{ROW['AWA-B']}", "level"),
        ("Questionnaire", f"F{ROW['CON-A']}", "level"),
        ("Questionnaire", f"A{ROW['INC-A']}", "control_id"),
    }
    assert len(caught.value.problems) == 7
    message = str(caught.value)
    assert "q.xlsx" in message and f"Questionnaire!F{ROW['TEC-A']}" in message and "INC-ZZZ" in message
    assert _stored(session, campaign) == before


def test_wrong_campaign_or_establishment_refused(session: Session, tmp_path: Path) -> None:
    campaign = _campaign(session)
    other = service.create_campaign(
        session, campaign.establishment_id, "Autre", date(2025, 6, 1), CampaignPath.FULL, library=LIB
    )
    path = xlsx.export_campaign(other, LIB, "fr", tmp_path / "other.xlsx")
    _fill(path, {"GOV-A": ("niveau", 3, None, None)})
    with pytest.raises(ImportRejectedError, match="not of campaign") as caught:
        xlsx.import_campaign(session, campaign, LIB, path, "bob")
    assert [p.cell for p in caught.value.problems if isinstance(p, xlsx.CellError)] == ["B2"]
    foreign = _campaign(session)  # another establishment
    workbook = openpyxl.load_workbook(path)
    workbook[xlsx.META]["B2"] = str(foreign.id)
    workbook.save(path)
    with pytest.raises(ImportRejectedError, match="FINESS"):
        xlsx.import_campaign(session, foreign, LIB, path, "bob")
    assert _stored(session, campaign) == [] and _stored(session, foreign) == []


def test_not_xlsx_and_too_big_refused(session: Session, tmp_path: Path) -> None:
    campaign = _campaign(session)
    csv = tmp_path / "answers.csv"
    csv.write_text("GOV-A;3\n", encoding="utf-8")
    with pytest.raises(ImportRejectedError, match=r"not an \.xlsx"):
        xlsx.import_campaign(session, campaign, LIB, csv, "bob")
    fake = tmp_path / "fake.xlsx"
    fake.write_text("not a zip", encoding="utf-8")
    with pytest.raises(ImportRejectedError, match="zip"):
        xlsx.import_campaign(session, campaign, LIB, fake, "bob")
    big = tmp_path / "big.xlsx"
    with big.open("wb") as handle:
        handle.truncate(xlsx.MAX_WORKBOOK_BYTES + 1)
    with pytest.raises(ImportRejectedError, match="20 MB"):
        xlsx.import_campaign(session, campaign, LIB, big, "bob")


BOMB = b"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>
<row r="2"><c r="H2" t="inlineStr"><is><t>&lol4;</t></is></c></row></sheetData></worksheet>"""


def _with_bomb(source: Path, target: Path) -> None:
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as bombed:
        for item in original.infolist():
            data = original.read(item.filename)
            bombed.writestr(item, BOMB if item.filename == "xl/worksheets/sheet1.xml" else data)


def test_xml_bomb_refused(session: Session, tmp_path: Path) -> None:
    campaign = _campaign(session)
    path = xlsx.export_campaign(campaign, LIB, "fr", tmp_path / "q.xlsx")
    bombed = tmp_path / "bomb.xlsx"
    _with_bomb(path, bombed)
    with pytest.raises(ImportRejectedError, match="unsafe XML"):
        xlsx.import_campaign(session, campaign, LIB, bombed, "bob")
    assert _stored(session, campaign) == []


def test_openpyxl_itself_parses_through_defusedxml(tmp_path: Path) -> None:
    """The second line of defence: openpyxl refuses the bomb too, because defusedxml is installed."""
    import defusedxml

    assert openpyxl.DEFUSEDXML is True
    workbook = openpyxl.Workbook()
    source = tmp_path / "plain.xlsx"
    workbook.save(source)
    bombed = tmp_path / "bomb.xlsx"
    _with_bomb(source, bombed)
    with pytest.raises(ValueError, match="Unable to read workbook") as caught:
        openpyxl.load_workbook(bombed)
    assert isinstance(caught.value.__cause__, defusedxml.DefusedXmlException)


def test_status_label_variants() -> None:
    assert xlsx._STATUS_BY_TEXT["je ne sais pas"] == AnswerStatus.UNKNOWN
    assert xlsx._STATUS_BY_TEXT["not_applicable"] == AnswerStatus.NOT_APPLICABLE
