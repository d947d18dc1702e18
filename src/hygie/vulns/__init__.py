"""Vulnerabilities: public feeds (KEV, EPSS, NVD, SSVC, end of life, medical advisories), matching,
priority."""
