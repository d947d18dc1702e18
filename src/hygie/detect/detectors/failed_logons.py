"""Bursts of failed logons, per source address and per user: brute force and password spraying.

Failures: Windows 4625 (failed logon) and 4771 (Kerberos pre-authentication failed), the user being
``TargetUserName`` and the source ``IpAddress`` (else ``WorkstationName``); ``sshd`` "Failed …" lines of
syslog (one per attempt; the "Invalid user" and PAM lines of the same attempt are not counted again).
A burst is a run of failures of one source (or user) with no gap longer than :data:`WINDOW`; it is an
alert when some :data:`WINDOW` of it holds at least :data:`MIN_FAILURES`. These are fixed thresholds, as
Wazuh's and Elastic's brute-force rules use: a user mistyping a password stays far below them.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from hygie.core.i18n import N_
from hygie.detect.detectors.base import (
    Context,
    Detection,
    Explanation,
    Outcome,
    Rule,
    Signal,
    Status,
    most_common,
)
from hygie.detect.detectors.queries import ordered_list
from hygie.detect.models import AlertLevel

RULE = Rule(
    id="hygie-stat-failed-logons",
    title=N_("Burst of failed logons"),
    level=AlertLevel.MEDIUM,
    signal=Signal.ACCESS,
    techniques=("T1110",),
    tactics=("credential-access",),
)

WINDOW = timedelta(minutes=10)
"""Sliding window of the count, and the longest gap inside one burst."""
MIN_FAILURES = 20
"""Failures in one window: beyond any account lockout policy (usually 5 to 10 attempts), so beyond a user
who forgot a password; Wazuh's sshd brute-force rule fires at 8 in 2 minutes, Elastic's at 100 in 1."""
SPRAY_USERS = 10
"""Distinct accounts tried from one source in a burst: password spraying, level high (Elastic: > 10 in
5 minutes)."""

EXPLAIN_SOURCE = N_(
    "%(count)s failed logons from %(source)s between %(first)s and %(last)s, on %(users)s accounts; at most "
    "%(peak)s within %(minutes)s minutes; threshold %(threshold)s failures within %(minutes)s minutes"
)
EXPLAIN_USER = N_(
    "%(count)s failed logons of %(user)s between %(first)s and %(last)s, from %(sources)s sources; at most "
    "%(peak)s within %(minutes)s minutes; threshold %(threshold)s failures within %(minutes)s minutes"
)

_FAILURES = """
    SELECT event_id, ts, host, lower("user") AS usr,
           coalesce(nullif(nullif(fields['IpAddress'], '-'), ''), nullif(fields['WorkstationName'], '-'))
               AS src
    FROM events WHERE source IN ('evtx', 'ndjson') AND event_code IN (4625, 4771)
    UNION ALL
    SELECT event_id, ts, host, lower("user"), regexp_extract(message, ' from ([0-9A-Fa-f:.]+)', 1)
    FROM events WHERE source = 'syslog' AND channel = 'sshd' AND message LIKE 'Failed %'
"""

_BURSTS = f"""
WITH f AS ({_FAILURES}),
keyed AS (
    SELECT 'source' AS kind, src AS entity, * FROM f
    WHERE src IS NOT NULL AND src NOT IN ('', '127.0.0.1', '::1')
    UNION ALL
    SELECT 'user', usr, * FROM f WHERE usr IS NOT NULL AND usr NOT IN ('', '-')
),
w AS (
    SELECT *, count(*) OVER (PARTITION BY kind, entity ORDER BY ts
                             RANGE BETWEEN INTERVAL {int(WINDOW.total_seconds())} SECOND PRECEDING
                             AND CURRENT ROW)
                  AS n,
           CASE WHEN ts - lag(ts) OVER (PARTITION BY kind, entity ORDER BY ts, event_id)
                     > INTERVAL {int(WINDOW.total_seconds())} SECOND THEN 1 ELSE 0 END AS cut
    FROM keyed
),
b AS (
    SELECT *, sum(cut) OVER (PARTITION BY kind, entity ORDER BY ts, event_id ROWS UNBOUNDED PRECEDING)
                  AS burst
    FROM w
)
SELECT kind, entity, min(ts), max(ts), count(*), max(n), {ordered_list("event_id", "ts", "event_id")},
       list(host), list(usr), count(DISTINCT usr), count(DISTINCT src)
FROM b GROUP BY kind, entity, burst
HAVING max(n) >= ? AND max(ts) >= ?
ORDER BY 3, 1, 2
"""  # noqa: S608 -- constants only


def _moment(value: Any, zone: str) -> dict[str, str]:
    return {"moment": value.isoformat(), "tz": zone}


def detect(context: Context) -> list[Outcome]:
    outcome = Outcome("failed_logons", Signal.ACCESS, Status.NO_DATA)
    if not context.has_events:
        return [outcome]
    if not context.rows(f"SELECT count(*) FROM ({_FAILURES})")[0][0]:  # noqa: S608 -- constants only
        return [outcome]
    outcome.status = Status.OK
    zone = context.hours.timezone
    rows = context.rows(_BURSTS, [MIN_FAILURES, context.since])
    for kind, entity, first, last, count, peak, ids, hosts, usrs, users, sources in rows:
        host, user = most_common(hosts), most_common(usrs)
        params: dict[str, Any] = {
            "count": int(count),
            "first": _moment(first, zone),
            "last": _moment(last, zone),
            "peak": int(peak),
            "minutes": int(WINDOW.total_seconds() // 60),
            "threshold": MIN_FAILURES,
        }
        if kind == "source":
            params |= {"source": entity, "users": int(users)}
            text = EXPLAIN_SOURCE
        else:
            params |= {"user": entity, "sources": int(sources)}
            text = EXPLAIN_USER
        spraying = kind == "source" and users >= SPRAY_USERS
        outcome.detections.append(
            Detection(
                rule=RULE,
                host=host or "",
                user=(user if kind == "source" else entity) or "",
                first=first,
                last=last,
                count=int(count),
                event_ids=tuple(ids),
                explanation=Explanation(text, params),
                level=AlertLevel.HIGH if spraying else None,
                identity=f"{kind}\x1f{entity}\x1f{first.isoformat()}",
                # About the source trying (its host: who logged the failures) or the account tried.
                subjects=(("host" if kind == "source" else "user", entity),),
            )
        )
    return [outcome]
