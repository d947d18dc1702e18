"""Levels measured from evidence, shown beside the declared answers; the plan works from them.

A domain that holds facts about some controls registers a *provider*: a function
``(session, establishment_id, on) -> list[Reading]`` giving named metrics (a value, the date of the
facts, the figure in words, the evidence items). The control catalogue (``controls.yaml``) says which
control a metric measures and how: each ``evidence:`` block names the metric, the thresholds that map
it to a level 0–5, how long the evidence stays fresh and what staleness costs (``evidence_rules``).
A provider with no data returns nothing: a missing fact is never a measured 0.

Adding a measure (e.g. detection coverage for INC-DETECT): declare the metric under ``metrics:`` in
``controls.yaml``, add an ``evidence:`` block to the control, write ``hygie/<domain>/evidence.py``
with a ``measure(session, establishment_id, on) -> list[Reading]`` that calls only its domain's
service and ends with ``register("<domain>", measure)``, and list the module in ``PROVIDER_MODULES``.
A metric's id starts with its provider's source (``detect.coverage_share`` for ``detect``): a page
that shows one control asks only the provider it needs.

Declared and measured: ``effective_levels`` gives the declared level of every scored control with
the measured level in its place wherever evidence measures it; the action plan puts the measured
levels in place the same way (``plan.service.plan_inputs`` and ``refresh_assessment_findings``,
through ``plan.service.measured_levels`` and ``with_measured``). The declared maturity index stays
as it is, the measured one is given beside it (``scoring.measured_score``). Where the declaration
is at least ``GAP`` levels above the measure the gap is also a finding of the plan (source
``evidence``, key ``evidence:<control>``) that says why.

A request asks for the measured levels several times: each provider's readings are kept for the
rest of the session's transaction while nothing they read changes (``evidence_cache`` says when
they are read again). A provider therefore only reads, and a new one that reads a table listed in
``evidence_cache.UNREAD_TABLES`` (the assessment, the plan's findings…) takes it off that list.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from hygie.assess import evidence_cache, scoring
from hygie.assess import service as assess_service
from hygie.assess.evidence_rules import MeasuredLevel, Reading, apply
from hygie.assess.models import Campaign
from hygie.assess.schemas import EvidenceReport, MeasuredOut, MeasuredScore
from hygie.core.errors import NotFoundError
from hygie.core.i18n import N_
from hygie.core.time import today
from hygie.frameworks.loader import Library
from hygie.plan import service as plan_service
from hygie.plan.models import Finding, FindingSource
from hygie.plan.schemas import FindingIn

# What each provider's facts are, for a reader (translated on the pages).
SOURCE_LABELS = {
    "vulns": N_("vulnerability audit"),
    "network": N_("network analysis"),
    "continuity": N_("continuity facts"),
    "awareness": N_("phishing and training results"),
    "detect": N_("detection coverage"),
}
GAP = 2  # declared ≥ measured + GAP: the declaration is not borne out by the data
# Modules whose import registers a provider (kept here so that the registry is complete wherever
# it is read, without the assessment importing the domains' services).
PROVIDER_MODULES = (
    "hygie.continuity.evidence",
    "hygie.awareness.evidence",
    "hygie.vulns.evidence",
    "hygie.detect.evidence",
    "hygie.network.evidence",
)

Provider = Callable[[Session, int, date], list[Reading]]
_PROVIDERS: dict[str, Provider] = {}


def register(source: str, provider: Provider) -> Provider:
    """Adds (or replaces) the provider of a domain."""
    _PROVIDERS[source] = provider
    return provider


def providers() -> dict[str, Provider]:
    for module in PROVIDER_MODULES:
        importlib.import_module(module)
    return dict(_PROVIDERS)


def _library() -> Library:
    from hygie.frameworks.service import get_library  # the user's library folder, from the settings

    return get_library()


def readings(
    session: Session, establishment_id: int, on: date | None = None, sources: Collection[str] | None = None
) -> dict[str, tuple[str, Reading]]:
    """Every metric the providers (of ``sources``, default all) read as of ``on``, with the source.

    Read once per transaction while nothing they read changes (``evidence_cache``)."""
    day = on or today()
    found: dict[str, tuple[str, Reading]] = {}
    for source, provider in sorted(providers().items()):
        if sources is not None and source not in sources:
            continue
        for reading in evidence_cache.readings_of(session, source, provider, establishment_id, day):
            found[reading.metric] = (source, reading)
    return found


def measured_levels(
    session: Session,
    establishment_id: int,
    on: date | None = None,
    library: Library | None = None,
    controls: Collection[str] | None = None,
) -> dict[str, MeasuredLevel]:
    """Every control (of ``controls``, default all) the evidence measures, by the catalogue's rules,
    as of ``on`` (today by default). Only the providers whose metrics the rules read are asked (a
    metric's id starts with its provider's source)."""
    day = on or today()
    library = library or _library()
    wanted = library.controls if controls is None else [c for c in controls if c in library.controls]
    rules = {c: rule for c in sorted(wanted) if (rule := library.controls[c].evidence) is not None}
    if not rules:
        return {}
    sources = {name.split(".", 1)[0] for rule in rules.values() for name in rule.metrics()}
    read = readings(session, establishment_id, day, sources)
    values = {name: reading for name, (_source, reading) in read.items()}
    result: dict[str, MeasuredLevel] = {}
    for control_id, rule in rules.items():
        if rule.metric not in read:
            continue
        measured = apply(control_id, rule, values, library.metrics, read[rule.metric][0], day)
        if measured is not None:
            result[control_id] = measured
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


def row_out(row: EvidenceRow, library: Library | None = None) -> MeasuredOut:
    """One control, declared and measured, as the CLI and the API give it."""
    measured = row.measured
    control = library.controls.get(row.control_id) if library is not None else None
    return MeasuredOut(
        control_id=row.control_id,
        title=control.title if control is not None else None,
        declared=row.declared,
        measured=measured.level,
        gap=row.gap,
        rule_level=measured.rule_level,
        metric=measured.metric or None,
        value=measured.value,
        basis=measured.basis,
        rule=measured.rule,
        items=list(measured.items),
        source=measured.source,
        measured_at=measured.measured_at,
        stale=measured.stale,
    )


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
    rows = compare(declared, measured_levels(session, establishment_id, on, library))
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
    rows = compare(declared, measured_levels(session, establishment_id, on, library))
    plan_service.upsert_findings(
        session, establishment_id, FindingSource.EVIDENCE, gap_findings(library, rows)
    )
    return rows


def effective_levels(
    session: Session, establishment_id: int, library: Library, on: date | None = None
) -> dict[str, int | None]:
    """The declared levels (latest campaign's scored controls, actions done since), with the measured
    level in place wherever evidence measures the control: the levels the plan works from."""
    declared = declared_levels(session, establishment_id, library)
    measured = measured_levels(session, establishment_id, on, library)
    return plan_service.with_measured(declared, {c: m.level for c, m in measured.items()})


def measured_score(
    session: Session, establishment_id: int, library: Library, on: date | None = None
) -> MeasuredScore | None:
    """The maturity index with the measured levels in place (beside the declared one); None without
    a campaign."""
    try:
        current = plan_service.current_maturity(session, establishment_id, library)
    except NotFoundError:
        return None
    scope = assess_service.scope_of(current.campaign, library)
    measured = measured_levels(session, establishment_id, on, library)
    return scoring.measured_score(library, current.levels, {c: m.level for c, m in measured.items()}, scope)


def side_by_side(
    session: Session,
    establishment_id: int,
    library: Library,
    campaign: Campaign | None = None,
    on: date | None = None,
) -> EvidenceReport:
    """Declared against measured, without writing anything: the latest (or given) campaign with the
    plan's actions done since, the indices both ways and every control the evidence measures."""
    measured = measured_levels(session, establishment_id, on, library)
    levels: dict[str, int] = {}
    scope: list[str] = []
    declared_index = None
    campaign_id = None
    try:
        current = plan_service.current_maturity(session, establishment_id, library, campaign)
    except NotFoundError:
        pass
    else:
        campaign_id = current.campaign.id
        scope = assess_service.scope_of(current.campaign, library)
        levels = current.levels
        declared_index = scoring.score(library, current.answers, scope).global_index
    both = scoring.measured_score(library, levels, {c: m.level for c, m in measured.items()}, scope)
    rows = compare(dict(levels), measured)
    return EvidenceReport(
        campaign_id=campaign_id,
        declared_index=declared_index,
        measured_index=both.global_index if campaign_id is not None else None,
        measured_dimensions=both.dimensions,
        controls=[row_out(r, library) for r in rows],
    )


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
