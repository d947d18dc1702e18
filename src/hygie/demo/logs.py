"""The demo hospital's logs: one week of ordinary activity and a scripted ransomware run-up, detected.

Written in the formats a hospital ships (Winlogbeat NDJSON for Windows, since EVTX cannot be written;
RFC 5424 syslog for Linux; Postfix's log for the mail relay; Hygie's metrics CSV), into the demo home,
then ingested by the real pipeline and run through the active Sigma rules and the statistical detectors
(as of the end of the week), like a user's own logs.

The week is Monday 16 to Sunday 22 November 2026 (Paris time); the mail relay's rejections and the hourly
mail and host metrics go back four more weeks, so that baselines by weekday and hour can be learnt, and the
logons one more week (only them), which the first-seen detector learns before it judges the week.
Everything is drawn from a seeded generator: the same seed gives the same files, byte for byte.

The ordinary activity is in :mod:`hygie.demo.activity`, the attack in :mod:`hygie.demo.attack`: a phishing
surge on Monday morning; in the night of Monday to Tuesday the stolen account logs on by remote desktop to
the contractor's server from the internet, dumps LSASS, and an administrator's account spreads with PsExec
to a dozen servers and tries SSH on the patient record database; in the night of Tuesday to Wednesday the
backup service is stopped, services are stopped in bulk, shadow copies and the backup catalogue are deleted;
the nightly backups then fail.
"""

from __future__ import annotations

import random
import shutil
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from hygie.continuity import service as continuity_service
from hygie.continuity.models import JobReportFormat, JobResult
from hygie.continuity.schemas import JobRecord
from hygie.core.settings import Settings
from hygie.demo import activity
from hygie.demo import attack as scripted
from hygie.demo.logrecords import PARIS, WEEK, Logs, site
from hygie.detect import coverage, detectors, tuning
from hygie.detect import service as detect_service
from hygie.detect.events import establishment_dir
from hygie.detect.ingest import ingest_paths
from hygie.detect.sigma.rules import installed_rule_dirs

FOLDER = "logs/demo"
END = datetime.combine(WEEK + timedelta(days=7), datetime.min.time(), tzinfo=PARIS).astimezone(UTC)
"""The end of the demo's week (Monday 23 November 2026, 00:00 in Paris): when the detectors judge it."""
JOBS_FILE = "veeam-sessions-2026-11-22.csv"


@dataclass
class DemoLogs:
    """What the demo's logs gave: the files, the events stored, the alerts (Sigma rules and statistical
    detectors) by level, how many of them the detectors raised and in how long, and how many of their
    detections the establishment's tuning suppressed."""

    files: list[Path]
    events: int
    alerts: int
    by_level: dict[str, int]
    detector_alerts: int = 0
    detector_seconds: float = 0.0
    suppressed: int = 0  # detections of the statistical detectors the establishment's tuning dropped


def generate(seed: int = 2026, *, attack: bool = True) -> Logs:
    """Every line of the demo's logs: the ordinary activity and, unless ``attack`` is False, the attack."""
    the_site = site(seed)
    logs = Logs()
    if attack:  # first: it decides which nights the backups fail and which hours are loaded
        scripted.write(logs, the_site, random.Random(f"attack-{seed}"))
    activity.baseline(logs, the_site, random.Random(f"baseline-{seed}"))
    activity.write(logs, the_site, random.Random(f"activity-{seed}"))
    activity.on_call(logs, the_site, random.Random(f"on-call-{seed}"))
    return logs


def _syslog_time(line: str) -> str:
    return line.split(" ", 2)[1]


def write(logs: Logs, folder: Path) -> list[Path]:
    """The files in ``folder`` (replaced), one per format, each in time order as a collector writes them."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    # Winlogbeat's lines start with their @timestamp (UTC, fixed width): byte order is time order.
    contents = {
        "windows-winlogbeat.ndjson": b"\n".join(sorted(logs.windows)) + b"\n",
        "linux-syslog.log": "\n".join(sorted(logs.syslog, key=_syslog_time)).encode() + b"\n",
        "postfix-mss-relay01.log": "\n".join(sorted(logs.postfix, key=_syslog_time)).encode() + b"\n",
        "metrics-hourly.csv": "\n".join([logs.metrics[0], *sorted(logs.metrics[1:])]).encode() + b"\n",
    }
    paths = []
    for name, content in contents.items():
        path = folder / name
        path.write_bytes(content)
        paths.append(path)
    return paths


def build(
    session: Session, settings: Settings, establishment_id: int, seed: int = 2026, *, attack: bool = True
) -> DemoLogs:
    """Writes the logs into the demo home, ingests them, imports the backup runs into the continuity domain
    and runs the detection with the establishment's tuning (Hygie's rules and any the home has installed,
    then the statistical detectors as of the end of the week): the alerts are on the "Precursor signals"
    page."""
    generated = generate(seed, attack=attack)
    paths = write(generated, settings.home / FOLDER)
    # A rebuilt demo starts from its own files only, never from the events of an earlier build.
    shutil.rmtree(establishment_dir(settings, establishment_id), ignore_errors=True)
    report = ingest_paths(settings, establishment_id, paths)
    # The rules as the establishment runs them: its exclusions compiled in, its disabled rules and levels.
    rules = tuning.tuned_rules(
        session, establishment_id, installed_rule_dirs(), settings.home / "cache" / "sigma"
    )
    detect_service.run_detection(session, settings, establishment_id, rules)
    _import_backup_runs(session, establishment_id, generated)
    started = time.perf_counter()
    outcomes = detectors.run_all(session, establishment_id, settings, now=END)
    seconds = time.perf_counter() - started
    coverage.refresh(session, establishment_id, END.date(), rules=rules, settings=settings)  # gaps: findings
    alerts = detect_service.list_alerts(session, establishment_id)
    by_level = Counter(a.level.value for a in alerts)
    raised = sum(1 for a in alerts if a.rule_id in detectors.RULES)
    suppressed = sum(o.suppressed for o in outcomes)
    return DemoLogs(paths, report.events, len(alerts), dict(by_level), raised, seconds, suppressed)


def _import_backup_runs(session: Session, establishment_id: int, generated: Logs) -> None:
    """The backup server's session report of the week, imported into the continuity domain as a user would
    (``hygie continuity jobs import``): runs of jobs no backup policy names are kept as unmatched."""
    records = [
        JobRecord(
            job_name=job,
            started_at=started,
            ended_at=ended,
            result=JobResult.SUCCESS if result == "Success" else JobResult.FAILED,
            message=None if result == "Success" else "Dépôt de sauvegarde inaccessible",
        )
        for started, ended, job, result in sorted(generated.backup_runs)
    ]
    continuity_service.import_jobs(session, establishment_id, records, JobReportFormat.VEEAM, JOBS_FILE)
