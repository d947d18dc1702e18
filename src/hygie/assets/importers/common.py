"""What every reader shares, now in ``hygie.core.files`` (the network importers use it too)."""

import ipaddress
import re
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

from hygie.assets.schemas import AssetRecord, ImportSource
from hygie.core.files import MAX_IMPORT_BYTES, check_size, local_name, parse_xml, sha256_of

__all__ = ["MAX_IMPORT_BYTES", "check_size", "local_name", "parse_xml", "sha256_of"]


@dataclass
class ParsedFile:
    """What a reader gives the merge: the records, where they come from, and notes for the user."""

    source: ImportSource
    records: list[AssetRecord]
    warnings: list[str] = field(default_factory=list)


_FQDN = re.compile(
    r"(?=.{4,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]", re.I
)


def hostname_of_name(name: str | None) -> str | None:
    """The name as a hostname when it is a fully qualified DNS name (``srv-pacs.chu.local``): a bare
    name (``PC-ACCUEIL``, « Imprimante accueil ») is left alone, it may be a label and not a host."""
    if name and _FQDN.fullmatch(name.strip().rstrip(".")):
        return name.strip()
    return None


def useful_ip(value: str) -> bool:
    """Whether an address says which host it is: loopback, link-local (``fe80::``, ``169.254.``) and
    unspecified addresses are the same on every machine, so an inventory listing them is ignored."""
    address = ipaddress.ip_address(value)
    return not (address.is_loopback or address.is_link_local or address.is_unspecified)


# MAC addresses that many machines report at once: unset, broadcast, and virtual adapters that carry
# the same MAC on every computer where they are installed (VMware Workstation's VMnet1 and VMnet8,
# Cisco AnyConnect's VPN adapter, Microsoft's loopback adapter). An inventory agent lists them with
# the real ones; taken as keys, they would merge every such computer into one asset.
USELESS_MACS = frozenset(
    {
        "00:00:00:00:00:00",
        "ff:ff:ff:ff:ff:ff",
        "00:50:56:c0:00:01",
        "00:50:56:c0:00:08",
        "00:05:9a:3c:7a:00",
        "02:00:4c:4f:4f:50",
    }
)


def useful_mac(value: str) -> bool:
    """Whether a normalised MAC says which host it is (VirtualBox's host-only adapters, 0a:00:27:00:00:xx,
    are numbered the same way on every computer)."""
    return value not in USELESS_MACS and not value.startswith("0a:00:27:00:00:")


def drop_shared_addresses(records: list[AssetRecord], where: str) -> tuple[list[AssetRecord], list[str]]:
    """The records without the MACs and IPs that several of them list, and a note for each one left out.

    One source (an inventory, not a scan) giving the same address to two assets knows it for neither:
    a virtual adapter, a VPN address, a docking station. Kept, it would merge the two into one asset.
    """
    macs = Counter(mac for r in records for mac in {m.address for m in r.macs})
    ips = Counter(ip for r in records for ip in set(r.ips))
    shared_macs = {mac for mac, count in macs.items() if count > 1}
    shared_ips = {ip for ip, count in ips.items() if count > 1}
    if not shared_macs and not shared_ips:
        return records, []
    kept = [
        r.model_copy(
            update={
                "macs": [m for m in r.macs if m.address not in shared_macs],
                "ips": [ip for ip in r.ips if ip not in shared_ips],
            }
        )
        for r in records
    ]
    notes = [
        f"{where}: {kind} {value} is given to {count} assets: it identifies none of them and was left out"
        for kind, shared, counts in (("MAC", shared_macs, macs), ("IP", shared_ips, ips))
        for value in sorted(shared)
        for count in [counts[value]]
    ]
    return kept, notes


def source_name(prefix: str, url: str) -> str:
    """``glpi https://glpi.chu.local/apirest.php``: the server an API import read, without the user,
    password, query or fragment a URL may carry (it is shown and kept in the import log)."""
    parts = urlsplit(url.strip())
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    clean = urlunsplit((parts.scheme, host, parts.path.rstrip("/"), "", ""))
    return f"{prefix} {clean}"[:500]
