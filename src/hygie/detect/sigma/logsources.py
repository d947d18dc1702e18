"""Sigma log sources and field names mapped to the columns of Hygie's event table.

Sigma names a log source (product windows, service security, category process_creation…); the events
carry the Windows channel, provider and EventID. Without this mapping an EventID-only rule fires on every
provider that happens to reuse the number.
"""

from __future__ import annotations

from dataclasses import dataclass

SYSMON = "Microsoft-Windows-Sysmon/Operational"
POWERSHELL = "Microsoft-Windows-PowerShell/Operational"
POWERSHELL_CORE = "PowerShellCore/Operational"


@dataclass(frozen=True)
class Source:
    """Events of a log source: any of these channels, and if given any of these event codes."""

    channels: tuple[str, ...]
    event_codes: tuple[int, ...] = ()


# Windows categories: Sysmon event ids (what SigmaHQ's rules are written against).
SYSMON_CATEGORIES: dict[str, tuple[int, ...]] = {
    "process_creation": (1,),
    "file_change": (2,),
    "network_connection": (3,),
    "sysmon_status": (4, 16),
    "process_termination": (5,),
    "driver_load": (6,),
    "image_load": (7,),
    "create_remote_thread": (8,),
    "raw_access_thread": (9,),
    "process_access": (10,),
    "file_event": (11,),
    "registry_add": (12,),
    "registry_delete": (12,),
    "registry_set": (13,),
    "registry_rename": (14,),
    "registry_event": (12, 13, 14),
    "create_stream_hash": (15,),
    "pipe_created": (17, 18),
    "wmi_event": (19, 20, 21),
    "dns_query": (22,),
    "file_delete": (23, 26),
    "clipboard_capture": (24,),
    "process_tampering": (25,),
    "file_delete_detected": (26,),
    "file_block_executable": (27,),
    "file_block_shredding": (28,),
    "file_executable_detected": (29,),
    "sysmon_error": (255,),
}

OTHER_CATEGORIES: dict[str, Source] = {
    "ps_module": Source((POWERSHELL, POWERSHELL_CORE), (4103,)),
    "ps_script": Source((POWERSHELL, POWERSHELL_CORE), (4104,)),
    "ps_classic_start": Source(("Windows PowerShell",), (400,)),
    "ps_classic_provider_start": Source(("Windows PowerShell",), (600,)),
    "ps_classic_script": Source(("Windows PowerShell",), (800,)),
}

SERVICES: dict[str, tuple[str, ...]] = {
    "security": ("Security",),
    "system": ("System",),
    "application": ("Application",),
    "sysmon": (SYSMON,),
    "powershell": (POWERSHELL, POWERSHELL_CORE),
    "powershell-classic": ("Windows PowerShell",),
    "taskscheduler": ("Microsoft-Windows-TaskScheduler/Operational",),
    "wmi": ("Microsoft-Windows-WMI-Activity/Operational",),
    "dns-server": ("DNS Server",),
    "dns-server-analytic": ("Microsoft-Windows-DNS-Server/Analytical",),
    "dns-client": ("Microsoft-Windows-DNS Client Events/Operational",),
    "driver-framework": ("Microsoft-Windows-DriverFrameworks-UserMode/Operational",),
    "ntlm": ("Microsoft-Windows-NTLM/Operational",),
    "windefend": ("Microsoft-Windows-Windows Defender/Operational",),
    "firewall-as": ("Microsoft-Windows-Windows Firewall With Advanced Security/Firewall",),
    "bits-client": ("Microsoft-Windows-Bits-Client/Operational",),
    "codeintegrity-operational": ("Microsoft-Windows-CodeIntegrity/Operational",),
    "applocker": (
        "Microsoft-Windows-AppLocker/MSI and Script",
        "Microsoft-Windows-AppLocker/EXE and DLL",
        "Microsoft-Windows-AppLocker/Packaged app-Deployment",
        "Microsoft-Windows-AppLocker/Packaged app-Execution",
    ),
    "msexchange-management": ("MSExchange Management",),
    "microsoft-servicebus-client": ("Microsoft-ServiceBus-Client",),
    "ldap_debug": ("Microsoft-Windows-LDAP-Client/Debug",),
    "smbclient-security": ("Microsoft-Windows-SmbClient/Security",),
    "smbclient-connectivity": ("Microsoft-Windows-SmbClient/Connectivity",),
    "terminalservices-localsessionmanager": (
        "Microsoft-Windows-TerminalServices-LocalSessionManager/Operational",
    ),
    "printservice-admin": ("Microsoft-Windows-PrintService/Admin",),
    "printservice-operational": ("Microsoft-Windows-PrintService/Operational",),
    "dhcp": ("Microsoft-Windows-DHCP-Server/Operational",),
    "openssh": ("OpenSSH/Operational",),
    "shell-core": ("Microsoft-Windows-Shell-Core/Operational",),
    "security-mitigations": (
        "Microsoft-Windows-Security-Mitigations/Kernel Mode",
        "Microsoft-Windows-Security-Mitigations/User Mode",
    ),
    "appxdeployment-server": ("Microsoft-Windows-AppXDeploymentServer/Operational",),
    "appxpackaging-om": ("Microsoft-Windows-AppxPackaging/Operational",),
    "appmodel-runtime": ("Microsoft-Windows-AppModel-Runtime/Admin",),
    "capi2": ("Microsoft-Windows-CAPI2/Operational",),
    "certificateservicesclient-lifecycle-system": (
        "Microsoft-Windows-CertificateServicesClient-Lifecycle-System/Operational",
    ),
    "diagnosis-scripted": ("Microsoft-Windows-Diagnosis-Scripted/Operational",),
    "kernel-shimengine": ("Microsoft-Windows-Kernel-ShimEngine/Operational",),
    "lsa-server": ("Microsoft-Windows-LSA/Operational",),
    "bitlocker": ("Microsoft-Windows-BitLocker/BitLocker Management",),
    "iis-configuration": ("Microsoft-IIS-Configuration/Operational",),
    "vhdmp": ("Microsoft-Windows-VHDMP-Operational",),
    "hyper-v-worker": ("Microsoft-Windows-Hyper-V-Worker",),
    "sense": ("Microsoft-Windows-SENSE/Operational",),
    "volumeshadowcopy": ("Application",),
    "appxdeployment": ("Microsoft-Windows-AppXDeployment/Operational",),
    "kernel-event-tracing": ("Microsoft-Windows-Kernel-EventTracing/Admin",),
    "rdp-core": ("Microsoft-Windows-RemoteDesktopServices-RdpCoreTS/Operational",),
    "taskscheduler-operational": ("Microsoft-Windows-TaskScheduler/Operational",),
}

