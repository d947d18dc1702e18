"""NDJSON: a JSON object a line, as Winlogbeat (Elastic) and Wazuh (``alerts.json``, ``archives.json``) write.

Every key is kept flattened with dots. A Windows event carried by Winlogbeat (``winlog.*``) or by Wazuh
(``data.win.system`` / ``data.win.eventdata``, camelCase) also gets its Windows names (``CommandLine``,
``EventID``, ``Channel``, ``Provider_Name``...), so the Sigma rules written for EVTX apply unchanged.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import IO, Any

import orjson

from hygie.detect.events import Event
from hygie.detect.ingest.common import ReadContext, decode, flatten, lines, open_binary, parse_iso, text

# Winlogbeat's winlog.* keys and Wazuh's data.win.system keys → the EVTX System names.
_WINLOGBEAT_SYSTEM = {
    "channel": "Channel",
    "event_id": "EventID",
    "provider_name": "Provider_Name",
    "provider_guid": "Provider_Guid",
    "record_id": "EventRecordID",
    "computer_name": "Computer",
    "task": "Task",
    "opcode": "Opcode",
    "version": "Version",
    "keywords": "Keywords",
}
_WAZUH_SYSTEM = {
    "providerName": "Provider_Name",
    "providerGuid": "Provider_Guid",
    "eventID": "EventID",
    "eventRecordID": "EventRecordID",
    "systemTime": "TimeCreated_SystemTime",
    "processID": "Execution_ProcessID",
    "threadID": "Execution_ThreadID",
    "securityUserID": "Security_UserID",
}
_USER_FIELDS = ("TargetUserName", "SubjectUserName", "User", "user.name", "data.srcuser", "data.dstuser")
_TIME_KEYS = ("@timestamp", "timestamp", "time", "ts")
_EVENT_TIME_KEYS = ("TimeCreated_SystemTime", *_TIME_KEYS)
_TEXT_ONLY = frozenset({str})
_HOST_KEYS = ("host.name", "host.hostname", "agent.name", "hostname", "host")


def _windows_name(name: str) -> str:
    """Wazuh writes ``commandLine`` for the Windows ``CommandLine``."""
    return name[:1].upper() + name[1:]


def _windows_fields(document: dict[str, Any], fields: dict[str, str]) -> None:
    winlog = document.get("winlog")
    if isinstance(winlog, dict):
        for key, name in _WINLOGBEAT_SYSTEM.items():
            value = text(winlog.get(key))
            if value is not None:
                fields.setdefault(name, value)
        for part in ("event_data", "user_data"):
            data = winlog.get(part)
            if isinstance(data, dict):
                for key, item in data.items():
                    value = text(item)
                    if value is not None:
                        fields.setdefault(key, value)
        return
    data = document.get("data")
    win = data.get("win") if isinstance(data, dict) else None
    if not isinstance(win, dict):
        return
    system = win.get("system")
    if isinstance(system, dict):
        for key, item in system.items():
            value = text(item)
            if value is not None:
                fields.setdefault(_WAZUH_SYSTEM.get(key, _windows_name(key)), value)
    eventdata = win.get("eventdata")
    if isinstance(eventdata, dict):
        for key, item in eventdata.items():
            value = text(item)
            if value is not None:
                fields.setdefault(_windows_name(key), value)


def _first(fields: dict[str, str], names: tuple[str, ...]) -> str | None:
    return next((fields[name] for name in names if fields.get(name)), None)


def _int(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        return None


def to_event(document: dict[str, Any], raw: str, offset: int, ordinal: int) -> Event | None:
    """The event of one parsed line; ``None`` when it has no usable time."""
    fields: dict[str, str]
    if _TEXT_ONLY.issuperset(map(type, document.values())) and "" not in document:
        # Every value is already text (an export of flat fields): the document is its own flattening,
        # checked and taken in C rather than key by key (no object either, so no Winlogbeat or Wazuh part).
        fields = document
    else:
        fields = {}
        flatten(document, "", fields)
        _windows_fields(document, fields)
    ts: datetime | None = None
    for key in _EVENT_TIME_KEYS:
        if fields.get(key):
            ts = parse_iso(fields[key])
            if ts is not None:
                break
    if ts is None:
        return None
    code = _int(fields.get("EventID") or fields.get("event.code"))
    is_windows = "EventID" in fields
    return Event(
        ts=ts,
        host=fields.get("Computer") or _first(fields, _HOST_KEYS),
        channel=fields.get("Channel") or fields.get("location") or fields.get("event.dataset"),
        provider=fields.get("Provider_Name") or fields.get("decoder.name") or fields.get("event.provider"),
        event_code=code if is_windows and code is not None and -(2**31) <= code < 2**31 else None,
        record_id=_int(fields.get("EventRecordID")) or ordinal,
        user=_first(fields, _USER_FIELDS),
        message=raw,
        fields=fields,
        offset=offset,
        key=offset,
    )


def read_stream(context: ReadContext, stream: IO[bytes]) -> Iterator[Event]:
    ordinal = 0
    for offset, line in lines(stream, context):
        ordinal += 1
        try:
            document = orjson.loads(line)
        except orjson.JSONDecodeError:
            try:  # invalid UTF-8 inside strings: read it with U+FFFD rather than lose the record
                document = orjson.loads(decode(line))
            except orjson.JSONDecodeError as exc:
                context.problem(offset, f"not JSON: {exc}")
                continue
        if not isinstance(document, dict):
            context.problem(offset, "not a JSON object")
            continue
        event = to_event(document, decode(line), offset, ordinal)
        if event is None:
            context.problem(offset, "no time (@timestamp, timestamp)")
            continue
        yield event


def read(context: ReadContext) -> Iterator[Event]:
    with open_binary(context.path) as stream:
        yield from read_stream(context, stream)
