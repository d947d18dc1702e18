"""Readers of backup job reports: Hygie's CSV and Veeam's session export."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from hygie.continuity import jobreports
from hygie.continuity.models import JobReportFormat, JobResult
from hygie.core.errors import ImportRejectedError, ValidationError

VEEAM = (
    "#TYPE Veeam.Backup.Core.CBackupSession\n"
    '"JobName","JobType","CreationTime","EndTime","Result","State","Reason"\n'
    '"DPI - base","Backup","11/27/2026 9:00:05 PM","11/27/2026 10:12:44 PM","Success","Stopped",""\n'
    '"PACS","Backup","11/27/2026 11:00:00 PM","11/28/2026 1:00:00 AM","Failed","Stopped","Repository full"\n'
    '"Messagerie","Backup","11/28/2026 8:00:00 AM","1/1/1900 12:00:00 AM","None","Working",""\n'
)
HYGIE = (
    "Tâche;Début;Fin;Résultat;Message\n"
    "DPI - base;2026-11-27 21:00;2026-11-27 22:10;succès;\n"
    '=HYPERLINK("x");28/11/2026 02:00;;échec;Bande absente\n'
    "\n"
    "LIS;2026-11-28T03:00:00+00:00;;warning;\n"
)


def _write(tmp_path: Path, text: str, name: str = "jobs.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_veeam_sessions_are_read_with_their_us_times_and_the_running_one_skipped(tmp_path: Path) -> None:
    fmt, records, notes = jobreports.read_job_report(_write(tmp_path, VEEAM))
    assert fmt is JobReportFormat.VEEAM
    assert [(r.job_name, r.result) for r in records] == [
        ("DPI - base", JobResult.SUCCESS),
        ("PACS", JobResult.FAILED),
    ]
    # 9:00:05 PM in Paris on 27 November (UTC+1) is 20:00:05 UTC.
    assert records[0].started_at == datetime(2026, 11, 27, 20, 0, 5, tzinfo=UTC)
    assert records[0].ended_at == datetime(2026, 11, 27, 21, 12, 44, tzinfo=UTC)
    assert records[1].message == "Repository full"
    assert records[1].line == 4  # the #TYPE line counts
    assert notes == ["jobs.csv, line 5: session still running, skipped"]


def test_hygie_csv_in_french_with_iso_and_french_dates_and_a_formula_kept_as_text(tmp_path: Path) -> None:
    fmt, records, _notes = jobreports.read_job_report(_write(tmp_path, HYGIE))
    assert fmt is JobReportFormat.HYGIE
    assert [r.result for r in records] == [JobResult.SUCCESS, JobResult.FAILED, JobResult.WARNING]
    assert records[0].started_at == datetime(2026, 11, 27, 20, 0, tzinfo=UTC)
    assert records[1].job_name == '=HYPERLINK("x")'  # a name, never evaluated
    assert records[1].started_at == datetime(2026, 11, 28, 1, 0, tzinfo=UTC)
    assert records[1].ended_at is None
    assert records[2].started_at == datetime(2026, 11, 28, 3, 0, tzinfo=UTC)
    assert records[2].line == 5


def test_every_wrong_cell_is_named_by_file_line_and_column(tmp_path: Path) -> None:
    text = "job,started,result\nA,hier,succès\n,2026-11-27 21:00,ok\nC,2026-11-27 21:00,peut-être\n"
    with pytest.raises(ImportRejectedError) as caught:
        jobreports.read_job_report(_write(tmp_path, text, "mauvais.csv"))
    where = [(p.location.file, p.location.line, p.location.field) for p in caught.value.problems]
    assert where == [("mauvais.csv", 2, "started"), ("mauvais.csv", 3, "job"), ("mauvais.csv", 4, "result")]


def test_a_missing_column_a_non_utf8_file_and_a_file_over_the_limit_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ImportRejectedError, match="missing column 'result'"):
        jobreports.read_job_report(_write(tmp_path, "job;started\nA;2026-11-27 21:00\n"))
    latin = tmp_path / "latin.csv"
    latin.write_bytes("job;started;result\nSauvegarde é;2026-11-27 21:00;ok\n".encode("latin-1"))
    with pytest.raises(ImportRejectedError, match="not UTF-8"):
        jobreports.read_job_report(latin)
    with pytest.raises(ImportRejectedError, match="over the limit"):
        jobreports.read_job_report(_write(tmp_path, HYGIE), max_bytes=20)


@pytest.mark.parametrize("zone", ["Europe", "localtime", "Mars/Olympus", "../../etc/passwd"])
def test_an_unknown_time_zone_is_refused_by_name(tmp_path: Path, zone: str) -> None:
    report = tmp_path / "jobs.csv"
    report.write_text("job,start,end,result\n", encoding="utf-8")
    with pytest.raises(ValidationError, match=r"timezone: unknown zone .*IANA"):
        jobreports.read_job_report(report, timezone=zone)
