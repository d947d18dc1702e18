"""Words for the audit's results in the reader's language, and a result's decision told in sentences
(``explain``): the CLI and the pages show the same text."""

from __future__ import annotations

import re
from typing import Any

from hygie.core.i18n import N_, gettext
from hygie.vulns.models import VulnResult
from hygie.vulns.ssvc import Priority

PRIORITIES = {
    "act": N_("Act"),
    "attend": N_("Attend"),
    "track*": N_("Track*"),
    "track": N_("Track"),
}
# Most urgent first, and the badge colours shared with the plan's severities (plan.css).
PRIORITY_ORDER = (Priority.ACT, Priority.ATTEND, Priority.TRACK_STAR, Priority.TRACK)
PRIORITY_BADGES = {
    Priority.ACT: "critical",
    Priority.ATTEND: "high",
    Priority.TRACK_STAR: "medium",
    Priority.TRACK: "low",
}
STATUSES = {"affected": N_("affected"), "needs_review": N_("needs review")}
BASES = {
    "nvd": N_("NVD configuration"),
    "purl": N_("package URL (purl)"),
    "csaf": N_("CISA medical advisory (CSAF)"),
    "eol": N_("endoflife.date"),
    "maker": N_("maker's end of support"),
    "scanner": N_("vulnerability scan (OpenVAS)"),
}
ACTIONS = {
    "verify": N_("Check the version on the device: the data cannot decide"),
    "patch": N_("Apply the fix (update to a corrected version)"),
    "replace_or_upgrade": N_("Upgrade to a supported release or replace the system"),
    "isolate": N_("Isolate the device in a dedicated network zone"),
    "restrict_access": N_("Restrict access to the device (filtering, accounts, remote service)"),
    "ask_maker": N_("Ask the maker for its fix or its validated mitigation"),
    "plan_replacement": N_("Plan the device's replacement in the budget"),
    "remove_exposure": N_("Remove its exposure to the internet"),
    "mitigate": N_("Apply the mitigation the scanner gives (configuration, workaround)"),
}
POINTS = {
    "Exploitation": N_("Exploitation"),
    "Automatable": N_("Automatable"),
    "Technical Impact": N_("Technical impact"),
    "Mission Prevalence": N_("Mission prevalence"),
    "Public Well-being": N_("Public well-being"),
    "Mission & Well-being": N_("Mission and well-being"),
    "Internet exposure": N_("Internet exposure"),
}
VALUES = {
    "none": N_("none"),
    "public poc": N_("public proof of concept"),
    "active": N_("active"),
    "yes": N_("yes"),
    "no": N_("no"),
    "partial": N_("partial"),
    "total": N_("total"),
    "low": N_("low"),
    "medium": N_("medium"),
    "high": N_("high"),
    "minimal": N_("minimal"),
    "support": N_("support"),
    "essential": N_("essential"),
    "material": N_("material"),
    "irreversible": N_("irreversible"),
}
SOURCES = {
    "kev": N_("CISA KEV catalogue"),
    "certfr": N_("a CERT-FR alert names it"),
    "vulnrichment": N_("CISA Vulnrichment"),
    "cvss": N_("derived from the CVSS vector"),
    "default:not assessed": N_("not assessed (default value)"),
    "default:criticality not known": N_("clinical criticality not known (default value)"),
    "asset:criticality": N_("the asset's clinical criticality"),
    "asset:department": N_("the asset's care department"),
    "asset:internet_exposed": N_("the inventory says it is exposed"),
    "derived": N_("from the two points above"),
    "scanner:verified": N_("the scanner proved it on the asset (quality of detection 99 % or more)"),
    "scanner:severity": N_("from the scanner's severity (total from 9.0)"),
}


