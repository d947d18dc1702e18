"""Awareness metrics read from phishing results and trainings (the ``awareness`` provider).

Read as of the day ``on`` (rates over the e-mails delivered, whole establishment); the catalogue
(``controls.yaml``) turns each into the level of its control and says how fast it ages.

* ``phishing_click_rate`` and ``phishing_report_rate`` (AWA-PHISHING, once a campaign is imported):
  the latest campaign's rates; the facts date from its launch.
* ``training_share`` (AWA-TRAINING, once a training is recorded): share of the staff invited over the
  12 months before the last training who completed it; the facts date from that training.
* ``it_staff_training_share`` (AWA-IT-STAFF, once a session for the technical staff — IT and
  biomedical teams — is recorded): the same for the technical staff and their last session.
Nothing recorded: nothing is read.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from hygie.assess.evidence import register
from hygie.assess.evidence_rules import Reading
from hygie.awareness import rates as rates_mod
from hygie.awareness import service
from hygie.awareness.models import StaffCategory
from hygie.frameworks.schema import Text

SOURCE = "awareness"


def _pct(value: float) -> str:
    return f"{value:.0f} %"


def measure(session: Session, establishment_id: int, on: date) -> list[Reading]:
    facts = service.facts(session, establishment_id, on)
    result: list[Reading] = []
    if facts.last_campaign is not None:
        rates = rates_mod.rates(rates_mod.total(facts.latest.values()))
        name, day = facts.last_campaign_name or "", facts.last_campaign.isoformat()
        if rates.clicked is not None:
            report = rates.reported or 0.0
            summary = Text(
                fr=f"campagne « {name} » du {day} : {_pct(rates.clicked)} de clics, "
                f"{_pct(report)} de signalements",
                en=f"campaign '{name}' of {day}: {_pct(rates.clicked)} clicked, {_pct(report)} reported",
            )
            items = tuple(
                Text(
                    fr=f"{department or 'sans service'} : {_pct(r.clicked or 0.0)} de clics",
                    en=f"{department or 'no department'}: {_pct(r.clicked or 0.0)} clicked",
                )
                for department, counts in sorted(facts.latest.items())
                if (r := rates_mod.rates(counts)).clicked is not None
            )
            at = facts.last_campaign
            result.append(Reading(f"{SOURCE}.phishing_click_rate", rates.clicked / 100, at, summary, items))
            result.append(Reading(f"{SOURCE}.phishing_report_rate", report / 100, at, summary))
    if facts.last_training is not None:
        # The 12 months before the last training: a stale training stays measured, and ages.
        recent = service.facts(session, establishment_id, facts.last_training).completion
        reading = _completion(
            f"{SOURCE}.training_share",
            list(recent.values()),
            facts.last_training,
            Text(fr="personnes invitées formées", en="invited staff trained"),
        )
        if reading is not None:
            result.append(reading)
    it_staff = _it_staff(session, establishment_id, on)
    if it_staff is not None:
        result.append(it_staff)
    return result


def _completion(metric: str, groups: list[rates_mod.Completion], last: date, who: Text) -> Reading | None:
    invited = sum(c.invited for c in groups)
    completed = sum(c.completed for c in groups)
    if invited == 0:
        return None
    share = 100.0 * completed / invited
    day = last.isoformat()
    summary = Text(
        fr=f"{completed}/{invited} {who.fr} sur les 12 mois avant le {day} ({_pct(share)})",
        en=f"{completed}/{invited} {who.en} over the 12 months to {day} ({_pct(share)})",
    )
    items = (Text(fr=f"dernière formation : {day}", en=f"last training: {day}"),)
    return Reading(metric, completed / invited, last, summary, items)


def _it_staff(session: Session, establishment_id: int, on: date) -> Reading | None:
    """The technical staff's completion over the 12 months before their last session; not read when
    no session for them exists."""
    held = [
        t.held_on
        for t in service.list_trainings(session, establishment_id)
        if t.staff_category == StaffCategory.TECHNICAL and t.held_on <= on
    ]
    if not held:
        return None
    last = max(held)
    recent = service.facts(session, establishment_id, last).categories.get(StaffCategory.TECHNICAL.value)
    if recent is None:
        return None
    who = Text(
        fr="personnels techniques (informatique, biomédical) formés",
        en="technical staff (IT, biomedical) trained",
    )
    return _completion(f"{SOURCE}.it_staff_training_share", [recent], last, who)


register(SOURCE, measure)
