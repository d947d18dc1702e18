"""The side-by-side table and its CSV, on a view written by hand (no database)."""

from __future__ import annotations

import csv
import io
from datetime import date

from hygie.frameworks.schema import Dimension
from hygie.group.schemas import (
    DimensionCell,
    DimensionMedian,
    EstablishmentColumn,
    EstablishmentPlan,
    GroupBudget,
    GroupView,
    Headline,
)
from hygie.group.table import Cell, side_by_side, to_csv


def _column(id_: int, name: str, scores: list[float | None], medians: list[float]) -> EstablishmentColumn:
    return EstablishmentColumn(
        id=id_,
        name=name,
        finess="=750000001",
        kind="ch",
        campaign="2026",
        assessed_on=date(2026, 3, 1),
        global_index=50.0,
        global_difference=-2.5,
        dimensions=[
            DimensionCell(dimension=d, score=s, difference=None if s is None else s - m)
            for d, s, m in zip(Dimension, scores, medians, strict=True)
        ],
        headline=Headline(
            vulnerabilities_act=3,
            network_violations=1,
            network_exposures=0,
            care_services=5,
            services_within_rto=2,
            open_alerts=4,
            open_incidents=1,
            phishing_click_rate=12.5,
        ),
        security_budget=None,
        it_budget=0,
        plan=EstablishmentPlan(
            actions=1,
            done=0,
            cost=1500,
            remaining_cost=1500,
            annual_cost=1500,
            index_before=50,
            index_after=55,
        ),
    )


def _view() -> GroupView:
    medians = [40.0, 50.0, 60.0, 70.0, 80.0]
    return GroupView(
        id=7,
        name="GHT",
        generated_on=date(2026, 6, 1),
        establishments=[
            _column(1, '=HYPERLINK("https://x.example","clic")', [20, 79.9, 80, None, 100], medians),
            _column(2, "+33 Clinique", [0, 50, 60, 70, 80], medians),
        ],
        medians=[
            DimensionMedian(dimension=d, median=m, measured=2)
            for d, m in zip(Dimension, medians, strict=True)
        ],
        global_median=52.5,
        shared_weaknesses=[],
        actions=[],
        budget=GroupBudget(
            security_budgets=0,
            unknown_budgets=[],
            plan_cost=3000,
            remaining_cost=3000,
            annual_plan_cost=3000,
            annual_share=None,
        ),
    )


def test_heat_bands() -> None:
    assert [Cell(v).heat for v in (0, 19.9, 20, 59.99, 60, 79.9, 80, 100, None)] == [
        "heat-0",
        "heat-0",
        "heat-1",
        "heat-2",
        "heat-3",
        "heat-3",
        "heat-4",
        "heat-4",
        "heat-none",
    ]


def test_rows_in_order() -> None:
    rows = side_by_side(_view(), "en")
    assert [r.key for r in rows[:6]] == ["global_index"] + [f"dimension:{d.value}" for d in Dimension]
    governance = rows[1]
    assert governance.label == "Governance" and governance.median == 40
    assert [c.difference for c in governance.cells] == [-20, -40]
    ratio = next(r for r in rows if r.key == "services_within_rto")
    assert (ratio.cells[0].value, ratio.cells[0].total) == (2, 5)


def test_the_csv_neutralises_names_and_writes_numbers_the_language_reads() -> None:
    text = to_csv(_view(), "fr")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0] == [
        "Indicateur",
        '\'=HYPERLINK("https://x.example","clic")',
        "'+33 Clinique",
        "Médiane du groupement",
    ]
    assert rows[1] == ["FINESS", "'=750000001", "'=750000001", ""]
    by_label = {row[0]: row[1:] for row in rows}
    assert by_label["Indice global de maturité"] == ["50,0", "50,0", "52,5"]
    assert by_label["Indice global de maturité : écart à la médiane"] == ["-2,5", "-2,5", ""]
    assert by_label["Continuité"] == ["", "70,0", "70,0"]
    assert by_label["Services de soins restaurés dans leur DMIA"] == ["2/5", "2/5", ""]
    assert by_label["Taux de clic à l'hameçonnage (dernière campagne)"] == ["12,5", "12,5", ""]
    assert by_label["Coût du plan adopté"] == ["1500", "1500", ""]
    english = {row[0]: row[1:] for row in csv.reader(io.StringIO(to_csv(_view(), "en")), delimiter=";")}
    assert english["Technical"] == ["79.9", "50.0", "50.0"]
