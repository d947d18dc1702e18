"""The side-by-side table of a group's view, one row per figure, one column per establishment.

The page, the CSV export and the report all draw this one table, so that they cannot disagree.
Scores get a heat class (five bands of 20 points) and, against the group's median, a difference.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from enum import StrEnum

from hygie.core.csvtext import neutralise
from hygie.core.i18n import N_, gettext
from hygie.group.schemas import EstablishmentColumn, GroupView
from hygie.reports.vocabulary import label


class Kind(StrEnum):
    SCORE = "score"  # 0 to 100, heat-coloured, benchmarked on the median
    COUNT = "count"
    PERCENT = "percent"
    EUROS = "euros"
    RATIO = "ratio"  # "3 / 5"


@dataclass(frozen=True)
class Cell:
    value: float | None
    total: int | None = None  # the "of" of a ratio
    difference: float | None = None  # scores: against the group's median

    @property
    def heat(self) -> str:
        """``heat-0`` (under 20) to ``heat-4`` (80 and over); ``heat-none`` when not measured."""
        if self.value is None:
            return "heat-none"
        return f"heat-{min(4, int(self.value // 20))}"


@dataclass(frozen=True)
class Row:
    key: str
    label: str
    kind: Kind
    cells: list[Cell]
    median: float | None = None  # scores only
    section: bool = False  # the first row of a new block (a rule above it)


def _score_rows(view: GroupView, lang: str) -> list[Row]:
    columns = view.establishments
    rows = [
        Row(
            "global_index",
            gettext("Global maturity index", lang),
            Kind.SCORE,
            [Cell(c.global_index, difference=c.global_difference) for c in columns],
            view.global_median,
        )
    ]
    for index, reference in enumerate(view.medians):
        rows.append(
            Row(
                f"dimension:{reference.dimension.value}",
                label(reference.dimension, lang),
                Kind.SCORE,
                [Cell(c.dimensions[index].score, difference=c.dimensions[index].difference) for c in columns],
                reference.median,
            )
        )
    return rows


HEADLINES: list[tuple[str, str, Kind]] = [
    ("vulnerabilities_act", N_("Vulnerabilities to fix now (SSVC act)"), Kind.COUNT),
    ("network_violations", N_("Flows the segmentation policy forbids"), Kind.COUNT),
    ("network_exposures", N_("Services exposed to the internet"), Kind.COUNT),
    ("services_within_rto", N_("Care services restored within their RTO"), Kind.RATIO),
    ("open_alerts", N_("Open detection alerts"), Kind.COUNT),
    ("open_incidents", N_("Open incidents"), Kind.COUNT),
    ("phishing_click_rate", N_("Phishing click rate (latest campaign)"), Kind.PERCENT),
]


def _headline_cell(column: EstablishmentColumn, key: str) -> Cell:
    headline = column.headline
    if key == "services_within_rto":
        return Cell(headline.services_within_rto, total=headline.care_services)
    value = getattr(headline, key)
    return Cell(None if value is None else float(value))


def _plan_rows(view: GroupView, lang: str) -> list[Row]:
    columns = view.establishments
    return [
        Row(
            "security_budget",
            gettext("Security budget per year", lang),
            Kind.EUROS,
            [Cell(None if c.security_budget is None else float(c.security_budget)) for c in columns],
            section=True,
        ),
        Row(
            "plan_cost",
            gettext("Cost of the adopted plan", lang),
            Kind.EUROS,
            [Cell(c.plan.cost) for c in columns],
        ),
        Row(
            "plan_remaining",
            gettext("Still to spend", lang),
            Kind.EUROS,
            [Cell(c.plan.remaining_cost) for c in columns],
        ),
        Row(
            "index_after",
            gettext("Index once the plan is done", lang),
            Kind.SCORE,
            [Cell(c.plan.index_after) for c in columns],
        ),
    ]


def side_by_side(view: GroupView, lang: str) -> list[Row]:
    """Every row of the table, in the order shown."""
    headline_rows = [
        Row(
            key,
            gettext(message, lang),
            kind,
            [_headline_cell(c, key) for c in view.establishments],
            section=index == 0,
        )
        for index, (key, message, kind) in enumerate(HEADLINES)
    ]
    return [*_score_rows(view, lang), *headline_rows, *_plan_rows(view, lang)]


def _number(value: float, lang: str, digits: int = 1) -> str:
    """A number a spreadsheet of that language reads as one: no thousands separator, the decimal
    comma in French."""
    text = f"{value:.{digits}f}" if digits else str(round(value))
    return text.replace(".", ",") if lang == "fr" else text


def _csv_value(row: Row, cell: Cell, lang: str) -> str:
    if cell.value is None:
        return ""
    if row.kind == Kind.RATIO:
        return f"{round(cell.value)}/{cell.total}"
    if row.kind in {Kind.COUNT, Kind.EUROS}:
        return _number(cell.value, lang, 0)
    return _number(cell.value, lang)


def to_csv(view: GroupView, lang: str) -> str:
    """The table as CSV (``;``): one line per figure, one column per establishment, then the median;
    each score is followed by a line of the differences from the median. Every text a user typed
    (the names) is neutralised against spreadsheet formulas."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    median_word = gettext("Group median", lang)
    writer.writerow(
        [gettext("Figure", lang), *(neutralise(c.name) for c in view.establishments), median_word]
    )
    writer.writerow(["FINESS", *(neutralise(c.finess) for c in view.establishments), ""])
    difference_word = gettext("%(figure)s: difference from the median", lang)
    for row in side_by_side(view, lang):
        median = "" if row.median is None else _number(row.median, lang)
        writer.writerow([neutralise(row.label), *(_csv_value(row, c, lang) for c in row.cells), median])
        if row.median is not None or row.key == "global_index" or row.key.startswith("dimension:"):
            writer.writerow(
                [
                    neutralise(difference_word % {"figure": row.label}),
                    *("" if c.difference is None else _number(c.difference, lang) for c in row.cells),
                    "",
                ]
            )
    return out.getvalue()


__all__ = ["Cell", "Kind", "Row", "side_by_side", "to_csv"]
