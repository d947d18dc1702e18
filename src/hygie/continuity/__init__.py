"""Continuity of care: care services, dependencies, backups and restore tests, crisis exercises."""
