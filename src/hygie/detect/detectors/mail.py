"""Surge of suspicious e-mail: the suspicious messages of each hour against the same weekday and hour of
the previous weeks (a Monday 9 h is busier than a Sunday 3 h).

Suspicious: a Postfix refusal (``status`` reject, discard or hold, as the Postfix reader writes it) or a
line that marks spam, phishing or a virus (content filters logging in the same file); a Microsoft 365
message trace whose ``Status``/``RecipientStatus`` says spam, quarantined, malware or phish. Hours without
any are counted as zero from the first mail event stored: the baseline learns quiet hours too.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
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
    hour_floor,
    mean_std,
    most_common,
    samples,
)
from hygie.detect.detectors.queries import local_hour, local_weekday, ordered_list
from hygie.detect.models import AlertLevel

RULE = Rule(
    id="hygie-stat-mail-surge",
    title=N_("Surge of suspicious e-mail"),
    level=AlertLevel.MEDIUM,
    signal=Signal.MAIL,
    techniques=("T1566",),
    tactics=("initial-access",),
)

SIGMAS = 3.0
"""Standard deviations above the mean: about one false alarm per 740 hours for a normal count."""
MIN_SPREAD = 1.0
"""Floor of the standard deviation: a perfectly regular history (always 0) would make any mail a surge."""
MIN_COUNT = 20
"""Fewer suspicious messages than this in an hour is never a surge worth waking the RSSI for."""
SEASONAL_WEEKS = 8
"""Weeks of history of the same weekday and hour the baseline reads."""
MIN_WEEKS = 3
"""Same weekday-and-hour samples needed for the seasonal baseline."""
FALLBACK_DAYS = 14
"""Without enough weeks, the same hour of every previous day of this window (a young store)."""
MIN_DAYS = 5
"""Samples needed by that fallback; below it the history is too short and nothing is judged."""

SEASONAL = N_(
    "%(count)s suspicious e-mails (rejected, quarantined or marked as spam) between %(start)s and %(end)s; "
    "reference for a %(weekday)s at %(start)s: %(mean)s ± %(std)s (%(samples)s weeks); threshold "
    "%(sigmas)s standard deviations (%(threshold)s)"
)
DAILY = N_(
    "%(count)s suspicious e-mails (rejected, quarantined or marked as spam) between %(start)s and %(end)s; "
    "reference at %(start)s, every day of the last two weeks: %(mean)s ± %(std)s (%(samples)s days); "
    "threshold %(sigmas)s standard deviations (%(threshold)s)"
)
TOO_SHORT = N_(
    "Suspicious e-mail: %(days)s days of mail history, at least %(needed)s days needed before an hour "
    "can be compared with its baseline"
)

_SUSPICIOUS = """
    (source = 'postfix' AND (lower(coalesce(fields['status'], '')) IN ('reject', 'discard', 'hold')
        OR regexp_matches(lower(coalesce(message, '')), 'spam|phish|virus|malware|infected')))
    OR (source = 'm365' AND regexp_matches(
        lower(coalesce(fields['Status'], '') || ' ' || coalesce(fields['RecipientStatus'], '')),
        'spam|quarantin|malware|phish'))
"""

_SQL = f"""
WITH mail AS (
    SELECT event_id, ts, host, "user", ({_SUSPICIOUS}) AS suspicious
    FROM events WHERE source IN ('postfix', 'm365')
),
hourly AS (
    SELECT date_trunc('hour', ts) AS h, count(*) AS n, {ordered_list("event_id", "ts", "event_id")} AS ids,
           list(host) AS hosts, list("user") AS users
    FROM mail WHERE suspicious GROUP BY 1
),
grid AS (
    SELECT unnest(generate_series(CAST(? AS TIMESTAMPTZ), CAST(? AS TIMESTAMPTZ), INTERVAL 1 HOUR)) AS h
),
counts AS (
    SELECT g.h, coalesce(c.n, 0) AS n, c.ids, c.hosts, c.users,
           {local_weekday("g.h")} AS dow, {local_hour("g.h")} AS hod
    FROM grid g LEFT JOIN hourly c ON c.h = g.h
)
SELECT t.h, t.n, t.ids, t.hosts, t.users, t.dow,
       list(s.n) FILTER (WHERE s.dow = t.dow AND s.h >= t.h - INTERVAL {SEASONAL_WEEKS * 7} DAY),
       list(s.n) FILTER (WHERE s.h >= t.h - INTERVAL {FALLBACK_DAYS} DAY)
