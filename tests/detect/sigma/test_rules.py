"""Rule files: one bad file is reported and skipped; import, download and the compile cache."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from hygie.cli.main import app
from hygie.core.errors import HygieError
from hygie.detect.sigma.compiler import compile_paths, compile_ruleset
from hygie.detect.sigma.rules import BUILTIN_RULES, load_rules, update_rules

GOOD = """title: Shadow copies deleted
id: 30000000-0000-0000-0000-000000000001
logsource: {product: windows, category: process_creation}
detection:
  sel: {CommandLine|contains|all: [vssadmin, delete, shadows]}
  condition: sel
level: high
"""
UNMAPPED = """title: Linux thing
id: 30000000-0000-0000-0000-000000000002
logsource: {product: linux, service: auditd}
detection:
  sel: {type: EXECVE}
  condition: sel
"""
BROKEN_YAML = "title: [unclosed\n"
BAD_SIGMA = "title: no detection\nlogsource: {product: windows}\n"


def write(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def test_a_bad_file_is_reported_and_skipped(tmp_path: Path) -> None:
    folder = write(tmp_path / "r", {"a.yml": GOOD, "b.yml": BROKEN_YAML, "c.yml": BAD_SIGMA})
    ruleset = load_rules([folder])
    assert [r.rule.title for r in ruleset.rules] == ["Shadow copies deleted"]
    assert sorted(Path(str(p.location.file)).name for p in ruleset.problems if p.location) == [
        "b.yml",
        "c.yml",
    ]


def test_unconvertible_rules_are_listed_with_the_reason(tmp_path: Path) -> None:
    folder = write(tmp_path / "r", {"a.yml": GOOD, "linux.yml": UNMAPPED})
    compiled = compile_ruleset(load_rules([folder]))
    assert [r.title for r in compiled.rules] == ["Shadow copies deleted"]
    [refused] = compiled.unconvertible
    assert refused.title == "Linux thing" and "linux" in refused.reason


def test_compile_cache_is_keyed_by_rule_texts(tmp_path: Path) -> None:
    folder = write(tmp_path / "r", {"a.yml": GOOD})
    cache = tmp_path / "cache"
    first = compile_paths([folder], cache)
    assert len(list(cache.glob("sigma-*.json"))) == 1
    assert compile_paths([folder], cache).rules == first.rules  # warm: read back identical
    (folder / "a.yml").write_text(GOOD.replace("high", "critical"), encoding="utf-8")
    changed = compile_paths([folder], cache)
    assert changed.rules[0].level == "critical" and changed.digest != first.digest
    assert len(list(cache.glob("sigma-*.json"))) == 2


def release_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("rules/windows/vss.yml", GOOD)
        archive.writestr("rules/windows/bad.yml", BROKEN_YAML)
        archive.writestr("../escape.yml", GOOD)
        archive.writestr("README.md", "not a rule")
    return buffer.getvalue()


def test_update_downloads_the_release_zip(hygie_home: Path) -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(200, content=release_zip())

    target, ruleset = update_rules("sigma_core", httpx.Client(transport=httpx.MockTransport(handler)))
    assert seen == ["https://github.com/SigmaHQ/sigma/releases/latest/download/sigma_core.zip"]
    assert sorted(p.name for p in target.rglob("*") if p.is_file()) == ["bad.yml", "vss.yml"]
    assert len(ruleset.rules) == 1 and len(ruleset.problems) == 1


def test_update_failure_keeps_the_installed_rules(hygie_home: Path) -> None:
    ok = httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(200, content=release_zip())))
    target, _ = update_rules("sigma_core", ok)
    down = httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(503)))
    with pytest.raises(HygieError):
        update_rules("sigma_core", down)
    assert (target / "rules" / "windows" / "vss.yml").is_file()


def test_cli_import_list_show(hygie_home: Path, tmp_path: Path) -> None:
    folder = write(tmp_path / "mine", {"a.yml": GOOD, "b.yml": BROKEN_YAML})
    runner = CliRunner()
    result = runner.invoke(app, ["rules", "import", str(folder), "--json"])
    assert result.exit_code == 0, result.output
    builtin = {r.id for r in compile_paths([BUILTIN_RULES]).rules}
    assert json.loads(result.output)["rules"] == 1 + len(builtin)  # Hygie's own rules are always active
    result = runner.invoke(app, ["rules", "list", "--json"])
    listing = json.loads(result.output)
    assert [r["title"] for r in listing["rules"] if r["id"] not in builtin] == ["Shadow copies deleted"]
    assert len(listing["problems"]) == 1 and "b.yml" in listing["problems"][0]
    result = runner.invoke(app, ["rules", "show", "30000000-0000-0000-0000-000000000001"])
    assert result.exit_code == 0 and "vssadmin" in result.output and "spark" in result.output