# The matching code's reasons (English, stored in the results' explanation) as sentences to translate:
# each pattern gives the message's parameters; a reason no pattern knows is shown as it is.
_BACKPORT = re.compile(r"(?P<reason>.+) \(distribution package: fix may be backported\)")
REASONS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), message)
    for pattern, message in (
        (r"any version", N_("any version")),
        (r"no version", N_("the product has no version number: the catalogue entry names it whole")),
        (r"all versions affected", N_("all versions affected")),
        (r"the asset's version is not known", N_("the asset's version is not known")),
        (
            r"catalogue names no version, asset has (?P<have>.+)",
            N_("the catalogue names no version, the asset has %(have)s"),
        ),
        (r"version (?P<have>\S+) = (?P<wanted>.+)", N_("version %(have)s = %(wanted)s")),
        (
            r"version (?P<have>\S+) cannot be compared with (?P<bound>.+) \((?P<use>[^()]+)\)",
            N_("version %(have)s cannot be compared with %(bound)s (%(use)s)"),
        ),
        (
            r"version (?P<version>\S+) is in release cycle (?P<cycle>\S+) of (?P<product>.+)",
            N_("version %(version)s is in release cycle %(cycle)s of %(product)s"),
        ),
        (r"version (?P<have>\S+) in (?P<range>.+)", N_("version %(have)s in %(range)s")),
        (
            r"the asset's (?P<part>\w+) platform is not known",
            N_("the asset's %(part)s platform is not known"),
        ),
        (
            r"(?P<attribute>\w+) (?P<wanted>.+) not known on the asset",
            N_("%(attribute)s %(wanted)s not known on the asset"),
        ),
        (
            r"advisory names versions (?P<versions>.+), the device's firmware is not known",
            N_("the advisory names versions %(versions)s, the device's firmware is not known"),
        ),
        (
            r"advisory version (?P<version>.+) is free text",
            N_("the advisory's version %(version)s is free text"),
        ),
        (r"firmware (?P<have>\S+) listed", N_("firmware %(have)s listed")),
        (
            r"firmware (?P<have>\S+) cannot be compared with (?P<other>.+)",
            N_("firmware %(have)s cannot be compared with %(other)s"),
        ),
        (
            r"model (?P<model>.+) only resembles (?P<product>.+)",
            N_("model %(model)s only resembles %(product)s"),
        ),
        (r"(?P<key>\S+) is (?P<mapped>.+) \(alias table\)", N_("%(key)s is %(mapped)s (alias table)")),
    )
)


def reason_text(reason: str, lang: str) -> str:
    """A matching reason in the reader's language: « version 4.4.0 dans <4.4.1 »."""
    if found := _BACKPORT.fullmatch(reason):
        return gettext("%(reason)s (distribution package: the fix may be backported)", lang) % {
            "reason": reason_text(found["reason"], lang)
        }
    for pattern, message in REASONS:
        if found := pattern.fullmatch(reason):
            return gettext(message, lang) % found.groupdict()
    return reason


def word(table: dict[str, str], value: str, lang: str) -> str:
    return gettext(table[value], lang) if value in table else value


def subject(result: VulnResult) -> str:
    """What the result is about: its CVE, advisory, scanner check or end-of-life release."""
    if result.cve_id or result.advisory_id:
        return result.cve_id or result.advisory_id or ""
    if result.nvt_oid:
        name = result.explanation.get("match", {}).get("name")
        return str(name) if name else result.nvt_oid
    return f"{result.eol_product} {result.eol_cycle or ''}".strip()


def _scanner_lines(match: dict[str, Any], lang: str) -> list[str]:
    def _(message: str) -> str:
        return gettext(message, lang)

    lines = []
    bases = match.get("bases") or []
    if len(bases) > 1:
        lines.append(
            _("Found through %(bases)s: one result.")
            % {"bases": ", ".join(word(BASES, b, lang) for b in bases)}
        )
    if match.get("confirmed_by_scanner"):
        lines.append(_("The scanner confirmed what the data alone could not decide."))
    observations = match.get("scanner") or []
    for seen in observations:
        qod = f"{seen['qod']} %" if seen.get("qod") is not None else "–"
        lines.append(
            _(
                "Scanner check %(name)s (%(oid)s) on %(port)s: severity %(severity)s, "
                "quality of detection %(qod)s."
            )
            % {
                "name": seen.get("name"),
                "oid": seen.get("oid"),
                "port": seen.get("port"),
                "severity": f"{float(seen.get('severity') or 0):.1f}",
                "qod": qod,
            }
        )
    solution = next((s for s in observations if s.get("solution")), None)
    if solution is not None:
        lines.append(
            _("The scanner's solution (%(type)s): %(solution)s")
            % {"type": solution.get("solution_type") or "–", "solution": solution["solution"]}
        )
    return lines


