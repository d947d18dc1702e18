"""What every reader of a foreign file shares: the size limit read before the content, the checksum
and safe XML. What is particular to CSV text (decoding, separator, formulas) is in
``hygie.core.csvtext``."""

from __future__ import annotations

import hashlib
from pathlib import Path
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml import ElementTree as SafeElementTree

from hygie.core.errors import ContentError, Location

# An Nmap -sV scan of a /16 makes about 150 MB: twice that is a generous ceiling, and a 2 GB file is
# refused from its size alone, before one byte of it is read.
MAX_IMPORT_BYTES = 256 * 1024 * 1024


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


def parse_xml(path: Path, *, allow_doctype: bool = True) -> Element:
    """The root element, read with defusedxml: entity declarations (XML bombs) and external
    references (XXE) are refused with a clear error. A bare ``<!DOCTYPE nmaprun>`` is allowed:
    Nmap writes one; ``allow_doctype=False`` refuses any DOCTYPE (formats that never have one)."""
    where = Location(path.name)
    try:
        tree = SafeElementTree.parse(
            path, forbid_dtd=not allow_doctype, forbid_entities=True, forbid_external=True
        )
    except EntitiesForbidden as exc:
        raise ContentError(
            "the XML declares entities (an XML bomb or an external entity, XXE): refused", where
        ) from exc
    except DTDForbidden as exc:
        raise ContentError("the XML has a DOCTYPE, which this format never has: refused", where) from exc
    except ExternalReferenceForbidden as exc:
        raise ContentError("the XML refers to an external resource (XXE): refused", where) from exc
    except ParseError as exc:
        line = exc.position[0] if exc.position else None
        raise ContentError(f"not well-formed XML: {exc}", Location(path.name, line)) from exc
    root = tree.getroot()
    if root is None:  # pragma: no cover -- a parsed document always has a root
        raise ContentError("empty XML document", where)
    return root


def local_name(tag: str) -> str:
    """``{http://cyclonedx.org/schema/bom/1.4}bom`` → ``bom``."""
    return tag.rsplit("}", 1)[-1]
