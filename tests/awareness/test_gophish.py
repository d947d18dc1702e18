"""GoPhish's two CSV exports, with their real columns, counted per department."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from hygie.awareness.gophish import (
    count_by_department,
    parse_csv,
    parse_events_csv,
    parse_results_csv,
    parse_time,
    read_mapping,
)
from hygie.awareness.models import UNKNOWN_DEPARTMENT
from hygie.awareness.rates import Counts
from hygie.core.errors import ContentError, ImportRejectedError
from hygie.core.files import check_size

HEADER = (
    "id,status,ip,latitude,longitude,send_date,reported,modified_date,email,first_name,last_name,position"
)
RESULTS = (
    "\ufeff"
    + HEADER
    + """
r1,Email Sent,,0,0,2026-03-10T08:00:01.123456789Z,false,2026-03-10T08:00:01Z,ana@ch.fr,Ana,A,Urgences
r2,Email Opened,10.0.0.2,0,0,2026-03-10T08:00:02Z,false,2026-03-10T09:00:00Z,bob@ch.fr,Bob,B,Urgences
r3,Clicked Link,10.0.0.3,0,0,2026-03-10T08:00:03Z,true,2026-03-10T09:10:00Z,cyd@ch.fr,Cyd,C,Urgences
r4,Submitted Data,10.0.0.4,0,0,2026-03-11T08:00:04Z,false,2026-03-11T09:20:00Z,dan@ch.fr,Dan,D,Urgences
r5,Email Sent,,0,0,2026-03-10T08:00:05+01:00,true,2026-03-10T10:00:00Z,eve@ch.fr,Eve,E,Réanimation
r6,Error Sending Email,,0,0,0001-01-01T00:00:00Z,false,0001-01-01T00:00:00Z,fay@ch.fr,Fay,F,'@Pharmacie
r7,Email Sent,,0,0,2026-03-10T08:00:07Z,false,2026-03-10T08:00:07Z,gus@ch.fr,Gus,G,
"""
)

EVENTS = """campaign_id,email,time,message,details
7,,2026-03-09T17:00:00Z,Campaign Created,
7,ana@ch.fr,2026-03-10T08:00:00Z,Email Sent,
7,bob@ch.fr,2026-03-10T08:00:00Z,Email Sent,
7,bob@ch.fr,2026-03-10T09:00:00.5Z,Clicked Link,"{""payload"":{""rid"":[""x""]},""browser"":{}}"
7,ana@ch.fr,2026-03-10T09:30:00Z,Email Reported,"{}"
7,BOB@ch.fr,2026-03-11T09:00:00Z,Email Opened,
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_results_export_counts_per_position(tmp_path: Path) -> None:
    parsed = parse_results_csv(write(tmp_path, "Simulation mars - Results.csv", RESULTS))
    assert parsed.launched_on == date(2026, 3, 10)
    counts = count_by_department(parsed.recipients, {})
    assert counts == {
        UNKNOWN_DEPARTMENT: Counts(1, 1, 0, 0, 0, 0),
        "@Pharmacie": Counts(1, 0, 0, 0, 0, 0),  # GoPhish's formula escape taken off; not sent
        "Réanimation": Counts(1, 1, 0, 0, 0, 1),
        "Urgences": Counts(recipients=4, sent=4, opened=3, clicked=2, submitted=1, reported=1),
    }


def test_mapping_by_address_then_position(tmp_path: Path) -> None:
    mapping = read_mapping(
        write(tmp_path, "services.csv", "match;department\nANA@ch.fr;Pédiatrie\nUrgences;SAU\n")
    )
    assert mapping == {"ana@ch.fr": "Pédiatrie", "urgences": "SAU"}
    parsed = parse_results_csv(write(tmp_path, "r.csv", RESULTS))
    counts = count_by_department(parsed.recipients, mapping)
    assert counts["Pédiatrie"] == Counts(1, 1, 0, 0, 0, 0)
    assert counts["SAU"] == Counts(3, 3, 3, 2, 1, 1)
    assert "Urgences" not in counts


def test_events_export_furthest_step_and_reports(tmp_path: Path) -> None:
    parsed = parse_events_csv(write(tmp_path, "Simulation - Events.csv", EVENTS))
    assert parsed.launched_on == date(2026, 3, 10)
    by_email = {r.email.casefold(): r for r in parsed.recipients}
    assert set(by_email) == {"ana@ch.fr", "bob@ch.fr"}
    assert (by_email["ana@ch.fr"].step, by_email["ana@ch.fr"].reported) == (1, True)
    assert (by_email["bob@ch.fr"].step, by_email["bob@ch.fr"].reported) == (3, False)
    counts = count_by_department(parsed.recipients, {"ana@ch.fr": "Urgences", "bob@ch.fr": "Urgences"})
    assert counts == {"Urgences": Counts(2, 2, 1, 1, 0, 1)}
    # Without a mapping, the events export has no position: unknown department.
    assert list(count_by_department(parsed.recipients, {})) == [UNKNOWN_DEPARTMENT]


def test_either_export_told_apart_by_header(tmp_path: Path) -> None:
    assert len(parse_csv(write(tmp_path, "e.csv", EVENTS)).recipients) == 2
    assert len(parse_csv(write(tmp_path, "r.csv", RESULTS)).recipients) == 7


def test_unknown_status_and_bad_flag_are_located(tmp_path: Path) -> None:
    bad = RESULTS.replace("r2,Email Opened", "r2,Email Bounced").replace(
        ",true,2026-03-10T10", ",peut-être,2026-03-10T10"
    )
    with pytest.raises(ImportRejectedError) as caught:
        parse_results_csv(write(tmp_path, "bad.csv", bad))
    located = [(p.location.line, p.location.field) for p in caught.value.problems if p.location]
    assert located == [(3, "status"), (6, "reported")]
    assert "Email Bounced" in str(caught.value)


def test_not_a_gophish_export(tmp_path: Path) -> None:
    with pytest.raises(ContentError, match="no column status"):
        parse_results_csv(write(tmp_path, "x.csv", "id,email,name\n1,a@b.c,A\n"))


def test_size_limit_checked_before_reading(tmp_path: Path) -> None:
    path = write(tmp_path, "big.csv", RESULTS)
    with pytest.raises(ContentError, match="over the limit"):
        parse_results_csv(path, max_bytes=100)
    assert check_size(path) == path.stat().st_size


def test_gophish_times() -> None:
    assert parse_time("0001-01-01T00:00:00Z") is None
    assert parse_time("2026-03-10T08:00:01.123456789Z") == datetime.fromisoformat(
        "2026-03-10T08:00:01.123456+00:00"
    )
    stamp = parse_time("2026-03-10T08:00:05+01:00")
    assert stamp is not None and stamp.utcoffset() is not None and stamp.hour == 8


def test_export_saved_again_by_a_french_spreadsheet(tmp_path: Path) -> None:
    # Opened and saved in a French spreadsheet: ";" between the columns, no byte-order mark.
    text = (
        HEADER.replace(",", ";") + "\nr1;Clicked Link;;0;0;2026-03-10T08:00:00Z;TRUE;;a@ch.fr;A;A;Urgences\n"
    )
    parsed = parse_results_csv(write(tmp_path, "r.csv", text))
    assert count_by_department(parsed.recipients, {}) == {"Urgences": Counts(1, 1, 1, 1, 0, 1)}