FROM counts t LEFT JOIN counts s ON s.hod = t.hod AND s.h < t.h
WHERE t.h >= ? AND t.n > 0
GROUP BY ALL ORDER BY t.h
"""  # noqa: S608 -- only module constants are formatted in
"""Suspicious messages per hour, zero hours included from the first mail event's hour, with the samples
of each hour's baselines (same local weekday and hour; same local hour) as lists: their mean and
deviation are computed in Python, the same on DuckDB and Spark."""


def _hour(moment: datetime, zone: str) -> dict[str, str]:
    return {"hour": moment.isoformat(), "tz": zone}


def detect(context: Context) -> list[Outcome]:
    outcome = Outcome("mail", Signal.MAIL, Status.NO_DATA)
    if not context.has_events:
        return [outcome]
    zone = context.hours.timezone
    first = context.rows("SELECT min(ts) FROM events WHERE source IN ('postfix', 'm365')")[0][0]
    if first is None:
        return [outcome]
    outcome.status = Status.OK
    since = context.since.replace(minute=0, second=0, microsecond=0)
    grid = [hour_floor(first.astimezone(UTC)), hour_floor(context.now.astimezone(UTC))]
    rows = context.rows(_SQL, [*grid, zone, zone, since])
    judged = 0
    surges: list[tuple[Any, ...]] = []
    for h, n, ids, hosts, users, weekday, same_weekday, same_hour in rows:
        if len(weekly := samples(same_weekday)) >= MIN_WEEKS:
            (mean, std), taken, text = mean_std(weekly), len(weekly), SEASONAL
        elif len(daily := samples(same_hour)) >= MIN_DAYS:
            (mean, std), taken, text = mean_std(daily), len(daily), DAILY
        else:
            continue
        judged += 1
        threshold = mean + SIGMAS * max(std, MIN_SPREAD)
        if n >= MIN_COUNT and n > threshold:
            params = {
                "count": int(n),
                "start": _hour(h, zone),
                "end": _hour(h + timedelta(hours=1), zone),
                "weekday": {"weekday": int(weekday)},
                "mean": round(mean, 1),
                "std": round(max(std, MIN_SPREAD), 1),
                "samples": taken,
                "sigmas": int(SIGMAS),
                "threshold": math.floor(threshold * 10) / 10,
            }
            explanation = Explanation(text, params)
            surges.append((h, int(n), list(ids), most_common(hosts), most_common(users), explanation))
    if rows and not judged:
        days = (context.now - first).days
        outcome.status = Status.SHORT_HISTORY
        outcome.notes.append(Explanation(TOO_SHORT, {"days": days, "needed": MIN_DAYS}))
    outcome.detections = _merge(surges, context.now)
    return [outcome]


def _merge(surges: list[tuple[Any, ...]], now: datetime) -> list[Detection]:
    """Consecutive surge hours make one alert, explained by its busiest hour."""
    detections: list[Detection] = []
    group: list[tuple[Any, ...]] = []

    def close() -> None:
        if not group:
            return
        peak = max(group, key=lambda g: g[1])
        ids = [i for g in group for i in g[2]]
        detections.append(
            Detection(
                rule=RULE,
                host=peak[3],
                user=peak[4],
                first=group[0][0],
                last=min(group[-1][0] + timedelta(hours=1), now),
                count=sum(g[1] for g in group),
                event_ids=tuple(ids),
                explanation=peak[5],
                identity=f"mail\x1f{group[0][0].isoformat()}",
                subjects=(),  # a surge concerns the establishment's mail, not one sender or host
            )
        )

    for surge in surges:
        if group and surge[0] - group[-1][0] > timedelta(hours=1):
            close()
            group = []
        group.append(surge)
    close()
    return detections
