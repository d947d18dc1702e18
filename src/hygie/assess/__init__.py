"""Maturity assessment: campaigns, answers, evidence, scores against every referential."""
