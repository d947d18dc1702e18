"""Unrecognised and unusual logons: a user on a host from a source never seen together during the
learning period (one alert per user and day), and privileged logons outside the establishment's working
hours. An IPv4 source counts by its /24 network: workstations change address with DHCP, not network.

Successful logons: Windows 4624 (EVTX or Winlogbeat/Wazuh NDJSON; the user is ``TargetUserName``, the
source ``IpAddress``, else ``WorkstationName``) and ``sshd`` "Accepted …" lines of syslog. Computer
accounts (``…$``) and the built-in service identities are left out: they log on everywhere, all day.
Privileged: Windows 4672 (special privileges assigned to a new logon), or a 4624 of an account named
like an administrator.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime, timedelta
from typing import Any

from hygie.core.i18n import N_
from hygie.detect.detectors.base import Context, Detection, Explanation, Outcome, Rule, Signal, Status
from hygie.detect.detectors.queries import ordered_list
from hygie.detect.models import AlertLevel

FIRST_SEEN = Rule(
    id="hygie-stat-first-logon",
    title=N_("Logon never seen before (user, host, source)"),
    level=AlertLevel.LOW,
    signal=Signal.ACCESS,
    techniques=("T1078",),
    tactics=("initial-access",),
)
OFF_HOURS = Rule(
    id="hygie-stat-offhours-admin",
    title=N_("Privileged logon outside working hours"),
    level=AlertLevel.MEDIUM,
    signal=Signal.ACCESS,
    techniques=("T1078",),
    tactics=("privilege-escalation",),
)

LEARNING = timedelta(days=7)
"""Logons of the first week of history are learnt, not judged (Elastic's new-terms rules mostly use
7 days)."""
SPREAD_HOSTS = 3
"""A user with first-seen logons on this many hosts in a day moves like an intruder: level medium."""
SHOWN = 5
"""New combinations named in one alert's explanation (all are in its events)."""
MAX_USERS = 100
"""Users alerted per run at most, the most spread first: beyond, the learning period is too short for an
establishment whose staff share workstations, and a thousand low alerts would hide the one that counts."""
BURST_GAP = timedelta(hours=1)
"""Privileged logons of one user on one host closer than this make one alert."""
ROUTINE_DAYS = 4
"""An account with off-hours privileged logons on this many days of the previous four weeks is on call:
its off-hours logons are its routine, not a signal."""

_EXCLUDED = (
    '"user" IS NOT NULL AND "user" <> \'\' AND NOT ends_with("user", \'$\') '
    "AND lower(\"user\") NOT IN ('system', 'anonymous logon', 'local service', 'network service', '-') "
    "AND NOT regexp_matches(lower(\"user\"), '^(dwm|umfd)-')"
)
_LOGONS = f"""
    SELECT event_id, ts, host, lower("user") AS usr,
           coalesce(nullif(nullif(fields['IpAddress'], '-'), ''), nullif(fields['WorkstationName'], '-'), '')
               AS src
    FROM events WHERE source IN ('evtx', 'ndjson') AND event_code = 4624
      AND coalesce(fields['LogonType'], '') NOT IN ('0', '5') AND {_EXCLUDED}
    UNION ALL
    SELECT event_id, ts, host, lower("user"), coalesce(regexp_extract(message, ' from (\\S+)', 1), '')
    FROM events WHERE source = 'syslog' AND channel = 'sshd' AND message LIKE 'Accepted %' AND {_EXCLUDED}
"""  # noqa: S608 -- constants only

_FIRST_SEEN = f"""
WITH l AS (
    SELECT event_id, ts, host, usr,
           CASE WHEN regexp_matches(src, '^\\d+\\.\\d+\\.\\d+\\.\\d+$')
                THEN regexp_replace(src, '\\.\\d+$', '.0/24') ELSE lower(src) END AS src
    FROM ({_LOGONS})
),
firsts AS (
    SELECT usr, lower(host) AS h_key, src, min(ts) AS first, min(host) AS host,
           {ordered_list("event_id", "ts", "event_id", where="ts >= ?")} AS ids,
           count(*) FILTER (WHERE ts >= ?) AS n, max(ts) AS last
    FROM l WHERE host IS NOT NULL GROUP BY 1, 2, 3
)
SELECT usr, host, src, first, last, n, ids FROM firsts WHERE first >= ? AND first >= ?
ORDER BY first, usr, h_key, src
"""  # noqa: S608 -- constants only

_PRIVILEGED = f"""
    SELECT event_id, ts, host, lower("user") AS usr FROM events
    WHERE source IN ('evtx', 'ndjson') AND host IS NOT NULL AND {_EXCLUDED}
      AND (event_code = 4672 OR (event_code = 4624
           AND regexp_matches(lower("user"), 'admin|administrat|^adm[-_.]|[-_.]adm$')))
"""  # noqa: S608 -- constants only

FIRST_EXPLAIN = N_(
    "Logons of %(user)s from %(when)s on %(count)s host and source combinations never seen in the %(days)s "
    "days of logon history (learning period %(learning)s days): %(pairs)s (host ← source address or network)"
)
SPREAD_EXPLAIN = N_(
    "Logons of %(user)s from %(when)s on %(count)s host and source combinations never seen in the %(days)s "
    "days of logon history (learning period %(learning)s days): %(pairs)s (host ← source address or "
    "network); this account reached %(hosts)s hosts for the first time that day"
)
OFF_EXPLAIN = N_(
    "%(count)s privileged logons of %(user)s on %(host)s from %(when)s, outside working hours (%(workdays)s, "
    "%(start)s–%(end)s h, %(tz)s)"
)
TOO_MANY = N_(
    "First-seen logons: %(count)s users logged on where they never had, only the %(shown)s that reached the "
    "most hosts in a day are alerted; the history may be too short for shared workstations"
)
TOO_SHORT = N_(
    "First-seen logons: %(days)s days of logon history, the first %(learning)s days are the learning period"
)


