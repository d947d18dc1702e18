"""Benchmark of the vulnerability matcher: 20,000 generated assets against 250,000 generated CVE
configurations in the NVD shape (the ``nvd_cpe_match`` table the feeds write: AND/OR nodes, vulnerable
and context entries, including/excluding bounds), read through DuckDB as in production.

Prints the time and peak memory of the full run, then how the time grows with the number of assets
(catalogue fixed) and with the catalogue (assets fixed): the matcher indexes the catalogue by
(vendor, product), so time should follow the candidate matches, not assets × CVEs.
Target on this machine: under 30 s and 2 GB.

    .venv/bin/python bench/vuln_match.py [--assets 20000] [--configs 250000] [--seed 7]
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from hygie.vulns.feeds.tables import SCHEMAS
from hygie.vulns.matching.engine import AssetProfile, SoftwareItem, match_assets
from hygie.vulns.matching.names import default_aliases

VENDORS = 2_000
PRODUCTS_PER_VENDOR = 12  # 24,000 products in the catalogue
HOSPITAL_PRODUCTS = 1_500  # what a hospital's inventory actually runs: a small part of them


def version(rng: random.Random) -> str:
    return f"{rng.randint(0, 12)}.{rng.randint(0, 20)}.{rng.randint(0, 30)}"


def version_range(rng: random.Random) -> tuple[str, str]:
    """A range within one major release, a few minor releases wide, as most NVD ranges are."""
    major, minor = rng.randint(0, 12), rng.randint(0, 18)
    return f"{major}.{minor}.0", f"{major}.{minor + rng.randint(1, 3)}.{rng.randint(0, 30)}"


def product_name(index: int) -> tuple[str, str]:
    vendor = index % VENDORS
    return f"vendor{vendor}", f"product{index}"


def generate_catalogue(path: Path, configs: int, rng: random.Random) -> int:
    """``configs`` configurations, written as nvd_cpe_match rows; returns the number of rows."""
    products = VENDORS * PRODUCTS_PER_VENDOR
    schema = SCHEMAS["nvd_cpe_match"]
    writer = pq.ParquetWriter(str(path), schema, compression="zstd")
    buffer: list[dict[str, object]] = []
    rows = 0

    def entry(
        cve: str, ci: int, op: str, ni: int, mi: int, vulnerable: bool, part: str, index: int, **extra: object
    ):
        vendor, product = product_name(index)
        if part == "h":
            product += "_device"
        exact = extra.pop("exact", None)
        criteria = f"cpe:2.3:{part}:{vendor}:{product}:{exact or ('-' if part == 'h' else '*')}:*:*:*:*:*:*:*"
        row: dict[str, object] = {
            "cve_id": cve, "config_index": ci, "config_operator": op, "config_negate": False,
            "node_index": ni, "node_operator": "OR", "node_negate": False, "match_index": mi,
            "vulnerable": vulnerable, "criteria": criteria, "part": part, "vendor": vendor,
            "product": product, "version": exact or ("-" if part == "h" else "*"),
        }  # fmt: skip
        row.update(extra)
        buffer.append(row)

    # Popular products have many CVEs (Zipf-like: the first has about 2.5 % of them, as the Linux
    # kernel has in NVD); the hospital's products are among the most common ones.
    weights = [1 / (i + 5) for i in range(products)]
    chosen = rng.choices(range(products), weights=weights, k=configs)
    for n, index in enumerate(chosen):
        cve = f"CVE-{2000 + n // 100_000}-{n % 100_000:05d}"
        shape = rng.random()
        if shape < 0.65:  # one product, one to three ranges
            for mi in range(rng.randint(1, 3)):
                low, high = version_range(rng)
                entry(cve, 0, "OR", 0, mi, True, "a", index,
                      version_start_including=low, version_end_excluding=high)  # fmt: skip
        elif shape < 0.85:  # firmware running on a device (AND, context entry)
            low, high = version_range(rng)
            entry(
                cve, 0, "AND", 0, 0, True, "o", index, version_start_including=low, version_end_including=high
            )
            entry(cve, 0, "AND", 1, 0, False, "h", index)
        else:  # exact versions
            for mi in range(rng.randint(1, 4)):
                entry(cve, 0, "OR", 0, mi, True, "a", index, exact=version(rng))
        if len(buffer) >= 100_000:
            writer.write_table(pa.Table.from_pylist(buffer, schema=schema))
            rows += len(buffer)
            buffer.clear()
    writer.write_table(pa.Table.from_pylist(buffer, schema=schema))
    rows += len(buffer)
    writer.close()
    return rows


def generate_assets(count: int, rng: random.Random) -> list[AssetProfile]:
    """Assets running 3 to 8 products drawn from the hospital's set, each product in one of the 1 to 8
    versions deployed (an inventory runs a few versions of a product, not one per machine); a fifth
    are devices with their firmware."""
    deployed = {i: [version(rng) for _ in range(rng.randint(1, 8))] for i in range(HOSPITAL_PRODUCTS)}
    profiles = []
    for asset_id in range(1, count + 1):
        software = []
        for k in range(rng.randint(3, 8)):
            index = rng.randrange(HOSPITAL_PRODUCTS)
            vendor, product = product_name(index)
            cpe = f"cpe:2.3:a:{vendor}:{product}:{rng.choice(deployed[index])}:*:*:*:*:*:*:*"
            software.append(SoftwareItem(f"software:{asset_id}-{k}", cpe=cpe))
        profile = AssetProfile(asset_id, software=software)
        if rng.random() < 0.2:
            index = rng.randrange(HOSPITAL_PRODUCTS)
            vendor, product = product_name(index)
            profile.os_cpe = f"cpe:2.3:o:{vendor}:{product}:{rng.choice(deployed[index])}:*:*:*:*:*:*:*"
            profile.maker, profile.model = vendor, product + "_device"
        profiles.append(profile)
    return profiles


def connect(path: Path) -> duckdb.DuckDBPyConnection:
    db = duckdb.connect(":memory:")
    db.execute(f"CREATE VIEW nvd_cpe_match AS SELECT * FROM read_parquet('{path}')")  # noqa: S608 - temp path
    return db


def run(path: Path, profiles: list[AssetProfile]) -> tuple[float, int]:
    db = connect(path)
    start = time.perf_counter()
    matches = match_assets(db, profiles, default_aliases(), date(2026, 11, 29))
    elapsed = time.perf_counter() - start
    db.close()
    return elapsed, len(matches)


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--assets", type=int, default=20_000)
    parser.add_argument("--configs", type=int, default=250_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        start = time.perf_counter()
        catalogues = {}
        for share in (4, 2, 1):
            size = args.configs // share
            catalogues[size] = folder / f"nvd_cpe_match_{size}.parquet"
            rows = generate_catalogue(catalogues[size], size, random.Random(args.seed + share))
            print(f"catalogue of {size:,} configurations: {rows:,} cpeMatch rows")
        profiles = generate_assets(args.assets, rng)
        print(f"generated in {time.perf_counter() - start:.1f} s; {args.assets:,} assets")
        base_rss = peak_mb()

        full_time, found = run(catalogues[args.configs], profiles)
        print(
            f"\nFULL RUN: {args.assets:,} assets × {args.configs:,} configurations: {full_time:.2f} s, "
            f"{found:,} matches, peak memory {peak_mb():,.0f} MB (before matching {base_rss:,.0f} MB)"
        )

        print(f"\ntime with the number of assets (catalogue of {args.configs:,}):")
        for share in (4, 2, 1):
            subset = profiles[: args.assets // share]
            elapsed, found = run(catalogues[args.configs], subset)
            print(f"  {len(subset):>7,} assets: {elapsed:6.2f} s, {found:>9,} matches")
        print(f"time with the catalogue ({args.assets:,} assets):")
        for size, path in sorted(catalogues.items()):
            elapsed, found = run(path, profiles)
            print(f"  {size:>7,} configurations: {elapsed:6.2f} s, {found:>9,} matches")
        ok = full_time < 30 and peak_mb() < 2048
        print(
            f"\npeak memory of the whole benchmark: {peak_mb():,.0f} MB; target met: {'yes' if ok else 'NO'}"
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
