"""Hygie's own Sigma compiler: SigmaHQ rules to one SQL tree, rendered for DuckDB and Spark SQL."""