def detect(context: Context) -> list[Outcome]:
    return [_first_seen(context), _off_hours(context)]


def _first_seen(context: Context) -> Outcome:
    outcome = Outcome("first_logons", Signal.ACCESS, Status.NO_DATA)
    if not context.has_events:
        return outcome
    start = context.rows(f"SELECT min(ts) FROM ({_LOGONS})")[0][0]  # noqa: S608 -- constants only
    if start is None:
        return outcome
    learnt = start + LEARNING
    days = (context.now - start).days
    if context.now < learnt:
        outcome.status = Status.SHORT_HISTORY
        outcome.notes.append(Explanation(TOO_SHORT, {"days": days, "learning": LEARNING.days}))
        return outcome
    outcome.status = Status.OK
    zone = context.hours.zone
    rows = context.rows(_FIRST_SEEN, [context.since, context.since, learnt, context.since])
    by_user_day: dict[tuple[str, Any], list[tuple[Any, ...]]] = defaultdict(list)
    for row in rows:
        by_user_day[(row[0], row[3].astimezone(zone).date())].append(row)
    ranked = sorted(by_user_day.items(), key=lambda item: -len({r[1].lower() for r in item[1]}))
    if len(ranked) > MAX_USERS:
        users = len({user for user, _day in by_user_day})
        outcome.notes.append(Explanation(TOO_MANY, {"count": users, "shown": MAX_USERS}))
    for (user, _day), news in sorted(ranked[:MAX_USERS], key=lambda item: item[1][0][3]):
        hosts = Counter(r[1] for r in news)
        spread = len({h.lower() for h in hosts})
        pairs = ", ".join(f"{r[1]} ← {r[2] or '-'}" for r in news[:SHOWN]) + (
            " …" if len(news) > SHOWN else ""
        )
        params: dict[str, Any] = {
            "user": user,
            "count": len(news),
            "pairs": pairs,
            "when": {"moment": news[0][3].isoformat(), "tz": context.hours.timezone},
            "days": days,
            "learning": LEARNING.days,
        }
        if spread >= SPREAD_HOSTS:
            params["hosts"] = spread
        outcome.detections.append(
            Detection(
                rule=FIRST_SEEN,
                host=hosts.most_common(1)[0][0],
                user=user,
                first=news[0][3],
                last=max(r[4] for r in news),
                count=sum(int(r[5]) for r in news),
                event_ids=tuple(i for r in news for i in (r[6] or ())),
                explanation=Explanation(SPREAD_EXPLAIN if spread >= SPREAD_HOSTS else FIRST_EXPLAIN, params),
                level=AlertLevel.MEDIUM if spread >= SPREAD_HOSTS else None,
                identity=f"{user}\x1f{news[0][3].astimezone(zone).date().isoformat()}",
                subjects=(("user", user),),  # one alert per account, whatever the hosts
            )
        )
    return outcome


def _off_hours(context: Context) -> Outcome:
    outcome = Outcome("off_hours_logons", Signal.ACCESS, Status.NO_DATA)
    if not context.has_events:
        return outcome
    hours = context.hours
    routine_since = context.since - timedelta(days=28)
    rows = context.rows(
        f"SELECT event_id, ts, host, usr FROM ({_PRIVILEGED}) WHERE ts >= ? ORDER BY usr, ts, event_id",  # noqa: S608
        [routine_since],
    )
    if not rows:
        return outcome
    outcome.status = Status.OK
    off = [r for r in rows if not hours.is_working_time(r[1])]
    zone = hours.zone
    off_days: dict[str, set[Any]] = defaultdict(set)
    for _id, ts, _host, user in off:
        off_days[user].add(ts.astimezone(zone).date())
    bursts: list[list[tuple[Any, ...]]] = []
    # One burst per account, whatever the hosts: an administrator working at night on twelve servers is
    # one night to ask about, not twelve alerts.
    for row in off:
        last = bursts[-1][-1] if bursts else None
        same = last is not None and last[3] == row[3]
        if same and last is not None and row[1] - last[1] <= BURST_GAP:
            bursts[-1].append(row)
        else:
            bursts.append([row])
    for burst in bursts:
        first: datetime = burst[0][1]
        if first < context.since:
            continue
        user = burst[0][3]
        day = first.astimezone(zone).date()
        before = {d for d in off_days[user] if day - timedelta(days=28) <= d < day}
        if len(before) >= ROUTINE_DAYS:
            continue
        hosts = Counter(r[2] for r in burst)
        params: dict[str, Any] = {
            "count": len(burst),
            "user": user,
            "host": ", ".join(h for h, _ in hosts.most_common()),
            "when": {"moment": first.isoformat(), "tz": hours.timezone},
            "workdays": {"weekdays": list(hours.days)},
            "start": hours.start,
            "end": hours.end,
            "tz": hours.timezone,
        }
        outcome.detections.append(
            Detection(
                rule=OFF_HOURS,
                host=hosts.most_common(1)[0][0],
                user=user,
                first=first,
                last=burst[-1][1],
                count=len(burst),
                event_ids=tuple(int(r[0]) for r in burst),
                explanation=Explanation(OFF_EXPLAIN, params),
                subjects=(("user", user),),  # one burst per account, whatever the hosts
            )
        )
    return outcome
