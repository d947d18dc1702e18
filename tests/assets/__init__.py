"""Tests of the inventory (hygie.assets)."""
