"""SigmaHQ regression cases on DuckDB: every case whose rule converts must fire."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.detect.sigma import regression

pytestmark = pytest.mark.skipif(not regression.SIGMA.is_dir(), reason="SigmaHQ data set not present")


def test_every_convertible_regression_case_fires(tmp_path_factory: pytest.TempPathFactory) -> None:
    cache = Path("/tmp/hygie-sigma-test-cache")  # compiling all SigmaHQ rules takes a minute: keep it warm  # noqa: S108
    outcome = regression.replay(cache)
    print(
        f"SigmaHQ regression: {len(outcome.passed)} pass, {len(outcome.failed)} fail, "
        f"{len(outcome.unconvertible)} not convertible, {len(outcome.missing)} missing"
    )
    assert outcome.failed == []
    assert len(outcome.passed) >= 145
