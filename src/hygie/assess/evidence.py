"""Levels measured from evidence, shown beside the declared answers (never replacing them).

A domain that holds facts about some controls (backups, exercises, phishing results…) registers a
*provider*: a function ``(session, establishment_id, on) -> list[MeasuredLevel]``. Each measured
level says, in French and English, why it is what it is. A provider with no data for a control
returns nothing for it: a missing fact is never a measured 0.

The maturity index is not computed from these levels (one index everywhere): they are listed next
to the declared level, and where the declaration is at least ``GAP`` levels above the measure the
gap becomes a finding of the plan (source ``evidence``, key ``evidence:<control>``).

``refresh`` stores the gaps for given declared levels (``hygie assess score --evidence``);
``refresh_latest`` takes them from the latest campaign, with the plan's actions done since, and is
what the pages, the API and the demo call whenever continuity or awareness facts change.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from hygie.assess import scoring
from hygie.assess import service as assess_service
from hygie.core.errors import NotFoundError
from hygie.core.time import today
from hygie.frameworks.loader import Library
from hygie.frameworks.schema import Text
from hygie.plan import service as plan_service
from hygie.plan.models import Finding, FindingSource
from hygie.plan.schemas import FindingIn

GAP = 2  # declared ≥ measured + GAP: the declaration is not borne out by the data
# Modules whose import registers a provider (kept here so that the registry is complete wherever
# it is read, without the assessment importing the domains' services).
PROVIDER_MODULES = ("hygie.continuity.evidence", "hygie.awareness.evidence")


@dataclass(frozen=True)
class MeasuredLevel:
    control_id: str
    level: int  # 0–5
    basis: Text  # why, in words
    source: str  # the domain the facts come from
    measured_at: date  # the date of the facts

    def __post_init__(self) -> None:
        if not 0 <= self.level <= 5:
            raise ValueError(f"measured level out of 0–5: {self.level}")


Provider = Callable[[Session, int, date], list[MeasuredLevel]]
_PROVIDERS: dict[str, Provider] = {}


def register(source: str, provider: Provider) -> Provider:
    """Adds (or replaces) the provider of a domain."""
    _PROVIDERS[source] = provider
    return provider


def providers() -> dict[str, Provider]:
    for module in PROVIDER_MODULES:
        importlib.import_module(module)
    return dict(_PROVIDERS)


def share_level(done: int, total: int) -> int:
    """A share of things done as a level: all 5, ≥ 90 % 4, ≥ 75 % 3, ≥ 50 % 2, some 1, none 0."""
    if total <= 0:
        raise ValueError("no share of nothing")
    share = done / total
    if share >= 1:
        return 5
    for level, threshold in ((4, 0.9), (3, 0.75), (2, 0.5)):
        if share >= threshold:
            return level
    return 1 if done > 0 else 0


SHARE_RULE = Text(
    fr="Part atteinte → niveau : 100 % → 5, ≥ 90 % → 4, ≥ 75 % → 3, ≥ 50 % → 2, moins → 1, aucune → 0.",
    en="Share reached → level: 100% → 5, ≥ 90% → 4, ≥ 75% → 3, ≥ 50% → 2, less → 1, none → 0.",
)


def measured_levels(
    session: Session, establishment_id: int, on: date | None = None
) -> dict[str, MeasuredLevel]:
    """Every control some provider can measure, as of ``on`` (today by default)."""
    day = on or today()
    result: dict[str, MeasuredLevel] = {}
    for source in sorted(providers()):
        for measured in _PROVIDERS[source](session, establishment_id, day):
            result[measured.control_id] = measured
    return result


@dataclass(frozen=True)
class EvidenceRow:
    control_id: str
    declared: int | None  # None: not answered, not applicable or unknown
    measured: MeasuredLevel

    @property
    def gap(self) -> bool:
        return self.declared is not None and self.declared >= self.measured.level + GAP


def compare(declared: Mapping[str, int | None], measured: Mapping[str, MeasuredLevel]) -> list[EvidenceRow]:
    """Declared against measured, for each measured control, by control id."""
    return [EvidenceRow(cid, declared.get(cid), measured[cid]) for cid in sorted(measured)]


def gap_findings(library: Library, rows: Sequence[EvidenceRow]) -> list[FindingIn]:
    """One finding per control whose declaration outruns its evidence by ``GAP`` levels or more."""
    found = []
    for row in rows:
        if not row.gap or row.declared is None:
            continue
        control = library.controls.get(row.control_id)
        weight = control.weight if control is not None else 1
        found.append(
            FindingIn(
                key=f"evidence:{row.control_id}",
                title=(
                    f"{row.control_id} : niveau déclaré {row.declared}, mesuré {row.measured.level} "
                    f"— {row.measured.basis.fr}"
                )[:500],
                severity=plan_service.severity_of(row.declared - row.measured.level, weight),
                control_ids=[row.control_id],
                evidence={
                    "declared": row.declared,
                    "measured": row.measured.level,
                    "basis_fr": row.measured.basis.fr,
                    "basis_en": row.measured.basis.en,
                    "source": row.measured.source,
                    "measured_at": row.measured.measured_at.isoformat(),
                },
            )
        )
    return found


def refresh_findings(
    session: Session,
    establishment_id: int,
    library: Library,
    declared: Mapping[str, int | None],
    on: date | None = None,
) -> list[Finding]:
    """Stores today's gaps between declared and measured levels (the closed ones are resolved)."""
    rows = compare(declared, measured_levels(session, establishment_id, on))
    return plan_service.upsert_findings(
        session, establishment_id, FindingSource.EVIDENCE, gap_findings(library, rows)
    )


def refresh(
    session: Session,
    establishment_id: int,
    library: Library,
    declared: Mapping[str, int | None],
    on: date | None = None,
) -> list[EvidenceRow]:
    """Like ``refresh_findings``, giving back the rows compared (declared, measured, gap)."""
    rows = compare(declared, measured_levels(session, establishment_id, on))
    plan_service.upsert_findings(
        session, establishment_id, FindingSource.EVIDENCE, gap_findings(library, rows)
    )
    return rows


def declared_levels(session: Session, establishment_id: int, library: Library) -> dict[str, int | None]:
    """The scored levels of the latest campaign with the plan's actions done since (the levels every
    screen shows); no campaign yet: nothing declared."""
    try:
        current = plan_service.current_maturity(session, establishment_id, library)
    except NotFoundError:
        return {}
    scope = assess_service.scope_of(current.campaign, library)
    return dict(scoring.scored_levels(library, current.answers, scope))


def refresh_latest(
    session: Session, establishment_id: int, library: Library, on: date | None = None
) -> list[EvidenceRow]:
    """The evidence gaps brought up to date after a change of the facts (or of the answers)."""
    return refresh(
        session, establishment_id, library, declared_levels(session, establishment_id, library), on
    )
