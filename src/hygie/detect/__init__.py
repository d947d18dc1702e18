"""Precursor signals: the event store, log ingestion and detection."""
