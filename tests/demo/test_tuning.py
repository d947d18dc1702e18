"""The demo establishments' detection tuning: what each RSSI set, with reasons, and the noise it answers
in the demo hospital's logs."""

from __future__ import annotations

from datetime import datetime

import orjson
from sqlalchemy.orm import Session

from hygie.demo import ght, logrecords, logs
from hygie.demo import tuning as demo_tuning
from hygie.demo.profiles import HOSPITAL
from hygie.detect import tuning
from hygie.detect.detectors import config
from hygie.detect.detectors.base import WorkingHours
from hygie.detect.models import AlertLevel, EntityField, TuningKind
from tests.factories import make_establishment


def _applied(session: Session, chosen: demo_tuning.Tuning) -> int:
    establishment = make_establishment(session)
    demo_tuning.apply(session, establishment.id, chosen)
    return establishment.id


def test_the_demo_hospital_excludes_its_on_call_account_and_raises_failed_backups(session: Session) -> None:
    assert HOSPITAL.tuning is demo_tuning.HOSPITAL_TUNING
    establishment_id = _applied(session, HOSPITAL.tuning)
    rows = [
        (t.kind, t.rule_id, t.entity_field, t.entity_value, t.level, t.created_by)
        for t in tuning.list_tunings(session, establishment_id)
    ]
    assert rows == [
        (TuningKind.ENTITY, "hygie-stat-offhours-admin", EntityField.USER, "adm-astreinte", None,
         "Claire Martin (RSSI)"),
        (TuningKind.LEVEL, "c22df0b3-dc55-5188-8625-ce4456674988", None, "", AlertLevel.HIGH,
         "Claire Martin (RSSI)"),
    ]  # fmt: skip
    # Each with the RSSI's reason, in French.
    reasons = [t.reason for t in tuning.list_tunings(session, establishment_id)]
    assert reasons[0].startswith("Compte de l'astreinte informatique")
    assert reasons[1].startswith("Notre plan de reprise repose sur les sauvegardes")
    assert config.working_hours(session, establishment_id) == config.DEFAULT_HOURS
    # Applied twice (a rebuilt demo): the same tuning, not a second copy.
    demo_tuning.apply(session, establishment_id, HOSPITAL.tuning)
    assert len(tuning.list_tunings(session, establishment_id)) == 2


def test_the_chu_works_seven_to_seven_monday_to_saturday(session: Session) -> None:
    val, chu = ght.OTHERS
    assert chu.tuning is demo_tuning.CHU_TUNING and val.tuning is demo_tuning.VAL_TUNING
    establishment_id = _applied(session, chu.tuning)
    hours = config.working_hours(session, establishment_id)
    assert hours == WorkingHours("Europe/Paris", 7, 19, (0, 1, 2, 3, 4, 5))
    # Saturday 21 November 2026 at 18:30 is working time at the CHU, 19:30 is not, nor Sunday morning.
    paris = logrecords.PARIS
    assert hours.is_working_time(datetime(2026, 11, 21, 18, 30, tzinfo=paris))
    assert not hours.is_working_time(datetime(2026, 11, 21, 19, 30, tzinfo=paris))
    assert not hours.is_working_time(datetime(2026, 11, 22, 10, 0, tzinfo=paris))
    [exclusion] = tuning.list_tunings(session, establishment_id)
    assert (exclusion.rule_id, exclusion.entity_value) == (
        "hygie-stat-mass-file-writes",
        "backup01.chu-aurele.local",
    )
    [level] = tuning.list_tunings(session, _applied(session, val.tuning))
    assert (level.rule_id, level.level) == ("hygie-stat-first-logon", AlertLevel.INFORMATIONAL)
    assert level.reason.startswith("Postes partagés")


def test_the_on_call_account_logs_on_at_night_twice_in_the_week() -> None:
    """The noise the hospital's exclusion answers is in the logs: remote-desktop logons of the on-call
    account at 02:00 on two nights of the week, from its laptop, on servers it logged on to the week
    before in working hours (nothing new for the first-seen detector)."""
    generated = logs.generate(2026)
    site = logrecords.site(2026)
    laptop = site.admins[logrecords.ON_CALL]
    seen = []
    for line in generated.windows:
        if logrecords.ON_CALL.encode() not in line:
            continue
        document = orjson.loads(line)
        data = document["winlog"]["event_data"]
        if document["event"]["code"] != "4624":
            continue
        assert (data["LogonType"], data["IpAddress"]) == ("10", laptop.ip)
        ts = datetime.fromisoformat(document["@timestamp"]).astimezone(logrecords.PARIS)
        seen.append((ts.strftime("%a %d"), ts.hour, document["host"]["name"].split(".")[0]))
    nights = sorted({s for s in seen if s[1] == 2})
    assert nights == [("Sun 22", 2, "pacs-srv02"), ("Thu 19", 2, "dpi-app02")]
    days = {host for _day, hour, host in seen if 10 <= hour < 17}
    assert {"dpi-app02", "pacs-srv02"} <= days
    assert len(seen) == 5 + 2 * 2  # five working-hour logons the week before, two a night
