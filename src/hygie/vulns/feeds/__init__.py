"""Public vulnerability feeds as a versioned local snapshot of Parquet tables.

``hygie feeds update`` downloads and normalises each feed into a new snapshot folder under
``HYGIE_HOME/feeds/snapshots``, checks it (checksums, row counts, no large loss of rows), then points
``current.json`` at it atomically; ``bundle`` and ``import`` carry a snapshot to an isolated network.
Later stages read the tables through :mod:`hygie.vulns.feeds.read` (DuckDB views).
"""
