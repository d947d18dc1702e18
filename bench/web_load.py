"""Load of the web app on loopback: 20 concurrent clients, bounded in time, against the demo data.

    .venv/bin/python bench/web_load.py [--seconds 10] [--clients 20] [--postgres URL]

Builds the demo in a temporary HYGIE_HOME (SQLite, or the PostgreSQL database given, which it
empties first: give it a throwaway database), starts ``hygie serve`` (uvicorn) on 127.0.0.1 on a
free port, signs in (an API token and a page session), then for each target prints requests,
errors, throughput and p50/p95/p99 latency, and the server's peak RSS. The server is stopped at
the end whatever happens.
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
_CSRF = re.compile(r'<meta name="csrf-token" content="([0-9a-f]{64})">')
_EMAIL = re.compile(r"e-mail\s*:\s*(\S+)")
_PASSWORD = re.compile(r"mot de passe\s*:\s*(\S+)")
_TOKEN = re.compile(r"hyg_[A-Za-z0-9_-]{20,}")


@dataclass
class Result:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def rss_of(pid: int) -> int:
    """Resident memory of the server in bytes (psutil when installed, else /proc)."""
    try:
        import psutil

        return int(psutil.Process(pid).memory_info().rss)
    except ImportError:
        status = Path(f"/proc/{pid}/status").read_text()
        found = re.search(r"VmRSS:\s+(\d+) kB", status)
        return int(found.group(1)) * 1024 if found else 0


def build_demo(env: dict[str, str]) -> tuple[str, str]:
    """Runs ``hygie demo``; returns the RSSI's email and password (printed once by the demo)."""
    hygie = str(Path(sys.executable).parent / "hygie")
    done = subprocess.run([hygie, "demo"], env=env, capture_output=True, text=True, check=True, timeout=600)  # noqa: S603
    for email, password in zip(_EMAIL.findall(done.stdout), _PASSWORD.findall(done.stdout), strict=False):
        if email.startswith("rssi@"):
            return email, password
    raise SystemExit(f"no RSSI login in the demo's output:\n{done.stdout[-2000:]}")


def wait_up(base: str, server: subprocess.Popen[bytes], timeout: float = 60) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if server.poll() is not None:
            raise SystemExit(f"the server stopped (exit {server.returncode})")
        try:
            if httpx.get(f"{base}/login", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise SystemExit("the server did not answer in time")


def sign_in(base: str, email: str, password: str) -> tuple[httpx.Cookies, str, int]:
    """A page session's cookies, an API token and the establishment id."""
    with httpx.Client(base_url=base, follow_redirects=False) as client:
        csrf = _CSRF.search(client.get("/login").text)
        assert csrf, "no CSRF token on /login"
        data = {"email": email, "password": password, "csrf_token": csrf.group(1), "next": "/account"}
        response = client.post("/login", data=data)
        assert response.status_code == 303, response.text[:300]
        # /api only takes tokens: the first one comes from the account page, shown once.
        token_csrf = _CSRF.search(client.get("/account").text)
        assert token_csrf, "no CSRF token on /account"
        made = client.post("/account/tokens", data={"name": "bench", "csrf_token": token_csrf.group(1)})
        cookies = client.cookies
    found = _TOKEN.search(made.text)
    if found is None:
        raise SystemExit(f"no API token on the account page: {made.status_code}")
    token = found.group(0)
    listed = httpx.get(f"{base}/api/v1/establishments", headers={"Authorization": f"Bearer {token}"}).json()
    return cookies, token, int(listed["items"][0]["id"])


def hammer(base: str, path: str, seconds: float, clients: int, **client_args: object) -> tuple[Result, float]:
    result = Result()
    stop = time.monotonic() + seconds

    def worker() -> None:
        with httpx.Client(base_url=base, timeout=30, **client_args) as client:  # type: ignore[arg-type]
            while time.monotonic() < stop:
                start = time.perf_counter()
                try:
                    ok = client.get(path).status_code == 200
                except httpx.HTTPError:
                    ok = False
                elapsed = time.perf_counter() - start
                with result.lock:
                    result.latencies.append(elapsed)
                    result.errors += 0 if ok else 1

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return result, time.monotonic() - began


def percentile(values: list[float], q: int) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def run(database_url: str | None, seconds: float, clients: int) -> None:
    with tempfile.TemporaryDirectory(prefix="hygie-bench-") as home:
        env = {**os.environ, "HYGIE_HOME": home, "HYGIE_LANG": "fr"}
        env.pop("HYGIE_DATABASE_URL", None)
        if database_url:
            env["HYGIE_DATABASE_URL"] = database_url
        print(f"demo on {'PostgreSQL' if database_url else 'SQLite'}…", flush=True)
        email, password = build_demo(env)
        port = free_port()
        base = f"http://{HOST}:{port}"
        hygie = str(Path(sys.executable).parent / "hygie")
        server = subprocess.Popen(  # noqa: S603
            [hygie, "serve", "--host", HOST, "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        peak = 0
        try:
            wait_up(base, server)
            cookies, token, establishment = sign_in(base, email, password)
            api = {"headers": {"Authorization": f"Bearer {token}"}}
            targets = [
                ("page /e/{id}/dashboard", f"/e/{establishment}/dashboard", {"cookies": cookies}),
                ("GET dashboard", f"/api/v1/establishments/{establishment}/dashboard", api),
                ("GET findings", f"/api/v1/establishments/{establishment}/findings", api),
                ("GET actions", f"/api/v1/establishments/{establishment}/actions", api),
            ]
            heads = ("requests", 9), ("errors", 8), ("req/s", 9), ("p50 ms", 9), ("p95 ms", 9), ("p99 ms", 9)
            print(f"{'target':<26}" + "".join(f"{h:>{w}}" for h, w in heads))
            for name, path, args in targets:
                result, elapsed = hammer(base, path, seconds, clients, **args)
                peak = max(peak, rss_of(server.pid))
                ms = [v * 1000 for v in result.latencies]
                print(
                    f"{name:<26}{len(ms):>9}{result.errors:>8}{len(ms) / elapsed:>9.1f}"
                    f"{percentile(ms, 50):>9.1f}{percentile(ms, 95):>9.1f}{percentile(ms, 99):>9.1f}",
                    flush=True,
                )
            print(f"server peak RSS: {peak / 2**20:.0f} MiB (sampled after each target)")
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="per target (default 10)")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--postgres", metavar="URL", help="also run on this PostgreSQL database (emptied)")
    args = parser.parse_args()
    run(None, args.seconds, args.clients)
    if args.postgres:
        run(args.postgres, args.seconds, args.clients)


if __name__ == "__main__":
    main()