# Services whose EVTX field names have spaces where Sigma's have none ("Threat Name" / ThreatName).
SPACED_SERVICES = frozenset({"windefend"})
# Sigma field names that are columns of the event table rather than keys of ``fields``.
COLUMN_FIELDS: dict[str, str] = {"Channel": "channel", "Computer": "host", "Provider_Name": "provider"}
# Sigma names of the same EVTX field (the EVTX name is what the ingestion stores).
FIELD_ALIASES: dict[str, str] = {
    "EventId": "EventID",
    "ProviderName": "Provider_Name",
    "Hostname": "Computer",
}


# Security 4688 is the process creation of hosts without Sysmon: the same rules apply, under other names.
SECURITY_PROCESS_CREATION = 4688
PROCESS_CREATION_FALLBACKS: dict[str, str] = {"Image": "NewProcessName", "ParentImage": "ParentProcessName"}
"""Sysmon field -> its 4688 name, read when the Sysmon one is absent (the other fields share their names)."""

# Linux syslog: the channel is the program that wrote the line (sshd, sudo...).
SSHD = ("sshd", "sshd-session")
LINUX_SERVICES: dict[str, tuple[str, ...]] = {
    "sshd": SSHD,
    "sudo": ("sudo",),
    "cron": ("CRON", "cron", "crond"),
    "auth": (*SSHD, "sudo", "su", "login", "systemd-logind", "passwd", "chpasswd", "useradd", "usermod",
             "userdel", "groupadd", "groupmod", "gpasswd", "polkitd", "unix_chkpwd"),
}  # fmt: skip
# Hygie's own product for mail relays (Sigma has no mail logsource): the Postfix programs.
POSTFIX_PROGRAMS = tuple(
    f"postfix/{name}"
    for name in (
        "smtpd", "smtp", "cleanup", "qmgr", "pickup", "local", "lmtp", "bounce", "error", "pipe",
        "virtual", "postscreen", "anvil", "master", "submission/smtpd", "smtps/smtpd",
    )
)  # fmt: skip


class UnmappedLogSource(Exception):  # noqa: N818
    """The rule's log source has no known channel: converting it would fire across providers."""


def source_of(product: str | None, category: str | None, service: str | None) -> Source | None:
    """The channels/event codes of a Sigma log source; None when it does not restrict (no product)."""
    if product == "linux":
        return _linux_source(category, service)
    if product == "postfix" and category is None and service is None:
        return Source(POSTFIX_PROGRAMS)
    if product not in (None, "windows"):
        raise UnmappedLogSource(f"product {product!r} has no mapping to the event table")
    if service is not None:
        channels = SERVICES.get(service)
        if channels is None:
            raise UnmappedLogSource(f"service {service!r} has no known Windows channel")
        if category is not None:
            raise UnmappedLogSource(f"category {category!r} with service {service!r}")
        return Source(channels)
    if category is not None:
        if category == "process_creation":
            return Source((SYSMON, "Security"), (*SYSMON_CATEGORIES[category], SECURITY_PROCESS_CREATION))
        if category in SYSMON_CATEGORIES:
            return Source((SYSMON,), SYSMON_CATEGORIES[category])
        if category in OTHER_CATEGORIES:
            return OTHER_CATEGORIES[category]
        raise UnmappedLogSource(f"category {category!r} has no known Windows channel")
    if product is None:
        return None
    return Source(())  # product windows alone: every Windows event


def _linux_source(category: str | None, service: str | None) -> Source:
    """Syslog programs of a Linux service; Linux categories (auditd, eBPF) have no reader yet."""
    if category is not None or service is None:
        raise UnmappedLogSource(f"linux {category or 'events'} have no reader (only syslog services)")
    channels = LINUX_SERVICES.get(service)
    if channels is None:
        raise UnmappedLogSource(f"linux service {service!r} has no known syslog program")
    return Source(channels)
