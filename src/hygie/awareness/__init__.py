"""Awareness: training sessions and phishing simulations, by department and staff category."""
