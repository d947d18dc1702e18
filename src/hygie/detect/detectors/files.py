"""Ransomware behaviour: mass file writes or renames on a host, and files named the way ransomware names
what it encrypts or the notes it leaves.

File events: Sysmon 11 (file created; ``TargetFilename``) and Windows 4663 (an access to an audited object,
renames and writes included; ``ObjectName``). Volume is counted per host in 5-minute buckets and compared
with the host's own usual busiest buckets (99th percentile of the previous week), with a fixed floor so
that a quiet host does not alert on a routine copy.
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
    quantile,
    samples,
)
from hygie.detect.detectors.queries import ordered_list
from hygie.detect.models import AlertLevel

MASS_WRITES = Rule(
    id="hygie-stat-mass-file-writes",
    title=N_("Mass file writes or renames"),
    level=AlertLevel.HIGH,
    signal=Signal.RANSOMWARE,
    techniques=("T1486",),
    tactics=("impact",),
)
RANSOM_NAMES = Rule(
    id="hygie-stat-ransom-file-names",
    title=N_("Files named like ransomware output"),
    level=AlertLevel.CRITICAL,
    signal=Signal.RANSOMWARE,
    techniques=("T1486",),
    tactics=("impact",),
)

BUCKET = timedelta(minutes=5)
"""Encryption touches thousands of files in minutes; five-minute buckets catch it early."""
_MINUTES = int(BUCKET.total_seconds() // 60)  # a divisor of 60: buckets start at multiples of it
FLOOR = 300
"""File events in one bucket below which nothing is judged unusual (a user copying a folder)."""
FACTOR = 3.0
"""Times the host's usual busiest bucket (99th percentile of the previous week)."""
HISTORY = timedelta(days=7)
"""History of the host read for its usual volume; a host without any is judged on the floor alone."""
MIN_NAMES = 5
"""Files with ransomware-like names on one host within an hour: one could be a test, five are not."""
NAME_GAP = timedelta(hours=1)

RANSOM_PATTERN = (
    r"\.(locked|encrypted|crypted|crypt|cry|lockbit|conti|ryk|ryuk|wncry|wnry|locky|cerber|zepto|akira|royal"
    r"|blacksuit|basta|rhysida|medusa|phobos|dharma|djvu|hive|babuk|lockfile)$"
    r"|(how_to_(decrypt|restore|recover)|decrypt_(instructions|files)|restore[-_]my[-_]files"
    r"|readme[-_]?(for|to)[-_]?decrypt|!+_?read_?me)[^\\/]*$"
)
"""File extensions of known ransomware families and names of their ransom notes (lower case)."""

EXPLAIN = N_(
    "%(count)s files written or renamed on %(host)s in %(minutes)s minutes (from %(first)s); usual busiest "
    "%(minutes)s minutes of this host (99th percentile, %(days)s days): %(usual)s; threshold %(threshold)s "
    "(%(factor)s × usual, at least %(floor)s)"
)
EXPLAIN_NEW_HOST = N_(
    "%(count)s files written or renamed on %(host)s in %(minutes)s minutes (from %(first)s); no history of "
    "this host yet: fixed threshold %(threshold)s"
)
EXPLAIN_NAMES = N_(
    "%(count)s files named like ransomware output or ransom notes on %(host)s between %(first)s and "
    "%(last)s (for example %(example)s); threshold %(threshold)s files less than an hour apart"
)

_FILES = """
    SELECT event_id, ts, host, lower(coalesce(fields['TargetFilename'], fields['ObjectName'], '')) AS name
    FROM events WHERE source IN ('evtx', 'ndjson') AND host IS NOT NULL
      AND ((event_code = 11 AND lower(channel) LIKE '%sysmon%')
           OR (event_code = 4663 AND channel = 'Security'))
"""

