"""Incidents: cases, timeline, regulatory clocks, drafts of the reports, lessons learned."""
