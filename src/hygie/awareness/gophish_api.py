"""GoPhish's REST API, read only: the campaign list and each campaign's results.

The API key is sent in the ``Authorization`` header (``Bearer <key>``), never in the address (it
would land in proxies' logs), and never stored: it comes from the command's option or from the
environment variable ``HYGIE_GOPHISH_API_KEY`` for the time of one import.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from hygie.awareness.gophish import GophishResults, from_api
from hygie.core.errors import HygieError

API_KEY_ENV = "HYGIE_GOPHISH_API_KEY"
TIMEOUT_SECONDS = 30.0


class GophishError(HygieError):
    """GoPhish could not be reached, refused the key, or answered something else than its API's JSON."""


@dataclass(frozen=True)
class CampaignSummary:
    id: int
    name: str
    status: str
    launch_date: str | None


class GophishClient:
    """A client of one GoPhish server. ``transport`` lets the tests answer in its place."""

    def __init__(
        self,
        url: str,
        api_key: str,
        *,
        verify: bool = True,
        timeout: float = TIMEOUT_SECONDS,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not api_key:
            raise GophishError(f"no GoPhish API key: give --api-key or set {API_KEY_ENV}")
        if not url.startswith(("https://", "http://")):
            raise GophishError(f"{url!r} is not a GoPhish address (https://host:3333)")
        self._client = httpx.Client(
            base_url=url.rstrip("/"),
            headers={"Authorization": f"Bearer {api_key}", "Accept": "application/json"},
            verify=verify,
            timeout=timeout,
            transport=transport,
            follow_redirects=False,
        )

    def __enter__(self) -> GophishClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self._client.close()

    def _get(self, path: str) -> Any:
        try:
            response = self._client.get(path)
        except httpx.HTTPError as exc:
            raise GophishError(f"GoPhish unreachable: {exc}") from exc
        if response.status_code in (400, 401, 403):
            raise GophishError(f"GoPhish refused the API key (HTTP {response.status_code})")
        if response.status_code == 404:
            raise GophishError(f"GoPhish has no {path}")
        if response.status_code != 200:
            raise GophishError(f"GoPhish answered HTTP {response.status_code} for {path}")
        try:
            return response.json()
        except ValueError as exc:
            raise GophishError(f"GoPhish's answer to {path} is not JSON") from exc

    def campaigns(self) -> list[CampaignSummary]:
        """``GET /api/campaigns/``: every campaign of the server."""
        data = self._get("/api/campaigns/")
        if not isinstance(data, list):
            raise GophishError("GoPhish's campaign list is not a list")
        try:
            return [
                CampaignSummary(
                    int(c["id"]), str(c["name"]), str(c.get("status") or ""), c.get("launch_date")
                )
                for c in data
            ]
        except (KeyError, TypeError, ValueError) as exc:
            raise GophishError(f"unexpected campaign in GoPhish's list: {exc}") from exc

    def results(self, campaign: CampaignSummary) -> GophishResults:
        """``GET /api/campaigns/{id}/results``: the campaign's recipients and their furthest step."""
        data = self._get(f"/api/campaigns/{campaign.id}/results")
        if not isinstance(data, dict):
            raise GophishError(f"GoPhish's results of campaign {campaign.id} are not an object")
        results = from_api(data, campaign.launch_date)
        results.name = results.name or campaign.name
        results.gophish_id = campaign.id
        return results
