"""Readers of foreign referential formats, converting them into Hygie library files."""
