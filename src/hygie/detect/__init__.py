"""Precursor signals: the event store, log ingestion, Sigma rules and detection."""