def explain(result: VulnResult, asset_name: str, lang: str) -> list[str]:
    """The path from the data to the priority, one sentence per step."""

    def _(message: str) -> str:
        return gettext(message, lang)

    info: dict[str, Any] = result.explanation
    match = info.get("match", {})
    lines = []
    what = subject(result)
    lines.append(
        _("%(what)s on %(asset)s: %(status)s, found through %(basis)s.")
        % {
            "what": what,
            "asset": asset_name,
            "status": word(STATUSES, result.status.value, lang),
            "basis": word(BASES, result.basis.value, lang),
        }
    )
    if result.component and result.basis.value != "scanner":
        lines.append(_("Component: %(component)s") % {"component": result.component})
    lines += _scanner_lines(match, lang)
    if match.get("criteria"):
        lines.append(_("Catalogue entry: %(criteria)s") % {"criteria": match["criteria"]})
    if match.get("reason"):
        lines.append(_("Why it matches: %(reason)s") % {"reason": reason_text(str(match["reason"]), lang)})
    for context in match.get("context", []):
        lines.append(
            _("Required platform: %(criteria)s (%(reason)s)")
            % {"criteria": context["criteria"], "reason": reason_text(str(context["reason"]), lang)}
        )
    if match.get("advisory"):
        lines.append(
            _("Advisory %(id)s names %(product)s, versions %(versions)s.")
            % {
                "id": match["advisory"],
                "product": match["product"],
                "versions": match.get("advisory_versions"),
            }
        )
    ssvc = info.get("ssvc", {})
    for point in ssvc.get("points", []):
        lines.append(
            _("%(point)s: %(value)s — %(source)s")
            % {
                "point": word(POINTS, point["name"], lang),
                "value": word(VALUES, point["value"], lang),
                "source": word(SOURCES, point["source"], lang),
            }
        )
    table, final = ssvc.get("table_outcome"), ssvc.get("priority")
    if result.kind.value == "eol":
        lines.append(
            _("An obsolete system gets no more fixes: %(priority)s.")
            % {"priority": word(PRIORITIES, final or "", lang)}
        )
    elif table:
        lines.append(
            _("CISA coordinator decision table: %(outcome)s.") % {"outcome": word(PRIORITIES, table, lang)}
        )
    if table and final and table != final:
        lines.append(
            _("Raised to %(priority)s because the internet reaches it.")
            % {"priority": word(PRIORITIES, final, lang)}
        )
    scores = info.get("scores") or {}
    for name, key in (("CVSS 3.x", "cvss3"), ("CVSS 4.0", "cvss4")):
        score = scores.get(key) or {}
        if score.get("score") is not None:
            label = f" {score['label']}" if score.get("label") else ""
            lines.append(f"{name}{label}: {score['score']} ({score.get('vector')})")
    if scores.get("epss") is not None:
        lines.append(
            _("EPSS: %(epss)s (percentile %(percentile)s)")
            % {"epss": f"{scores['epss']:.3f}", "percentile": f"{(scores.get('epss_percentile') or 0):.2f}"}
        )
    if scores.get("kev"):
        lines.append(_("In the KEV catalogue; CISA's due date: %(due)s") % {"due": scores.get("kev_due")})
    for bulletin in scores.get("certfr") or []:
        kind = _("alert") if bulletin.get("kind") == "alerte" else _("advisory")
        lines.append(
            _("CERT-FR %(kind)s %(reference)s: %(title)s")
            % {"kind": kind, "reference": bulletin["reference"], "title": bulletin.get("title") or ""}
        )
    sla = info.get("sla_days")
    if sla:
        lines.append(_("Deadline for this priority: %(days)s days.") % {"days": sla})
    for action in info.get("actions", []):
        lines.append("→ " + word(ACTIONS, action, lang))
    return lines
