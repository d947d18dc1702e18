"""A campaign keeps the questions it opened with; two campaigns of the same name and day are one too many."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from hygie.assess import service
from hygie.assess.schemas import CampaignPath
from hygie.cli.main import app
from hygie.core.errors import ValidationError
from hygie.frameworks.service import get_library
from tests.factories import make_establishment

runner = CliRunner()


def _json(*args: str) -> dict[str, object]:
    outcome = runner.invoke(app, [*args, "--json"])
    assert outcome.exit_code == 0, outcome.output
    loaded = json.loads(outcome.output)
    assert isinstance(loaded, dict)
    return loaded


def test_an_imported_referential_does_not_change_an_open_campaign(
    hygie_home: Path, shared_data: Path
) -> None:
    runner.invoke(app, ["establishments", "add", "--name", "CH", "--finess", "750803447", "--kind", "ch",
                        "--staff", "900", "--budget", "90000000"])  # fmt: skip
    _json("assess", "start", "750803447", "--path", "full", "--date", "2026-01-15")
    before = _json("assess", "score", "750803447")["in_scope"]
    library_file = shared_data / "ciso-assistant-library" / "anssi-points-de-controle-active-directory.yaml"
    imported = runner.invoke(app, ["frameworks", "import", str(library_file)])
    assert imported.exit_code == 0, imported.output
    assert _json("assess", "score", "750803447")["in_scope"] == before
    _json("assess", "start", "750803447", "--path", "full", "--date", "2026-06-15")
    assert _json("assess", "score", "750803447")["in_scope"] > before  # type: ignore[operator]


def test_the_same_campaign_twice_is_refused(session: Session) -> None:
    establishment = make_establishment(session)
    library = get_library()
    service.create_campaign(session, establishment.id, "Évaluation 2026", date(2026, 3, 1), CampaignPath.FULL,
                            library=library)  # fmt: skip
    with pytest.raises(ValidationError, match="already has the name"):
        service.create_campaign(
            session, establishment.id, "Évaluation 2026", date(2026, 3, 1), library=library
        )
    service.create_campaign(session, establishment.id, "Évaluation 2026", date(2026, 9, 1), library=library)
