"""Slowdowns: each host's hourly mean response time and CPU against the same hour of its previous days.

Read from the host metrics CSV (``source`` metrics, the metric name in ``provider``, the number in
``fields['value']``): a metric whose name holds ``response`` or ``latency`` is a response time (ms), one
holding ``cpu`` a CPU use (%). The baseline is the median and the median absolute deviation (MAD) of the
same local hour on the previous days, robust to the odd spike in that history. Consecutive hours above
the threshold make one alert.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from hygie.core.i18n import N_
from hygie.detect.detectors.base import (
    MAD_TO_SIGMA,
    Context,
    Detection,
    Explanation,
    Outcome,
    Rule,
    Signal,
    Status,
    median_mad,
    samples,
)
from hygie.detect.detectors.queries import local_hour, ordered_list
from hygie.detect.models import AlertLevel

RESPONSE = Rule(
    id="hygie-stat-response-time",
    title=N_("Unusual response times"),
    level=AlertLevel.MEDIUM,
    signal=Signal.SLOWDOWN,
)
CPU = Rule(
    id="hygie-stat-cpu",
    title=N_("Unusual CPU load"),
    level=AlertLevel.MEDIUM,
    signal=Signal.SLOWDOWN,
    techniques=("T1496",),  # resource hijacking; encryption also loads the CPU
    tactics=("impact",),
)
RULES = (RESPONSE, CPU)

MADS = 3.0
"""Normalised MADs above the median (the robust analogue of 3 standard deviations)."""
BASELINE_DAYS = 14
"""Days of history of the same hour the baseline reads (two weekly cycles)."""
MIN_DAYS = 5
"""Samples of that hour needed; below it the history is too short and nothing is judged."""
RESPONSE_MIN_RATIO = 1.5
"""A response time under 1.5 × its usual value is not a slowdown users notice, whatever the MAD."""
RESPONSE_MIN_SPREAD = 0.10
"""Floor of the spread, as a share of the median: a very stable service still jitters by 10 %."""
CPU_MIN_SPREAD = 5.0
"""Floor of the spread in CPU points, for the same reason."""
CPU_MIN = 50.0
"""A host under half its CPU is not under stress, however quiet it usually is."""

EXPLAIN = {
    "response": N_(
        "Mean response time of %(value)s ms on %(host)s between %(start)s and %(end)s; reference at "
        "%(start)s: median %(median)s ms (MAD %(mad)s, %(samples)s days); threshold %(threshold)s ms "
        "(median + %(mads)s normalised MADs, and at least %(ratio)s × the median)"
    ),
    "cpu": N_(
        "Mean CPU use of %(value)s %% on %(host)s between %(start)s and %(end)s; reference at %(start)s: "
        "median %(median)s %% (MAD %(mad)s, %(samples)s days); threshold %(threshold)s %% (median + "
        "%(mads)s normalised MADs, and at least %(floor)s %%)"
    ),
}
TOO_SHORT = N_(
    "Response times and CPU: %(days)s days of metrics history, at least %(needed)s days of the same hour "
    "needed before an hour can be compared with its baseline"
)

_SQL = f"""
WITH m AS (
    SELECT event_id, ts, host,
           CASE WHEN regexp_matches(lower(provider), 'response|latency') THEN 'response'
                WHEN regexp_matches(lower(provider), 'cpu') THEN 'cpu' END AS kind,
           TRY_CAST(fields['value'] AS DOUBLE) AS value
    FROM events WHERE source = 'metrics' AND host IS NOT NULL
),
hourly AS (
    SELECT lower(host) AS h_key, min(host) AS host, kind, date_trunc('hour', ts) AS h,
           round(avg(value), 6) AS value, {ordered_list("event_id", "ts", "event_id")} AS ids,
           {local_hour("date_trunc('hour', ts)")} AS hod
    FROM m WHERE kind IS NOT NULL AND value IS NOT NULL GROUP BY 1, 3, 4
)
SELECT t.host, t.kind, t.h, t.value, t.ids, list(s.value)
FROM hourly t LEFT JOIN hourly s
  ON s.h_key = t.h_key AND s.kind = t.kind AND s.hod = t.hod
 AND s.h < t.h AND s.h >= t.h - INTERVAL {BASELINE_DAYS} DAY
