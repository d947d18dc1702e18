"""A group's (GHT's) consolidated view: establishments side by side, benchmark, shared plan."""
