"""The demo hospital's inventory: about 3,000 assets of which 800 connected medical devices.

Generated from a seed (the same every time), then imported through ``hygie.assets.service`` as a real
hospital would: first the inventory its teams keep (the IT asset tool's and the biomedical
engineering's exports, as one CSV inventory), then a network scan (Nmap ``-sV -O``) that confirms the
addresses, finds the open ports, guesses the systems nobody wrote down, and turns up a few devices
the inventory forgot. Each field's origin is therefore real: stated by the inventory, or guessed or
seen by the scan.

The story it tells: a domain and a DPI on supported systems, but a tail of Windows 7 workstations,
Windows Server 2008 R2 and CentOS 7 servers past their end of support; imaging and laboratory
equipment on old embedded Windows under the makers' remote maintenance; infusion pumps on the care
Wi-Fi beside the workstations; a handful of life-sustaining devices that cannot be patched; the
webmail, the patient portal and the VPN gateway on the internet, and one forgotten remote-desktop
server. Makers and models of medical devices are invented (no real product's data is implied).
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy.orm import Session

from hygie.assets import service as assets_service
from hygie.assets.models import AssetKind, ClinicalCriticality, Importer, MedicalSubtype, Patchable, PatchedBy
from hygie.assets.schemas import AssetRecord, ImportSource, MacRecord, PortRange, PortRecord, SoftwareRecord

INVENTORY_FILE = "inventaire-glpi-gmao-2026-11.csv"
SCAN_FILE = "scan-nmap-2026-11-10.xml"
SCANNED_AT = datetime(2026, 11, 10, 21, 30, tzinfo=UTC)
SCANNED_PORTS = [PortRange(protocol="tcp", first=1, last=65535)]

# End of support of the systems below (the makers' published dates).
WIN7_EOS = date(2020, 1, 14)
WIN2008R2_EOS = date(2020, 1, 14)
WIN2012R2_EOS = date(2023, 10, 10)
WIN10_EOS = date(2025, 10, 14)
CENTOS7_EOS = date(2024, 6, 30)

CPE_WIN7 = "cpe:2.3:o:microsoft:windows_7:-:sp1:*:*:*:*:*:*"
CPE_WIN10 = "cpe:2.3:o:microsoft:windows_10:22h2:*:*:*:*:*:*:*"
CPE_WIN11 = "cpe:2.3:o:microsoft:windows_11:23h2:*:*:*:*:*:*:*"
CPE_2008R2 = "cpe:2.3:o:microsoft:windows_server_2008:r2:sp1:*:*:*:*:*:*"
CPE_2012R2 = "cpe:2.3:o:microsoft:windows_server_2012:r2:*:*:*:*:*:*:*"
CPE_2016 = "cpe:2.3:o:microsoft:windows_server_2016:-:*:*:*:*:*:*:*"
CPE_2019 = "cpe:2.3:o:microsoft:windows_server_2019:-:*:*:*:*:*:*:*"
CPE_2022 = "cpe:2.3:o:microsoft:windows_server_2022:-:*:*:*:*:*:*:*"
CPE_CENTOS7 = "cpe:2.3:o:centos:centos:7:*:*:*:*:*:*:*"
CPE_RHEL8 = "cpe:2.3:o:redhat:enterprise_linux:8:*:*:*:*:*:*:*"

CARE_DEPARTMENTS = (
    "Réanimation",
    "Urgences",
    "Bloc opératoire",
    "Imagerie médicale",
    "Laboratoire",
    "Cardiologie",
    "Pédiatrie et néonatologie",
    "Maternité",
    "Oncologie",
    "Pharmacie",
    "Néphrologie et dialyse",
    "Médecine interne",
    "Chirurgie",
    "Gériatrie",
    "Pneumologie",
)
OFFICES = (
    "Direction",
    "Admissions",
    "Ressources humaines",
    "Services économiques",
    "DSI",
    "Services techniques",
)


@dataclass(frozen=True)
class DeviceModel:
    """A kind of medical device (invented maker and model) and what its MDS2 form says."""

    subtype: MedicalSubtype
    maker: str
    model: str
    firmware: tuple[str, ...]
    patchable: Patchable
    remote_service: bool
    os_name: str | None = None
    os_version: str | None = None
    os_cpe: str | None = None
    end_of_support: date | None = None
    ports: tuple[tuple[int, str], ...] = ()


PUMP_OLD = DeviceModel(
    MedicalSubtype.INFUSION_PUMP, "Perfusia", "VP-300", ("2.4.1", "2.4.3"), Patchable.NO, False,
    end_of_support=date(2023, 12, 31), ports=((23, "telnet"), (80, "http")),
)  # fmt: skip
PUMP_NEW = DeviceModel(
    MedicalSubtype.INFUSION_PUMP, "Perfusia", "VP-500", ("5.1.0", "5.2.2"), Patchable.YES, True,
    ports=((443, "https"),),
)  # fmt: skip
SYRINGE = DeviceModel(
    MedicalSubtype.INFUSION_PUMP, "Medivance", "SyriFlow S2", ("3.0.7",), Patchable.UNKNOWN, False,
    ports=((80, "http"),),
)  # fmt: skip
MONITOR = DeviceModel(
    MedicalSubtype.PATIENT_MONITOR, "Vitalis Monitoring", "VM-12", ("7.3", "7.4"), Patchable.YES, True,
    ports=((2000, "cisco-sccp"), (443, "https")),
)  # fmt: skip
MONITOR_OLD = DeviceModel(
    MedicalSubtype.PATIENT_MONITOR, "Vitalis Monitoring", "VM-8", ("4.2",), Patchable.NO, False,
    end_of_support=date(2021, 6, 30), ports=((2000, "cisco-sccp"),),
)  # fmt: skip
CENTRAL = DeviceModel(
    MedicalSubtype.PATIENT_MONITOR, "Vitalis Monitoring", "Central VC-2", ("7.4",), Patchable.YES, True,
    "Microsoft Windows 10 IoT Enterprise LTSC", "2019", None, ports=((3389, "ms-wbt-server"), (443, "https")),
)  # fmt: skip
VENTILATOR = DeviceModel(
    MedicalSubtype.VENTILATOR, "Respira Medical", "RV-900", ("3.12", "3.14"), Patchable.NO, False,
    ports=((8080, "http-proxy"),),
)  # fmt: skip
ANAESTHESIA = DeviceModel(
    MedicalSubtype.ANAESTHESIA_MACHINE, "Anesteo", "AX-7", ("6.0.2",), Patchable.NO, True,
    ports=((443, "https"),),
)  # fmt: skip
DIALYSIS = DeviceModel(
    MedicalSubtype.DIALYSIS_MACHINE, "Néphrotech", "HD-5000", ("9.1",), Patchable.UNKNOWN, True,
    ports=((22, "ssh"),),
)  # fmt: skip
CT = DeviceModel(
    MedicalSubtype.IMAGING_MODALITY, "Radiance Imaging", "Scanora CT 64", ("VB20",), Patchable.YES, True,
    "Microsoft Windows 7 Embedded", "SP1", CPE_WIN7, ports=((104, "dicom"), (3389, "ms-wbt-server")),
)  # fmt: skip
MRI = DeviceModel(
    MedicalSubtype.IMAGING_MODALITY, "Radiance Imaging", "Magnora 1.5T", ("XA31",), Patchable.YES, True,
    "Microsoft Windows 10 IoT Enterprise LTSC", "2019", None, ports=((104, "dicom"),),
)  # fmt: skip
XRAY = DeviceModel(
    MedicalSubtype.IMAGING_MODALITY, "Imagix", "DR-400", ("2.8",), Patchable.UNKNOWN, True,
    "Microsoft Windows 7 Professional", "SP1", CPE_WIN7, end_of_support=date(2022, 12, 31),
    ports=((104, "dicom"), (445, "microsoft-ds")),
)  # fmt: skip
ULTRASOUND = DeviceModel(
    MedicalSubtype.IMAGING_MODALITY, "Sonora Medical", "Echo S7", ("4.1.2",), Patchable.YES, False,
    ports=((104, "dicom"),),
)  # fmt: skip
LAB = DeviceModel(
    MedicalSubtype.LAB_ANALYSER, "BioAnalytica", "BA-2000", ("11.2",), Patchable.NO, True,
    "Microsoft Windows XP Embedded", "SP3", None, end_of_support=date(2016, 1, 12),
    ports=((445, "microsoft-ds"), (5900, "vnc")),
)  # fmt: skip
LAB_NEW = DeviceModel(
    MedicalSubtype.LAB_ANALYSER, "LabCore Diagnostics", "LC-Hema 8", ("3.5",), Patchable.YES, True,
    "Microsoft Windows 10 IoT Enterprise LTSC", "2021", None, ports=((443, "https"),),
)  # fmt: skip
PACS_STATION = DeviceModel(
    MedicalSubtype.PACS, "Imagix", "PACS Viewer Station 5", ("5.3",), Patchable.YES, True,
    "Microsoft Windows 10 Enterprise", "22H2", CPE_WIN10, ports=((104, "dicom"),),
)  # fmt: skip
ECG = DeviceModel(
    MedicalSubtype.OTHER, "Cardiomed Systems", "ECG-12 Pro", ("2.2.0",), Patchable.UNKNOWN, False,
    ports=((80, "http"),),
)  # fmt: skip

# (department, model, how many, clinical criticality)
DEVICES: tuple[tuple[str, DeviceModel, int, ClinicalCriticality], ...] = (
    ("Réanimation", PUMP_OLD, 24, ClinicalCriticality.LIFE_SUSTAINING),
    ("Réanimation", SYRINGE, 40, ClinicalCriticality.LIFE_SUSTAINING),
    ("Réanimation", MONITOR, 20, ClinicalCriticality.LIFE_SUSTAINING),
    ("Réanimation", MONITOR_OLD, 6, ClinicalCriticality.LIFE_SUSTAINING),
    ("Réanimation", CENTRAL, 2, ClinicalCriticality.DIAGNOSTIC),
    ("Réanimation", VENTILATOR, 22, ClinicalCriticality.LIFE_SUSTAINING),
    ("Urgences", PUMP_NEW, 30, ClinicalCriticality.SUPPORT),
    ("Urgences", MONITOR, 30, ClinicalCriticality.DIAGNOSTIC),
    ("Urgences", VENTILATOR, 6, ClinicalCriticality.LIFE_SUSTAINING),
    ("Urgences", ECG, 6, ClinicalCriticality.DIAGNOSTIC),
    ("Urgences", CENTRAL, 1, ClinicalCriticality.DIAGNOSTIC),
    ("Bloc opératoire", PUMP_NEW, 30, ClinicalCriticality.LIFE_SUSTAINING),
    ("Bloc opératoire", SYRINGE, 20, ClinicalCriticality.LIFE_SUSTAINING),
    ("Bloc opératoire", MONITOR, 24, ClinicalCriticality.LIFE_SUSTAINING),
    ("Bloc opératoire", ANAESTHESIA, 14, ClinicalCriticality.LIFE_SUSTAINING),
    ("Bloc opératoire", XRAY, 4, ClinicalCriticality.DIAGNOSTIC),
    ("Imagerie médicale", CT, 2, ClinicalCriticality.DIAGNOSTIC),
    ("Imagerie médicale", MRI, 2, ClinicalCriticality.DIAGNOSTIC),
    ("Imagerie médicale", XRAY, 8, ClinicalCriticality.DIAGNOSTIC),
    ("Imagerie médicale", ULTRASOUND, 12, ClinicalCriticality.DIAGNOSTIC),
    ("Imagerie médicale", PACS_STATION, 10, ClinicalCriticality.DIAGNOSTIC),
    ("Laboratoire", LAB, 22, ClinicalCriticality.DIAGNOSTIC),
    ("Laboratoire", LAB_NEW, 38, ClinicalCriticality.DIAGNOSTIC),
    ("Cardiologie", PUMP_NEW, 30, ClinicalCriticality.SUPPORT),
    ("Cardiologie", MONITOR, 40, ClinicalCriticality.DIAGNOSTIC),
    ("Cardiologie", ECG, 20, ClinicalCriticality.DIAGNOSTIC),
    ("Cardiologie", CENTRAL, 2, ClinicalCriticality.DIAGNOSTIC),
    ("Cardiologie", ULTRASOUND, 4, ClinicalCriticality.DIAGNOSTIC),
    ("Pédiatrie et néonatologie", SYRINGE, 30, ClinicalCriticality.LIFE_SUSTAINING),
    ("Pédiatrie et néonatologie", MONITOR, 20, ClinicalCriticality.LIFE_SUSTAINING),
    ("Pédiatrie et néonatologie", VENTILATOR, 6, ClinicalCriticality.LIFE_SUSTAINING),
    ("Maternité", PUMP_NEW, 20, ClinicalCriticality.SUPPORT),
    ("Maternité", MONITOR, 16, ClinicalCriticality.DIAGNOSTIC),
    ("Maternité", ULTRASOUND, 4, ClinicalCriticality.DIAGNOSTIC),
    ("Oncologie", PUMP_OLD, 26, ClinicalCriticality.SUPPORT),
    ("Oncologie", PUMP_NEW, 15, ClinicalCriticality.SUPPORT),
    ("Oncologie", MONITOR, 10, ClinicalCriticality.DIAGNOSTIC),
    ("Pharmacie", LAB_NEW, 2, ClinicalCriticality.SUPPORT),
    ("Néphrologie et dialyse", DIALYSIS, 20, ClinicalCriticality.LIFE_SUSTAINING),
    ("Néphrologie et dialyse", MONITOR, 6, ClinicalCriticality.DIAGNOSTIC),
    ("Médecine interne", PUMP_OLD, 26, ClinicalCriticality.SUPPORT),
    ("Médecine interne", PUMP_NEW, 14, ClinicalCriticality.SUPPORT),
    ("Médecine interne", MONITOR, 10, ClinicalCriticality.DIAGNOSTIC),
    ("Médecine interne", ECG, 4, ClinicalCriticality.DIAGNOSTIC),
    ("Chirurgie", PUMP_NEW, 30, ClinicalCriticality.SUPPORT),
    ("Chirurgie", MONITOR, 14, ClinicalCriticality.DIAGNOSTIC),
    ("Gériatrie", PUMP_OLD, 20, ClinicalCriticality.SUPPORT),
    ("Gériatrie", MONITOR, 6, ClinicalCriticality.DIAGNOSTIC),
    ("Pneumologie", PUMP_NEW, 14, ClinicalCriticality.SUPPORT),
    ("Pneumologie", MONITOR, 8, ClinicalCriticality.DIAGNOSTIC),
    ("Pneumologie", VENTILATOR, 4, ClinicalCriticality.LIFE_SUSTAINING),
    ("Pneumologie", ECG, 6, ClinicalCriticality.DIAGNOSTIC),
)
MEDICAL_DEVICES = sum(count for _d, _m, count, _c in DEVICES)

# hostname, role, OS name, version, CPE, end of support, exposed, ports (port, service, product, version, cpe)
Service = tuple[int, str, str | None, str | None, str | None]
AD_PORTS: tuple[Service, ...] = (
    (53, "domain", None, None, None),
    (88, "kerberos-sec", None, None, None),
    (389, "ldap", None, None, None),
    (445, "microsoft-ds", None, None, None),
)
SERVERS: tuple[tuple[str, str, str, str, str, date | None, bool, tuple[Service, ...]], ...] = (
    ("dc01", "Contrôleur de domaine", "Microsoft Windows Server", "2019", CPE_2019, None, False,
     AD_PORTS),
    ("dc02", "Contrôleur de domaine", "Microsoft Windows Server", "2019", CPE_2019, None, False,
     AD_PORTS),
    ("dpi-app01", "Dossier patient informatisé (application)", "Microsoft Windows Server", "2016", CPE_2016,
     None, False, ((443, "https", None, None, None), (3389, "ms-wbt-server", None, None, None))),
    ("dpi-app02", "Dossier patient informatisé (application)", "Microsoft Windows Server", "2016", CPE_2016,
     None, False, ((443, "https", None, None, None),)),
    ("dpi-db01", "Dossier patient informatisé (base)", "Red Hat Enterprise Linux", "8", CPE_RHEL8, None,
     False, ((22, "ssh", "OpenSSH", "8.0", "cpe:2.3:a:openbsd:openssh:8.0:*:*:*:*:*:*:*"),
             (1521, "oracle-tns", None, None, None))),
    ("pacs-srv01", "PACS (archivage des images)", "Microsoft Windows Server", "2012 R2", CPE_2012R2,
     WIN2012R2_EOS, False, ((104, "dicom", None, None, None), (443, "https", None, None, None))),
    ("pacs-srv02", "PACS (diffusion)", "Microsoft Windows Server", "2012 R2", CPE_2012R2, WIN2012R2_EOS,
     False, ((80, "http", None, None, None), (104, "dicom", None, None, None))),
    ("ris01", "Système d'information de radiologie", "Microsoft Windows Server", "2016", CPE_2016, None,
     False, ((443, "https", None, None, None),)),
    ("sil01", "Système d'information du laboratoire", "CentOS Linux", "7", CPE_CENTOS7, CENTOS7_EOS, False,
     ((22, "ssh", "OpenSSH", "7.4", "cpe:2.3:a:openbsd:openssh:7.4:*:*:*:*:*:*:*"),
      (80, "http", "Apache httpd", "2.4.6", "cpe:2.3:a:apache:http_server:2.4.6:*:*:*:*:*:*:*"))),
    ("pharma01", "Circuit du médicament", "Microsoft Windows Server", "2008 R2", CPE_2008R2, WIN2008R2_EOS,
     False, ((1433, "ms-sql-s", None, None, None), (3389, "ms-wbt-server", None, None, None))),
    ("mail01", "Messagerie (webmail)", "Microsoft Windows Server", "2019", CPE_2019, None, True,
     ((25, "smtp", None, None, None), (443, "https", None, None, None))),
    ("mss-relay01", "Relais de messagerie sécurisée de santé", "Red Hat Enterprise Linux", "8", CPE_RHEL8,
     None, False, ((25, "smtp", "Postfix smtpd", None, "cpe:2.3:a:postfix:postfix:*:*:*:*:*:*:*:*"),)),
    ("backup01", "Sauvegardes", "Microsoft Windows Server", "2019", CPE_2019, None, False,
     ((443, "https", None, None, None), (9392, "unknown", None, None, None))),
    ("backup02", "Sauvegardes (copie hors ligne)", "Red Hat Enterprise Linux", "8", CPE_RHEL8, None, False,
     ((22, "ssh", "OpenSSH", "8.0", "cpe:2.3:a:openbsd:openssh:8.0:*:*:*:*:*:*:*"),)),
    ("file01", "Partages de fichiers", "Microsoft Windows Server", "2016", CPE_2016, None, False,
     ((445, "microsoft-ds", None, None, None),)),
    ("print01", "Serveur d'impression", "Microsoft Windows Server", "2012 R2", CPE_2012R2, WIN2012R2_EOS,
     False, ((445, "microsoft-ds", None, None, None), (9100, "jetdirect", None, None, None))),
    ("intranet01", "Intranet", "CentOS Linux", "7", CPE_CENTOS7, CENTOS7_EOS, False,
     ((80, "http", "Apache httpd", "2.4.6", "cpe:2.3:a:apache:http_server:2.4.6:*:*:*:*:*:*:*"),)),
    ("portail-patients", "Portail patients", "Red Hat Enterprise Linux", "8", CPE_RHEL8, None, True,
     ((443, "https", "nginx", "1.14.1", "cpe:2.3:a:f5:nginx:1.14.1:*:*:*:*:*:*:*"),)),
    ("rdp-prestataire", "Bureau à distance du prestataire", "Microsoft Windows Server", "2008 R2", CPE_2008R2,
     WIN2008R2_EOS, True, ((3389, "ms-wbt-server", None, None, None),)),
    ("badge01", "Contrôle d'accès (badges)", "Microsoft Windows Server", "2008 R2", CPE_2008R2, WIN2008R2_EOS,
     False, ((1433, "ms-sql-s", None, None, None),)),
    ("gtc01", "Gestion technique du bâtiment", "Microsoft Windows Server", "2008 R2", CPE_2008R2,
     WIN2008R2_EOS, False, ((80, "http", None, None, None), (502, "modbus", None, None, None))),
    ("wsus01", "Mises à jour Windows", "Microsoft Windows Server", "2022", CPE_2022, None, False,
     ((8530, "http", None, None, None),)),
    ("siem01", "Journalisation", "Red Hat Enterprise Linux", "8", CPE_RHEL8, None, False,
     ((514, "syslog", None, None, None), (443, "https", None, None, None))),
)  # fmt: skip
VIRTUAL_HOSTS = 40  # application servers of the virtual farm (vm-app-NN), beside the named ones above

# (hostname prefix, maker, model, count, zone, exposed)
NETWORK = (
    ("fw-ext", "Pare-feu (fournisseur A)", "FW-2200", 2, "DMZ", True),
    ("fw-int", "Pare-feu (fournisseur A)", "FW-1200", 2, "Administration réseau", False),
    ("vpn", "Passerelle VPN (fournisseur B)", "SSL-VPN 900", 1, "DMZ", True),
    ("core-sw", "Commutateurs (fournisseur C)", "CS-9500", 2, "Administration réseau", False),
    ("sw-etage", "Commutateurs (fournisseur C)", "AS-2960", 96, "Administration réseau", False),
    ("wifi-ctrl", "Wi-Fi (fournisseur D)", "WLC-5500", 2, "Administration réseau", False),
    ("ap", "Wi-Fi (fournisseur D)", "AP-320", 70, "Administration réseau", False),
)
IOT = (
    ("cam", "Vidéoprotection", "Caméra IP", 70, "IoT et bâtiment"),
    ("badge-lect", "Contrôle d'accès", "Lecteur de badges", 40, "IoT et bâtiment"),
    ("gtc-auto", "Gestion technique", "Automate CVC", 24, "IoT et bâtiment"),
    ("appel-malade", "Appel malade", "Centrale d'appel", 16, "IoT et bâtiment"),
)
PRINTERS = 100
WORKSTATIONS = 1_700
WIN7_WORKSTATIONS = 64  # kept for old software (a laboratory instrument driver, an old PACS viewer)
SHADOW = 12  # devices the scan finds and the inventory does not know


@dataclass(frozen=True)
class Shape:
    """What one establishment's inventory holds. The demo hospital's is :data:`HOSPITAL_SHAPE` (the
    constants above); the group's other establishments have smaller ones (:mod:`hygie.demo.ght`)."""

    domain: str = "ch-saint-aurele.local"
    rng_name: str = "inventory"  # the generator's seed is "<rng_name>-<seed>"
    care_departments: tuple[str, ...] = CARE_DEPARTMENTS
    devices: tuple[tuple[str, DeviceModel, int, ClinicalCriticality], ...] = DEVICES
    servers: tuple[tuple[str, str, str, str, str, date | None, bool, tuple[Service, ...]], ...] = SERVERS
    virtual_hosts: int = VIRTUAL_HOSTS
    old_virtual_every: int = 8  # every n-th virtual server still on Windows Server 2008 R2
    network: tuple[tuple[str, str, str, int, str, bool], ...] = NETWORK
    iot: tuple[tuple[str, str, str, int, str], ...] = IOT
    printers: int = PRINTERS
    workstations: int = WORKSTATIONS
    win7_workstations: int = WIN7_WORKSTATIONS
    win10_share: float = 0.3  # of the other workstations, still on Windows 10 (past its end of support)
    shadow: int = SHADOW
    inventory_file: str = INVENTORY_FILE
    scan_file: str = SCAN_FILE