WHERE t.h >= ?
GROUP BY ALL ORDER BY t.host, t.kind, t.h
"""  # noqa: S608 -- only module constants are formatted in
"""Each host's hourly mean of each metric since ``?``, with the hourly means of the same local hour of
its previous days as a list (median and MAD in Python: Spark has no ``mad``). The hourly mean is rounded
to 6 decimals: a sum of doubles differs in its last bits with the order of addition, which differs
between engines, and a threshold must not."""


def threshold(kind: str, median: float, mad: float) -> float:
    if kind == "cpu":
        return max(median + MADS * max(MAD_TO_SIGMA * mad, CPU_MIN_SPREAD), CPU_MIN)
    spread = max(MAD_TO_SIGMA * mad, RESPONSE_MIN_SPREAD * median)
    return max(median + MADS * spread, RESPONSE_MIN_RATIO * median)


def _hour(moment: datetime, zone: str) -> dict[str, str]:
    return {"hour": moment.isoformat(), "tz": zone}


def detect(context: Context) -> list[Outcome]:
    outcome = Outcome("metrics", Signal.SLOWDOWN, Status.NO_DATA)
    if not context.has_events:
        return [outcome]
    first = context.rows("SELECT min(ts) FROM events WHERE source = 'metrics'")[0][0]
    if first is None:
        return [outcome]
    outcome.status = Status.OK
    zone = context.hours.timezone
    since = context.since.replace(minute=0, second=0, microsecond=0)
    rows = context.rows(_SQL, [zone, since])
    judged = 0
    above: list[tuple[Any, ...]] = []
    for host, kind, h, value, ids, same_hour in rows:
        baseline = samples(same_hour)
        if len(baseline) < MIN_DAYS:
            continue
        judged += 1
        median, mad = median_mad(baseline)
        limit = threshold(kind, median, mad)
        if value > limit:
            params = {
                "value": round(float(value), 1),
                "host": host,
                "start": _hour(h, zone),
                "end": _hour(h + timedelta(hours=1), zone),
                "median": round(median, 1),
                "mad": round(mad, 1),
                "samples": len(baseline),
                "threshold": round(limit, 1),
                "mads": int(MADS),
                "ratio": RESPONSE_MIN_RATIO,
                "floor": CPU_MIN,
            }
            above.append((host, kind, h, float(value), list(ids), Explanation(EXPLAIN[kind], params)))
    if rows and not judged:
        outcome.status = Status.SHORT_HISTORY
        outcome.notes.append(Explanation(TOO_SHORT, {"days": (context.now - first).days, "needed": MIN_DAYS}))
    outcome.detections = _merge(above, context.now)
    return [outcome]


def _merge(above: list[tuple[Any, ...]], now: datetime) -> list[Detection]:
    """Consecutive hours of one host and metric make one alert, explained by its worst hour."""
    detections: list[Detection] = []
    groups: list[list[tuple[Any, ...]]] = []
    for item in above:
        last = groups[-1][-1] if groups else None
        if (
            last is not None
            and (last[0], last[1]) == (item[0], item[1])
            and item[2] - last[2] <= timedelta(hours=1)
        ):
            groups[-1].append(item)
        else:
            groups.append([item])
    for group in groups:
        worst = max(group, key=lambda g: g[3])
        host, kind = group[0][0], group[0][1]
        ids = [i for g in group for i in g[4]]
        detections.append(
            Detection(
                rule=CPU if kind == "cpu" else RESPONSE,
                host=host,
                user="",
                first=group[0][2],
                last=min(group[-1][2] + timedelta(hours=1), now),
                count=len(ids),
                event_ids=tuple(ids),
                explanation=worst[5],
            )
        )
    return detections
