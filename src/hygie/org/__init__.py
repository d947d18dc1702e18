"""Establishments and hospital groups (GHT)."""