HOSPITAL_SHAPE = Shape()


@dataclass
class Generated:
    inventory: list[AssetRecord]
    scan: list[AssetRecord]


def _mac(number: int) -> MacRecord:
    """A locally administered MAC (02:…): never a real maker's address block."""
    return MacRecord(address="02:48:59:" + ":".join(f"{(number >> s) & 0xFF:02x}" for s in (16, 8, 0)))


class _Plan:
    """Hands out addresses (by zone) and MACs, deterministically."""

    ZONES: ClassVar[dict[str, tuple[int, int]]] = {
        "DMZ": (10, 0),
        "Serveurs": (10, 1),
        "Administration réseau": (10, 2),
        "Postes de travail": (10, 10),
        "Wi-Fi soins": (10, 12),
        "Biomédical": (10, 20),
        "Imagerie": (10, 21),
        "Laboratoire": (10, 22),
        "IoT et bâtiment": (10, 30),
        "Impression": (10, 40),
    }

    def __init__(self) -> None:
        self.next_host: dict[str, int] = {}
        self.macs = 0

    def mac(self) -> MacRecord:
        self.macs += 1
        return _mac(self.macs)


def _ip(plan: _Plan, zone: str) -> str:
    first, second = plan.ZONES[zone]
    host = plan.next_host.get(zone, 0)
    plan.next_host[zone] = host + 1
    return f"{first}.{second}.{host // 250}.{host % 250 + 2}"


