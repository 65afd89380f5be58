"""The home page: what each role should do now."""
