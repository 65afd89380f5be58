"""Action plans, the regulation GAP analysis and maturity."""
