"""Downloads with httpx, streamed to disk with a size limit and a checksum. Every failure names the
URL; on a machine without internet access, the message says how to bring the feeds in offline."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from hygie import __version__
from hygie.core.i18n import N_
from hygie.core.time import utcnow
from hygie.vulns.feeds.errors import DownloadError

_CHUNK = 1024 * 1024
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class Downloaded:
    url: str
    path: Path
    sha256: str
    size: int
    fetched_at: datetime


def make_client(timeout: float) -> httpx.Client:
    """The client of ``hygie feeds update``: follows redirects (release downloads), honours the
    HTTPS_PROXY/NO_PROXY environment of hospital networks."""
    return httpx.Client(
        follow_redirects=True,
        timeout=httpx.Timeout(timeout, connect=min(timeout, 30.0)),
        headers={"User-Agent": f"hygie/{__version__} (vulnerability feeds)"},
    )


def local_name(url: str, fallback: str) -> str:
    """A safe file name for what ``url`` serves, keeping its extension (.gz, .xz, .json)."""
    last = urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]
    name = _SAFE_NAME.sub("_", last).strip("._")
    return name or fallback


@dataclass
class Fetcher:
    """Downloads into files and remembers each one (URL, checksum, size, time) for the manifest."""

    client: httpx.Client
    max_bytes: int
    downloads: list[Downloaded] = field(default_factory=list)

    def download(self, url: str, dest: Path) -> Downloaded:
        dest.parent.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        size = 0
        try:
            with self.client.stream("GET", url) as response:
                if response.status_code != 200:
                    raise DownloadError(
                        N_("download of %(url)s failed: HTTP %(status)s"),
                        url=url,
                        status=response.status_code,
                    )
                with dest.open("wb") as out:
                    for chunk in response.iter_bytes(_CHUNK):
                        size += len(chunk)
                        if size > self.max_bytes:
                            raise DownloadError(
                                N_(
                                    "%(url)s is larger than the limit of %(limit)s MB "
                                    "(HYGIE_FEEDS_MAX_FILE_MB)"
                                ),
                                url=url,
                                limit=self.max_bytes // (1024 * 1024),
                            )
                        digest.update(chunk)
                        out.write(chunk)
        except httpx.TransportError as exc:
            dest.unlink(missing_ok=True)
            raise DownloadError(
                N_(
                    "cannot download %(url)s: %(reason)s. If this machine has no internet access, run "
                    "`hygie feeds update` then `hygie feeds bundle FILE` on a connected machine, and "
                    "`hygie feeds import FILE` here."
                ),
                url=url,
                reason=str(exc) or type(exc).__name__,
            ) from exc
        except DownloadError:
            dest.unlink(missing_ok=True)
            raise
        done = Downloaded(url, dest, digest.hexdigest(), size, utcnow())
        self.downloads.append(done)
        return done
