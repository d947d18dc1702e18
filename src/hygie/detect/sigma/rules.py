"""Sigma rule files: loaded one by one with pySigma, imported from a folder, downloaded from SigmaHQ."""

from __future__ import annotations

import hashlib
import io
import shutil
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sigma.collection import SigmaCollection
from sigma.correlations import SigmaCorrelationRule
from sigma.exceptions import SigmaError
from sigma.rule import SigmaRule

from hygie.core.errors import ContentError, HygieError, Location
from hygie.core.i18n import N_
from hygie.core.settings import get_settings

RELEASE_URL = "https://github.com/SigmaHQ/sigma/releases/latest/download/{package}.zip"
PACKAGES = ("sigma_core", "sigma_core+", "sigma_all_rules")
MAX_DOWNLOAD = 200 * 1024 * 1024


@dataclass
class LoadedRule:
    """One Sigma rule (or correlation) and the file it came from."""

    path: Path
    rule: SigmaRule | SigmaCorrelationRule

    @property
    def id(self) -> str:
        return str(self.rule.id) if self.rule.id else f"{self.path.name}:{self.rule.title}"


@dataclass
class RuleSet:
    """The rules that pySigma accepted, the files it refused (file and reason), the hash of the texts."""

    rules: list[LoadedRule] = field(default_factory=list)
    problems: list[ContentError] = field(default_factory=list)
    digest: str = ""

    def by_id(self) -> dict[str, LoadedRule]:
        return {r.id: r for r in self.rules}


def rule_files(paths: Iterable[Path]) -> Iterator[Path]:
    for path in paths:
        if path.is_file():
            yield path
        else:
            yield from sorted(p for p in path.rglob("*") if p.suffix in (".yml", ".yaml") and p.is_file())


def load_rules(paths: Iterable[Path]) -> RuleSet:
    """Every rule of these files/folders; a bad file is reported and skipped, never the whole set."""
    ruleset = RuleSet()
    digest = hashlib.sha256()
    for path in rule_files(paths):
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            ruleset.problems.append(ContentError(f"unreadable: {exc}", Location(str(path))))
            continue
        digest.update(hashlib.sha256(text.encode()).digest())
        try:
            collection = SigmaCollection.from_yaml(text, collect_errors=True)
        except Exception as exc:
            ruleset.problems.append(ContentError(str(exc) or type(exc).__name__, Location(str(path))))
            continue
        errors = [str(e) for e in collection.errors]
        errors += [str(e) for rule in collection.rules for e in rule.errors]
        if errors:
            ruleset.problems.append(ContentError("; ".join(errors), Location(str(path))))
            continue
        ruleset.rules.extend(LoadedRule(path, rule) for rule in collection.rules)
    _resolve_correlations(ruleset)
    ruleset.digest = digest.hexdigest()
    return ruleset


def _resolve_correlations(ruleset: RuleSet) -> None:
    """Correlations name their rules by id or name, possibly in other files: resolve across the set."""
    collection = SigmaCollection([r.rule for r in ruleset.rules])
    kept: list[LoadedRule] = []
    for loaded in ruleset.rules:
        rule = loaded.rule
        if isinstance(rule, SigmaCorrelationRule):
            try:
                rule.resolve_rule_references(collection)
            except SigmaError as exc:
                ruleset.problems.append(ContentError(str(exc), Location(str(loaded.path))))
                continue
        kept.append(loaded)
    ruleset.rules = kept


BUILTIN_RULES = Path(__file__).resolve().parent.parent / "rules"
"""Hygie's own rules for hospital signals, shipped in the package and always part of the active set."""

# The titles of Hygie's own rules, for the catalogues: alerts are stored with the rule's English title and
# shown translated (a test checks every shipped title is here).
BUILTIN_TITLES = (
    N_("Backup job failed"),
    N_("Backup service stopped"),
    N_("Backup service stopped, disabled or deleted from the command line"),
    N_("LSASS memory dumped with a system or Sysinternals tool"),
    N_("Failed logon"),
    N_("Burst of failed logons"),
    N_("Memory of LSASS opened for reading"),
    N_("E-mail with a disk image or macro attachment"),
    N_("Service stopped or process killed from the command line"),
    N_("Mass service stops on a host"),
    N_("PsExec-style service installed"),
    N_("Remote desktop logon from outside the internal network"),
    N_("Network or RDP logon of a user account"),
    N_("One source logs on to many hosts"),
    N_("Shadow copies or system recovery removed"),
    N_("SSH authentication failure"),
    N_("SSH brute force on a Linux host"),
)


def rules_home() -> Path:
    return get_settings().home / "rules"


def installed_rule_dirs() -> list[Path]:
    """The active rule set: Hygie's own rules, then what was imported or downloaded into HYGIE_HOME/rules."""
    home = rules_home()
    return [BUILTIN_RULES, home] if home.is_dir() else [BUILTIN_RULES]


def import_rules(source: Path, name: str | None = None) -> tuple[Path, RuleSet]:
    """Copy a folder of rules into HYGIE_HOME/rules/imported/<name> (offline); returns it and its rules."""
    if not source.is_dir():
        raise HygieError(f"{source}: not a folder")
    target = rules_home() / "imported" / (name or source.name)
    if target.exists():
        shutil.rmtree(target)
    for path in rule_files([source]):
        destination = target / path.relative_to(source)
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, destination)
    return target, load_rules([target])


def update_rules(package: str = "sigma_core", client: httpx.Client | None = None) -> tuple[Path, RuleSet]:
    """Download SigmaHQ's latest release package and install its rules into HYGIE_HOME/rules/sigmahq."""
    if package not in PACKAGES:
        raise HygieError(f"unknown SigmaHQ package {package!r} (expected one of {', '.join(PACKAGES)})")
    owned = client is None
    http = client or httpx.Client(follow_redirects=True, timeout=60.0)
    try:
        response = http.get(RELEASE_URL.format(package=package))
        response.raise_for_status()
        content = response.content
    except httpx.HTTPError as exc:
        raise HygieError(f"SigmaHQ release {package}: {exc}") from exc
    finally:
        if owned:
            http.close()
    if len(content) > MAX_DOWNLOAD:
        raise HygieError(f"SigmaHQ release {package}: larger than {MAX_DOWNLOAD} bytes")
    target = rules_home() / "sigmahq"
    staging = rules_home() / ".sigmahq.new"
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            for member in archive.infolist():
                name = Path(member.filename)
                # Only rule files, and never outside the target (zip slip).
                if member.is_dir() or name.suffix not in (".yml", ".yaml"):
                    continue
                if name.is_absolute() or ".." in name.parts:
                    continue
                destination = staging / name
                destination.parent.mkdir(parents=True, exist_ok=True)
                destination.write_bytes(archive.read(member))
    except zipfile.BadZipFile as exc:
        shutil.rmtree(staging)
        raise HygieError(f"SigmaHQ release {package}: not a zip archive") from exc
    if target.exists():
        shutil.rmtree(target)
    staging.rename(target)
    return target, load_rules([target])
