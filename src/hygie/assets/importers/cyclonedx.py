"""CycloneDX SBOMs (JSON or XML, read with cyclonedx-python-lib): one asset and its software.

The asset is ``metadata.component``: its name, and by its type the device's maker, model and
firmware, or the operating system. Properties named ``hygie:<field>`` on it (``hygie:hostname``,
``hygie:ip``, ``hygie:mac``, ``hygie:serial``, ``hygie:department``…) say which asset of the
establishment it is, with the words of the CSV template; ``--hostname`` on the command line does the
same for an SBOM that names none. Every other component, nested ones included, is installed
software with its purl and CPE; an ``operating-system`` component gives the asset's OS instead.
An SBOM is the whole list: importing a new one for an asset replaces what the previous one listed.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterable
from datetime import UTC
from pathlib import Path
from typing import Any

import pydantic
from cyclonedx.model.bom import Bom
from cyclonedx.model.component import Component, ComponentType
from cyclonedx.schema.deprecation import BaseSchemaDeprecationWarning

from hygie.assets.importers.common import local_name, parse_xml
from hygie.assets.importers.cpe import to_cpe23
from hygie.assets.importers.csvfile import convert
from hygie.assets.schemas import ASSET_FIELDS, AssetRecord, SoftwareRecord
from hygie.core.errors import ContentError, ImportRejectedError, Location

PROPERTY_PREFIX = "hygie:"
_PROPERTY_FIELDS = {*ASSET_FIELDS, "ip", "mac"} - {"name"}


def _load(path: Path) -> tuple[Bom, bool]:
    """The SBOM, and whether it says when it was made (the library puts "now" otherwise)."""
    where = Location(path.name)
    document: Any  # an XML element or a JSON object, as the library's readers take them
    if path.read_bytes()[:512].lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        document = parse_xml(path)
        stamped = any(
            local_name(e.tag) == "timestamp" for m in document if local_name(m.tag) == "metadata" for e in m
        )
    else:
        try:
            document = json.loads(path.read_bytes())
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            line = getattr(exc, "lineno", None)
            raise ContentError(f"not valid JSON: {exc}", Location(path.name, line)) from exc
        except RecursionError as exc:
            raise ContentError("the JSON is nested too deeply", where) from exc
        if not isinstance(document, dict) or document.get("bomFormat") != "CycloneDX":
            raise ContentError('not a CycloneDX SBOM ("bomFormat": "CycloneDX" is missing)', where)
        metadata = document.get("metadata")
        stamped = isinstance(metadata, dict) and "timestamp" in metadata
    # from_xml/from_json are added to Bom by py-serializable's class decorator, unseen by mypy.
    read: Any = Bom.from_json if isinstance(document, dict) else Bom.from_xml  # type: ignore[attr-defined]
    try:
        with warnings.catch_warnings():
            # Older SBOMs use fields later versions deprecate (tools, author): still valid input.
            warnings.simplefilter("ignore", BaseSchemaDeprecationWarning)
            bom = read(document)
    except Exception as exc:  # the library raises many kinds (KeyError, ValueError, its own) on bad input
        raise ContentError(f"not a valid CycloneDX SBOM: {type(exc).__name__}: {exc}", where) from exc
    if not isinstance(bom, Bom):
        raise ContentError("not a valid CycloneDX SBOM", where)
    return bom, stamped


def _every(components: Iterable[Component]) -> Iterable[Component]:
    for component in components:
        yield component
        yield from _every(component.components)


def _full_name(component: Component) -> str:
    return f"{component.group}/{component.name}" if component.group else component.name


def _vendor(component: Component) -> str | None:
    if component.manufacturer is not None and component.manufacturer.name:
        return str(component.manufacturer.name)
    if component.supplier is not None and component.supplier.name:
        return str(component.supplier.name)
    return str(component.publisher) if component.publisher else None


def _software(component: Component) -> SoftwareRecord:
    cpe = to_cpe23(component.cpe) if component.cpe else None
    return SoftwareRecord(
        name=component.name[:300],
        version=(component.version or None) and component.version[:200],
        vendor=(v := _vendor(component)) and v[:200],
        cpe=cpe,
        purl=component.purl.to_string() if component.purl is not None else None,
    )


def _asset(component: Component, values: dict[str, Any], path: Path) -> None:
    values["name"] = _full_name(component)[:200]
    if component.type in (ComponentType.DEVICE, ComponentType.FIRMWARE):
        values["maker"] = _vendor(component)
        if component.type is ComponentType.DEVICE:
            values["model"] = component.name
        values["firmware"] = component.version
    elif component.type is ComponentType.OPERATING_SYSTEM:
        values["os_name"] = component.name
        values["os_version"] = component.version
    problems: list[ContentError] = []
    for prop in component.properties:
        if not prop.name.startswith(PROPERTY_PREFIX):
            continue
        field = prop.name.removeprefix(PROPERTY_PREFIX)
        where = Location(path.name, None, f"metadata.component.properties {prop.name}")
        if field not in _PROPERTY_FIELDS:
            problems.append(ContentError(f"unknown property; known: {sorted(_PROPERTY_FIELDS)}", where))
            continue
        target = {"ip": "ips", "mac": "macs"}.get(field, field)
        try:
            value = convert(target, prop.value or "")
        except ValueError as exc:
            problems.append(ContentError(str(exc), where))
            continue
        if target in ("ips", "macs"):
            values[target] = [*values.get(target, []), *value]
        else:
            values[target] = value
    if problems:
        raise ImportRejectedError(path.name, problems)


def parse(path: Path, hostname: str | None = None) -> list[AssetRecord]:
    """The asset an SBOM describes, with its software (one record)."""
    bom, stamped = _load(path)
    values: dict[str, Any] = {"line": None}
    if bom.metadata.component is not None:
        _asset(bom.metadata.component, values, path)
    software: dict[str, SoftwareRecord] = {}
    for component in _every(bom.components):
        if component.type is ComponentType.OPERATING_SYSTEM and "os_name" not in values:
            values["os_name"], values["os_version"] = component.name, component.version
            continue
        try:
            record = _software(component)
        except pydantic.ValidationError as exc:
            error = exc.errors()[0]
            raise ContentError(
                f"{error['loc'][0]}: {error['msg']}",
                Location(path.name, None, f"component {component.name!r}"),
            ) from exc
        software.setdefault(record.key, record)
    values["software"] = list(software.values())
    if hostname:
        values["hostname"] = hostname
    timestamp = bom.metadata.timestamp
    if stamped and timestamp is not None:
        values["observed_at"] = timestamp if timestamp.tzinfo else timestamp.replace(tzinfo=UTC)
    try:
        return [AssetRecord.model_validate(values)]
    except pydantic.ValidationError as exc:
        error = exc.errors()[0]
        field = ".".join(str(p) for p in error["loc"])
        raise ContentError(
            f"{field}: {error['msg']}", Location(path.name, None, "metadata.component")
        ) from exc
