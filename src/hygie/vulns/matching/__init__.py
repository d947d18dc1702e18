"""Matching the inventory against the feed snapshot: NVD configurations, purls, CSAF medical
advisories and end of life. ``engine.match_assets`` is the entry point; it needs no database, only
asset profiles and a DuckDB connection on the feeds."""
