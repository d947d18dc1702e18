"""Drafts of the reports each clock asks for, written from the case's data, as text and as PDF.

A draft is a list of sections (heading, lines) built here in the reader's language; the text form joins
them, the PDF form renders them with the reports' stylesheet and base template (WeasyPrint, no network).
The draft says what is still missing: the security officer completes and checks it before sending it
through the authority's own channel (Hygie sends nothing).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from hygie.core.i18n import gettext, normalise_language, translations
from hygie.core.time import utcnow
from hygie.incidents.clocks import Clock
from hygie.incidents.models import Case, ClockKind
from hygie.incidents.views import label, local_text
from hygie.org.models import Establishment
from hygie.org.schemas import Nis2Status
from hygie.reports.environment import TEMPLATES_DIR as REPORT_TEMPLATES
from hygie.reports.environment import stylesheet

TEMPLATES = Path(__file__).resolve().parent / "templates"


@dataclass
class Section:
    heading: str
    lines: list[str] = field(default_factory=list)


@dataclass
class Draft:
    kind: ClockKind
    title: str
    authority: str
    basis: str
    deadline: str
    establishment: str
    incident: str
    generated: str
    sections: list[Section]
    missing: list[str]
    assumption: str


# Which parts each report carries, in order.
_PARTS: dict[ClockKind, tuple[str, ...]] = {
    ClockKind.NIS2_EARLY_WARNING: ("identity", "times", "description", "nature"),
    ClockKind.NIS2_NOTIFICATION: (
        "identity",
        "times",
        "description",
        "nature",
        "impact",
        "indicators",
        "measures",
    ),
    ClockKind.NIS2_INTERMEDIATE: ("identity", "times", "description", "impact", "measures", "timeline"),
    ClockKind.NIS2_FINAL: (
        "identity",
        "times",
        "description",
        "nature",
        "impact",
        "cause",
        "measures",
        "indicators",
        "timeline",
        "notifications",
    ),
    ClockKind.CERT_SANTE: (
        "identity",
        "times",
        "description",
        "nature",
        "impact",
        "data",
        "measures",
        "indicators",
        "notifications",
    ),
    ClockKind.CNIL: ("identity", "times", "description", "data", "impact", "measures", "notifications"),
    ClockKind.PATIENTS: ("letter",),
}


def _or_missing(text: str, lang: str) -> str:
    return text.strip() or gettext("[to be completed]", lang)


def _sections(
    case: Case, establishment: Establishment, nis2: Nis2Status, clock: Clock, lang: str
) -> list[Section]:
    def _(message: str, **values: object) -> str:  # the name Babel's extraction looks for
        return gettext(message, lang) % values if values else gettext(message, lang)

    services = ", ".join(label(s, lang) for s in case.care_services) or _("none recorded")
    parts: dict[str, Section] = {
        "identity": Section(
            _("Establishment"),
            [
                _("Name: %(name)s", name=establishment.name),
                _("FINESS: %(finess)s", finess=establishment.finess),
                _("NIS2 status: %(category)s", category=label(nis2.category, lang)),
                _("Incident recorded by: %(author)s", author=case.created_by),
            ],
        ),
        "times": Section(
            _("Times"),
            [
                _("Detected: %(at)s", at=local_text(case.detected_at, lang)),
                _("Started: %(at)s", at=local_text(case.started_at, lang)),
                _("Establishment aware: %(at)s", at=local_text(case.aware_at, lang)),
            ],
        ),
        "description": Section(
            _("Description"),
            [
                _("Title: %(title)s", title=case.title),
                _("Category: %(category)s", category=label(case.category, lang)),
                _("Severity: %(severity)s", severity=label(case.severity, lang)),
                _("Status: %(status)s", status=label(case.status, lang)),
                _or_missing(case.description, lang),
            ],
        ),
        "nature": Section(
            _("Nature of the incident"),
            [
                _("Suspected malicious: %(answer)s", answer=label(case.malicious, lang)),
                _("Cross-border impact: %(answer)s", answer=label(case.cross_border, lang)),
                _("Alerts linked: %(refs)s", refs=", ".join(case.alert_refs) or "—"),
            ],
        ),
        "impact": Section(
            _("Impact on care and operations"),
            [
                _("Care services affected: %(services)s", services=services),
                _("Assets affected: %(count)d", count=len(case.asset_ids)),
                _or_missing(case.care_impact, lang),
            ],
        ),
        "data": Section(
            _("Personal data"),
            [
                _("Patient or personal data concerned: %(answer)s", answer=label(case.patient_data, lang)),
                _(
                    "Approximate number of persons concerned: %(count)s",
                    count="—" if case.persons_affected is None else case.persons_affected,
                ),
                _("High risk to the persons: %(answer)s", answer=label(case.high_risk_to_persons, lang)),
            ],
        ),
        "measures": Section(_("Measures taken"), [_or_missing(case.measures, lang)]),
        "cause": Section(_("Root cause"), [_or_missing(case.root_cause, lang)]),
        "indicators": Section(
            _("Indicators of compromise"),
            [f"{label(i.kind, lang)} : {i.value}" for i in case.indicators] or [_("none recorded")],
        ),
        "timeline": Section(
            _("Timeline"),
            [f"{local_text(e.at, lang)} — {label(e.kind, lang)} — {e.text}" for e in case.entries],
        ),
        "notifications": Section(
            _("Other notifications"),
            [
                _("%(report)s sent on %(at)s", report=_(_title(r.clock)), at=local_text(r.sent_at, lang))
                for r in case.reports
                if r.sent_at is not None and r.clock != clock.kind
            ]
            or [_("none recorded")],
        ),
        "letter": Section(
            _("Information of the persons concerned"),
            [
                _(
                    "%(name)s informs you that an incident affecting its information systems may have "
                    "exposed personal data concerning you.",
                    name=establishment.name,
                ),
                _("What happened: %(text)s", text=_or_missing(case.description, lang)),
                _("Likely consequences: %(text)s", text=_or_missing(case.care_impact, lang)),
                _("Measures taken: %(text)s", text=_or_missing(case.measures, lang)),
                _("To find out more, contact the establishment's data protection officer: [contact]."),
            ],
        ),
    }
    return [parts[name] for name in _PARTS[clock.kind]]


def _title(kind: ClockKind) -> str:
    from hygie.incidents.clocks import TITLE

    return TITLE[kind]


def build(
    case: Case,
    establishment: Establishment,
    nis2: Nis2Status,
    clock: Clock,
    lang: str = "fr",
    now: datetime | None = None,
) -> Draft:
    lang = normalise_language(lang)
    return Draft(
        kind=clock.kind,
        title=gettext(clock.title, lang),
        authority=gettext(clock.authority, lang),
        basis=clock.basis,
        deadline=local_text(clock.deadline, lang),
        establishment=establishment.name,
        incident=f"{case.id} — {case.title}",
        generated=local_text(now or utcnow(), lang),
        sections=_sections(case, establishment, nis2, clock, lang),
        missing=[gettext(m, lang) for m in clock.missing],
        assumption=gettext(clock.assumption, lang) % {"hours": clock.hours or 0} if clock.assumption else "",
    )


def render_text(draft: Draft, lang: str = "fr") -> str:
    lang = normalise_language(lang)
    lines = [
        draft.title.upper(),
        gettext("DRAFT prepared by Hygie: check and complete it before sending.", lang),
        "",
        gettext("To: %(authority)s", lang) % {"authority": draft.authority},
        gettext("Legal basis: %(basis)s", lang) % {"basis": draft.basis},
        gettext("Deadline: %(deadline)s", lang) % {"deadline": draft.deadline},
        gettext("Incident: %(incident)s", lang) % {"incident": draft.incident},
        "",
    ]
    for section in draft.sections:
        lines += [section.heading, "-" * len(section.heading), *section.lines, ""]
    if draft.missing:
        lines += [gettext("Still missing from the case", lang), *(f"- {m}" for m in draft.missing), ""]
    if draft.assumption:
        lines += [gettext("Assumption: %(text)s", lang) % {"text": draft.assumption}, ""]
    lines.append(gettext("Generated on %(at)s", lang) % {"at": draft.generated})
    return "\n".join(lines) + "\n"


@lru_cache(maxsize=4)
def _environment(lang: str) -> Environment:
    env = Environment(
        loader=FileSystemLoader([TEMPLATES, REPORT_TEMPLATES]),
        autoescape=select_autoescape(("html",), default_for_string=True),
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(translations(lang), newstyle=True)  # type: ignore[attr-defined]
    env.globals["lang"] = lang
    return env


def render_html(draft: Draft, lang: str = "fr") -> str:
    lang = normalise_language(lang)
    context: dict[str, Any] = {
        "draft": draft,
        "title": draft.title,
        "css": Markup(stylesheet()),  # noqa: S704 -- the reports' own file, shipped with the package
    }
    return _environment(lang).get_template("incidents_drafts/draft.html").render(context)


def render_pdf(draft: Draft, lang: str = "fr") -> bytes:
    import weasyprint  # heavy: loaded only when a PDF is asked for
    from weasyprint.urls import URLFetcher

    html = weasyprint.HTML(
        string=render_html(draft, lang), base_url=None, url_fetcher=URLFetcher(allowed_protocols=("data",))
    )
    pdf: bytes = html.write_pdf()
    return pdf
