"""NDJSON, syslog, Postfix, M365 message trace and metrics readers on realistic samples."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from hygie.core.errors import ValidationError
from hygie.detect.ingest import detect_source, m365, metrics, ndjson, postfix, syslog
from hygie.detect.ingest.common import ReadContext, flatten, parse_iso

WINLOGBEAT = (
    '{"@timestamp":"2024-03-11T08:15:02.517Z","event":{"code":"4688","provider":"Microsoft-Windows-Security-'
    'Auditing","action":"created-process"},"host":{"name":"pc-urg-01"},"winlog":{"channel":"Security",'
    '"event_id":"4688","provider_name":"Microsoft-Windows-Security-Auditing","record_id":182733,'
    '"computer_name":"PC-URG-01.chu-exemple.local","event_data":{"SubjectUserName":"idupont",'
    '"NewProcessName":"C:\\\\Windows\\\\System32\\\\vssadmin.exe",'
    '"CommandLine":"vssadmin delete shadows /all /quiet"}},"message":"A new process has been created."}'
)
WAZUH = (
    '{"timestamp":"2024-03-11T09:20:11.042+0100","rule":{"level":5,"description":"Logon failure",'
    '"id":"60122"},"agent":{"id":"012","name":"SRV-DPI","ip":"10.20.1.5"},"manager":{"name":"wazuh"},'
    '"id":"1710145211.18227","decoder":{"name":"windows_eventchannel"},"data":{"win":{"system":{'
    '"providerName":"Microsoft-Windows-Security-Auditing","eventID":"4625","channel":"Security",'
    '"computer":"SRV-DPI.chu-exemple.local","eventRecordID":"553201","systemTime":'
    '"2024-03-11T08:20:10.9876543Z"},"eventdata":{"targetUserName":"admin","ipAddress":"10.66.0.9",'
    '"logonType":"3","commandLine":"-"}}},"location":"EventChannel"}'
)
WAZUH_SYSLOG = (
    '{"timestamp":"2024-03-11T09:21:00.000+0000","agent":{"id":"003","name":"lnx-pacs"},"full_log":"Mar 11 '
    '09:21:00 lnx-pacs sshd[811]: Failed password for root from 10.66.0.9 port 50022 ssh2","predecoder":'
    '{"program_name":"sshd"},"data":{"srcip":"10.66.0.9","dstuser":"root"},"location":"/var/log/auth.log"}'
)


def context(path: Path | None = None, **kwargs: object) -> ReadContext:
    return ReadContext("sample", path or Path("sample"), **kwargs)  # type: ignore[arg-type]


def stream(text: str | bytes) -> io.BufferedReader:
    data = text.encode() if isinstance(text, str) else text
    return io.BufferedReader(io.BytesIO(data))  # type: ignore[arg-type]


def test_winlogbeat_event_gets_windows_names() -> None:
    ctx = context()
    [event] = list(ndjson.read_stream(ctx, stream(WINLOGBEAT + "\n")))
    assert event.ts == datetime(2024, 3, 11, 8, 15, 2, 517000, tzinfo=UTC)
    assert (event.channel, event.event_code, event.record_id) == ("Security", 4688, 182733)
    assert event.host == "PC-URG-01.chu-exemple.local" and event.user == "idupont"
    assert event.provider == "Microsoft-Windows-Security-Auditing"
    assert event.fields["CommandLine"] == "vssadmin delete shadows /all /quiet"
    assert event.fields["winlog.event_data.CommandLine"] == event.fields["CommandLine"]
    assert event.fields["EventID"] == "4688" and event.fields["host.name"] == "pc-urg-01"
    assert event.message == WINLOGBEAT and event.offset == 0


def test_wazuh_windows_and_syslog_alerts() -> None:
    ctx = context()
    windows, linux = list(ndjson.read_stream(ctx, stream(f"{WAZUH}\n\n{WAZUH_SYSLOG}\n")))
    assert windows.ts == datetime(2024, 3, 11, 8, 20, 10, 987654, tzinfo=UTC)  # the Windows time wins
    assert windows.fields["TargetUserName"] == "admin" and windows.fields["IpAddress"] == "10.66.0.9"
    assert windows.fields["LogonType"] == "3" and windows.fields["Provider_Name"].endswith("Auditing")
    assert (windows.event_code, windows.channel, windows.user) == (4625, "Security", "admin")
    assert windows.fields["rule.id"] == "60122"
    assert linux.ts == datetime(2024, 3, 11, 9, 21, tzinfo=UTC)
    assert (linux.host, linux.event_code, linux.user) == ("lnx-pacs", None, "root")
    assert linux.channel == "/var/log/auth.log" and linux.offset == len(WAZUH) + 2
    assert ctx.corrupt == 0


def test_bad_ndjson_lines_are_counted_with_their_offset() -> None:
    bad = b'{"@timestamp":"2024-03-11T08:00:00Z","msg":"caf\xe9"}\n{broken\n[1,2]\n{"no":"time"}\n'
    ctx = context()
    events = list(ndjson.read_stream(ctx, stream(bad)))
    assert len(events) == 1 and events[0].fields["msg"] == "caf\ufffd"  # invalid UTF-8 kept, replaced
    assert ctx.corrupt == 3
    assert [p.offset for p in ctx.problems] == [
        bad.index(b"{broken"),
        bad.index(b"[1,2]"),
        bad.index(b'{"no"'),
    ]


AUTH_LOG = """\
Mar 11 09:21:00 lnx-pacs sshd[811]: Failed password for invalid user admin from 10.66.0.9 port 50022 ssh2
Mar 11 09:21:03 lnx-pacs sshd[811]: Accepted publickey for radiologue from 10.20.3.4 port 50100 ssh2
Mar  2 00:00:01 lnx-pacs sudo:  jmartin : TTY=pts/0 ; PWD=/home/jmartin ; USER=root ; COMMAND=/bin/bash
<4>Mar 11 09:22:10 fw-01 kernel: [12345.678] DROP IN=eth0 OUT= SRC=10.66.0.9 DST=10.20.1.5 PROTO=TCP DPT=445
<34>1 2024-03-11T08:23:00.003Z srv-ad01 su 4242 ID47 [exampleSDID@32473 iut="3" eventSource="Application \
\\"X\\""] 'su root' failed for jmartin on /dev/pts/8
<165>1 2024-03-11T09:24:00+01:00 lnx-pacs - - - - no structured data
2024-03-11T09:25:00.123456+01:00 lnx-pacs CRON[99]: (root) CMD (run-parts /etc/cron.hourly)
this is not syslog
"""


def test_syslog_rfc3164_5424_and_rfc3339() -> None:
    ctx = context(reference=datetime(2024, 3, 12, tzinfo=UTC), timezone=ZoneInfo("Europe/Paris"))
    events = list(syslog.read_stream(ctx, stream(AUTH_LOG)))
    assert len(events) == 7 and ctx.corrupt == 1 and ctx.problems[0].offset == AUTH_LOG.index("this is")
    failed, accepted, sudo, kernel, su, bare, cron = events
    assert failed.ts == datetime(2024, 3, 11, 8, 21, tzinfo=UTC)  # 09:21 in Paris (UTC+1 in March)
    assert (failed.host, failed.channel, failed.user) == ("lnx-pacs", "sshd", "admin")
    assert failed.fields["pid"] == "811" and failed.fields["message"].startswith("Failed password")
    assert accepted.user == "radiologue"
    assert sudo.user == "jmartin" and sudo.fields["COMMAND"] == "/bin/bash"
    assert kernel.fields["facility"] == "kern" and kernel.fields["severity"] == "warning"
    assert (kernel.fields["SRC"], kernel.fields["DPT"], kernel.host) == ("10.66.0.9", "445", "fw-01")
    assert su.ts == datetime(2024, 3, 11, 8, 23, 0, 3000, tzinfo=UTC)
    assert (su.fields["facility"], su.fields["severity"], su.fields["msgid"]) == ("auth", "crit", "ID47")
    assert su.fields["exampleSDID@32473.eventSource"] == 'Application "X"'
    assert su.fields["message"] == "'su root' failed for jmartin on /dev/pts/8"
    assert (
        bare.ts == datetime(2024, 3, 11, 8, 24, tzinfo=UTC) and bare.fields["message"] == "no structured data"
    )
    assert "program" not in bare.fields and bare.fields["facility"] == "local4"
    assert cron.ts == datetime(2024, 3, 11, 8, 25, 0, 123456, tzinfo=UTC) and cron.channel == "CRON"


def test_syslog_year_comes_from_the_file_date() -> None:
    ctx = context(reference=datetime(2024, 1, 3, tzinfo=UTC))
    [event] = list(syslog.read_stream(ctx, stream("Dec 31 23:59:59 h app: x\n")))
    assert event.ts.year == 2023


def test_ten_megabyte_line_is_truncated_and_counted() -> None:
    huge = "Mar 11 09:21:00 lnx-pacs app[1]: " + "A" * (10 << 20)
    text = f"{huge}\nMar 11 09:21:01 lnx-pacs app[1]: after\n"
    ctx = context(reference=datetime(2024, 3, 12, tzinfo=UTC))
    first, after = list(syslog.read_stream(ctx, stream(text)))
    assert ctx.truncated == 1 and ctx.problems[0].reason == f"line of {len(huge) + 1} bytes truncated"
    assert first.message is not None and len(first.message) == 1 << 20
    assert after.fields["message"] == "after" and after.offset == len(huge) + 1


POSTFIX_LOG = """\
Mar 11 10:00:01 mx1 postfix/smtpd[2001]: connect from mail.example.org[203.0.113.7]
Mar 11 10:00:02 mx1 postfix/smtpd[2001]: 4F2A31C0A2: client=mail.example.org[203.0.113.7], \
sasl_method=PLAIN, sasl_username=secretariat
Mar 11 10:00:02 mx1 postfix/cleanup[2002]: 4F2A31C0A2: message-id=<20240311.abc@example.org>
Mar 11 10:00:03 mx1 postfix/qmgr[900]: 4F2A31C0A2: from=<facture@example.org>, size=48213, \
nrcpt=1 (queue active)
Mar 11 10:00:04 mx1 postfix/smtp[2003]: 4F2A31C0A2: to=<compta@chu-exemple.fr>, \
relay=10.0.0.25[10.0.0.25]:25, delay=2.1, delays=0.1/0/1/1, dsn=2.0.0, \
status=sent (250 2.0.0 Ok: queued as 8B1E2)
Mar 11 10:00:05 mx1 postfix/smtpd[2004]: NOQUEUE: reject: RCPT from unknown[198.51.100.9]: 554 5.7.1 \
Service unavailable; Client host [198.51.100.9] blocked using zen.spamhaus.org; from=<x@phish.example> \
to=<dg@chu-exemple.fr> proto=ESMTP helo=<phish.example>
"""


def test_postfix_fields() -> None:
    ctx = context(reference=datetime(2024, 3, 12, tzinfo=UTC))
    events = list(postfix.read_stream(ctx, stream(POSTFIX_LOG)))
    assert len(events) == 6 and ctx.corrupt == 0
    connect, client, cleanup, qmgr, sent, reject = events
    assert (connect.fields["client_host"], connect.fields["client_ip"]) == ("mail.example.org", "203.0.113.7")
    assert client.user == "secretariat" and client.fields["queue_id"] == "4F2A31C0A2"
    assert cleanup.fields["message-id"] == "20240311.abc@example.org"
    assert (qmgr.fields["from"], qmgr.fields["size"], qmgr.fields["nrcpt"]) == (
        "facture@example.org",
        "48213",
        "1",
    )
    assert (sent.fields["to"], sent.fields["status"], sent.fields["dsn"]) == (
        "compta@chu-exemple.fr",
        "sent",
        "2.0.0",
    )
    assert sent.fields["status_detail"] == "250 2.0.0 Ok: queued as 8B1E2"
    assert (sent.channel, sent.provider) == ("postfix/smtp", "postfix")
    assert (reject.fields["queue_id"], reject.fields["status"], reject.fields["reject_stage"]) == (
        "NOQUEUE",
        "reject",
        "RCPT",
    )
    assert reject.fields["client_ip"] == "198.51.100.9" and reject.fields["from"] == "x@phish.example"
    assert reject.fields["reject_reason"].startswith("554 5.7.1 Service unavailable")


M365_CSV = (
    "#TYPE Deserialized.Microsoft.Exchange.Management.FfoReporting.MessageTrace\r\n"
    '"Organization","MessageId","Received","SenderAddress","RecipientAddress","Subject","Status","ToIP",'
    '"FromIP","Size","MessageTraceId","StartDate","EndDate","Index"\r\n'
    '"chuexemple.onmicrosoft.com","<AM0PR01MB@eurprd01.prod.outlook.com>","3/11/2024 9:58:11 AM",'
    '"alerte@micros0ft-support.com","dg@chu-exemple.fr","Votre mot de passe expire, action requise",'
    '"FilteredAsSpam",'
    '"","198.51.100.20","23011","0f5c1e1a-7b7a-4a43-9a36-0d5b2f0d8d11","3/10/2024 12:00:00 AM",'
    '"3/12/2024 12:00:00 AM","0"\r\n'
    '"chuexemple.onmicrosoft.com","<x2@example.org>","2024-03-11T10:02:00.1234567","rh@example.org",'
    '"compta@chu-exemple.fr","Bulletins, mars","Delivered","","203.0.113.9","1200","1b","","","1"\r\n'
    '"chuexemple.onmicrosoft.com","<x3>","yesterday","a@b","c@d","s","Delivered","","","1","2","","","2"\r\n'
)


def test_m365_message_trace() -> None:
    ctx = context()
    first, second = list(m365.read_stream(ctx, stream(M365_CSV.encode("utf-8-sig"))))
    assert first.ts == datetime(2024, 3, 11, 9, 58, 11, tzinfo=UTC)
    assert (first.user, first.fields["RecipientAddress"], first.fields["Status"]) == (
        "alerte@micros0ft-support.com",
        "dg@chu-exemple.fr",
        "FilteredAsSpam",
    )
    assert first.fields["Subject"] == "Votre mot de passe expire, action requise"
    assert (first.channel, first.provider, first.host) == (
        "messagetrace",
        "exchange-online",
        "chuexemple.onmicrosoft.com",
    )
    assert second.ts == datetime(2024, 3, 11, 10, 2, 0, 123456, tzinfo=UTC) and second.record_id == 4
    assert ctx.corrupt == 1 and ctx.problems[0].offset == 5  # line numbers of the file, #TYPE line included


def test_m365_historical_report_columns_get_trace_names() -> None:
    text = (
        "origin_timestamp_utc,sender_address,recipient_status,message_subject,total_bytes,message_id,"
        "network_message_id,original_client_ip,directionality,connector_id,delivery_priority\n"
        "2024-03-11T09:00:00.000Z,x@phish.example,dg@chu-exemple.fr##Receive,Facture,1000,<m>,n1,"
        "198.51.100.9,Incoming,,Normal\n"
    )
    [event] = list(m365.read_stream(context(), stream(text)))
    assert event.fields["SenderAddress"] == "x@phish.example" and event.fields["Subject"] == "Facture"
    assert event.fields["sender_address"] == "x@phish.example" and event.fields["FromIP"] == "198.51.100.9"


METRICS_CSV = """time,host,metric,value,unit
2024-03-11T10:00:00Z,srv-dpi,cpu_percent,37.5,%
2024-03-11T10:00:00Z,srv-dpi,response_ms,180,ms
2024-03-11T10:01:00,srv-dpi,cpu_percent,high,%
2024-03-11T10:01:00,srv-dpi,cpu_percent,99
"""


def test_metrics_csv() -> None:
    ctx = context(timezone=ZoneInfo("Europe/Paris"))
    cpu, response = list(metrics.read_stream(ctx, stream(METRICS_CSV)))
    assert (cpu.host, cpu.provider, cpu.fields["value"], cpu.fields["unit"]) == (
        "srv-dpi",
        "cpu_percent",
        "37.5",
        "%",
    )
    assert response.ts == datetime(2024, 3, 11, 10, tzinfo=UTC) and response.record_id == 3
    assert ctx.corrupt == 2 and [p.offset for p in ctx.problems] == [4, 5]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (WINLOGBEAT + "\n", "ndjson"),
        (AUTH_LOG, "syslog"),
        (POSTFIX_LOG, "postfix"),
        (M365_CSV, "m365"),
        (METRICS_CSV, "metrics"),
    ],
)
def test_format_detected_from_content(tmp_path: Path, content: str, expected: str) -> None:
    path = tmp_path / "log.txt"
    path.write_text(content, encoding="utf-8")
    assert detect_source(path) == expected


def test_unknown_format_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.md"
    path.write_text("# Notes\n\nNothing to see.\n", encoding="utf-8")
    with pytest.raises(ValidationError, match="format not recognised"):
        detect_source(path)


def test_iso_times() -> None:
    assert parse_iso("2024-03-11T08:20:10.9876543Z") == datetime(2024, 3, 11, 8, 20, 10, 987654, tzinfo=UTC)
    assert parse_iso("2024-03-11T09:20:11.042+0100") == datetime(2024, 3, 11, 8, 20, 11, 42000, tzinfo=UTC)
    assert parse_iso("2020-10-05T20:43:58.3901903Z UTC") == datetime(
        2020, 10, 5, 20, 43, 58, 390190, tzinfo=UTC
    )
    assert parse_iso("2024-03-11 10:00") == datetime(2024, 3, 11, 10, tzinfo=UTC)
    assert parse_iso("soon") is None
    # The direct path for ``...Z`` times gives what the general one gives; what it cannot read falls through.
    assert parse_iso("2024-03-11T10:00:00.5Z") == datetime(2024, 3, 11, 10, 0, 0, 500000, tzinfo=UTC)
    assert parse_iso("2024-03-11 10:00:00Z") == datetime(2024, 3, 11, 10, tzinfo=UTC)
    assert parse_iso(" 2024-03-11T10:00:00Z ") == datetime(2024, 3, 11, 10, tzinfo=UTC)
    assert parse_iso("2024-03-11T10:00:00Z").tzinfo is UTC
    assert parse_iso("2024-13-11T10:00:00Z") is None and parse_iso("Z") is None


def test_flatten_keeps_every_leaf_as_text() -> None:
    fields: dict[str, str] = {}
    document = {
        "a": {"b": {"n": 1, "list": ["x", 2, None, True]}, "": "e"},
        "": "top",
        "none": None,
        "f": 1.5,
    }
    flatten({**document, "t": False, "o": {}}, "", fields)
    assert fields == {"a.b.n": "1", "a.b.list": "x\n2\ntrue", "a.": "e", "f": "1.5", "t": "false"}


def test_flat_ndjson_lines_keep_their_fields_in_order() -> None:
    # A line of text values only is taken as it is; any other value sends it through the flattening.
    flat = '{"TimeCreated_SystemTime":"2024-03-10T10:00:00.5Z","EventID":"4624","Computer":"pc-1","a":""}'
    mixed = '{"@timestamp":"2024-03-10T10:00:00Z","b":"x","":"empty","n":null,"k":3,"o":{"p":"q"}}'
    stream = io.BytesIO(f"{flat}\n{mixed}\n".encode())
    first, second = ndjson.read_stream(ReadContext("x.json", Path("x.json")), stream)
    assert list(first.fields.items()) == [
        ("TimeCreated_SystemTime", "2024-03-10T10:00:00.5Z"),
        ("EventID", "4624"),
        ("Computer", "pc-1"),
        ("a", ""),
    ]
    assert (first.event_code, first.host, first.ts) == (
        4624,
        "pc-1",
        datetime(2024, 3, 10, 10, 0, 0, 500000, UTC),
    )
    assert list(second.fields.items()) == [
        ("@timestamp", "2024-03-10T10:00:00Z"),
        ("b", "x"),
        ("k", "3"),
        ("o.p", "q"),
    ]


def test_invalid_utf8_in_syslog_is_replaced_not_fatal() -> None:
    raw = b"Mar 11 09:21:00 lnx-pacs app[1]: user \xff\xfe caf\xe9\nMar 11 09:21:01 lnx-pacs app[1]: ok\n"
    ctx = context(reference=datetime(2024, 3, 12, tzinfo=UTC))
    bad, ok = list(syslog.read_stream(ctx, stream(raw)))
    assert bad.fields["message"] == "user \ufffd\ufffd caf\ufffd" and ok.fields["message"] == "ok"
    assert ctx.corrupt == 0


def test_gzip_rotated_log_is_read(tmp_path: Path) -> None:
    import gzip

    path = tmp_path / "auth.log.2.gz"
    with gzip.open(path, "wt", encoding="utf-8") as out:
        out.write(AUTH_LOG)
    assert detect_source(path) == "syslog"
    ctx = context(path, reference=datetime(2024, 3, 12, tzinfo=UTC))
    events = list(syslog.read(ctx))
    assert len(events) == 7 and events[1].offset == AUTH_LOG.index("Mar 11 09:21:03")
