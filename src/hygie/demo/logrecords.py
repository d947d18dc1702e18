"""The demo's log records: the hospital as its logs see it, and one writer per kind of record.

Windows events are written as Winlogbeat ships them (NDJSON), Linux and Postfix lines as RFC 5424 syslog (a
full date and zone: no guessing of the year), host and mail metrics as Hygie's metrics CSV.
"""

from __future__ import annotations

import random
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import orjson

from hygie.demo import inventory as demo_inventory

MAIL_DOMAIN = "saint-aurele.demo"  # the demo accounts' domain: never a real one
NETBIOS = "CHSA"
PARIS = ZoneInfo("Europe/Paris")
WEEK = date(2026, 11, 16)  # a Monday, after the second assessment campaign
DAYS = 7
HISTORY_DAYS = 28
LOGON_HISTORY_DAYS = 7
"""Days of logons before the week: the first-seen detector learns a week before it judges."""
SECURITY_PROVIDER = "Microsoft-Windows-Security-Auditing"
SCM = "Service Control Manager"
# The job names of the demo continuity's backup policies (its job report matches them), plus the files.
VEEAM_JOBS = ("DPI - base", "PACS - archives", "Fichiers", "Messagerie", "AD - controleurs")
# The other policies' jobs run on the second backup server (Linux, outside the domain: the attack never
# reaches it), which reports them in its syslog: the RIS and the GAP nightly, the laboratory and pharmacy
# systems every 15 minutes (their transaction logs: intensive care accepts 15 minutes of data loss at most).
OFFLINE_JOBS = (("SIL", 0.25), ("Pharmacie", 0.25), ("GAP", 24.0), ("RIS", 24.0))  # job, every (hours)
OFFLINE_SERVER = "backup02"

WINDOWS_SERVERS = (
    "dc01", "dc02", "dpi-app01", "dpi-app02", "pacs-srv01", "pacs-srv02", "ris01", "pharma01", "mail01",
    "backup01", "file01", "print01", "rdp-prestataire", "badge01", "gtc01", "wsus01",
)  # fmt: skip
LINUX_SERVERS = ("dpi-db01", "sil01", "mss-relay01", "backup02", "intranet01", "portail-patients", "siem01")
METRIC_HOSTS = ("dpi-app01", "dpi-app02", "pacs-srv01", "file01", "mail01", "dc01", "backup01", "dpi-db01")
# Applications each department opens, beside the domain controllers and the file server.
APPLICATIONS = {
    "Imagerie médicale": ("pacs-srv01", "ris01"),
    "Pharmacie": ("pharma01", "dpi-app01"),
    "Admissions": ("dpi-app02",),
    "Direction": ("mail01",),
    "Ressources humaines": ("mail01",),
    "Services économiques": ("mail01",),
    "DSI": ("wsus01",),
    "Services techniques": ("gtc01", "badge01"),
}
CARE_APPLICATIONS = ("dpi-app01", "dpi-app02")

FIRST_NAMES = (
    "Camille", "Nicolas", "Julie", "Thomas", "Sophie", "Julien", "Marie", "Pierre", "Laura", "Antoine",
    "Claire", "Mathieu", "Emma", "Hugo", "Léa", "Lucas", "Chloé", "Louis", "Manon", "Maxime", "Sarah",
    "Alexandre", "Pauline", "Romain", "Céline", "Guillaume", "Élodie", "Vincent", "Aurélie", "Sébastien",
    "Nathalie", "François", "Isabelle", "Olivier", "Sandrine", "Christophe", "Valérie", "Stéphane", "Anne",
    "Yannick",
)  # fmt: skip
LAST_NAMES = (
    "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau",
    "Simon", "Laurent", "Lefebvre", "Michel", "Garcia", "David", "Bertrand", "Roux", "Vincent", "Fournier",
    "Morel", "Girard", "André", "Lefèvre", "Mercier", "Dupont", "Lambert", "Bonnet", "François", "Martinez",
    "Legrand", "Garnier", "Faure", "Rousseau", "Blanc", "Guérin", "Muller", "Henry", "Roussel", "Nicolas",
    "Perrin", "Morin", "Mathieu", "Clément", "Gauthier", "Dumont", "Lopez", "Fontaine", "Chevalier", "Robin",
)  # fmt: skip
STAFF = 360
NIGHT_SHARE = 0.18  # care staff on night shifts (20:30 to 07:00)
ADMINS = ("adm-pbernard", "adm-jmoreau", "adm-slefort")
ON_CALL = "adm-astreinte"
"""The IT team's on-call account: the administrator on call logs on with it at night when paged."""


