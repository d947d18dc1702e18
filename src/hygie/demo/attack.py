"""The scripted attack in the demo's logs: the run-up to a ransomware, as the hospital's logs record it.

1. Monday 16, 08:40–10:40: a phishing surge, a fake pay slip as a disk image (``.iso``); most of it is
   rejected by the relay, some gets through with its attachment logged by the header checks.
2. Night of Monday to Tuesday: after a password spray on the contractor's server, exposed to the internet,
   the stolen account (an admissions clerk) opens a remote-desktop session there from an address never seen,
   and dumps LSASS with comsvcs.
3. With an administrator's account found in that dump, PsExec on twelve servers within half an hour, then
   SSH password guessing on the patient record database.
4. Night of Tuesday to Wednesday: the backup service stopped and disabled, the backup catalogue deleted,
   services stopped in bulk, shadow copies deleted, recovery disabled; the servers are loaded.
5. The nightly backup jobs fail from Wednesday to the end of the week (the backup catalogue is gone).
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from hygie.demo.logrecords import (
    MAIL_DOMAIN,
    WEEK,
    Host,
    Logs,
    Site,
    failed_logon,
    local,
    logon,
    process,
    rejection,
    service_installed,
    service_state,
    syslog,
)

ATTACKER_IP = "203.0.113.66"  # a documentation address (RFC 5737): public, never routed
PHISHING_DOMAIN = "paie-ch-saint-aurele.example"
PHISHING_IPS = tuple(f"198.51.100.{n}" for n in range(200, 212))
ATTACHMENT = "Bulletin_de_paie_novembre_2026.iso"
ADMIN = "adm-pbernard"
SYSTEM32 = "C:\\Windows\\System32\\"
CMD = SYSTEM32 + "cmd.exe"
NET = SYSTEM32 + "net.exe"
PSEXESVC = "C:\\Windows\\PSEXESVC.exe"
TARGETS = (
    "dc01",
    "dc02",
    "dpi-app01",
    "dpi-app02",
    "pacs-srv01",
    "pacs-srv02",
    "ris01",
    "pharma01",
    "file01",
    "backup01",
    "mail01",
    "wsus01",
)
STOPPED_SERVICES = (
    "MSSQLSERVER",
    "SQLWriter",
    "SQLSERVERAGENT",
    "MSExchangeIS",
    "wuauserv",
    "VeeamDeploymentSvc",
    "BackupExecJobEngine",
    "Sophos Agent",
    "W3SVC",
    "OracleServiceDPI",
    "MySQL",
    "vmms",
)
MAIL_RELAY = "mss-relay01"
SPRAYED = ("administrateur", "admin", "presta", "maintenance", "support", "test", "scanner", "compta")


def victim(site: Site) -> str:
    """The phished account: the first admissions clerk working days."""
    return next(p.login for p in site.people if p.department == "Admissions" and not p.night)


def _hour(ts: datetime) -> datetime:
    return ts.replace(minute=0, second=0, microsecond=0)


def _phishing(logs: Logs, site: Site, rng: random.Random) -> None:
    relay = site.servers[MAIL_RELAY]
    mail01 = site.servers["mail01"]
    recipients = rng.sample(site.people, 240)
    for index, person in enumerate(recipients):
        ts = local(WEEK, 8 + 40 / 60 + rng.uniform(0, 2))
        ip = rng.choice(PHISHING_IPS)
        sender = f"service.paie@{PHISHING_DOMAIN}"
        recipient = f"{person.login}@{MAIL_DOMAIN}"
        pid = 7000 + index
        if rng.random() < 0.55:  # the relay's blocklists know the sender
            rejection(logs, ts, relay, ip, sender, recipient, pid)
            logs.extra[(_hour(ts), MAIL_RELAY, "mail_rejected")] += 1
            continue
        queue = f"{0xB7000 + index:X}P{index % 89:02d}"
        syslog(
            logs, ts, relay, "postfix/smtpd", f"{queue}: client=mail.{PHISHING_DOMAIN}[{ip}]", pid, facility=2
        )
        syslog(
            logs,
            ts,
            relay,
            "postfix/cleanup",
            f'{queue}: warning: header Content-Disposition: attachment; filename="{ATTACHMENT}" from '
            f"mail.{PHISHING_DOMAIN}[{ip}]; from=<{sender}> to=<{recipient}> proto=ESMTP "
            f"helo=<mail.{PHISHING_DOMAIN}>",
            pid + 1,
            facility=2,
        )
        syslog(
            logs,
            ts,
            relay,
            "postfix/qmgr",
            f"{queue}: from=<{sender}>, size={rng.randint(1_200_000, 1_400_000)}, nrcpt=1 (queue active)",
            1200,
            facility=2,
        )
        syslog(
            logs,
            ts + timedelta(seconds=1),
            relay,
            "postfix/smtp",
            f"{queue}: to=<{recipient}>, relay={mail01.name}[{mail01.ip}]:25, delay=0.9, dsn=2.0.0, "
            "status=sent (250 2.0.0 Ok: queued)",
            pid + 2,
            facility=2,
        )
        logs.extra[(_hour(ts), MAIL_RELAY, "mail_received")] += 1


def _foothold(logs: Logs, site: Site, rng: random.Random) -> None:
    rdp = site.servers["rdp-prestataire"]
    user = victim(site)
    night = WEEK + timedelta(days=1)
    start = local(night, 2 + 3 / 60)
    # First a spray of usual account names, then the phished account (mistyped before the right password).
    spray = local(night, 1 + 58 / 60)
    for attempt in range(24):
        name = SPRAYED[attempt % len(SPRAYED)]
        failed_logon(logs, spray + timedelta(seconds=10 * attempt), rdp, name, ATTACKER_IP, logon_type=10)
    for attempt, name in enumerate((user.upper(), user, f"{user}2", user)):
        failed_logon(logs, start + timedelta(seconds=41 * attempt), rdp, name, ATTACKER_IP, logon_type=10)
    ts = start + timedelta(minutes=4)
    logon(logs, ts, rdp, user, ATTACKER_IP, logon_type=10)
    steps = (
        (5, CMD, "cmd.exe /c whoami /all", SYSTEM32 + "explorer.exe"),
        (7, NET, 'net group "Admins du domaine" /domain', CMD),
        (12, SYSTEM32 + "tasklist.exe", "tasklist /svc", CMD),
        (
            15,
            SYSTEM32 + "rundll32.exe",
            "rundll32.exe C:\\Windows\\System32\\comsvcs.dll, MiniDump 712 C:\\Users\\Public\\lsass.dmp full",
            CMD,
        ),
    )
    for minutes, image, command, parent in steps:
        process(logs, ts + timedelta(minutes=minutes), rdp, user, image, command, parent)


def _spread(logs: Logs, site: Site, rng: random.Random) -> None:
    rdp = site.servers["rdp-prestataire"]
    ts = local(WEEK + timedelta(days=1), 2 + 31 / 60)
    for name in TARGETS:
        target = site.servers[name]
        logon(logs, ts, target, ADMIN, rdp, logon_type=3)
        service_installed(
            logs, ts + timedelta(seconds=2), target, "PSEXESVC", "%SystemRoot%\\PSEXESVC.exe", "LocalSystem"
        )
        service_state(logs, ts + timedelta(seconds=3), target, "PSEXESVC", "running")
        process(
            logs,
            ts + timedelta(seconds=5),
            target,
            ADMIN,
            CMD,
            'cmd.exe /c "ipconfig /all & net share"',
            PSEXESVC,
        )
        service_state(logs, ts + timedelta(seconds=40), target, "PSEXESVC", "stopped")
        ts += timedelta(minutes=rng.uniform(1.5, 3.0))
    # Then the patient record database, whose accounts are not in the domain: passwords guessed over SSH.
    database = site.servers["dpi-db01"]
    ts = local(WEEK + timedelta(days=1), 3 + 40 / 60)
    for attempt in range(30):
        account = ("oracle", "root", "admin")[attempt % 3]
        syslog(
            logs,
            ts + timedelta(seconds=5 * attempt),
            database,
            "sshd",
            f"Failed password for {account} from {rdp.ip} port {51000 + attempt} ssh2",
            41000 + attempt,
        )


def _destruction(logs: Logs, site: Site, rng: random.Random) -> None:
    night = WEEK + timedelta(days=2)
    backup = site.servers["backup01"]
    ts = local(night, 1 + 52 / 60)
    steps = (
        (0, NET, 'net stop "Veeam Backup Service" /y'),
        (1, SYSTEM32 + "sc.exe", "sc config VeeamBackupSvc start= disabled"),
        (2, SYSTEM32 + "wbadmin.exe", "wbadmin delete catalog -quiet"),
    )
    for seconds, image, command in steps:
        process(logs, ts + timedelta(seconds=seconds * 20), backup, ADMIN, image, command, PSEXESVC)
    service_state(logs, ts + timedelta(seconds=5), backup, "Veeam Backup Service", "stopped")
    service_state(logs, ts + timedelta(seconds=6), backup, "Veeam Broker Service", "stopped")
    for name, begin in (("file01", 2 + 5 / 60), ("dpi-app01", 2 + 9 / 60)):
        host = site.servers[name]
        ts = local(night, begin)
        for index, service in enumerate(STOPPED_SERVICES):
            process(
                logs,
                ts + timedelta(seconds=11 * index),
                host,
                ADMIN,
                NET,
                f'net stop "{service}" /y',
                PSEXESVC,
            )
        ts += timedelta(minutes=3)
        process(logs, ts, host, ADMIN, SYSTEM32 + "taskkill.exe", "taskkill /IM sqlservr.exe /F", PSEXESVC)
        process(
            logs,
            ts + timedelta(seconds=30),
            host,
            ADMIN,
            SYSTEM32 + "vssadmin.exe",
            "vssadmin.exe delete shadows /all /quiet",
            PSEXESVC,
        )
        process(
            logs,
            ts + timedelta(seconds=50),
            host,
            ADMIN,
            SYSTEM32 + "bcdedit.exe",
            "bcdedit /set {default} recoveryenabled No",
            PSEXESVC,
        )
    pacs = site.servers["pacs-srv01"]
    ts = local(night, 2 + 16 / 60)
    process(
        logs, ts, pacs, ADMIN, SYSTEM32 + "wbem\\WMIC.exe", "wmic shadowcopy delete /nointeractive", PSEXESVC
    )
    # The preparation loads the servers until morning; with their catalogue deleted, the backups fail every
    # night from then to the end of the week (nobody repaired them: what the detectors show on Monday).
    for hour in range(2, 6):
        for name, factor in (("file01", 2.6), ("dpi-app01", 3.5), ("pacs-srv01", 1.8)):
            logs.load[(_hour(local(night, hour)), name)] = factor
    logs.failed_backups.update(
        night + timedelta(days=d) for d in range((WEEK + timedelta(days=7) - night).days)
    )


def write(logs: Logs, site: Site, rng: random.Random) -> None:
    _phishing(logs, site, rng)
    _foothold(logs, site, rng)
    _spread(logs, site, rng)
    _destruction(logs, site, rng)


def hosts_touched(site: Site) -> list[Host]:
    """The servers the attack went through (for the demo's story and its test)."""
    names = ("rdp-prestataire", *TARGETS, "dpi-db01")
    return [site.servers[n] for n in names]
