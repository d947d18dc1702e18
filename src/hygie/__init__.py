"""Hygie: the cyber-resilience platform of hospitals and clinics."""

__version__ = "0.1.0"