@dataclass(frozen=True)
class Host:
    name: str  # fully qualified, as Windows writes Computer
    ip: str
    department: str = "DSI"

    @property
    def short(self) -> str:
        return self.name.split(".")[0]


@dataclass(frozen=True)
class Person:
    login: str
    department: str
    workstation: Host
    night: bool = False


@dataclass
class Logs:
    """The lines of each file, as they will be written."""

    windows: list[bytes] = field(default_factory=list)
    syslog: list[str] = field(default_factory=list)
    postfix: list[str] = field(default_factory=list)
    metrics: list[str] = field(default_factory=lambda: ["time,host,metric,value"])
    records: Counter[str] = field(default_factory=Counter)  # per host: Windows EventRecordID
    # Set by the attack before the ordinary activity is written:
    failed_backups: set[date] = field(default_factory=set)  # nights whose backup jobs fail
    extra: Counter[tuple[datetime, str, str]] = field(default_factory=Counter)  # (hour, host, metric) added
    load: dict[tuple[datetime, str], float] = field(default_factory=dict)  # (hour, host) -> load factor
    # Every backup run as Veeam's session report lists it: (start, end, job, "Success" or "Failed").
    backup_runs: list[tuple[datetime, datetime, str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class Site:
    """The hospital as the logs see it: servers, workstations, people."""

    servers: dict[str, Host]
    workstations: list[Host]
    people: list[Person]
    admins: dict[str, Host]  # administrator account (the on-call one too) -> its workstation


def local(day: date, hour: float) -> datetime:
    """A Paris wall-clock time of ``day`` (hours may pass 24) as an aware UTC datetime."""
    start = datetime(day.year, day.month, day.day, tzinfo=PARIS)
    return (start + timedelta(hours=hour)).astimezone(UTC)


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower().replace(" ", "")


@cache
def _inventory_hosts(seed: int) -> tuple[tuple[str, str, str, str], ...]:
    """(hostname, first IP, kind, department) of the demo inventory's records, the same as it imports."""
    generated = demo_inventory.generate(seed)
    return tuple(
        (r.hostname, r.ips[0], r.kind.value if r.kind else "", r.department or "")
        for r in generated.inventory
        if r.hostname and r.ips
    )


def site(seed: int) -> Site:
    rng = random.Random(f"logs-site-{seed}")
    servers: dict[str, Host] = {}
    workstations: list[Host] = []
    for hostname, ip, kind, department in _inventory_hosts(seed):
        short = hostname.split(".")[0]
        if kind == "server":
            servers[short] = Host(hostname, ip, department or "DSI")
        elif kind == "workstation":
            workstations.append(Host(hostname, ip, department))
    people: list[Person] = []
    taken: set[str] = set()
    chosen = rng.sample(workstations, STAFF)
    for workstation in chosen:
        while True:
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            login = f"{_ascii(first)[0]}.{_ascii(last)}"
            if login not in taken:
                break
            login = f"{_ascii(first)[:2]}.{_ascii(last)}"
            if login not in taken:
                break
        taken.add(login)
        care = workstation.department in demo_inventory.CARE_DEPARTMENTS
        people.append(Person(login, workstation.department, workstation, care and rng.random() < NIGHT_SHARE))
    dsi = [w for w in workstations if w.department == "DSI" and w not in chosen] or workstations
    admins = {login: dsi[index % len(dsi)] for index, login in enumerate((*ADMINS, ON_CALL))}
    return Site(servers, workstations, people, admins)


# --- Writers of one record ---------------------------------------------------------------------------------


def iso(ts: datetime) -> str:
    return ts.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def windows(
    logs: Logs,
    ts: datetime,
    host: Host,
    channel: str,
    code: int,
    provider: str,
    data: dict[str, str],
    message: str,
) -> None:
    """One Windows event as Winlogbeat ships it."""
    logs.records[host.name] += 1
    document = {
        "@timestamp": iso(ts),
        "host": {"name": host.name},
        "event": {"code": str(code), "provider": provider},
        "message": message,
        "winlog": {
            "channel": channel,
            "event_id": str(code),
            "provider_name": provider,
            "computer_name": host.name,
            "record_id": logs.records[host.name],
            "event_data": data,
        },
    }
    logs.windows.append(orjson.dumps(document))


def logon(logs: Logs, ts: datetime, target: Host, user: str, source: Host | str, logon_type: int = 3) -> None:
    ip, workstation = (source, "-") if isinstance(source, str) else (source.ip, source.short.upper())
    data = {
        "SubjectUserName": "-",
        "TargetUserName": user,
        "TargetDomainName": NETBIOS,
        "LogonType": str(logon_type),
        "LogonProcessName": "User32" if logon_type == 10 else "Kerberos",
        "AuthenticationPackageName": "Negotiate" if logon_type == 10 else "Kerberos",
        "WorkstationName": workstation,
        "IpAddress": ip,
        "IpPort": str(49152 + logs.records[target.name] % 16000),
    }
    message = f"An account was successfully logged on. Account Name: {user} Logon Type: {logon_type}"
    windows(logs, ts, target, "Security", 4624, SECURITY_PROVIDER, data, message)


def failed_logon(
    logs: Logs, ts: datetime, target: Host, user: str, source: Host | str, logon_type: int = 3
) -> None:
    ip = source if isinstance(source, str) else source.ip
    data = {
        "TargetUserName": user,
        "TargetDomainName": NETBIOS,
        "LogonType": str(logon_type),
        "Status": "0xc000006d",
        "SubStatus": "0xc000006a",
        "FailureReason": "%%2313",
        "IpAddress": ip,
    }
    message = f"An account failed to log on. Account Name: {user} Logon Type: {logon_type}"
    windows(logs, ts, target, "Security", 4625, SECURITY_PROVIDER, data, message)


def process(logs: Logs, ts: datetime, host: Host, user: str, image: str, command: str, parent: str) -> None:
    """A process creation as Security 4688 records it (the hospital has no Sysmon)."""
    data = {
        "SubjectUserName": user,
        "SubjectDomainName": NETBIOS,
        "NewProcessName": image,
        "CommandLine": command,
        "ParentProcessName": parent,
        "NewProcessId": hex(0x1000 + logs.records[host.name] % 60000),
        "TokenElevationType": "%%1937",
    }
    windows(
        logs, ts, host, "Security", 4688, SECURITY_PROVIDER, data, f"A new process has been created. {image}"
    )


def service_state(logs: Logs, ts: datetime, host: Host, name: str, state: str) -> None:
    data = {"param1": name, "param2": state}
    windows(logs, ts, host, "System", 7036, SCM, data, f"The {name} service entered the {state} state.")


def service_installed(logs: Logs, ts: datetime, host: Host, name: str, image: str, account: str) -> None:
    data = {"ServiceName": name, "ImagePath": image, "ServiceType": "user mode service",
            "StartType": "demand start", "AccountName": account}  # fmt: skip
    windows(logs, ts, host, "System", 7045, SCM, data, f"A service was installed in the system. {name}")


def backup_job(logs: Logs, ts: datetime, host: Host, job: str, result: str, started: datetime) -> None:
    logs.backup_runs.append((started, ts, job, result))
    data = {"param1": job, "param2": result}
    message = f"Backup job '{job}' finished with {result}."
    windows(logs, ts, host, "Application", 190, "Veeam MP", data, message)


def syslog(
    logs: Logs, ts: datetime, host: Host, program: str, message: str, pid: int, facility: int = 10
) -> None:
    """An RFC 5424 line (full date and zone: no guessing of the year)."""
    stamp = ts.astimezone(UTC).isoformat(timespec="microseconds")
    line = f"<{facility * 8 + 6}>1 {stamp} {host.name} {program} {pid} - - {message}"
    (logs.postfix if program.startswith("postfix/") else logs.syslog).append(line)


def rejection(logs: Logs, ts: datetime, relay: Host, ip: str, sender: str, recipient: str, pid: int) -> None:
    """The relay refusing a message because its sender is on a blocklist."""
    helo = sender.split("@")[-1]
    message = (
        f"NOQUEUE: reject: RCPT from unknown[{ip}]: 554 5.7.1 Service unavailable; "
        f"Client host [{ip}] blocked using zen.spamhaus.org; "
        f"from=<{sender}> to=<{recipient}> proto=ESMTP helo=<{helo}>"
    )
    syslog(logs, ts, relay, "postfix/smtpd", message, pid, facility=2)


def metric(logs: Logs, ts: datetime, host: str, name: str, value: float) -> None:
    logs.metrics.append(f"{ts.astimezone(UTC).isoformat()},{host},{name},{value:g}")
