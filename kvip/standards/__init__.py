"""Standards editions, domains and standards; loader, validator, import and export."""
