"""``hygie backup create|verify`` and ``hygie restore``, run in an empty HYGIE_HOME."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hygie.cli.main import app
from hygie.core.settings import get_settings

runner = CliRunner()


def establish(home: Path) -> None:
    result = runner.invoke(
        app,
        [
            "establishments",
            "add",
            "--name",
            "CH de Test",
            "--finess",
            "750000010",
            "--kind",
            "ch",
            "--beds",
            "300",
        ],
    )
    assert result.exit_code == 0, result.output
    (home / "evidence").mkdir(parents=True, exist_ok=True)
    (home / "evidence" / "pra.pdf").write_bytes(b"%PDF-1.7 plan de reprise")


def use_home(monkeypatch: pytest.MonkeyPatch, home: Path) -> None:
    monkeypatch.setenv("HYGIE_HOME", str(home))
    get_settings.cache_clear()
    from hygie.core.db import get_engine

    get_engine.cache_clear()


def test_create_verify_restore(hygie_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    establish(hygie_home)
    out = tmp_path / "sauvegarde.tar.gz"
    result = runner.invoke(app, ["backup", "create", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Sauvegarde écrite" in result.output and out.is_file()

    result = runner.invoke(app, ["backup", "verify", str(out), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["tables"]["org_establishment"] == 1 and report["files"] == 1 and not report["encrypted"]

    restored = tmp_path / "restauré"
    result = runner.invoke(app, ["restore", str(out), "--home", str(restored)])
    assert result.exit_code == 0, result.output
    assert "Sauvegarde restaurée" in result.output
    assert (restored / "evidence" / "pra.pdf").read_bytes() == b"%PDF-1.7 plan de reprise"

    use_home(monkeypatch, restored)
    listed = runner.invoke(app, ["establishments", "show", "750000010", "--json"])
    assert listed.exit_code == 0, listed.output
    assert json.loads(listed.output)["beds"] == 300


def test_encrypted_through_the_environment(
    hygie_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    establish(hygie_home)
    monkeypatch.setenv("HYGIE_BACKUP_PASSPHRASE", "une longue phrase")
    out = tmp_path / "b.enc"
    result = runner.invoke(app, ["backup", "create", "--out", str(out), "--encrypt", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["encrypted"] is True
    assert runner.invoke(app, ["backup", "verify", str(out)]).exit_code == 0

    monkeypatch.setenv("HYGIE_BACKUP_PASSPHRASE", "une autre phrase")
    result = runner.invoke(app, ["restore", str(out), "--home", str(tmp_path / "r")])
    assert result.exit_code == 1 and "wrong passphrase" in result.output
    assert not (tmp_path / "r").exists()


def test_passphrase_prompted_twice(hygie_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HYGIE_BACKUP_PASSPHRASE", raising=False)
    out = tmp_path / "b.enc"
    result = runner.invoke(app, ["backup", "create", "--out", str(out), "--encrypt"], input="abc\nabc\n")
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["backup", "verify", str(out)], input="abc\n")
    assert result.exit_code == 0, result.output
    assert "Sauvegarde intègre" in result.output


def test_restore_into_the_current_non_empty_home_is_refused(hygie_home: Path, tmp_path: Path) -> None:
    establish(hygie_home)
    out = tmp_path / "b.tar.gz"
    assert runner.invoke(app, ["backup", "create", "--out", str(out)]).exit_code == 0
    before = sorted(p.name for p in hygie_home.iterdir())
    result = runner.invoke(app, ["restore", str(out)])
    # The message names the (long) home path, so the terminal may wrap it anywhere.
    assert result.exit_code == 1 and "not empty" in " ".join(result.output.split())
    assert sorted(p.name for p in hygie_home.iterdir()) == before


def test_a_corrupted_archive_is_refused(hygie_home: Path, tmp_path: Path) -> None:
    establish(hygie_home)
    out = tmp_path / "b.tar.gz"
    assert runner.invoke(app, ["backup", "create", "--out", str(out)]).exit_code == 0
    data = bytearray(out.read_bytes())
    data[len(data) // 2] ^= 0xFF
    out.write_bytes(bytes(data))
    result = runner.invoke(app, ["backup", "verify", str(out)])
    assert result.exit_code == 1 and "Erreur" in result.output
