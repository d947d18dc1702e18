"""Converts a CISO Assistant framework library (YAML) into a Hygie referential.

CISO Assistant keeps a framework as a flat list of requirement nodes with parent links. Here the
nodes that are not assessable become sections, the assessable ones requirements, and the
implementation groups tiers. Each requirement is mapped onto the common controls: through the
requirement of the same id in an *aligned* Hygie referential when one is given, otherwise onto a
control of its own (added to the referential) whose question is the requirement's text.

Only data is read (``yaml`` safe loading, aliases refused, size capped); nothing is executed.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping as MappingABC
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pydantic
import yaml

from hygie.core.errors import ContentError, Location
from hygie.frameworks.schema import (
    Control,
    Dimension,
    Mapping,
    Referential,
    Relationship,
    Requirement,
    Section,
    Text,
    Tier,
)

MAX_BYTES = 20 * 1024 * 1024
_TITLE_MAX = 160

_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# Keywords (accents stripped, lower case) that hint at the dimension of a requirement without a
# counterpart in the catalogue. The dimension with most hits wins; governance when none matches.
_KEYWORDS: dict[Dimension, list[str]] = {
    dimension: words.split("|")
    for dimension, words in (
        (
            Dimension.AWARENESS,
            "sensibilis|awareness|formation|former |training|hameconnage|phishing|charte|bonnes pratiques"
            "|good practice",
        ),
        (
            Dimension.CONTINUITY,
            "sauvegard|backup|restaur|restore|continuite|continuity|reprise|recovery|pca|pra|bia|degrade"
            "|resilien|3-2-1",
        ),
        (
            Dimension.INCIDENT_RESPONSE,
            "incident|crise|crisis|detect|alerte|alert|reaction|respond|response|signalement|notification"
            "|cert|csirt|forensi|compromission",
        ),
        (
            Dimension.TECHNICAL,
            "correctif|patch|mise a jour|mises a jour|update|pare-feu|firewall|reseau|network|chiffr|encrypt"
            "|mot de passe|password|authentif|compte|account|administrat|active directory|kerberos|ldap|gpo"
            "|antivirus|edr|logiciel|software|poste|workstation|serveur|server|wi-fi|wifi|vpn|messagerie"
            "|e-mail|dns|certificat|delegation|journal|log|domaine|domain|privilege|acces|access",
        ),
        (
            Dimension.GOVERNANCE,
            "politique|policy|risque|risk|gouvernance|governance|audit|fournisseur|supplier|prestataire"
            "|direction|management|conformite|compliance|rgpd|gdpr|responsab",
        ),
    )
}


@dataclass(frozen=True)
class Conversion:
    """An imported referential, with what the import did."""

    referential: Referential
    aligned: int  # requirements that reuse the mappings of the aligned referential
    own_controls: int  # controls created for requirements without a counterpart
    copyright: str | None


def slugify(value: str) -> str:
    """``ANSSI-GUIDE-HYGIENE`` -> ``anssi-guide-hygiene``: lower case ASCII, dashes."""
    ascii_text = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def _plain(value: str) -> str:
    return unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode().lower()


def guess_dimension(*texts: str | None) -> Dimension:
    text = " ".join(_plain(t) for t in texts if t)
    scores = {dim: sum(text.count(word) for word in words) for dim, words in _KEYWORDS.items()}
    best = max(scores.values())
    if best == 0:
        return Dimension.GOVERNANCE
    # Ties go to the first dimension of _KEYWORDS' order: the more specific ones come first.
    return next(dim for dim, score in scores.items() if score == best)


# ------------------------------------------------------------------------------------ reading


def read_library(path: Path) -> tuple[dict[str, Any], yaml.Node]:
    """The parsed file and its YAML node tree (for line numbers); refuses oversize files and aliases."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ContentError(f"cannot read the file ({exc.strerror})", Location(path)) from exc
    if size > MAX_BYTES:
        raise ContentError(f"file too large ({size} bytes, at most {MAX_BYTES})", Location(path))
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ContentError(f"not UTF-8 text ({exc.reason})", Location(path)) from exc
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise ContentError("empty file", Location(path, 1))
        _refuse_aliases(path, node)
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        raise ContentError(f"invalid YAML: {exc.problem}", Location(path, line)) from exc
    except yaml.YAMLError as exc:
        raise ContentError(f"invalid YAML: {exc}", Location(path)) from exc
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        raise ContentError("a CISO Assistant library is a mapping", Location(path, 1))
    return data, node


