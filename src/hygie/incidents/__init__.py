"""Incidents: the case, its regulatory clocks, its reports and what is shared with the CERT."""
