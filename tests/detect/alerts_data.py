"""Real EVTX samples and SigmaHQ rules that fire on them (checked with the engine)."""

from __future__ import annotations

import shutil
from pathlib import Path

EVTX = Path("/work/shared/data/evtx-attack-samples")
SIGMA = Path("/work/shared/data/sigma/rules/windows")

FILES = (
    "Lateral Movement/LM_renamed_psexecsvc_5145.evtx",  # 4 × 5145 PSEXESVC pipes on IEWIN7, one second
    "Privilege Escalation/sysmon_privesc_psexec_dwell.evtx",  # psexec -s on MSEDGEWIN10
    "Credential Access/sysmon_10_lsass_mimikatz_sekurlsa_logonpasswords.evtx",  # lsass access on PC04
)
RULES = (
    "builtin/security/win_security_lm_namedpipe.yml",  # 52d8b0c6 First Time Seen Remote Named Pipe, high
    "builtin/security/win_security_susp_psexec.yml",  # c462f537 Suspicious PsExec Execution, high
    "process_access/proc_access_win_hktl_generic_access.yml",  # d0d2f720 HackTool - Generic Process Access
    "process_creation/proc_creation_win_sysinternals_psexesvc.yml",  # fdfcbd78 PsExec Service Execution
)
NAMED_PIPE = "52d8b0c6-53d6-439a-9e41-52ad442ad9ad"
SUSP_PSEXEC = "c462f537-a1e3-41a6-b5fc-b2c2cef9bf82"
HACKTOOL = "d0d2f720-d14f-448d-8242-51ff396a334e"
PSEXESVC = "fdfcbd78-48f1-4a4b-90ac-d82241e368c5"


def evtx_files() -> list[Path]:
    return [EVTX / name for name in FILES]


def rules_folder(target: Path) -> Path:
    target.mkdir(parents=True, exist_ok=True)
    for name in RULES:
        shutil.copy(SIGMA / name, target / Path(name).name)
    return target
