"""Precursor-signal detection: log events, Sigma rules, alerts."""
