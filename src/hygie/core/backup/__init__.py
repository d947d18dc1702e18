"""Hygie's own backups: the whole state in one archive, checked before anything is restored.

Callers use the three operations and their reports; the modules beneath are the archive format
(``archive``), the logical database dump (``dump``) and the encryption (``crypto``).
"""

from hygie.core.backup.archive import CorruptArchiveError
from hygie.core.backup.crypto import PassphraseError
from hygie.core.backup.service import (
    BackupReport,
    RestoreReport,
    RestoreTargetError,
    VerifyReport,
    create_backup,
    restore_backup,
    verify_backup,
)

__all__ = [
    "BackupReport",
    "CorruptArchiveError",
    "PassphraseError",
    "RestoreReport",
    "RestoreTargetError",
    "VerifyReport",
    "create_backup",
    "restore_backup",
    "verify_backup",
]
