"""Detection coverage: which ATT&CK techniques of the ransomware chains that hit hospitals the active rules
of an establishment can see, given the logs it actually sends.

A technique of the catalogue (:mod:`hygie.detect.attack_catalogue`) is

- **covered** when at least one active rule tagged with it (or with one of its sub-techniques) reads a log
  source the establishment sent events for in the last ``days`` days;
- **rule without logs** when such rules exist but none gets its logs: the sources to send are named;
- **no rule** when no active rule is tagged with it: the catalogue says which sources could show it.

Active rules: the installed Sigma rules that raise alerts (``emit``) and are not disabled by the
establishment's tuning (exclusion filters narrow a rule, they do not switch it off), the correlations not
disabled, and the statistical detectors. A detector counts through the ATT&CK techniques of its rule and
:data:`DETECTOR_FEEDS`, which mirrors the data its SQL reads (any one of them is enough). A correlation
needs the log sources of all its base rules.

Gaps become findings of the plan (source detection, key ``coverage:<technique>``), refreshed after
``hygie detect run`` and on demand (``hygie detect coverage``, the page's button); a gap closed since is
resolved by the same refresh.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum

import duckdb
from sqlalchemy.orm import Session

from hygie.continuity import service as continuity_service
from hygie.core.i18n import N_, gettext
from hygie.core.settings import Settings, get_settings
from hygie.core.time import today
from hygie.detect import detectors, service, tuning
from hygie.detect.attack_catalogue import (
    TACTICS,
    Catalogue,
    Importance,
    LogSource,
    Technique,
    shipped_catalogue,
)
from hygie.detect.detectors.base import Rule as DetectorRule
from hygie.detect.events import dataset_glob, has_events
from hygie.detect.models import TuningKind
from hygie.detect.sigma.compiler import CompiledRule, CompiledRules, compile_paths
from hygie.detect.sigma.logsources import SSHD, SYSMON, UnmappedLogSource, source_of
from hygie.detect.sigma.rules import installed_rule_dirs
from hygie.org import service as org_service
from hygie.plan.models import Severity
from hygie.plan.schemas import FindingIn

DEFAULT_DAYS = 30
"""A source counts as sent when it has events in the last 30 days before the day of the coverage."""


class Status(StrEnum):
    COVERED = "covered"
    NO_LOGS = "rule_without_logs"
    NO_RULE = "no_rule"


STATUS_LABELS = {
    Status.COVERED: N_("covered"),
    Status.NO_LOGS: N_("rule but no logs"),
    Status.NO_RULE: N_("no rule"),
}


class RuleKind(StrEnum):
    SIGMA = "sigma"
    CORRELATION = "correlation"
    DETECTOR = "detector"


@dataclass(frozen=True)
class Feed:
    """Events a rule reads: of these store sources, channels and event codes (empty: any), or the backup job
    reports imported into the continuity domain; ``label`` names it for whoever must send it."""

    label: str
    sources: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    codes: tuple[int, ...] = ()
    job_reports: bool = False

    @property
    def detail(self) -> str:
        """The channels and event codes, the way a Windows or syslog administrator configures them."""
        if self.job_reports:
            return ""
        channels = list(self.channels[:3]) + (["…"] if len(self.channels) > 3 else [])
        text = ", ".join(channels or self.sources)
        if self.codes:
            text += (" " if text else "") + "(" + ", ".join(str(c) for c in self.codes) + ")"
        return text


SECURITY = "Security"
MAIL_FEEDS = (Feed("postfix", sources=("postfix",)), Feed("m365", sources=("m365",)))
METRICS_FEED = Feed("metrics", sources=("metrics",))
JOB_REPORTS = Feed("backup", job_reports=True)
SSHD_FEED = Feed("linux/sshd", channels=SSHD)
LOGON_FEEDS = (Feed("windows/security", sources=("evtx", "ndjson"), codes=(4624,)), SSHD_FEED)
FILE_FEEDS = (
    Feed("windows/file_event", channels=(SYSMON,), codes=(11,)),
    Feed("windows/security", channels=(SECURITY,), codes=(4663,)),
)
DETECTOR_FEEDS: dict[str, tuple[Feed, ...]] = {
    "hygie-stat-mail-surge": MAIL_FEEDS,
    "hygie-stat-cpu": (METRICS_FEED,),
    "hygie-stat-first-logon": LOGON_FEEDS,
    "hygie-stat-offhours-admin": (Feed("windows/security", sources=("evtx", "ndjson"), codes=(4624, 4672)),),
    "hygie-stat-failed-logons": (
        Feed("windows/security", sources=("evtx", "ndjson"), codes=(4625, 4771)),
        SSHD_FEED,
    ),
    "hygie-stat-mass-file-writes": FILE_FEEDS,
    "hygie-stat-ransom-file-names": FILE_FEEDS,
    "hygie-stat-backup-failed": (JOB_REPORTS,),
    "hygie-stat-backup-missing": (JOB_REPORTS,),
}
"""What each statistical detector with ATT&CK techniques reads (the WHERE of its SQL): any one is enough."""

# Hygie's own products, beside Sigma's (read by its ingestion or the continuity domain).
_OWN_PRODUCTS: dict[str, Feed] = {
    "postfix": MAIL_FEEDS[0],
    "m365": MAIL_FEEDS[1],
    "metrics": METRICS_FEED,
    "backup": JOB_REPORTS,
}


def feed_of(source: LogSource) -> Feed | None:
    """The events a catalogue log source stands for; None when Hygie has no reader for it yet."""
    if source.product in _OWN_PRODUCTS and not (source.category or source.service):
        return _OWN_PRODUCTS[source.product]
    try:
        found = source_of(source.product, source.category, source.service)
    except UnmappedLogSource:
        return None
    if found is None:
        return None
    return Feed(source.label, channels=found.channels, codes=found.event_codes)


def rule_feed(rule: CompiledRule) -> Feed:
    """What a compiled Sigma rule reads, named by its Sigma log source."""
    label = "/".join(part for part in rule.logsource if part) or "/".join(rule.channels) or "*"
    sources = ("postfix",) if rule.logsource[:1] == ["postfix"] else ()
    return Feed(label, sources=sources, channels=tuple(rule.channels), codes=tuple(rule.event_codes))


@dataclass(frozen=True)
class Inventory:
    """What the establishment sent in the window: events per store source, channel and event code, and the
    backup job reports imported into the continuity domain."""

    rows: tuple[tuple[str, str | None, int | None, int], ...] = ()
    job_reports: int = 0

    @property
    def total(self) -> int:
        return sum(row[3] for row in self.rows)

    def events(self, feed: Feed) -> int:
        if feed.job_reports:
            return self.job_reports
        return sum(
            count
            for source, channel, code, count in self.rows
            if (not feed.sources or source in feed.sources)
            and (not feed.channels or channel in feed.channels)
            and (not feed.codes or code in feed.codes)
        )


def read_inventory(
    session: Session, settings: Settings, establishment_id: int, on: date, days: int = DEFAULT_DAYS
) -> Inventory:
    """Events per source, channel and event code from the day ``days - 1`` days before ``on`` to ``on``
    (the event store's day partitions), and the backup job reports started in the same days."""
    first = on - timedelta(days=days - 1)
    rows: list[tuple[str, str | None, int | None, int]] = []
    if has_events(settings, establishment_id):
        with duckdb.connect() as connection:
            found = connection.execute(
                "SELECT source, channel, event_code, count(*) FROM read_parquet(?, hive_partitioning = true) "
                "WHERE day BETWEEN ? AND ? GROUP BY ALL",
                [dataset_glob(settings, establishment_id), first, on],
            ).fetchall()
        rows = [(str(s), c, None if e is None else int(e), int(n)) for s, c, e, n in found]
    jobs = continuity_service.list_jobs(session, establishment_id, limit=100_000)
    reports = sum(1 for job in jobs if first <= job.started_at.date() <= on)
    return Inventory(tuple(rows), reports)


# --- Evaluation --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    """A rule that may show techniques: its tags and what it reads (all feeds, or any one of them)."""

    id: str
    title: str
    kind: RuleKind
    techniques: tuple[str, ...]
    feeds: tuple[Feed, ...]
    needs_all: bool = True


def candidates(rules: CompiledRules, detector_rules: Iterable[DetectorRule] | None = None) -> list[Candidate]:
    """Every rule that raises alerts: Sigma rules, correlations (the feeds of their base rules), and the
    statistical detectors that name ATT&CK techniques."""
    found: list[Candidate] = []
    by_id = {r.id: r for r in rules.rules}
    for rule in rules.rules:
        if rule.emit:
            techniques = tuple(service.attack_of(rule.tags)[0])
            found.append(Candidate(rule.id, rule.title, RuleKind.SIGMA, techniques, (rule_feed(rule),)))
    for correlation in rules.correlations:
        feeds = tuple(dict.fromkeys(rule_feed(by_id[i]) for i in correlation.rules if i in by_id))
        techniques = tuple(service.attack_of(correlation.tags)[0])
        found.append(Candidate(correlation.id, correlation.title, RuleKind.CORRELATION, techniques, feeds))
    for detector in detectors.RULES.values() if detector_rules is None else detector_rules:
        if detector.techniques:
            feeds = DETECTOR_FEEDS.get(detector.id, ())
            found.append(
                Candidate(
                    detector.id,
                    detector.title,
                    RuleKind.DETECTOR,
                    detector.techniques,
                    feeds,
                    needs_all=False,
                )
            )
    return found


@dataclass(frozen=True)
class FeedState:
    label: str
    detail: str
    events: int
    readable: bool = True  # False: Hygie has no reader for this source yet

    @property
    def sent(self) -> bool:
        return self.events > 0


@dataclass(frozen=True)
class RuleState:
    id: str
    title: str
    kind: RuleKind
    feeds: tuple[FeedState, ...]
    sent: bool  # the rule gets its logs
    needs_all: bool = True  # False: any one of its feeds is enough (the statistical detectors)

    def options(self) -> list[tuple[str, ...]]:
        """The ways to give the rule its logs: the sources not sent, all of them or any one."""
        missing = tuple(dict.fromkeys(f.label for f in self.feeds if not f.sent))
        if self.sent or not missing:
            return []
        return [missing] if self.needs_all else [(label,) for label in missing]


@dataclass(frozen=True)
class TechniqueCoverage:
    technique: Technique
    status: Status
    rules: tuple[RuleState, ...]  # the active rules tagged with it
    disabled: tuple[str, ...]  # rules tagged with it that the establishment's tuning disabled
    to_send: tuple[FeedState, ...]  # the sources to send (rules without logs, or no rule: the catalogue's)
    sources: tuple[FeedState, ...]  # the catalogue's log sources for it, with the events sent

    @property
    def id(self) -> str:
        return self.technique.id


def _state(candidate: Candidate, inventory: Inventory) -> RuleState:
    feeds = tuple(FeedState(f.label, f.detail, inventory.events(f)) for f in candidate.feeds)
    counted = [f.sent for f in feeds]
    sent = bool(counted) and (all(counted) if candidate.needs_all else any(counted))
    return RuleState(candidate.id, candidate.title, candidate.kind, feeds, sent, candidate.needs_all)


def _source_state(source: LogSource, inventory: Inventory) -> FeedState:
    feed = feed_of(source)
    if feed is None:
        return FeedState(source.label, "", 0, readable=False)
    return FeedState(source.label, feed.detail, inventory.events(feed))


def evaluate(
    catalogue: Catalogue,
    found: Sequence[Candidate],
    inventory: Inventory,
    disabled: Collection[str] = (),
) -> list[TechniqueCoverage]:
    """The status of every technique of the catalogue, in catalogue order."""
    result: list[TechniqueCoverage] = []
    for technique in catalogue.techniques:
        tagged = [c for c in found if any(technique.covered_by(t) for t in c.techniques)]
        active = [_state(c, inventory) for c in tagged if c.id not in disabled]
        sources = tuple(_source_state(s, inventory) for s in technique.log_sources)
        to_send: tuple[FeedState, ...] = ()
        if any(r.sent for r in active):
            status = Status.COVERED
        elif active:
            status = Status.NO_LOGS
            unsent = {(f.label, f.detail): f for r in active for f in r.feeds if not f.sent}
            to_send = tuple(unsent.values())
        else:
            status, to_send = Status.NO_RULE, tuple(s for s in sources if not s.sent)
        result.append(
            TechniqueCoverage(
                technique=technique,
                status=status,
                rules=tuple(active),
                disabled=tuple(dict.fromkeys(c.id for c in tagged if c.id in disabled)),
                to_send=to_send,
                sources=sources,
            )
        )
    return result


# --- Summary -----------------------------------------------------------------------------------------


def _share(items: Sequence[TechniqueCoverage]) -> float:
    total = sum(t.technique.weight for t in items)
    covered = sum(t.technique.weight for t in items if t.status == Status.COVERED)
    return covered / total if total else 0.0


def _counts(items: Sequence[TechniqueCoverage]) -> dict[str, int]:
    return {status.value: sum(1 for t in items if t.status == status) for status in Status}


@dataclass(frozen=True)
class TacticCoverage:
    tactic: str
    label: str  # English msgid
    techniques: tuple[TechniqueCoverage, ...]
    share: float
    counts: dict[str, int]


@dataclass(frozen=True)
class CoverageSummary:
    """The coverage of one establishment on a day: ``share`` is the share of the catalogue's techniques
    covered, weighted by importance (0 to 1); ``gaps`` the techniques not covered, most important first."""

    establishment_id: int
    on: date
    days: int
    share: float
    counts: dict[str, int]
    techniques: tuple[TechniqueCoverage, ...]
    tactics: tuple[TacticCoverage, ...]
    gaps: tuple[TechniqueCoverage, ...] = field(default=())
    events: int = 0  # events received in the window, every source: 0 means no log at all

    def technique(self, technique_id: str) -> TechniqueCoverage:
        return next(t for t in self.techniques if t.id == technique_id)


def summarise(
    establishment_id: int, on: date, days: int, techniques: Sequence[TechniqueCoverage], events: int = 0
) -> CoverageSummary:
    tactics = []
    for tactic, label in TACTICS.items():
        items = tuple(t for t in techniques if t.technique.tactic == tactic)
        if items:
            tactics.append(TacticCoverage(tactic, label, items, _share(items), _counts(items)))
    order = list(Importance)
    gaps = sorted(
        (t for t in techniques if t.status != Status.COVERED),
        key=lambda t: (order.index(t.technique.importance), t.status != Status.NO_LOGS, t.id),
    )
    return CoverageSummary(
        establishment_id=establishment_id,
        on=on,
        days=days,
        share=_share(techniques),
        counts=_counts(techniques),
        techniques=tuple(techniques),
        tactics=tuple(tactics),
        gaps=tuple(gaps),
        events=events,
    )


def installed_rules(settings: Settings) -> CompiledRules:
    """The installed rules, compiled without any establishment's filters (cached like ``hygie rules``):
    an exclusion narrows a rule, it does not take a technique away."""
    return compile_paths(installed_rule_dirs(), settings.home / "cache" / "sigma")


def disabled_rules(session: Session, establishment_id: int) -> set[str]:
    return {t.rule_id for t in tuning.list_tunings(session, establishment_id, TuningKind.DISABLE)}


def coverage_summary(
    session: Session,
    establishment_id: int,
    on: date | None = None,
    *,
    days: int = DEFAULT_DAYS,
    rules: CompiledRules | None = None,
    catalogue: Catalogue | None = None,
    settings: Settings | None = None,
) -> CoverageSummary:
    """The establishment's ATT&CK coverage on ``on`` (default today): its active rules (the installed
    ones unless ``rules`` is given, minus those its tuning disables, plus the statistical detectors) against
    the log sources it sent in the ``days`` days up to ``on``."""
    org_service.get_establishment(session, establishment_id)
    settings = settings or get_settings()
    on = on or today()
    rules = rules if rules is not None else installed_rules(settings)
    inventory = read_inventory(session, settings, establishment_id, on, days)
    techniques = evaluate(
        catalogue or shipped_catalogue(),
        candidates(rules),
        inventory,
        disabled_rules(session, establishment_id),
    )
    return summarise(establishment_id, on, days, techniques, inventory.total)


# --- Findings ----------------------------------------------------------------------------------------

FINDING_NO_RULE = N_("ATT&CK technique without detection rule: %(technique)s %(name)s")
FINDING_NO_LOGS = N_("ATT&CK technique whose rules get no logs: %(technique)s %(name)s (send %(sources)s)")
SEVERITIES = {
    Importance.CRITICAL: Severity.CRITICAL,
    Importance.HIGH: Severity.HIGH,
    Importance.MEDIUM: Severity.MEDIUM,
    Importance.LOW: Severity.LOW,
}
CONTROLS = {Status.NO_RULE: ["INC-DETECT"], Status.NO_LOGS: ["INC-DETECT", "TEC-LOGS"]}
"""The controls a gap bears on: detection, and logging when the logs are what is missing."""


def _title(gap: TechniqueCoverage, lang: str) -> str:
    names = {"technique": gap.id, "name": gap.technique.name.get(lang)}
    if gap.status == Status.NO_LOGS:
        names["sources"] = ", ".join(f.label for f in gap.to_send)
        return gettext(FINDING_NO_LOGS, lang) % names
    return gettext(FINDING_NO_RULE, lang) % names


def gap_findings(summary: CoverageSummary) -> list[FindingIn]:
    """One finding per technique not covered; its title in French (the plan's language), the English in
    the evidence with the rules and the sources to send."""
    return [
        FindingIn(
            key=f"{service.COVERAGE_PREFIX}{gap.id}",
            title=_title(gap, "fr")[:500],
            severity=SEVERITIES[gap.technique.importance],
            control_ids=list(CONTROLS[gap.status]),
            evidence={
                "technique": gap.id,
                "tactic": gap.technique.tactic,
                "status": gap.status.value,
                "importance": gap.technique.importance.value,
                "rules": [r.id for r in gap.rules],
                "disabled_rules": list(gap.disabled),
                "send": [f.label for f in gap.to_send],
                "title_en": _title(gap, "en")[:500],
            },
        )
        for gap in summary.gaps
    ]


def refresh(
    session: Session,
    establishment_id: int,
    on: date | None = None,
    *,
    days: int = DEFAULT_DAYS,
    rules: CompiledRules | None = None,
    catalogue: Catalogue | None = None,
    settings: Settings | None = None,
) -> CoverageSummary:
    """Compute the coverage and store its gaps as findings of the plan (closed gaps are resolved)."""
    summary = coverage_summary(
        session, establishment_id, on, days=days, rules=rules, catalogue=catalogue, settings=settings
    )
    service.refresh_findings(session, establishment_id, coverage=gap_findings(summary))
    return summary


ADVICE_SEND = N_("send %(sources)s")
ADVICE_RULE = N_("add or enable a rule reading %(sources)s (already sent)")
ADVICE_RULE_AND_SEND = N_("add a rule and send %(sources)s")
ADVICE_NO_READER = N_("add a rule; its sources (%(sources)s) have no reader in Hygie yet")


def advice(item: TechniqueCoverage, lang: str) -> str:
    """What closes the gap, in one sentence: the sources to send, or a rule to add (over the sources the
    establishment already sends when there are some)."""
    if item.status == Status.COVERED:
        return ""
    if item.status == Status.NO_LOGS:
        # Any rule given its logs covers the technique: the options are alternatives ("or"), a
        # correlation's sources all needed ("+").
        options = dict.fromkeys(" + ".join(o) for r in item.rules for o in r.options())
        either = f" {gettext('or', lang)} "
        return gettext(ADVICE_SEND, lang) % {"sources": either.join(options)}
    sent = [s.label for s in item.sources if s.sent]
    if sent:
        return gettext(ADVICE_RULE, lang) % {"sources": ", ".join(sent)}
    readable = [s.label for s in item.sources if s.readable]
    if readable:
        return gettext(ADVICE_RULE_AND_SEND, lang) % {"sources": ", ".join(readable)}
    names = ", ".join(s.label for s in item.sources)
    return gettext(ADVICE_NO_READER, lang) % {"sources": names}


def as_json(summary: CoverageSummary, lang: str = "fr") -> dict[str, object]:
    """The summary as plain data (the CLI's ``--json``, the API's shape)."""

    def feed(f: FeedState) -> dict[str, object]:
        return {"source": f.label, "detail": f.detail, "events": f.events, "readable": f.readable}

    def rule(r: RuleState) -> dict[str, object]:
        sources = [feed(f) for f in r.feeds]
        return {
            "id": r.id,
            "title": gettext(r.title, lang),
            "kind": r.kind.value,
            "sent": r.sent,
            "sources": sources,
        }

    def technique(t: TechniqueCoverage) -> dict[str, object]:
        return {
            "id": t.id,
            "name": t.technique.name.get(lang),
            "tactic": t.technique.tactic,
            "importance": t.technique.importance.value,
            "weight": t.technique.weight,
            "why": t.technique.why.get(lang),
            "status": t.status.value,
            "rules": [rule(r) for r in t.rules],
            "disabled_rules": list(t.disabled),
            "to_send": [feed(f) for f in t.to_send],
            "advice": advice(t, lang),
            "log_sources": [feed(f) for f in t.sources],
        }

    return {
        "establishment_id": summary.establishment_id,
        "on": summary.on.isoformat(),
        "days": summary.days,
        "share": round(summary.share, 4),
        "counts": summary.counts,
        "events": summary.events,
        "tactics": [
            {
                "id": tactic.tactic,
                "name": gettext(tactic.label, lang),
                "share": round(tactic.share, 4),
                "counts": tactic.counts,
                "techniques": [technique(t) for t in tactic.techniques],
            }
            for tactic in summary.tactics
        ],
        "gaps": [t.id for t in summary.gaps],
    }


def status_of(summary: CoverageSummary) -> dict[str, Status]:
    """Technique id → status, for a quick look (tests, scripts)."""
    return {t.id: t.status for t in summary.techniques}
