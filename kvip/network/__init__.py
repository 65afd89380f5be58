"""Networks, institutions and units."""