def _refuse_aliases(path: Path, root: yaml.Node) -> None:
    """An alias makes a node appear twice in the tree; refused, as alias bombs blow up memory."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            raise ContentError("YAML aliases are not accepted", Location(path, node.start_mark.line + 1))
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                stack.extend((key, value))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)


def _child(node: yaml.Node | None, key: str | int) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        return next((v for k, v in node.value if getattr(k, "value", None) == key), None)
    if isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
        child: yaml.Node = node.value[key]
        return child
    return None


def _line(node: yaml.Node | None) -> int | None:
    return node.start_mark.line + 1 if node is not None else None


# ------------------------------------------------------------------------------------ texts


def _str(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _translated(item: MappingABC[str, Any], key: str, lang: str) -> str | None:
    translations = item.get("translations")
    if isinstance(translations, dict) and isinstance(translations.get(lang), dict):
        return _str(translations[lang].get(key))
    return None


def _text(item: MappingABC[str, Any], key: str, locale: str) -> Text | None:
    """The field in French and English: the source language, then its translation, else the other."""
    own = _str(item.get(key))
    fr = own if locale == "fr" else _translated(item, key, "fr")
    en = own if locale == "en" else _translated(item, key, "en")
    fr = fr or en or own
    en = en or fr
    if fr is None or en is None:
        return None
    return Text(fr=fr, en=en)


def _shorten(text: Text) -> Text:
    def cut(value: str) -> str:
        first = value.strip().splitlines()[0].strip() if value.strip() else value
        return first if len(first) <= _TITLE_MAX else first[: _TITLE_MAX - 1].rstrip() + "…"

    return Text(fr=cut(text.fr), en=cut(text.en))


def _question_text(node: MappingABC[str, Any], locale: str) -> Text | None:
    questions = node.get("questions")
    if isinstance(questions, dict):
        for question in questions.values():
            if isinstance(question, dict) and (text := _text(question, "text", locale)):
                return text
    return None


# ------------------------------------------------------------------------------------ alignment


def _align_keys(ref_id: str) -> list[str]:
    """Ids to look up in the aligned referential, most exact first.

    ``2.R`` (a reinforced variant) also tries ``2``; ``d2.o1.a`` (an id prefixed by its domain)
    also tries ``o1.a``. Comparison ignores case.
    """
    key = ref_id.lower()
    keys = [key]
    variant = re.fullmatch(r"(.+)\.[a-z]+", key)
    if variant and re.fullmatch(r"[0-9.]+", variant.group(1)):
        keys.append(variant.group(1))
    prefixed = re.fullmatch(r"[a-z][a-z0-9]*\.(.+)", key)
    if prefixed:
        keys.append(prefixed.group(1))
    return keys


def _alignment_index(referential: Referential) -> dict[str, list[Mapping]]:
    return {r.id.lower(): list(r.mappings) for r in referential.requirements}


# ------------------------------------------------------------------------------------ conversion


def convert(path: Path, align: Referential | None = None) -> Conversion:
    """Reads and checks a CISO Assistant framework library and returns it as a Hygie referential."""
    data, root = read_library(path)
    objects = data.get("objects")
    framework = objects.get("framework") if isinstance(objects, dict) else None
    framework_node = _child(_child(root, "objects"), "framework")
    if not isinstance(framework, dict):
        raise ContentError(
            "not a CISO Assistant framework library: 'objects.framework' is missing",
            Location(path, _line(_child(root, "objects")) or 1, "objects.framework"),
        )
    locale = _str(data.get("locale")) or "en"
    ref_id = _str(data.get("ref_id")) or _str(framework.get("ref_id"))
    referential_id = slugify(ref_id or "")
    if not referential_id:
        raise ContentError("the library has no ref_id to name the referential", Location(path, 1, "ref_id"))

    nodes = framework.get("requirement_nodes")
    nodes_yaml = _child(framework_node, "requirement_nodes")
    if not isinstance(nodes, list) or not nodes:
        raise ContentError(
            "'requirement_nodes' must be a non-empty list",
            Location(path, _line(nodes_yaml) or _line(framework_node), "objects.framework.requirement_nodes"),
        )

    def where(index: int, field: str | None = None) -> Location:
        node_yaml = _child(nodes_yaml, index)
        line = _line(_child(node_yaml, field) if field else None) or _line(node_yaml)
        base = f"objects.framework.requirement_nodes.{index}"
        return Location(path, line, f"{base}.{field}" if field else base)

    tiers = _tiers(path, framework, framework_node, locale)
    tier_ids = {t.id for t in tiers}
    by_urn: dict[str, dict[str, Any]] = {}
    for index, node in enumerate(nodes):
        if not isinstance(node, dict):
            raise ContentError("a requirement node is a mapping", where(index))
        urn = _str(node.get("urn"))
        if urn is None:
            raise ContentError("requirement node without 'urn'", where(index))
        if urn in by_urn:
            raise ContentError(f"duplicate urn {urn!r}", where(index, "urn"))
        by_urn[urn] = node

    # Sections first: every node that is not assessable.
    sections: list[Section] = []
    section_of_urn: dict[str, str] = {}
    used_section_ids: set[str] = set()
    for index, node in enumerate(nodes):
        urn = str(node["urn"])
        parent = _str(node.get("parent_urn"))
        if parent is not None and parent not in by_urn:
            raise ContentError(f"parent_urn {parent!r} names no node of the file", where(index, "parent_urn"))
        if _assessable(node, path, where(index, "assessable")):
            continue
        section_id = _unique(_str(node.get("ref_id")) or urn.rsplit(":", 1)[-1], used_section_ids)
        title = _text(node, "name", locale) or _text(node, "description", locale)
        title = _shorten(title) if title else Text(fr=section_id, en=section_id)
        sections.append(Section(id=section_id, title=title))
        section_of_urn[urn] = section_id

    def section_for(node: MappingABC[str, Any]) -> str | None:
        seen: set[str] = set()
        parent = _str(node.get("parent_urn"))
        while parent is not None and parent not in seen:
            seen.add(parent)
            if parent in section_of_urn:
                return section_of_urn[parent]
            parent = _str(by_urn[parent].get("parent_urn"))
        return None

    alignment = _alignment_index(align) if align is not None else {}
    slug = re.sub(r"[^A-Z0-9]+", "-", referential_id.upper()).strip("-")
    requirements: list[Requirement] = []
    controls: list[Control] = []
    used_requirement_ids: set[str] = set()
    aligned = 0
    for index, node in enumerate(nodes):
        if not _assessable(node, path, where(index, "assessable")):
            continue
        urn = str(node["urn"])
        own_id = _str(node.get("ref_id"))
        requirement_id = _unique(own_id or urn.rsplit(":", 1)[-1], used_requirement_ids)
        name = _text(node, "name", locale)
        description = _text(node, "description", locale)
        question = _question_text(node, locale)
        statement = name or question or description
        if statement is None:
            raise ContentError("assessable node with no name, question nor description", where(index))
        groups = node.get("implementation_groups") or []
        if not isinstance(groups, list):
            raise ContentError(
                "'implementation_groups' must be a list", where(index, "implementation_groups")
            )
        for group in groups:
            if str(group) not in tier_ids:
                raise ContentError(
                    f"implementation group {group!r} is not defined in implementation_groups_definition",
                    where(index, "implementation_groups"),
                )
        mappings = (
            next((alignment[k] for k in _align_keys(own_id) if k in alignment), None) if own_id else None
        )
        if mappings:
            aligned += 1
        else:
            control = Control(
                id=f"X-{slug}-{len(controls) + 1}",
                dimension=guess_dimension(
                    statement.fr, statement.en, description.fr if description else None
                ),
                title=_shorten(statement),
                question=statement,
                description=description if description != statement else None,
            )
            controls.append(control)
            mappings = [Mapping(control=control.id, relationship=Relationship.EQUAL)]
        try:
            requirements.append(
                Requirement(
                    id=requirement_id,
                    section=section_for(node),
                    title=_shorten(statement),
                    description=description if description != statement else None,
                    tiers=[str(g) for g in groups],
                    mappings=mappings,
                )
            )
        except pydantic.ValidationError as exc:
            raise ContentError(exc.errors()[0]["msg"], where(index)) from exc
    if not requirements:
        raise ContentError("the framework has no assessable requirement", Location(path, _line(nodes_yaml)))

    copyright_text = _str(data.get("copyright"))
    name = (
        _text(data, "name", locale)
        or _text(framework, "name", locale)
        or Text(fr=ref_id or "", en=ref_id or "")
    )
    summary = _text(data, "description", locale) or _text(framework, "description", locale)
    note = Text(
        fr=f"Importé de CISO Assistant ({path.name}).", en=f"Imported from CISO Assistant ({path.name})."
    )
    if copyright_text:
        note = Text(fr=f"{note.fr} Droits : {copyright_text}", en=f"{note.en} Copyright: {copyright_text}")
    description = Text(fr=f"{summary.fr}\n\n{note.fr}", en=f"{summary.en}\n\n{note.en}") if summary else note
    source = _source(data, framework)
    try:
        referential = Referential(
            kind="referential",
            id=referential_id,
            name=name,
            short_name=ref_id or referential_id,
            version=_str(data.get("version")) or "1",
            provider=_str(data.get("provider")) or _str(data.get("packager")) or "CISO Assistant",
            source=source,
            description=description,
            tiers=tiers,
            sections=sections,
            controls=controls,
            requirements=requirements,
        )
    except pydantic.ValidationError as exc:
        raise ContentError(f"cannot convert: {exc.errors()[0]['msg']}", Location(path)) from exc
    return Conversion(referential, aligned=aligned, own_controls=len(controls), copyright=copyright_text)


def _assessable(node: MappingABC[str, Any], path: Path, location: Location) -> bool:
    value = node.get("assessable", False)
    if not isinstance(value, bool):
        raise ContentError(f"'assessable' must be true or false, not {value!r}", location)
    return value


def _unique(candidate: str, used: set[str]) -> str:
    value, n = candidate, 2
    while value in used:
        value, n = f"{candidate}-{n}", n + 1
    used.add(value)
    return value


def _tiers(
    path: Path, framework: dict[str, Any], framework_node: yaml.Node | None, locale: str
) -> list[Tier]:
    groups = framework.get("implementation_groups_definition") or []
    groups_node = _child(framework_node, "implementation_groups_definition")
    if not isinstance(groups, list):
        raise ContentError(
            "'implementation_groups_definition' must be a list",
            Location(path, _line(groups_node), "objects.framework.implementation_groups_definition"),
        )
    tiers: list[Tier] = []
    for index, group in enumerate(groups):
        group_id = _str(group.get("ref_id")) if isinstance(group, dict) else None
        if not isinstance(group, dict) or group_id is None:
            raise ContentError(
                "an implementation group needs a 'ref_id'",
                Location(
                    path,
                    _line(_child(groups_node, index)),
                    f"objects.framework.implementation_groups_definition.{index}",
                ),
            )
        name = _text(group, "name", locale) or Text(fr=group_id, en=group_id)
        tiers.append(Tier(id=group_id, name=name))
    return tiers


def _source(data: MappingABC[str, Any], framework: MappingABC[str, Any]) -> str:
    """The first web address in the descriptions, else the library's URN."""
    for item in (data, framework):
        for text in (_str(item.get("description")), _translated(item, "description", "en")):
            if text and (match := re.search(r"https?://\S+", text)):
                return match.group(0).rstrip(".,;)")
    return _str(data.get("urn")) or _str(framework.get("urn")) or "CISO Assistant"


def to_yaml(conversion: Conversion, origin: str) -> str:
    """The referential as a library file, with a header saying where it came from."""
    body = conversion.referential.model_dump(mode="json", exclude_none=True)
    header = (
        f"# Imported from CISO Assistant library {' '.join(origin.split())} by `hygie frameworks import`.\n"
    )
    if conversion.copyright:
        # One comment line: a line break in the copyright would end the comment.
        header += f"# Source copyright: {' '.join(conversion.copyright.split())}\n"
    return header + yaml.safe_dump(body, allow_unicode=True, sort_keys=False, width=110)
