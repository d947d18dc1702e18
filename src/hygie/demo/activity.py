"""The demo hospital's ordinary week in its logs: what the detection must stay quiet about.

Staff log on in the morning (care staff also at night and at weekends) to the domain controllers, the file
server and their department's applications; administrators open remote-desktop sessions on a few servers in
working hours; servers run their routine processes and the nightly backups (which list shadow copies, a
harmless neighbour of deleting them); Linux servers run cron and their administrators' SSH sessions; the
mail relay receives mail along the working day and rejects a little spam every hour, for five weeks. The IT
team's on-call administrator is paged twice at night (:func:`on_call`): privileged logons off hours that
the detector flags until the establishment's tuning excludes the on-call account (:mod:`hygie.demo.tuning`).
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from hygie.demo.inventory import CARE_DEPARTMENTS
from hygie.demo.logrecords import (
    ADMINS,
    APPLICATIONS,
    CARE_APPLICATIONS,
    DAYS,
    HISTORY_DAYS,
    LINUX_SERVERS,
    LOGON_HISTORY_DAYS,
    MAIL_DOMAIN,
    METRIC_HOSTS,
    OFFLINE_JOBS,
    OFFLINE_SERVER,
    ON_CALL,
    PARIS,
    VEEAM_JOBS,
    WEEK,
    WINDOWS_SERVERS,
    Host,
    Logs,
    Person,
    Site,
    backup_job,
    failed_logon,
    local,
    logon,
    metric,
    process,
    rejection,
    service_state,
    syslog,
)

SYSTEM32 = "C:\\Windows\\System32\\"
SERVICES_EXE = SYSTEM32 + "services.exe"
ROUTINE = (
    (SYSTEM32 + "svchost.exe", "svchost.exe -k netsvcs -p", SERVICES_EXE),
    (SYSTEM32 + "taskhostw.exe", "taskhostw.exe", SYSTEM32 + "svchost.exe"),
    (SYSTEM32 + "wbem\\WmiPrvSE.exe", "wmiprvse.exe -Embedding", SYSTEM32 + "svchost.exe"),
    (SYSTEM32 + "conhost.exe", "conhost.exe 0xffffffff -ForceV1", SYSTEM32 + "cmd.exe"),
    (SYSTEM32 + "sc.exe", "sc.exe query VeeamBackupSvc", SYSTEM32 + "cmd.exe"),
)
ADMIN_TOOLS = (
    (SYSTEM32 + "mmc.exe", '"C:\\Windows\\system32\\mmc.exe" C:\\Windows\\system32\\services.msc'),
    (
        SYSTEM32 + "WindowsPowerShell\\v1.0\\powershell.exe",
        "powershell.exe Get-Service | Where Status -eq Running",
    ),
    (SYSTEM32 + "ServerManager.exe", "ServerManager.exe"),
)
UPDATED_SERVICES = ("Windows Modules Installer", "Background Intelligent Transfer Service", "Windows Update")
PARTNERS = (
    "ars-pdl.example",
    "labo-biolor.example",
    "chu-voisin.example",
    "mutuelle-sante.example",
    "fournisseur-med.example",
    "ght-loire-aurele.example",
)
ATTACHMENTS = (
    "CR_consultation_{n}.pdf",
    "Resultats_{n}.pdf",
    "Bon_de_commande_{n}.xlsx",
    "Planning_{n}.docx",
)
LINUX_ADMIN_IPS = ("10.2.0.11", "10.2.0.12", "10.2.0.13")
MAIL_RELAY = "mss-relay01"


def workload(ts: datetime) -> float:
    """The hospital's activity at a (UTC) time, from 0.1 at night to 1 in a weekday's working hours."""
    wall = ts.astimezone(PARIS)
    hour = wall.hour
    level = 1.0 if 8 <= hour < 18 else 0.6 if hour in (7, 18) else 0.3 if 19 <= hour < 22 else 0.1
    return level * (0.35 if wall.weekday() >= 5 else 1.0)


def _shift(person: Person, day: date, rng: random.Random) -> tuple[float, float] | None:
    """The hours (Paris) the person works that day, or None."""
    weekend = day.weekday() >= 5
    if person.night:
        if rng.random() < 0.55:
            start = rng.uniform(20.3, 21.0)
            return start, start + rng.uniform(9.5, 10.5)
        return None
    care = person.department in CARE_DEPARTMENTS
    if weekend and not (care and rng.random() < 0.3):
        return None
    if not weekend and rng.random() < 0.1:  # leave, training, part time
        return None
    start = rng.uniform(7.0, 9.5)
    return start, start + rng.uniform(7.5, 9.5)


def _people(logs: Logs, site: Site, day: date, rng: random.Random) -> None:
    dcs = [site.servers["dc01"], site.servers["dc02"]]
    for person in site.people:
        shift = _shift(person, day, rng)
        if shift is None:
            continue
        start, end = shift
        first = local(day, start)
        if rng.random() < 0.06:  # a mistyped password or two before the right one
            for back in range(rng.randint(1, 3)):
                failed_logon(
                    logs, first - timedelta(seconds=15 * (back + 1)), dcs[0], person.login, person.workstation
                )
        logon(logs, first, rng.choice(dcs), person.login, person.workstation)
        for _ in range(rng.randint(2, 4)):
            logon(
                logs, local(day, rng.uniform(start, end)), rng.choice(dcs), person.login, person.workstation
            )
        for _ in range(rng.randint(1, 3)):
            logon(
                logs,
                local(day, rng.uniform(start, end)),
                site.servers["file01"],
                person.login,
                person.workstation,
            )
        for application in APPLICATIONS.get(person.department, CARE_APPLICATIONS):
            for _ in range(rng.randint(1, 2)):
                logon(
                    logs,
                    local(day, rng.uniform(start, end)),
                    site.servers[application],
                    person.login,
                    person.workstation,
                )


def _admins(logs: Logs, site: Site, day: date, rng: random.Random) -> None:
    if day.weekday() >= 5:
        return
    managed = [s for s in WINDOWS_SERVERS if s != "rdp-prestataire"]
    for admin in ADMINS:
        workstation = site.admins[admin]
        hour = rng.uniform(8.5, 10.0)
        for name in rng.sample(managed, rng.randint(2, 6)):
            target = site.servers[name]
            ts = local(day, hour)
            logon(logs, ts, target, admin, workstation, logon_type=10)
            image, command = rng.choice(ADMIN_TOOLS)
            process(
                logs, ts + timedelta(seconds=40), target, admin, image, command, SYSTEM32 + "explorer.exe"
            )
            hour += rng.uniform(0.5, 1.5)


def _machines(logs: Logs, site: Site, day: date, rng: random.Random) -> None:
    """Computer accounts renewing their tickets: network logons of ``PC-...$`` all day, all week."""
    dcs = [site.servers["dc01"], site.servers["dc02"]]
    for workstation in site.workstations[::5]:
        account = workstation.short.upper() + "$"
        for slot in range(6):
            logon(logs, local(day, slot * 4 + rng.uniform(0, 4)), rng.choice(dcs), account, workstation)


def _servers(logs: Logs, site: Site, day: date, rng: random.Random) -> None:
    backup = site.servers["backup01"]
    for name in WINDOWS_SERVERS:
        host = site.servers[name]
        for hour in range(24):
            image, command, parent = rng.choice(ROUTINE)
            process(
                logs, local(day, hour + rng.random()), host, host.short.upper() + "$", image, command, parent
            )
        if day.weekday() == 3:  # Thursday: the monthly patches
            ts = local(day, 12.5 + rng.random())
            for service in UPDATED_SERVICES:
                service_state(logs, ts, host, service, "running")
                service_state(logs, ts + timedelta(minutes=rng.randint(5, 40)), host, service, "stopped")
    # The nightly backups: a snapshot listed, the Volume Shadow Copy service started and stopped when idle.
    for index, job in enumerate(VEEAM_JOBS):
        ts = local(day, 22 + index * 0.25)
        protected = site.servers[("dpi-app01", "pacs-srv01", "file01", "mail01", "dc01")[index]]
        process(
            logs,
            ts,
            protected,
            "svc-veeam",
            SYSTEM32 + "vssadmin.exe",
            "vssadmin.exe list shadows",
            SYSTEM32 + "cmd.exe",
        )
        service_state(logs, ts, protected, "Volume Shadow Copy", "running")
        service_state(logs, ts + timedelta(minutes=3), protected, "Volume Shadow Copy", "stopped")
        result = "Failed" if day in logs.failed_backups else "Success"
        backup_job(logs, ts + timedelta(minutes=rng.randint(10, 50)), backup, job, result, ts)
    # The second backup server runs its own jobs, out of the attacker's reach.
    offline = site.servers[OFFLINE_SERVER]
    # Its own generator: the week's other draws (and so its metrics) stay those the detectors were tuned on.
    jobs_rng = random.Random(f"{OFFLINE_SERVER}-{day.isoformat()}")
    for index, (job, every) in enumerate(OFFLINE_JOBS):
        nightly = every >= 24
        starts = (
            [23 + index * 0.25]
            if nightly
            else [k * every + (4 + 2 * index) / 60 for k in range(int(24 / every))]
        )
        for at in starts:
            started = local(day, at)
            ended = started + timedelta(
                minutes=jobs_rng.randint(10, 40) if nightly else jobs_rng.randint(1, 4)
            )
            logs.backup_runs.append((started, ended, job, "Success"))
            syslog(logs, ended, offline, "veeamjobman", f"Job '{job}' finished with Success.", 4100 + index)


def _linux(logs: Logs, site: Site, day: date, rng: random.Random) -> None:
    for name in LINUX_SERVERS:
        host = site.servers[name]
        for hour in range(24):
            ts = local(day, hour + 1 / 60)
            syslog(logs, ts, host, "CRON", "(root) CMD (/usr/lib64/sa/sa1 1 1)", 1000 + hour, facility=9)
        if day.weekday() >= 5:
            continue
        for _ in range(rng.randint(1, 3)):
            ts = local(day, rng.uniform(8.5, 17.5))
            source = rng.choice(LINUX_ADMIN_IPS)
            pid = rng.randint(2000, 60000)
            if rng.random() < 0.15:
                syslog(
                    logs,
                    ts - timedelta(seconds=8),
                    host,
                    "sshd",
                    f"Failed password for admin from {source} port {rng.randint(40000, 60000)} ssh2",
                    pid,
                )
            syslog(
                logs,
                ts,
                host,
                "sshd",
                f"Accepted publickey for admin from {source} port {rng.randint(40000, 60000)} ssh2",
                pid,
            )
            syslog(
                logs, ts, host, "sshd", "pam_unix(sshd:session): session opened for user admin(uid=1000)", pid
            )
            syslog(
                logs,
                ts + timedelta(minutes=2),
                host,
                "sudo",
                "  admin : TTY=pts/0 ; PWD=/home/admin ; USER=root ; COMMAND=/usr/bin/systemctl status",
                pid + 1,
            )
            syslog(
                logs,
                ts + timedelta(minutes=20),
                host,
                "sshd",
                "pam_unix(sshd:session): session closed for user admin",
                pid,
            )


def mail_rate(ts: datetime) -> float:
    """Messages received per hour at that time."""
    return 110 * workload(ts)


def _mail(logs: Logs, site: Site, rng: random.Random) -> None:
    """Received mail in detail for the week; spam rejections for the five weeks; hourly counts as metrics."""
    relay = site.servers[MAIL_RELAY]
    mail01 = site.servers["mail01"]
    first = local(WEEK - timedelta(days=HISTORY_DAYS), 0)
    week = local(WEEK, 0)
    serial = 0
    for hour in range((HISTORY_DAYS + DAYS) * 24):
        ts = first + timedelta(hours=hour)
        rejected = sum(1 for _ in range(12) if rng.random() < 0.05 + 0.1 * workload(ts))
        for _ in range(rejected):
            at = ts + timedelta(seconds=rng.randint(0, 3599))
            ip = f"203.0.113.{rng.randint(1, 60)}"
            sender = f"promo{rng.randint(1, 999)}@offres-flash.example"
            recipient = f"{rng.choice(site.people).login}@{MAIL_DOMAIN}"
            rejection(logs, at, relay, ip, sender, recipient, rng.randint(2000, 60000))
        received = max(0, round(rng.gauss(mail_rate(ts), mail_rate(ts) ** 0.5)))
        if ts >= week:  # the history is kept as hourly counts only: detailed lines for the week
            for _ in range(received):
                serial += 1
                _message(logs, relay, mail01, ts + timedelta(seconds=rng.randint(0, 3599)), serial, site, rng)
        metric(
            logs, ts, relay.name, "mail_received", received + logs.extra[(ts, MAIL_RELAY, "mail_received")]
        )
        metric(
            logs, ts, relay.name, "mail_rejected", rejected + logs.extra[(ts, MAIL_RELAY, "mail_rejected")]
        )


def _message(
    logs: Logs, relay: Host, mail01: Host, ts: datetime, serial: int, site: Site, rng: random.Random
) -> None:
    queue = f"{0x4A000 + serial:X}C{serial % 97:02d}"
    partner = rng.choice(PARTNERS)
    ip = f"198.51.100.{PARTNERS.index(partner) + 10}"
    sender = f"contact@{partner}"
    recipient = f"{rng.choice(site.people).login}@{MAIL_DOMAIN}"
    pid = 3000 + serial % 5000
    syslog(logs, ts, relay, "postfix/smtpd", f"{queue}: client=mx.{partner}[{ip}]", pid, facility=2)
    if rng.random() < 0.08:
        name = rng.choice(ATTACHMENTS).format(n=serial)
        syslog(
            logs,
            ts,
            relay,
            "postfix/cleanup",
            f'{queue}: warning: header Content-Disposition: attachment; filename="{name}" from '
            f"mx.{partner}[{ip}]; from=<{sender}> to=<{recipient}> proto=ESMTP helo=<mx.{partner}>",
            pid + 1,
            facility=2,
        )
    syslog(
        logs,
        ts,
        relay,
        "postfix/qmgr",
        f"{queue}: from=<{sender}>, size={rng.randint(4000, 900000)}, nrcpt=1 (queue active)",
        1200,
        facility=2,
    )
    syslog(
        logs,
        ts + timedelta(seconds=1),
        relay,
        "postfix/smtp",
        f"{queue}: to=<{recipient}>, relay={mail01.name}[{mail01.ip}]:25, delay=0.6, dsn=2.0.0, "
        "status=sent (250 2.0.0 Ok: queued)",
        pid + 2,
        facility=2,
    )


def _metrics(logs: Logs, rng: random.Random) -> None:
    """CPU of the main servers and response time of the applications, hourly, for the five weeks."""
    first = local(WEEK - timedelta(days=HISTORY_DAYS), 0)
    for hour in range((HISTORY_DAYS + DAYS) * 24):
        ts = first + timedelta(hours=hour)
        work = workload(ts)
        for name in METRIC_HOSTS:
            load = logs.load.get((ts, name), 1.0)
            cpu = min(99.0, (12 + 38 * work + rng.gauss(0, 4)) * load)
            metric(logs, ts, f"{name}.ch-saint-aurele.local", "cpu_percent", round(max(1.0, cpu), 1))
            if name.startswith(("dpi-app", "pacs", "mail")):
                response = (90 + 140 * work + rng.gauss(0, 15)) * load
                metric(logs, ts, f"{name}.ch-saint-aurele.local", "response_ms", round(max(20.0, response)))


def baseline(logs: Logs, site: Site, rng: random.Random) -> None:
    """The week before as the logon detector learns it: only logons (Windows 4624, SSH), each person on each
    host and from each place the ordinary week has them, so that only what is new in the week stands out.
    The administrators go round their servers three a day, an hour apart (no burst of remote sessions)."""
    first = WEEK - timedelta(days=LOGON_HISTORY_DAYS)
    days = [first + timedelta(days=offset) for offset in range(LOGON_HISTORY_DAYS)]
    dcs = [site.servers["dc01"], site.servers["dc02"]]
    for person in site.people:
        hosts = [*dcs, site.servers["file01"]]
        hosts += [site.servers[a] for a in APPLICATIONS.get(person.department, CARE_APPLICATIONS)]
        shifts = [(day, shift) for day in days if (shift := _shift(person, day, rng)) is not None]
        if not shifts:  # on leave the whole week: the week before that, then
            shifts = [(days[0], (21.0, 31.0) if person.night else (8.0, 17.0))]
        for day, (start, end) in shifts:
            for host in hosts:
                logon(logs, local(day, rng.uniform(start, end)), host, person.login, person.workstation)
    managed = [s for s in WINDOWS_SERVERS if s != "rdp-prestataire"]
    weekdays = [day for day in days if day.weekday() < 5]
    for admin in ADMINS:
        for index, name in enumerate(managed):
            day, slot = weekdays[index % len(weekdays)], index // len(weekdays)
            logon(
                logs,
                local(day, 9 + slot + rng.random() / 2),
                site.servers[name],
                admin,
                site.admins[admin],
                10,
            )
    for day in weekdays:
        for name in LINUX_SERVERS:
            source = rng.choice(LINUX_ADMIN_IPS)
            message = f"Accepted publickey for admin from {source} port {rng.randint(40000, 60000)} ssh2"
            syslog(logs, local(day, rng.uniform(8.5, 17.5)), site.servers[name], "sshd", message, 2000)


ON_CALL_NIGHTS = ((3, 2.1, "dpi-app02"), (6, 2.6, "pacs-srv02"))
"""The nights the on-call administrator is paged: (day of the week, Monday 0; Paris hour; server), the
admissions' application server in the night of Wednesday to Thursday, the second PACS server in the
night of Saturday to Sunday."""
ON_CALL_SERVERS = ("dpi-app01", "dpi-app02", "pacs-srv01", "pacs-srv02", "file01")


def on_call(logs: Logs, site: Site, rng: random.Random) -> None:
    """The on-call account: in the week before, in working hours, on the servers it looks after (what the
    first-seen detector learns); in the week, a remote-desktop session at night on the server it was paged
    for, from the on-call laptop, and an administration console opened there. Written last, with its own
    generator, so the rest of the week stays as it was."""
    laptop = site.admins[ON_CALL]
    before = WEEK - timedelta(days=LOGON_HISTORY_DAYS)
    for index, name in enumerate(ON_CALL_SERVERS):
        day = before + timedelta(days=index)  # Monday to Friday of the week before
        logon(logs, local(day, 10 + rng.random() * 6), site.servers[name], ON_CALL, laptop, 10)
    for offset, hour, name in ON_CALL_NIGHTS:
        target = site.servers[name]
        ts = local(WEEK + timedelta(days=offset), hour + rng.random() / 6)
        logon(logs, ts, target, ON_CALL, laptop, logon_type=10)
        image, command = ADMIN_TOOLS[0]
        process(logs, ts + timedelta(minutes=1), target, ON_CALL, image, command, SYSTEM32 + "explorer.exe")
        # Back twenty minutes later to check the service is up: the same night, one alert.
        logon(logs, ts + timedelta(minutes=rng.randint(15, 25)), target, ON_CALL, laptop, logon_type=10)


def write(logs: Logs, site: Site, rng: random.Random) -> None:
    for offset in range(DAYS):
        day = WEEK + timedelta(days=offset)
        _people(logs, site, day, rng)
        _admins(logs, site, day, rng)
        _machines(logs, site, day, rng)
        _servers(logs, site, day, rng)
        _linux(logs, site, day, rng)
    _mail(logs, site, rng)
    _metrics(logs, rng)
