"""Network segmentation: zones, firewall rules, what really reaches what, the policy, the exposure."""
