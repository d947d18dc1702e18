"""What every reader of an imported file and every writer of a CSV export share.

The size limit checked before a byte is read, the checksum kept with an import, UTF-8 decoding that
names the line of a bad byte, the delimiter a header line uses, the comparison form of column names,
and the neutralisation of a text a spreadsheet would read as a formula. The inventory's readers and
the continuity domain's backup reports use the same functions.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from pathlib import Path

from hygie.core.errors import ContentError, Location

# An Nmap -sV scan of a /16 makes about 150 MB: twice that is a generous ceiling, and a 2 GB file is
# refused from its size alone, before one byte of it is read.
MAX_IMPORT_BYTES = 256 * 1024 * 1024

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def check_size(path: Path, max_bytes: int = MAX_IMPORT_BYTES) -> int:
    """The file's size, or a ContentError when it is over the limit (checked without reading it)."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ContentError(f"cannot read the file: {exc.strerror}", Location(path.name)) from exc
    if size > max_bytes:
        raise ContentError(
            f"the file is {size:,} bytes, over the limit of {max_bytes:,} bytes: split it and import "
            "the parts",
            Location(path.name),
        )
    return size


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def key(text: str) -> str:
    """``Numéro de série`` → ``numero_de_serie``: how headers and words of a vocabulary compare."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "_", plain.lower()).strip("_")


def decode_utf8(data: bytes, name: str) -> str:
    """The text of a UTF-8 file (a byte-order mark is fine); a ContentError names the bad line."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ContentError(
            "the file is not UTF-8 (in a spreadsheet, save it as « CSV UTF-8 »)", Location(name, line)
        ) from exc


def delimiter_of(header: str) -> str:
    """``;`` or ``,``: whichever the header line uses more (French spreadsheets write ``;``)."""
    return ";" if header.count(";") >= header.count(",") else ","


def neutralise(value: str) -> str:
    """A text a spreadsheet will never read as a formula."""
    return "'" + value if value.startswith(FORMULA_TRIGGERS) else value