_VOLUME = f"""
WITH f AS ({_FILES}),
buckets AS (
    SELECT lower(host) AS h_key, min(host) AS host,
           date_trunc('hour', ts)
               + INTERVAL {_MINUTES} MINUTE * CAST(floor(minute(ts) / {_MINUTES}) AS INTEGER) AS b,
           count(*) AS n, {ordered_list("event_id", "ts", "event_id")} AS ids
    FROM f GROUP BY 1, 3
)
SELECT t.host, t.b, t.n, t.ids, list(s.n)
FROM buckets t LEFT JOIN buckets s
  ON s.h_key = t.h_key AND s.b < t.b AND s.b >= t.b - INTERVAL {HISTORY.days} DAY
WHERE t.b >= ? AND t.n >= ?
GROUP BY ALL ORDER BY t.host, t.b
"""  # noqa: S608 -- constants only
"""The buckets of each host over the floor since ``?``, with the counts of the host's buckets of the
previous week as a list (its quantile in Python). A bucket starts at a multiple of :data:`BUCKET` in the
hour (DuckDB's ``time_bucket`` is not in Spark)."""


def _moment(value: Any, zone: str) -> dict[str, str]:
    return {"moment": value.isoformat(), "tz": zone}


def detect(context: Context) -> list[Outcome]:
    outcome = Outcome("files", Signal.RANSOMWARE, Status.NO_DATA)
    if not context.has_events:
        return [outcome]
    if not context.rows(f"SELECT count(*) FROM ({_FILES})")[0][0]:  # noqa: S608 -- constants only
        return [outcome]
    outcome.status = Status.OK
    outcome.detections = _volume(context) + _names(context)
    return [outcome]


def _volume(context: Context) -> list[Detection]:
    zone = context.hours.timezone
    minutes = int(BUCKET.total_seconds() // 60)
    above: list[tuple[Any, ...]] = []
    for host, bucket, n, ids, previous in context.rows(_VOLUME, [context.since, FLOOR]):
        history = samples(previous)
        usual = quantile(history, 0.99) if history else None
        limit = max(float(FLOOR), FACTOR * usual) if usual is not None else float(FLOOR)
        if n < limit:
            continue
        params: dict[str, Any] = {
            "count": int(n),
            "host": host,
            "minutes": minutes,
            "first": _moment(bucket, zone),
            "threshold": round(limit, 1),
        }
        if usual is None:
            text = EXPLAIN_NEW_HOST
        else:
            text = EXPLAIN
            params |= {"usual": round(usual, 1), "days": HISTORY.days, "factor": FACTOR, "floor": FLOOR}
        above.append((host, bucket, int(n), list(ids), Explanation(text, params)))
    detections: list[Detection] = []
    groups: list[list[tuple[Any, ...]]] = []
    for item in above:
        last = groups[-1][-1] if groups else None
        if last is not None and last[0] == item[0] and item[1] - last[1] <= BUCKET:
            groups[-1].append(item)
        else:
            groups.append([item])
    for group in groups:
        peak = max(group, key=lambda g: g[2])
        ids = [i for g in group for i in g[3]]
        detections.append(
            Detection(
                rule=MASS_WRITES,
                host=group[0][0],
                user="",
                first=group[0][1],
                last=min(group[-1][1] + BUCKET, context.now),
                count=len(ids),
                event_ids=tuple(ids),
                explanation=peak[4],
            )
        )
    return detections


def _names(context: Context) -> list[Detection]:
    zone = context.hours.timezone
    rows = context.rows(
        f"SELECT event_id, ts, host, name FROM ({_FILES}) WHERE ts >= ? AND regexp_matches(name, ?) "  # noqa: S608
        "ORDER BY lower(host), ts, event_id",
        [context.since, RANSOM_PATTERN],
    )
    groups: list[list[tuple[Any, ...]]] = []
    for row in rows:
        last = groups[-1][-1] if groups else None
        if last is not None and last[2].lower() == row[2].lower() and row[1] - last[1] <= NAME_GAP:
            groups[-1].append(row)
        else:
            groups.append([row])
    detections: list[Detection] = []
    for group in groups:
        if len(group) < MIN_NAMES:
            continue
        first, last = group[0][1], group[-1][1]
        params = {
            "count": len(group),
            "host": group[0][2],
            "first": _moment(first, zone),
            "last": _moment(last, zone),
            "example": str(group[0][3]).replace("\\", "/").rsplit("/", 1)[-1][:80],
            "threshold": MIN_NAMES,
        }
        detections.append(
            Detection(
                rule=RANSOM_NAMES,
                host=group[0][2],
                user="",
                first=first,
                last=last,
                count=len(group),
                event_ids=tuple(int(g[0]) for g in group),
                explanation=Explanation(EXPLAIN_NAMES, params),
            )
        )
    return detections
