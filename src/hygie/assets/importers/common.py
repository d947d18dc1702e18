"""What every reader shares: the size limit read before the content, safe XML, error locations."""

from __future__ import annotations

from pathlib import Path
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml import ElementTree as SafeElementTree

from hygie.core.errors import ContentError, Location
from hygie.core.tabular import MAX_IMPORT_BYTES, check_size, sha256_of

__all__ = ["MAX_IMPORT_BYTES", "check_size", "local_name", "parse_xml", "sha256_of"]


def parse_xml(path: Path) -> Element:
    """The root element, read with defusedxml: entity declarations (XML bombs) and external
    references (XXE) are refused with a clear error. A bare ``<!DOCTYPE nmaprun>`` is allowed:
    Nmap writes one."""
    where = Location(path.name)
    try:
        tree = SafeElementTree.parse(path, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except EntitiesForbidden as exc:
        raise ContentError(
            "the XML declares entities (an XML bomb or an external entity, XXE): refused", where
        ) from exc
    except (ExternalReferenceForbidden, DTDForbidden) as exc:
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