def _record(**values: Any) -> AssetRecord:
    return AssetRecord(**values)


def _scan_of(record: AssetRecord, ports: list[PortRecord], guess: dict[str, Any]) -> AssetRecord:
    """What the scan sees of an inventoried asset: its addresses, hostname, ports and an OS guess."""
    values: dict[str, Any] = {
        "hostname": record.hostname,
        "ips": record.ips,
        "macs": record.macs,
        "ports": ports,
        "ports_scanned": SCANNED_PORTS,
        "observed_at": SCANNED_AT,
        "software": [
            SoftwareRecord(name=p.product, version=p.version, cpe=p.cpe) for p in ports if p.product and p.cpe
        ],
    }
    values.update(guess)
    values["guessed"] = frozenset(guess)
    return AssetRecord(**values)


def generate(seed: int = 2026, shape: Shape = HOSPITAL_SHAPE) -> Generated:
    """The inventory's records and the scan's, the same for the same seed and shape."""
    rng = random.Random(f"{shape.rng_name}-{seed}")
    domain = shape.domain
    plan = _Plan()
    inventory: list[AssetRecord] = []
    scan: list[AssetRecord] = []

    def seen(record: AssetRecord, share: float) -> bool:
        return bool(record.ips) and rng.random() < share

    # Medical devices.
    serial = 0
    for department, model, count, criticality in shape.devices:
        zone = {
            MedicalSubtype.INFUSION_PUMP: "Wi-Fi soins",
            MedicalSubtype.IMAGING_MODALITY: "Imagerie",
            MedicalSubtype.PACS: "Imagerie",
            MedicalSubtype.LAB_ANALYSER: "Laboratoire",
        }.get(model.subtype, "Biomédical")
        prefix = "".join(w[0] for w in department.replace("-", " ").split() if w[0].isupper())[:3].upper()
        for _ in range(count):
            serial += 1
            hostname = f"bio-{prefix.lower()}-{model.subtype.value[:4]}-{serial:04d}"
            record = _record(
                name=f"{model.model} {prefix}-{serial:04d}",
                hostname=hostname,
                ips=[_ip(plan, zone)],
                macs=[plan.mac()],
                kind=AssetKind.MEDICAL_DEVICE,
                medical_subtype=model.subtype,
                maker=model.maker,
                model=model.model,
                serial=f"{model.maker[:2].upper()}{model.model[:2].upper()}{100000 + serial * 7}",
                firmware=rng.choice(model.firmware),
                os_name=model.os_name,
                os_version=model.os_version,
                os_cpe=model.os_cpe,
                location=f"{department}, {rng.choice(('niveau 1', 'niveau 2', 'niveau 3'))}",
                department=department,
                network_zone=zone,
                criticality=criticality,
                owner="Ingénierie biomédicale",
                end_of_support=model.end_of_support,
                patchable=model.patchable,
                patched_by=PatchedBy.MAKER,
                remote_service=model.remote_service,
                internet_exposed=False,
            )
            inventory.append(record)
            if seen(record, 0.7):
                ports = [PortRecord(protocol="tcp", port=p, service=s) for p, s in model.ports]
                scan.append(_scan_of(record, ports, {}))

    # Servers: the named ones, then the virtual farm.
    for hostname, role, os_name, version, cpe, eos, exposed, services in shape.servers:
        zone = "DMZ" if exposed else "Serveurs"
        record = _record(
            name=hostname.upper(),
            hostname=f"{hostname}.{domain}",
            ips=[_ip(plan, zone)],
            macs=[plan.mac()],
            kind=AssetKind.SERVER,
            maker="Serveur virtuel",
            model=role,
            os_name=os_name,
            os_version=version,
            os_cpe=cpe,
            location="Salle serveurs A",
            department="DSI",
            network_zone=zone,
            criticality=ClinicalCriticality.SUPPORT,
            owner="DSI — équipe infrastructure",
            end_of_support=eos,
            internet_exposed=exposed,
        )
        inventory.append(record)
        ports = [
            PortRecord(protocol="tcp", port=p, service=s, product=product, version=v, cpe=c)
            for p, s, product, v, c in services
        ]
        scan.append(_scan_of(record, ports, {}))
    for number in range(1, shape.virtual_hosts + 1):
        old = number % shape.old_virtual_every == 0
        os_name, version, cpe, eos = (
            ("Microsoft Windows Server", "2008 R2", CPE_2008R2, WIN2008R2_EOS)
            if old
            else rng.choice(
                (
                    ("Microsoft Windows Server", "2019", CPE_2019, None),
                    ("Microsoft Windows Server", "2022", CPE_2022, None),
                    ("Red Hat Enterprise Linux", "8", CPE_RHEL8, None),
                    ("Microsoft Windows Server", "2016", CPE_2016, None),
                )
            )
        )
        record = _record(
            name=f"VM-APP-{number:02d}",
            hostname=f"vm-app-{number:02d}.{domain}",
            ips=[_ip(plan, "Serveurs")],
            macs=[plan.mac()],
            kind=AssetKind.SERVER,
            maker="Serveur virtuel",
            os_name=os_name,
            os_version=version,
            os_cpe=cpe,
            location="Salle serveurs A",
            department="DSI",
            network_zone="Serveurs",
            criticality=ClinicalCriticality.SUPPORT,
            owner="DSI — équipe applications",
            end_of_support=eos,
            internet_exposed=False,
        )
        inventory.append(record)
        scan.append(_scan_of(record, [PortRecord(protocol="tcp", port=443, service="https")], {}))

    # Network equipment.
    for prefix, maker, model_name, count, zone, exposed in shape.network:
        for number in range(1, count + 1):
            record = _record(
                name=f"{prefix}-{number:02d}",
                hostname=f"{prefix}-{number:02d}.net.{domain}",
                ips=[_ip(plan, zone)],
                macs=[plan.mac()],
                kind=AssetKind.NETWORK,
                maker=maker,
                model=model_name,
                serial=f"NET-{prefix.upper()}-{number:04d}",
                firmware=rng.choice(("15.2(7)", "16.9.4", "17.3.1")),
                location="Local technique" if prefix in ("sw-etage", "ap") else "Salle serveurs A",
                department="DSI",
                network_zone=zone,
                criticality=ClinicalCriticality.SUPPORT,
                owner="DSI — équipe réseau",
                internet_exposed=exposed,
            )
            inventory.append(record)
            if seen(record, 0.9):
                port = 443 if exposed else 22
                scan.append(
                    _scan_of(
                        record,
                        [PortRecord(protocol="tcp", port=port, service="ssh" if port == 22 else "https")],
                        {},
                    )
                )

    # Building and connected objects, printers.
    for prefix, maker, model_name, count, zone in shape.iot:
        for number in range(1, count + 1):
            record = _record(
                name=f"{prefix}-{number:03d}",
                ips=[_ip(plan, zone)],
                macs=[plan.mac()],
                kind=AssetKind.IOT,
                maker=maker,
                model=model_name,
                firmware=rng.choice(("1.8.2", "2.0.1", "2.3.0")),
                network_zone=zone,
                criticality=ClinicalCriticality.NONE,
                owner="Services techniques",
                internet_exposed=False,
            )
            inventory.append(record)
            if seen(record, 0.8):
                scan.append(_scan_of(record, [PortRecord(protocol="tcp", port=80, service="http")], {}))
    for number in range(1, shape.printers + 1):
        department = rng.choice(shape.care_departments + OFFICES)
        record = _record(
            name=f"IMP-{number:03d}",
            ips=[_ip(plan, "Impression")],
            macs=[plan.mac()],
            kind=AssetKind.OTHER,
            maker="Imprimantes (fournisseur E)",
            model="MFP-4500",
            department=department,
            network_zone="Impression",
            criticality=ClinicalCriticality.NONE,
            owner="DSI — support",
            internet_exposed=False,
        )
        inventory.append(record)

    # Workstations: most on a supported Windows, a Windows 10 tail past its end, a few Windows 7.
    places = shape.care_departments + OFFICES
    for number in range(1, shape.workstations + 1):
        department = places[(number * 7 + rng.randrange(3)) % len(places)]
        if number <= shape.win7_workstations:
            os_version, cpe, eos, os_name = "SP1", CPE_WIN7, WIN7_EOS, "Microsoft Windows 7 Professional"
        elif rng.random() < shape.win10_share:
            os_version, cpe, eos, os_name = "22H2", CPE_WIN10, WIN10_EOS, "Microsoft Windows 10 Enterprise"
        else:
            os_version, cpe, eos, os_name = "23H2", CPE_WIN11, None, "Microsoft Windows 11 Enterprise"
        code = "".join(w[0] for w in department.split() if w[0].isupper())[:3].upper()
        record = _record(
            name=f"PC-{code}-{number:04d}",
            hostname=f"pc-{code.lower()}-{number:04d}.{domain}",
            ips=[_ip(plan, "Postes de travail")],
            macs=[plan.mac()],
            kind=AssetKind.WORKSTATION,
            maker="Postes (marché régional)",
            model=rng.choice(("Tour T-500", "Mini M-300", "Portable P-14")),
            serial=f"WS{200000 + number}",
            os_name=os_name,
            os_version=os_version,
            os_cpe=cpe,
            department=department,
            network_zone="Postes de travail",
            criticality=ClinicalCriticality.SUPPORT
            if department in shape.care_departments
            else ClinicalCriticality.NONE,
            owner="DSI — support",
            end_of_support=eos,
            internet_exposed=False,
        )
        inventory.append(record)
        if seen(record, 0.25):
            scan.append(_scan_of(record, [PortRecord(protocol="tcp", port=445, service="microsoft-ds")], {}))

    # What only the scan knows: a few devices nobody declared, their system guessed.
    for _number in range(shape.shadow):
        zone = rng.choice(("Postes de travail", "Wi-Fi soins", "Biomédical"))
        scan.append(
            AssetRecord(
                ips=[_ip(plan, zone)],
                macs=[plan.mac()],
                ports=[PortRecord(protocol="tcp", port=rng.choice((22, 80, 5900)), service="unknown")],
                ports_scanned=SCANNED_PORTS,
                observed_at=SCANNED_AT,
                os_name="Linux",
                os_version="3.x",
                kind=AssetKind.OTHER,
                guessed=frozenset({"os_name", "os_version", "kind"}),
            )
        )
    return Generated(inventory=inventory, scan=scan)


@dataclass(frozen=True)
class InventorySummary:
    assets: int
    medical_devices: int
    scanned: int
    seconds: float


def build(
    session: Session, establishment_id: int, seed: int = 2026, shape: Shape = HOSPITAL_SHAPE
) -> InventorySummary:
    """Imports the generated inventory, then the scan, through the assets service."""
    started = time.perf_counter()
    generated = generate(seed, shape)
    assets_service.import_assets(
        session,
        establishment_id,
        generated.inventory,
        ImportSource(importer=Importer.CSV, file_name=shape.inventory_file),
    )
    assets_service.import_assets(
        session,
        establishment_id,
        generated.scan,
        ImportSource(importer=Importer.NMAP, file_name=shape.scan_file),
    )
    counts = assets_service.counts_by_kind(session, establishment_id)
    return InventorySummary(
        assets=sum(counts.values()),
        medical_devices=counts.get(AssetKind.MEDICAL_DEVICE, 0),
        scanned=len(generated.scan),
        seconds=time.perf_counter() - started,
    )
