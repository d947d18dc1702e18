"""The ``hygie`` command: Typer groups assembled from each domain's ``cli.py``."""
