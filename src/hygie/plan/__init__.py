"""The action plan: findings from every domain, action templates, priority, budget optimisation, roadmap."""
