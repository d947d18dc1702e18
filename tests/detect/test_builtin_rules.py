"""Hygie's own rules: each fires on the behaviour it describes and not on the nearest harmless event."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import duckdb
import pytest
import yaml

from hygie.core.i18n import gettext
from hygie.detect.sigma.compiler import CompiledRules, compile_paths
from hygie.detect.sigma.engine import run
from hygie.detect.sigma.logsources import Source, UnmappedLogSource, source_of
from hygie.detect.sigma.rules import BUILTIN_RULES, BUILTIN_TITLES, installed_rule_dirs
from tests.detect.evtx_events import table_of

T0 = datetime(2026, 11, 17, 2, 0, tzinfo=UTC)
SYSMON = "Microsoft-Windows-Sysmon/Operational"

SHADOW = "a90d3bd7-c861-5ed2-a251-c2854e52db24"
BACKUP_STOPPED = "b3819f11-13e2-5863-a013-2b876874e7ab"
BACKUP_TAMPERING = "74effbdf-fdf9-503b-a8f8-b7467cbbe0bc"
LSASS_ACCESS = "d52b10f2-c146-5945-bd9a-2d841539071c"
DUMP_TOOLS = "bb07b314-0a56-5252-9c1e-e151262e3156"
PSEXEC = "f4652382-32e2-5cb3-82f9-8bc3cb5f4f47"
MANY_HOSTS = "8dde0d80-b1b0-5c7a-8313-fb0b76905946"
RDP_OUTSIDE = "6882c560-c970-59da-b1b8-1e5324d43157"
MASS_STOP = "c5a8c47d-87ca-57c1-880a-1b6aacf46e2e"
FAILED_BURST = "cc5a40e8-689a-5e15-8496-3210d4080f7c"
SSH_BRUTE = "8a0f840e-3a4e-57ae-92df-ebab0bca0a03"
MAIL_ATTACHMENT = "22f0de21-21c6-59d3-ad64-1d602b69c757"
BACKUP_FAILED = "c22df0b3-dc55-5188-8625-ce4456674988"


@cache
def builtin() -> CompiledRules:
    return compile_paths([BUILTIN_RULES])


def fired(events: list[dict[str, Any]]) -> set[str]:
    connection = duckdb.connect()
    connection.register("events", table_of(events))
    return {hit.rule_id for hit in run(connection, "events", builtin())}


def sysmon_process(image: str, command: str, seconds: int = 0, host: str = "srv") -> dict[str, Any]:
    return {
        "ts": T0 + timedelta(seconds=seconds),
        "host": host,
        "channel": SYSMON,
        "event_code": 1,
        "fields": {"Image": image, "CommandLine": command, "ParentImage": r"C:\Windows\System32\cmd.exe"},
    }


def security_process(image: str, command: str, seconds: int = 0, host: str = "srv") -> dict[str, Any]:
    """The same process creation as Security 4688 writes it (no Sysmon on the host)."""
    return {
        "ts": T0 + timedelta(seconds=seconds),
        "host": host,
        "channel": "Security",
        "event_code": 4688,
        "fields": {
            "NewProcessName": image,
            "CommandLine": command,
            "ParentProcessName": r"C:\Windows\System32\cmd.exe",
        },
    }


def system(code: int, seconds: int = 0, host: str = "srv", **fields: str) -> dict[str, Any]:
    return {
        "ts": T0 + timedelta(seconds=seconds),
        "host": host,
        "channel": "System",
        "provider": "Service Control Manager",
        "event_code": code,
        "fields": {"Provider_Name": "Service Control Manager", **fields},
    }


def logon(
    code: int, seconds: int, host: str, ip: str, user: str = "m.durand", logon_type: str = "3"
) -> dict[str, Any]:
    return {
        "ts": T0 + timedelta(seconds=seconds),
        "host": host,
        "channel": "Security",
        "event_code": code,
        "fields": {"TargetUserName": user, "IpAddress": ip, "LogonType": logon_type},
    }


def syslog(program: str, message: str, seconds: int = 0, host: str = "dpi-db01") -> dict[str, Any]:
    return {
        "ts": T0 + timedelta(seconds=seconds),
        "host": host,
        "channel": program,
        "provider": program,
        "message": f"<38>1 - {host} {program} - - - {message}",
        "fields": {"program": program, "message": message},
    }


VSSADMIN = r"C:\Windows\System32\vssadmin.exe"


@pytest.mark.parametrize("event", [sysmon_process, security_process])
def test_shadow_copy_deletion_on_sysmon_and_on_4688(event: Any) -> None:
    assert SHADOW in fired([event(VSSADMIN, "vssadmin.exe Delete Shadows /All /Quiet")])
    assert SHADOW in fired(
        [event(r"C:\Windows\System32\bcdedit.exe", "bcdedit /set {default} recoveryenabled No")]
    )
    assert SHADOW in fired([event(r"C:\Windows\System32\wbem\WMIC.exe", "wmic shadowcopy delete")])
    # Listing shadow copies is what a backup check does.
    assert SHADOW not in fired([event(VSSADMIN, "vssadmin list shadows")])


def test_a_4688_rule_does_not_read_sysmon_names_from_another_channel() -> None:
    # A Security event that is not 4688 (a 4689 process exit) with the same fields does not fire.
    event = security_process(VSSADMIN, "vssadmin delete shadows /all")
    event["event_code"] = 4689
    assert SHADOW not in fired([event])


def test_backup_service_stopped_in_english_and_in_french() -> None:
    assert BACKUP_STOPPED in fired([system(7036, param1="Veeam Backup Service", param2="stopped")])
    assert BACKUP_STOPPED in fired(
        [
            system(
                7036,
                param1="Service Veeam Backup",
                param2="arrêté",
            )
        ]
    )
    # Started again, or another service stopped: nothing.
    assert BACKUP_STOPPED not in fired([system(7036, param1="Veeam Backup Service", param2="running")])
    assert BACKUP_STOPPED not in fired([system(7036, param1="Print Spooler", param2="stopped")])
    # Volume Shadow Copy stops by itself after every backup.
    assert BACKUP_STOPPED not in fired([system(7036, param1="Volume Shadow Copy", param2="stopped")])


def test_backup_service_tampering_from_the_command_line() -> None:
    assert BACKUP_TAMPERING in fired(
        [sysmon_process(r"C:\Windows\System32\sc.exe", 'sc config "VeeamBackupSvc" start= disabled')]
    )
    assert BACKUP_TAMPERING in fired(
        [security_process(r"C:\Windows\System32\net.exe", "net stop VeeamDeploymentService /y")]
    )
    assert BACKUP_TAMPERING not in fired(
        [sysmon_process(r"C:\Windows\System32\sc.exe", "sc query VeeamBackupSvc")]
    )


def test_lsass_read_by_an_unknown_process_not_by_the_antivirus() -> None:
    def access(source: str, rights: str) -> dict[str, Any]:
        return {
            "ts": T0,
            "host": "srv",
            "channel": SYSMON,
            "event_code": 10,
            "fields": {
                "SourceImage": source,
                "TargetImage": r"C:\Windows\system32\lsass.exe",
                "GrantedAccess": rights,
            },
        }

    assert LSASS_ACCESS in fired([access(r"C:\Users\Public\x.exe", "0x1fffff")])
    assert LSASS_ACCESS not in fired(
        [access(r"C:\ProgramData\Microsoft\Windows Defender\MsMpEng.exe", "0x1fffff")]
    )
    assert LSASS_ACCESS not in fired([access(r"C:\Users\Public\x.exe", "0x1000")])  # query only


def test_lsass_dumped_with_comsvcs_or_procdump() -> None:
    rundll = r"C:\Windows\System32\rundll32.exe"
    command = r"rundll32.exe C:\windows\System32\comsvcs.dll, MiniDump 624 C:\Temp\d.bin full"
    assert DUMP_TOOLS in fired([security_process(rundll, command)])
    assert DUMP_TOOLS in fired(
        [sysmon_process(r"C:\Tools\procdump64.exe", "procdump64.exe -ma lsass.exe l.dmp")]
    )
    assert DUMP_TOOLS not in fired(
        [sysmon_process(r"C:\Tools\procdump64.exe", "procdump64.exe -ma w3wp.exe")]
    )


def test_psexec_service_installed() -> None:
    psexesvc = system(7045, ServiceName="PSEXESVC", ImagePath=r"%SystemRoot%\PSEXESVC.exe")
    assert PSEXEC in fired([psexesvc])
    usual = system(7045, ServiceName="Veeam Agent", ImagePath=r"C:\Program Files\Veeam\agent.exe")
    assert PSEXEC not in fired([usual])


def test_one_source_logging_on_to_ten_hosts_within_an_hour() -> None:
    spread = [logon(4624, 60 * n, f"srv{n:02d}", "10.12.0.40") for n in range(10)]
    assert MANY_HOSTS in fired(spread)
    # Nine hosts; or ten, spread over more than an hour; or machine accounts: nothing.
    assert MANY_HOSTS not in fired(spread[:9])
    assert MANY_HOSTS not in fired([logon(4624, 700 * n, f"srv{n:02d}", "10.12.0.40") for n in range(10)])
    machines = [logon(4624, 60 * n, f"srv{n:02d}", "10.12.0.40", user="PC-0042$") for n in range(10)]
    assert MANY_HOSTS not in fired(machines)


def test_rdp_from_a_public_address_not_from_the_internal_network() -> None:
    assert RDP_OUTSIDE in fired([logon(4624, 0, "rdp", "185.220.101.7", logon_type="10")])
    assert RDP_OUTSIDE not in fired([logon(4624, 0, "rdp", "10.2.0.5", logon_type="10")])
    assert RDP_OUTSIDE not in fired([logon(4624, 0, "rdp", "185.220.101.7", logon_type="3")])


def test_mass_service_stops_on_one_host() -> None:
    net = r"C:\Windows\System32\net.exe"
    stops = [sysmon_process(net, f"net stop svc{n} /y", seconds=30 * n) for n in range(10)]
    assert MASS_STOP in fired(stops)
    assert MASS_STOP not in fired(stops[:9])
    other_hosts = [sysmon_process(net, f"net stop svc{n} /y", 30 * n, host=f"h{n % 2}") for n in range(10)]
    assert MASS_STOP not in fired(other_hosts)


def test_failed_logon_burst_from_one_source() -> None:
    burst = [logon(4625, 10 * n, "dc01", "10.10.0.7") for n in range(20)]
    assert FAILED_BURST in fired(burst)
    assert FAILED_BURST not in fired(burst[:19])
    assert FAILED_BURST not in fired([logon(4625, 60 * n, "dc01", "10.10.0.7") for n in range(20)])


def test_ssh_brute_force_on_a_linux_host() -> None:
    failures = [
        syslog("sshd", f"Failed password for root from 203.0.113.9 port {4000 + n} ssh2", 5 * n)
        for n in range(10)
    ]
    assert SSH_BRUTE in fired(failures)
    assert SSH_BRUTE not in fired(failures[:9])
    accepted = [
        syslog("sshd", f"Accepted publickey for admin from 10.2.0.5 port {4000 + n} ssh2", 5 * n)
        for n in range(10)
    ]
    assert SSH_BRUTE not in fired(accepted)
    # The same words from another program are not sshd's.
    assert SSH_BRUTE not in fired(
        [syslog("myapp", e["fields"]["message"], 5 * n) for n, e in enumerate(failures)]
    )


def test_mail_with_an_iso_or_macro_attachment() -> None:
    def warning(name: str) -> dict[str, Any]:
        message = (
            f'4F2A31C0B2: warning: header Content-Disposition: attachment; filename="{name}" from '
            "mx.example.net[198.51.100.4]; from=<facturation@example.net> to=<a.petit@saint-aurele.demo> "
            "proto=ESMTP helo=<mx.example.net>"
        )
        return syslog("postfix/cleanup", message, host="mss-relay01")

    assert MAIL_ATTACHMENT in fired([warning("Facture_2026-11.iso")])
    assert MAIL_ATTACHMENT in fired([warning("releve.xlsm")])
    assert MAIL_ATTACHMENT not in fired([warning("compte-rendu.pdf")])
    assert MAIL_ATTACHMENT not in fired([warning("iso-9001.pdf")])


def test_backup_job_failed() -> None:
    def job(result: str) -> dict[str, Any]:
        return {
            "ts": T0,
            "host": "backup01",
            "channel": "Application",
            "provider": "Veeam MP",
            "event_code": 190,
            "fields": {"Provider_Name": "Veeam MP", "message": f"Backup job 'DPI' finished with {result}."},
        }

    assert BACKUP_FAILED in fired([job("Failed")])
    assert BACKUP_FAILED not in fired([job("Success")])


def test_every_builtin_rule_compiles_and_is_active_by_default(hygie_home: Any) -> None:
    compiled = builtin()
    assert not compiled.unconvertible and not compiled.problems
    assert len(compiled.rules) == 13 and len(compiled.correlations) == 4
    assert installed_rule_dirs()[0] == BUILTIN_RULES  # with or without rules imported into the home
    tagged = [r for r in compiled.rules if r.emit] + compiled.correlations  # type: ignore[operator]
    assert all(any(t.startswith("attack.t") for t in r.tags) for r in tagged)


def test_linux_postfix_and_4688_log_sources() -> None:
    assert source_of("linux", None, "sshd") == Source(("sshd", "sshd-session"))
    assert {"sshd", "sudo", "su"} <= set(source_of("linux", None, "auth").channels)  # type: ignore[union-attr]
    assert "postfix/cleanup" in source_of("postfix", None, None).channels  # type: ignore[union-attr]
    assert source_of("windows", "process_creation", None) == Source((SYSMON, "Security"), (1, 4688))
    assert source_of("windows", "process_access", None) == Source((SYSMON,), (10,))
    # Linux sources Hygie has no reader for, or none at all: refused, not run over every event.
    for category, service in (("process_creation", None), (None, None), (None, "auditd")):
        with pytest.raises(UnmappedLogSource):
            source_of("linux", category, service)


def test_every_shipped_title_is_in_the_catalogues() -> None:
    """Alerts keep the rule's English title and are shown translated: French first."""
    titles = {
        str(document["title"])
        for path in sorted(BUILTIN_RULES.glob("*.yml"))
        for document in yaml.safe_load_all(path.read_text(encoding="utf-8"))
    }
    assert titles == set(BUILTIN_TITLES)
    untranslated = [t for t in titles if gettext(t, "fr") == t]
    assert untranslated == []
