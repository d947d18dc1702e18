"""What every reader of a user's text file shares: the size limit checked before reading, UTF-8
decoding with the line of a bad byte, the separator, header keys, and formula neutralisation.

Moved here from ``hygie.assets.importers`` so that the inventory, the awareness imports and the
workbook exports use one copy.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from pathlib import Path

from hygie.core.errors import ContentError, Location
from hygie.core.files import MAX_IMPORT_BYTES, check_size

# What makes a spreadsheet read a cell as a formula (OWASP's list for CSV injection).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def key(text: str) -> str:
    """``Numéro de série`` → ``numero_de_serie``: how headers and words of a vocabulary compare."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "_", plain.lower()).strip("_")


def decode_utf8(data: bytes, name: str) -> str:
    """The text of a UTF-8 file (a byte-order mark is dropped); ContentError naming the bad line."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ContentError(
            "the file is not UTF-8 (in a spreadsheet, save it as « CSV UTF-8 »)", Location(name, line)
        ) from exc


def delimiter_of(header: str) -> str:
    """``;`` or ``,``: whichever the header line uses more."""
    return ";" if header.count(";") >= header.count(",") else ","


def neutralise(value: str) -> str:
    """A text a spreadsheet will never read as a formula (a leading ``'``)."""
    return "'" + value if value.startswith(FORMULA_TRIGGERS) else value


def restore(value: str) -> str:
    """Undoes ``neutralise`` on a value read back (GoPhish's exports escape formulas the same way)."""
    return value[1:] if value.startswith("'") and value[1:].startswith(FORMULA_TRIGGERS) else value


def read_rows(
    path: Path, max_bytes: int = MAX_IMPORT_BYTES, delimiter: str | None = None
) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header's cells and every non-blank row with its line number, from a CSV file checked for
    size and encoding first. The separator is guessed from the header unless given. Cells are kept as
    the text they are (a spreadsheet's ``'`` before a formula is taken off: see ``restore``)."""
    name = path.name
    check_size(path, max_bytes)
    text = decode_utf8(path.read_bytes(), name)
    first_line = text.split("\n", 1)[0]
    reader = csv.reader(
        io.StringIO(text, newline=""), delimiter=delimiter or delimiter_of(first_line), strict=True
    )
    try:
        header = [cell.strip() for cell in next(reader)]
    except StopIteration:
        raise ContentError("the file is empty", Location(name)) from None
    except csv.Error as exc:
        raise ContentError(f"unreadable CSV: {exc}", Location(name, 1)) from exc
    rows: list[tuple[int, list[str]]] = []
    while True:
        line = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise ContentError(f"unreadable CSV: {exc}", Location(name, line)) from exc
        if any(cell.strip() for cell in row):
            rows.append((line, [restore(cell.strip()) for cell in row]))
    return header, rows
