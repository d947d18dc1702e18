"""The GoPhish API client against httpx.MockTransport: the key in the header, never in the address."""

from __future__ import annotations

from datetime import date

import httpx
import pytest

from hygie.awareness.gophish import count_by_department
from hygie.awareness.gophish_api import GophishClient, GophishError
from hygie.awareness.rates import Counts

CAMPAIGNS = [
    {
        "id": 4,
        "name": "Colis en attente",
        "status": "Completed",
        "launch_date": "2026-10-06T07:30:00.000000Z",
    },
    {"id": 5, "name": "Brouillon", "status": "Created", "launch_date": "0001-01-01T00:00:00Z"},
]
RESULTS = {
    "id": 4,
    "name": "Colis en attente",
    "status": "Completed",
    "results": [
        {"id": "a", "email": "x@ch.fr", "position": "Urgences", "status": "Clicked Link", "reported": False},
        {"id": "b", "email": "y@ch.fr", "position": "Urgences", "status": "Email Sent", "reported": True},
        {"id": "c", "email": "z@ch.fr", "position": "Bloc", "status": "Submitted Data", "reported": False},
    ],
    "timeline": [],
}


def server(seen: list[httpx.Request], status: int = 200) -> httpx.MockTransport:
    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.headers.get("Authorization") != "Bearer secret-key":
            return httpx.Response(401, json={"success": False, "message": "Invalid API Key"})
        if status != 200:
            return httpx.Response(status, json={})
        if request.url.path == "/api/campaigns/":
            return httpx.Response(200, json=CAMPAIGNS)
        if request.url.path == "/api/campaigns/4/results":
            return httpx.Response(200, json=RESULTS)
        return httpx.Response(404, json={"success": False})

    return httpx.MockTransport(answer)


def test_campaigns_and_results() -> None:
    seen: list[httpx.Request] = []
    with GophishClient("https://gophish.ch.local:3333/", "secret-key", transport=server(seen)) as client:
        campaigns = client.campaigns()
        assert [(c.id, c.name) for c in campaigns] == [(4, "Colis en attente"), (5, "Brouillon")]
        results = client.results(campaigns[0])
    assert results.gophish_id == 4 and results.name == "Colis en attente"
    assert results.launched_on == date(2026, 10, 6)
    assert count_by_department(results.recipients, {}) == {
        "Bloc": Counts(1, 1, 1, 1, 1, 0),
        "Urgences": Counts(2, 2, 1, 1, 0, 1),
    }
    assert [r.url.path for r in seen] == ["/api/campaigns/", "/api/campaigns/4/results"]
    assert all("secret-key" not in str(r.url) for r in seen)


def test_wrong_key_and_errors() -> None:
    with (
        GophishClient("https://g", "wrong", transport=server([])) as client,
        pytest.raises(GophishError, match="refused the API key"),
    ):
        client.campaigns()
    with (
        GophishClient("https://g", "secret-key", transport=server([], 500)) as client,
        pytest.raises(GophishError, match="HTTP 500"),
    ):
        client.campaigns()
    with pytest.raises(GophishError, match="no GoPhish API key"):
        GophishClient("https://g", "")
    with pytest.raises(GophishError, match="not a GoPhish address"):
        GophishClient("ftp://g", "k")
